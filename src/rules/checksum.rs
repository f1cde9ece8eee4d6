//! Checksums embedded in token formats. A token whose checksum verifies was issued by the
//! provider (or made to look exactly like it); one whose checksum fails was not, so its finding
//! drops to low confidence.

use serde::{Deserialize, Serialize};

/// A checksum scheme a rule's secrets carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm (`npm_`) tokens: a prefix, 30
    /// base62 characters, then the CRC32 of those 30 characters as 6 base62 digits
    /// (alphabet `0-9A-Za-z`, most significant first).
    Base62Crc32,
    /// Grafana service-account tokens: `glsa_` + 32 base62 characters + `_` + the CRC32 of
    /// everything before that last `_`, as 8 hex digits of its little-endian bytes.
    HexCrc32Suffix,
    /// Bech32 strings (BIP 173), e.g. age secret keys `AGE-SECRET-KEY-1...`: a human-readable
    /// part, the separator `1`, data characters and a 6-character BCH checksum over both.
    Bech32,
}

impl Checksum {
    /// Does the secret carry a valid checksum of this scheme?
    pub fn verify(self, secret: &[u8]) -> bool {
        match self {
            Checksum::Base62Crc32 => {
                let Some(us) = secret.iter().position(|&b| b == b'_') else {
                    return false;
                };
                let body = &secret[us + 1..];
                if body.len() != 36 {
                    return false;
                }
                let (random, check) = body.split_at(30);
                base62_value(check) == Some(u64::from(crc32fast::hash(random)))
            }
            Checksum::HexCrc32Suffix => {
                let Some(us) = secret.iter().rposition(|&b| b == b'_') else {
                    return false;
                };
                let (head, check) = (&secret[..us], &secret[us + 1..]);
                check.len() == 8
                    && std::str::from_utf8(check)
                        .ok()
                        .and_then(|s| u32::from_str_radix(s, 16).ok())
                        == Some(crc32fast::hash(head).swap_bytes())
            }
            Checksum::Bech32 => bech32_valid(secret),
        }
    }
}

const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mual7";

fn bech32_polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    values.fold(1u32, |chk, v| {
        let top = chk >> 25;
        let mut chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
        chk
    })
}

/// The values a human-readable part contributes to the checksum.
fn bech32_hrp_values(hrp: &[u8]) -> impl Iterator<Item = u8> + '_ {
    hrp.iter()
        .map(|b| b >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|b| b & 31))
}

fn bech32_valid(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    // Bech32 is all upper or all lower case, never mixed.
    if lower != secret && secret.to_ascii_uppercase() != secret {
        return false;
    }
    let Some(sep) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let Some(values) = data
        .iter()
        .map(|b| BECH32_CHARSET.iter().position(|c| c == b).map(|p| p as u8))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    bech32_polymod(bech32_hrp_values(hrp).chain(values)) == 1
}

/// A valid bech32 string of `hrp` and the 5-bit `data` values (for building test keys).
pub fn bech32(hrp: &str, data: &[u8]) -> String {
    let hrp = hrp.to_ascii_lowercase();
    let poly = bech32_polymod(
        bech32_hrp_values(hrp.as_bytes())
            .chain(data.iter().map(|d| d & 31))
            .chain([0u8; 6]),
    ) ^ 1;
    let check = (0..6).map(|i| ((poly >> (5 * (5 - i))) & 31) as u8);
    let body: String = data
        .iter()
        .map(|d| d & 31)
        .chain(check)
        .map(|v| BECH32_CHARSET[v as usize] as char)
        .collect();
    format!("{hrp}1{body}")
}

fn base62_value(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'Z' => b - b'A' + 10,
            b'a'..=b'z' => b - b'a' + 36,
            _ => return None,
        };
        Some(acc * 62 + u64::from(d))
    })
}

/// Encode `n` as `width` base62 digits (for building valid test tokens).
pub fn base62(mut n: u64, width: usize) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = A[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_round_trips_and_rejects_changes() {
        let key = bech32(
            "age-secret-key-",
            &(0..52u32)
                .map(|i| ((i * 7 + 3) % 32) as u8)
                .collect::<Vec<u8>>(),
        )
        .to_ascii_uppercase();
        assert!(key.starts_with("AGE-SECRET-KEY-1"));
        assert_eq!(key.len(), 74);
        assert!(Checksum::Bech32.verify(key.as_bytes()));
        assert!(Checksum::Bech32.verify(key.to_ascii_lowercase().as_bytes()));
        // One changed character, mixed case, or a character outside the alphabet: invalid.
        let mut changed = key.clone().into_bytes();
        changed[30] = if changed[30] == b'Q' { b'P' } else { b'Q' };
        assert!(!Checksum::Bech32.verify(&changed));
        let mixed = format!("{}{}", &key[..40], key[40..].to_ascii_lowercase());
        assert!(!Checksum::Bech32.verify(mixed.as_bytes()));
        assert!(!Checksum::Bech32.verify(b"AGE-SECRET-KEY-1BIO"));
    }

    fn github_token(prefix: &str, random: &str) -> String {
        let check = base62(u64::from(crc32fast::hash(random.as_bytes())), 6);
        format!("{prefix}_{random}{check}")
    }

    #[test]
    fn base62_crc32_round_trip() {
        let random = "Zq3mK8vT1xW9pL2nR7bY4cH6dJ0fG5";
        let t = github_token("ghp", random);
        assert!(Checksum::Base62Crc32.verify(t.as_bytes()));
        assert!(Checksum::Base62Crc32.verify(github_token("npm", random).as_bytes()));
        let mut bad = t.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!Checksum::Base62Crc32.verify(&bad));
        assert!(!Checksum::Base62Crc32.verify(b"ghp_short"));
        assert!(!Checksum::Base62Crc32.verify(b"no-underscore"));
    }

    #[test]
    fn hex_crc32_suffix() {
        let head = "glsa_Zq3mK8vT1xW9pL2nR7bY4cH6dJ0fG5aB";
        let good = format!(
            "{head}_{:08x}",
            crc32fast::hash(head.as_bytes()).swap_bytes()
        );
        assert!(Checksum::HexCrc32Suffix.verify(good.as_bytes()));
        assert!(!Checksum::HexCrc32Suffix.verify(format!("{head}_0badf00d").as_bytes()));
        assert!(!Checksum::HexCrc32Suffix.verify(b"glsa_x_zz"));
    }
}

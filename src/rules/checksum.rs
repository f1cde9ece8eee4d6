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
        }
    }
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

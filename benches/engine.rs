//! Engine throughput on a 64 MiB synthetic corpus of real-looking source with sparse secrets.
//!
//! The corpus is built from real text on the machine (the cargo registry sources, then the
//! Python standard library, then /usr/share/doc), cut into file-sized buffers, with a planted
//! secret about every 2 MiB. Secrets are generated here, never stored in the repository.
//! Run: `cargo bench --bench engine`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use leakgate::engine::{Engine, Scanner};
use leakgate::rules::{LoadedFile, RuleSet};
use std::path::{Path, PathBuf};

const CORPUS: usize = 64 << 20;

fn collect_text(dir: &Path, out: &mut Vec<Vec<u8>>, total: &mut usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if *total >= CORPUS {
            return;
        }
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            collect_text(&p, out, total);
        } else if meta.is_file() && meta.len() < (1 << 20) {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(
                ext,
                "rs" | "py" | "toml" | "md" | "txt" | "c" | "h" | "js" | "json" | "yml" | "yaml"
            ) {
                continue;
            }
            if let Ok(b) = std::fs::read(&p) {
                if !b.contains(&0) {
                    *total += b.len();
                    out.push(b);
                }
            }
        }
    }
}

fn rand_token(state: &mut u64, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            alphabet[(*state % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// Real-looking source files totalling 64 MiB, with a planted secret every ~2 MiB.
pub fn corpus() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut total = 0;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let roots = [
        home.join(".cargo/registry/src"),
        PathBuf::from("/usr/lib/python3.11"),
        PathBuf::from("/root/.pyenv/versions/3.11.7/lib/python3.11"),
        PathBuf::from("/usr/share/doc"),
    ];
    for r in &roots {
        collect_text(r, &mut files, &mut total);
    }
    if files.is_empty() {
        files.push(b"fn main() { let x = compute(1, 2); println!(\"{x}\"); }\n".to_vec());
        total = files[0].len();
    }
    // Repeat if the machine had less text than we need.
    let mut i = 0;
    while total < CORPUS {
        let f = files[i].clone();
        total += f.len();
        files.push(f);
        i += 1;
    }
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut planted = 0usize;
    let mut since = 0usize;
    for f in files.iter_mut() {
        since += f.len();
        if since >= 2 << 20 {
            since = 0;
            let secret = match planted % 3 {
                0 => format!(
                    "\nAWS_ACCESS_KEY_ID = \"AKIA{}\"\n",
                    rand_token(&mut seed, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
                ),
                1 => format!(
                    "\nexport OPENAI_API_KEY=sk-proj-{}\n",
                    rand_token(&mut seed, alnum, 120)
                ),
                _ => format!("\ntoken = \"ghp_{}\"\n", rand_token(&mut seed, alnum, 36)),
            };
            f.extend_from_slice(secret.as_bytes());
            planted += 1;
        }
    }
    files
}

/// The commit whose `patterns.toml` held the first release's 83 rules.
const BASELINE_COMMIT: &str = "f4aa1e6";

/// The built-in rules as of `commit` (needs the git history; skipped without it).
fn rules_at(commit: &str) -> Option<Engine> {
    let out = std::process::Command::new("git")
        .args(["show", &format!("{commit}:patterns.toml")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("skipping the 83-rule baseline: commit {commit} is not in this checkout");
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let file = LoadedFile::parse("patterns.toml@83", &text, false).ok()?;
    Engine::new(RuleSet::build(vec![file]).ok()?).ok()
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let bytes: usize = files.iter().map(Vec::len).sum();
    let rules = Engine::new(RuleSet::load(&[]).expect("built-in rules")).expect("index");
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("scan_64mib_one_thread", |b| {
        let mut scanner = Scanner::new(&rules);
        b.iter(|| files.iter().map(|f| scanner.scan(f).len()).sum::<usize>())
    });
    // The same corpus with the 83 rules of the first release, read from git history, so the
    // cost of the larger rule set is measured in the same run on the same machine.
    if let Some(old) = rules_at(BASELINE_COMMIT) {
        g.bench_function("scan_64mib_one_thread_83_rules", |b| {
            let mut scanner = Scanner::new(&old);
            b.iter(|| files.iter().map(|f| scanner.scan(f).len()).sum::<usize>())
        });
    }
    g.finish();

    let small =
        b"import os\nclient = Client(api_key=os.environ['KEY'])\nprint(client.list())\n".to_vec();
    let mut g = c.benchmark_group("startup");
    g.bench_function("load_rules_and_scan_small_file", |b| {
        b.iter(|| {
            let rules = Engine::new(RuleSet::load(&[]).expect("rules")).expect("index");
            Scanner::new(&rules).scan(&small).len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `leakgate hook install|uninstall|run`: git hooks installed into the hooks directory git
//! actually uses (`core.hooksPath`, linked worktrees, `.git` files), chaining a hook that was
//! already there, and the pre-push check itself.

use super::history::{Strictness, history_report};
use super::{Completion, Outcome, complete};
use crate::cli::{HookCommand, HookInstallArgs, HookRunArgs};
use crate::config::{self, OutputConfig};
use crate::history::{self, HistoryOptions, Scope};
use crate::source::git;
use anyhow::{Context, Result, anyhow, bail};
use std::io::Read;
use std::path::{Path, PathBuf};

const PRE_COMMIT: &str = include_str!("../../hooks/pre-commit");
const PRE_PUSH: &str = include_str!("../../hooks/pre-push");
/// Marker line identifying scripts leakgate installed.
const MARKER: &str = "# leakgate-hook:";
/// Suffix of a pre-existing hook that leakgate's script runs first.
const CHAINED: &str = "leakgate-orig";

pub(super) fn run(cmd: HookCommand) -> Result<Outcome> {
    match cmd {
        HookCommand::Install(a) => install(&a),
        HookCommand::Uninstall(a) => uninstall(&a),
        HookCommand::Run(a) => match a.hook.as_str() {
            "pre-push" => pre_push(a),
            "pre-commit" => bail!("run `leakgate staged` for the pre-commit check"),
            other => bail!("unknown hook '{other}' (supported: pre-push)"),
        },
    }
}

fn open(repo: Option<&Path>) -> Result<gix::Repository> {
    let start = repo.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    git::discover(&start)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", start.display()))
}

/// The hooks directory git uses: `core.hooksPath` (relative to the working tree), else the
/// common git directory's `hooks`.
pub fn hooks_dir(repo: &gix::Repository) -> PathBuf {
    let snapshot = repo.config_snapshot();
    if let Some(p) = snapshot.string("core.hooksPath") {
        let p = p.to_string();
        let p = match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => PathBuf::from(p),
        };
        if p.is_absolute() {
            return p;
        }
        let base = repo.workdir().unwrap_or_else(|| repo.git_dir());
        return base.join(p);
    }
    repo.common_dir().join("hooks")
}

fn hooks_for(a: &HookInstallArgs) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    if !a.pre_push_only {
        v.push(("pre-commit", PRE_COMMIT));
    }
    if a.pre_push || a.pre_push_only {
        v.push(("pre-push", PRE_PUSH));
    }
    v
}

fn is_ours(path: &Path) -> bool {
    crate::safe_fs::read_small(path, 4096).is_ok_and(|t| {
        String::from_utf8_lossy(&t)
            .lines()
            .take(3)
            .any(|l| l.starts_with(MARKER))
    })
}

fn write_script(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = crate::safe_fs::create(path, crate::safe_fs::Mode::Executable)?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn install(a: &HookInstallArgs) -> Result<Outcome> {
    let repo = open(a.repo.as_deref())?;
    let dir = hooks_dir(&repo);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, script) in hooks_for(a) {
        let path = dir.join(name);
        let chained = dir.join(format!("{name}.{CHAINED}"));
        let exists = path.symlink_metadata().is_ok();
        if exists && !is_ours(&path) {
            if chained.symlink_metadata().is_ok() {
                if !a.force {
                    bail!(
                        "{} exists and is not leakgate's, and {} is already taken; move one of them or use --force (the current hook is then saved as {name}.leakgate-backup and not run)",
                        path.display(),
                        chained.display()
                    );
                }
                let backup = dir.join(format!("{name}.leakgate-backup"));
                std::fs::rename(&path, &backup)?;
                println!(
                    "saved the existing {name} hook as {} (not chained)",
                    backup.display()
                );
            } else {
                std::fs::rename(&path, &chained)?;
                println!(
                    "kept the existing {name} hook: it now runs first, from {}",
                    chained.display()
                );
            }
        }
        write_script(&path, script)?;
        println!("installed {name} hook: {}", path.display());
    }
    Ok(Outcome::Clean)
}

fn uninstall(a: &HookInstallArgs) -> Result<Outcome> {
    let repo = open(a.repo.as_deref())?;
    let dir = hooks_dir(&repo);
    for (name, _) in hooks_for(a) {
        let path = dir.join(name);
        let chained = dir.join(format!("{name}.{CHAINED}"));
        if path.symlink_metadata().is_ok() && !is_ours(&path) {
            println!("{} is not leakgate's hook; left alone", path.display());
            continue;
        }
        if path.exists() {
            std::fs::remove_file(&path)?;
            println!("removed {name} hook: {}", path.display());
        }
        if chained.symlink_metadata().is_ok() {
            std::fs::rename(&chained, &path)?;
            println!("restored the previous {name} hook");
        }
    }
    Ok(Outcome::Clean)
}

const ZERO: &str = "0000000000000000000000000000000000000000";

fn is_zero(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'0')
}

/// `git push` feeds `<local ref> <local sha> <remote ref> <remote sha>` lines on stdin; the
/// pre-commit framework sets PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF instead.
fn push_updates(stdin: &str) -> Vec<(String, String)> {
    let mut updates: Vec<(String, String)> = stdin
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 4).then(|| (f[1].to_string(), f[3].to_string()))
        })
        .collect();
    if updates.is_empty()
        && let (Ok(from), Ok(to)) = (
            std::env::var("PRE_COMMIT_FROM_REF"),
            std::env::var("PRE_COMMIT_TO_REF"),
        )
        && !to.is_empty()
    {
        let from = if from.is_empty() {
            ZERO.to_string()
        } else {
            from
        };
        updates.push((to, from));
    }
    updates
}

fn pre_push(a: HookRunArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&a.output);
    let repo = open(None)?;
    let rules = config::load_rules(&a.config, repo.workdir())?;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the pushed refs from stdin")?;
    let remote_tracking: Vec<String> = repo
        .references()
        .ok()
        .and_then(|p| {
            p.remote_branches().ok().map(|it| {
                it.filter_map(Result::ok)
                    .map(|r| r.name().as_bstr().to_string())
                    .collect()
            })
        })
        .unwrap_or_default();
    let mut merged: Option<history::HistoryScan> = None;
    for (local, remote) in push_updates(&input) {
        if is_zero(&local) {
            continue; // deleting a remote ref publishes nothing
        }
        let exclude = if !is_zero(&remote)
            && gix::ObjectId::from_hex(remote.as_bytes())
                .ok()
                .is_some_and(|id| repo.has_object(id))
        {
            vec![remote]
        } else {
            remote_tracking.clone()
        };
        let opts = HistoryOptions {
            scope: Scope {
                include: vec![local],
                exclude,
                reachable_only: false,
                ref_names: Vec::new(),
            },
            threads: out.threads,
            max_blob_size: None,
            finding: out.finding.clone(),
        };
        let scan = history::scan(&repo, &rules, &opts, &history::Progress::default())?;
        match &mut merged {
            None => merged = Some(scan),
            Some(m) => {
                m.findings.extend(scan.findings);
                m.missing.extend(scan.missing);
                m.errors.extend(scan.errors);
                m.commits += scan.commits;
                m.blobs_scanned += scan.blobs_scanned;
                m.bytes_scanned += scan.bytes_scanned;
                m.objects_scanned += scan.objects_scanned;
            }
        }
    }
    let mut scan = merged.unwrap_or_default();
    scan.findings
        .sort_by(|x, y| x.fingerprint.cmp(&y.fingerprint).then(x.path.cmp(&y.path)));
    scan.findings.dedup_by(|x, y| {
        x.fingerprint == y.fingerprint && x.path == y.path && x.source == y.source
    });
    let report = history_report(
        scan,
        &rules,
        Strictness {
            allow_missing: false,
            gate: true,
        },
        &out.finding,
    );
    let outcome = complete(
        report,
        Completion {
            command: "pre-push",
            rules: &rules,
            config: &a.config,
            root: repo.workdir(),
            commit_files: None,
            full_coverage: false,
        },
        &out,
    )?;
    if outcome == Outcome::Findings {
        eprintln!(
            "leakgate: push blocked: the commits above add secrets. Remove them from those commits (git rebase -i, or git commit --amend for the last one), rotate any that left this machine, then push again. False positive? Add `leakgate:allow` on the line."
        );
    }
    Ok(outcome)
}

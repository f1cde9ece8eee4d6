//! `leakgate hook install|uninstall|status|run`: git hooks installed into the hooks directory git
//! actually uses (`core.hooksPath`, linked worktrees, `.git` files), chaining a hook that was
//! already there, optionally in every initialised submodule; when a hook manager owns that
//! directory, the line to add to its configuration instead. The checks the hooks run are in
//! `push` (pre-push) and `commit_msg`; `status` says whether git runs them.

mod commit_msg;
mod managers;
mod push;
mod push_input;
mod push_submodules;
mod status;

pub(super) use status::warn_if_inactive;

use super::Outcome;
use crate::cli::{HookCommand, HookInstallArgs};
use crate::source::{git, gitlinks};
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

const PRE_COMMIT: &str = include_str!("../../../hooks/pre-commit");
const COMMIT_MSG: &str = include_str!("../../../hooks/commit-msg");
const PRE_PUSH: &str = include_str!("../../../hooks/pre-push");
/// Marker line identifying scripts leakgate installed.
const MARKER: &str = "# leakgate-hook:";
/// Suffix of a pre-existing hook that leakgate's script runs first.
const CHAINED: &str = "leakgate-orig";
/// The hooks leakgate provides, in the order git runs them.
const HOOKS: [&str; 3] = ["pre-commit", "commit-msg", "pre-push"];

pub(super) fn run(cmd: HookCommand) -> Result<Outcome> {
    match cmd {
        HookCommand::Install(a) => install(&a),
        HookCommand::Uninstall(a) => uninstall(&a),
        HookCommand::Status(a) => status::run(a.repo.as_deref()),
        HookCommand::Run(a) => match a.hook.as_str() {
            "pre-push" => push::run(a),
            "commit-msg" => commit_msg::run(a),
            "pre-commit" => bail!("run `leakgate staged` for the pre-commit check"),
            other => bail!("unknown hook '{other}' (supported: pre-push, commit-msg)"),
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
    default_hooks_dir(repo)
}

/// Where git looks for hooks when `core.hooksPath` is not set.
fn default_hooks_dir(repo: &gix::Repository) -> PathBuf {
    repo.common_dir().join("hooks")
}

/// Whether two paths name the same directory (either may not exist yet).
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// A path for messages: relative to the working tree when inside it.
fn shown(repo: &gix::Repository, p: &Path) -> String {
    repo.workdir()
        .and_then(|w| p.strip_prefix(w).ok())
        .filter(|r| !r.as_os_str().is_empty())
        .unwrap_or(p)
        .display()
        .to_string()
}

fn script(name: &str) -> &'static str {
    match name {
        "pre-commit" => PRE_COMMIT,
        "commit-msg" => COMMIT_MSG,
        _ => PRE_PUSH,
    }
}

fn hooks_for(a: &HookInstallArgs) -> Vec<&'static str> {
    let mut v = Vec::new();
    if !a.pre_push_only {
        v.extend(["pre-commit", "commit-msg"]);
    }
    if a.pre_push || a.pre_push_only {
        v.push("pre-push");
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

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
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

/// The initialised submodules of `repo` (their working tree holds a repository), recursively,
/// with their paths from the top; and the paths of submodules that are not initialised.
fn submodules(
    repo: &gix::Repository,
    prefix: &str,
) -> (Vec<(String, gix::Repository)>, Vec<String>) {
    let (mut found, mut skipped) = (Vec::new(), Vec::new());
    let Some(work) = repo.workdir() else {
        return (found, skipped);
    };
    let text = crate::safe_fs::read_small(&work.join(".gitmodules"), 1 << 20).unwrap_or_default();
    for sub in gitlinks::parse_gitmodules(&text) {
        let dir = work.join(&sub.path);
        let full = format!("{prefix}{}", sub.path);
        let opened = dir
            .join(".git")
            .symlink_metadata()
            .ok()
            .and_then(|_| git::discover(&dir).ok().flatten())
            .filter(|r| r.workdir().is_some_and(|w| same_dir(w, &dir)));
        match opened {
            Some(r) => {
                let (deeper, deeper_skipped) = submodules(&r, &format!("{full}/"));
                found.push((full, r));
                found.extend(deeper);
                skipped.extend(deeper_skipped);
            }
            None => skipped.push(full),
        }
    }
    (found, skipped)
}

/// Run `each` on `repo` and, with `--recurse-submodules`, on every initialised submodule; the
/// worst outcome wins.
fn with_submodules(
    repo: &gix::Repository,
    a: &HookInstallArgs,
    each: fn(&gix::Repository, &HookInstallArgs) -> Result<Outcome>,
) -> Result<Outcome> {
    let mut outcome = each(repo, a)?;
    if a.recurse_submodules {
        let (subs, skipped) = submodules(repo, "");
        for (path, sub) in subs {
            println!("submodule {path}:");
            let o = each(&sub, a)?;
            if o.exit_code() > outcome.exit_code() {
                outcome = o;
            }
        }
        for path in skipped {
            println!(
                "submodule {path}: not initialised, skipped (`git submodule update --init {path}`, then install again)"
            );
        }
    }
    Ok(outcome)
}

fn install(a: &HookInstallArgs) -> Result<Outcome> {
    let repo = open(a.repo.as_deref())?;
    with_submodules(&repo, a, install_into)
}

fn install_into(repo: &gix::Repository, a: &HookInstallArgs) -> Result<Outcome> {
    let hooks = hooks_for(a);
    if let Some(m) = managers::detect(repo) {
        return Ok(m.advise(&hooks));
    }
    let dir = hooks_dir(repo);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for name in hooks {
        install_one(&dir, name, a.force)?;
    }
    Ok(Outcome::Clean)
}

fn install_one(dir: &Path, name: &str, force: bool) -> Result<()> {
    let path = dir.join(name);
    let chained = dir.join(format!("{name}.{CHAINED}"));
    let exists = path.symlink_metadata().is_ok();
    if exists && !is_ours(&path) {
        if chained.symlink_metadata().is_ok() {
            if !force {
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
    write_script(&path, script(name))?;
    println!("installed {name} hook: {}", path.display());
    Ok(())
}

fn uninstall(a: &HookInstallArgs) -> Result<Outcome> {
    let repo = open(a.repo.as_deref())?;
    with_submodules(&repo, a, uninstall_from)
}

/// Remove leakgate's hooks from where git looks, and from the default hooks directory when git
/// no longer looks there (copies left behind by a later `core.hooksPath`).
fn uninstall_from(repo: &gix::Repository, a: &HookInstallArgs) -> Result<Outcome> {
    let active = hooks_dir(repo);
    let default = default_hooks_dir(repo);
    for name in hooks_for(a) {
        uninstall_one(&active, name, true)?;
        if !same_dir(&active, &default) {
            uninstall_one(&default, name, false)?;
        }
    }
    Ok(Outcome::Clean)
}

fn uninstall_one(dir: &Path, name: &str, active: bool) -> Result<()> {
    let path = dir.join(name);
    let chained = dir.join(format!("{name}.{CHAINED}"));
    if !active && !is_ours(&path) {
        return Ok(());
    }
    if path.symlink_metadata().is_ok() && !is_ours(&path) {
        if active {
            println!("{} is not leakgate's hook; left alone", path.display());
        }
        return Ok(());
    }
    if path.exists() {
        std::fs::remove_file(&path)?;
        println!("removed {name} hook: {}", path.display());
    }
    if chained.symlink_metadata().is_ok() {
        std::fs::rename(&chained, &path)?;
        println!("restored the previous {name} hook");
    }
    Ok(())
}

//! `leakgate hook status`: where git looks for hooks now, whether leakgate's hooks are there,
//! executable and chained (or a hook manager runs leakgate), leakgate hooks left where git no
//! longer looks, and what to do. Also the warning `leakgate staged` prints when something other
//! than leakgate's hook runs it while the installed hook is not run by git.

use super::managers::{Kind, Manager};
use super::{
    CHAINED, HOOKS, Outcome, default_hooks_dir, hooks_dir, is_executable, is_ours, managers, open,
    same_dir, shown,
};
use anyhow::Result;
use std::path::Path;

/// One hook as git will (or will not) run it.
struct State {
    text: String,
    todo: Vec<String>,
    /// git runs leakgate's check for this hook.
    runs: bool,
    problem: bool,
}

impl State {
    fn new(text: String, runs: bool) -> Self {
        State {
            text,
            todo: Vec::new(),
            runs,
            problem: false,
        }
    }
}

pub(super) fn run(repo: Option<&Path>) -> Result<Outcome> {
    let repo = open(repo)?;
    let active = hooks_dir(&repo);
    let default = default_hooks_dir(&repo);
    let redirected = !same_dir(&active, &default);
    match repo.config_snapshot().string("core.hooksPath") {
        Some(p) => println!(
            "git runs hooks from {} (core.hooksPath = {p})",
            shown(&repo, &active)
        ),
        None => println!(
            "git runs hooks from {} (core.hooksPath is not set)",
            shown(&repo, &active)
        ),
    }
    let manager = managers::detect(&repo);
    if let Some(m) = &manager {
        println!("hook manager: {} ({})", m.name(), m.shown);
    }
    let mut problems = 0;
    for hook in HOOKS {
        let mut state = hook_state(&repo, hook, &active, manager.as_ref());
        let stale = default.join(hook);
        if redirected && is_ours(&stale) {
            state.todo.push(format!(
                "{} is leakgate's {hook} hook, but it is not run by git: core.hooksPath sends git to {}",
                shown(&repo, &stale),
                shown(&repo, &active)
            ));
            state.problem |= !state.runs;
            let flag = if hook == "pre-push" {
                " --pre-push"
            } else {
                ""
            };
            if let Some(m) = &manager {
                state.todo.push(format!(
                    "`leakgate hook uninstall{flag}` removes this unused copy (and nothing of {})",
                    m.name()
                ));
            } else if state.runs {
                state
                    .todo
                    .push(format!("it is not needed: rm {}", shown(&repo, &stale)));
            } else {
                state.todo.push(
                    "or, if nothing needs core.hooksPath: git config --unset core.hooksPath"
                        .to_string(),
                );
            }
        }
        println!("{hook:<11} {}", state.text);
        for t in &state.todo {
            println!("{:11} - {t}", "");
        }
        problems += usize::from(state.problem);
    }
    Ok(if problems > 0 {
        println!(
            "{problems} hook{} attention",
            if problems == 1 { " needs" } else { "s need" }
        );
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// The hook git would run for `hook`, from `active`.
fn hook_state(
    repo: &gix::Repository,
    hook: &str,
    active: &Path,
    manager: Option<&Manager>,
) -> State {
    let path = active.join(hook);
    let show = shown(repo, &path);
    // A hook git does not run at all is a problem for pre-commit, the check every commit needs.
    let required = hook == "pre-commit";
    if is_ours(&path) {
        return ours(repo, hook, active);
    }
    if let Some(m) = manager {
        if m.runs(hook) {
            let place = m.line(hook).0;
            if let Some(flaw) = m.flaw(hook) {
                let mut s = State::new(
                    format!("{} runs leakgate ({place}), but {flaw}", m.name()),
                    false,
                );
                s.todo
                    .push("add `use_stdin: true` to that command, then push again".to_string());
                s.problem = true;
                return s;
            }
            if m.script_installed(repo, hook) {
                return State::new(format!("{} runs leakgate ({place})", m.name()), true);
            }
            let mut s = State::new(
                format!(
                    "{} is set up to run leakgate ({place}), but {show} is missing or not executable: git runs nothing",
                    m.name()
                ),
                false,
            );
            s.todo.push(format!("run: {}", m.install_command(&[hook])));
            s.problem = true;
            return s;
        }
        let (place, line) = m.line(hook);
        let mut s = State::new("not checked by leakgate".to_string(), false);
        s.todo.push(format!("add this line to {place}: {line}"));
        if m.kind != Kind::Husky {
            s.todo
                .push(format!("then run: {}", m.install_command(&[hook])));
        }
        s.problem = required;
        return s;
    }
    let flag = if hook == "pre-push" {
        " --pre-push"
    } else {
        ""
    };
    let mut s = if path.symlink_metadata().is_ok() {
        let mut s = State::new(format!("{show}: another hook, not leakgate's"), false);
        s.todo.push(format!(
            "`leakgate hook install{flag}` keeps it and runs it first"
        ));
        s
    } else {
        let mut s = State::new("not installed".to_string(), false);
        s.todo.push(format!("install: leakgate hook install{flag}"));
        s
    };
    s.problem = required;
    s
}

/// leakgate's own script where git looks: executable? Its chained hook executable?
fn ours(repo: &gix::Repository, hook: &str, active: &Path) -> State {
    let path = active.join(hook);
    let show = shown(repo, &path);
    if !is_executable(&path) {
        let mut s = State::new(
            format!("{show}: leakgate's hook, but not executable: git skips it"),
            false,
        );
        s.todo.push(format!("chmod +x {show}"));
        s.problem = true;
        return s;
    }
    let mut s = State::new(format!("{show}: leakgate's hook, run by git"), true);
    let chained = active.join(format!("{hook}.{CHAINED}"));
    if chained.symlink_metadata().is_ok() {
        let chained_shown = shown(repo, &chained);
        if is_executable(&chained) {
            s.text
                .push_str(&format!(" (after the previous hook, {chained_shown})"));
        } else {
            s.text.push_str(&format!(
                "; the previous hook, {chained_shown}, is not executable and is skipped"
            ));
            s.todo.push(format!("chmod +x {chained_shown}"));
            s.problem = true;
        }
    }
    s
}

/// `leakgate staged` run by something other than leakgate's hook (which sets `LEAKGATE_HOOK`)
/// in a repository whose installed pre-commit hook git does not run: say so, once.
pub(crate) fn warn_if_inactive(repo: &gix::Repository) {
    if std::env::var_os("LEAKGATE_HOOK").is_some() {
        return;
    }
    let active = hooks_dir(repo);
    let default = default_hooks_dir(repo);
    let here = active.join("pre-commit");
    let installed = default.join("pre-commit");
    let why = if is_ours(&here) {
        // Where git looks: it runs unless it is not executable.
        (!is_executable(&here)).then(|| (here, "it is not executable".to_string()))
    } else if !same_dir(&active, &default) && is_ours(&installed) {
        Some((
            installed,
            format!("core.hooksPath sends git to {}", shown(repo, &active)),
        ))
    } else {
        None
    };
    if let Some((path, why)) = why {
        eprintln!(
            "leakgate: warning: leakgate's pre-commit hook ({}) is not run by git: {why}. Commits are checked only where something else runs `leakgate staged`; `leakgate hook status` says what to do.",
            shown(repo, &path)
        );
    }
}

//! What a pre-push check is about: the refs being pushed and where they go. git's `<local ref>
//! <local sha> <remote ref> <remote sha>` lines are read from stdin and parsed strictly (a
//! malformed line is an error, never "nothing to push"); stdin that is a terminal is not read
//! (a hook manager that passes no input). The pre-commit framework reads git's lines itself and
//! passes at most the first pushed ref (`PRE_COMMIT_*` variables): the range is then derived from
//! the local branches. Empty input means "nothing to push" only when git ran the check. The
//! destination is a configured remote, whose remote-tracking refs describe it, only when the push
//! goes to that remote's fetch URL.

use crate::report::escape::text;
use anyhow::{Result, anyhow, bail};
use gix::bstr::{BStr, ByteSlice};
use std::io::{IsTerminal, Read};

pub(super) const ZERO: &str = "0000000000000000000000000000000000000000";

pub(super) fn is_zero(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'0')
}

/// What is pushed, and where.
#[derive(Debug, Default)]
pub(super) struct PushInput {
    /// Per pushed ref: the local commit (zero: a deletion) and the destination's (zero: none).
    pub updates: Vec<(String, String)>,
    /// The ref names being pushed, scanned as text (a secret can be pasted into a branch name).
    pub names: Vec<String>,
    /// The local refs being pushed: never counted as something the destination has.
    pub local_refs: Vec<String>,
    /// The configured remote whose remote-tracking refs say what the destination has.
    pub remote: Option<String>,
    /// How the input was read or completed, for stderr.
    pub notes: Vec<String>,
}

/// The pre-commit framework's variables for a pre-push run.
#[derive(Debug, Default)]
struct Framework {
    remote_name: Option<String>,
    remote_url: Option<String>,
    local_branch: Option<String>,
    remote_branch: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Framework {
    fn from_env() -> Self {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        Framework {
            remote_name: var("PRE_COMMIT_REMOTE_NAME"),
            remote_url: var("PRE_COMMIT_REMOTE_URL"),
            local_branch: var("PRE_COMMIT_LOCAL_BRANCH"),
            remote_branch: var("PRE_COMMIT_REMOTE_BRANCH"),
            from: var("PRE_COMMIT_FROM_REF"),
            to: var("PRE_COMMIT_TO_REF"),
        }
    }

    /// The framework says a push (or a pre-push run over a range) is happening.
    fn active(&self) -> bool {
        self.remote_name.is_some() || self.to.is_some()
    }
}

/// Read what the push is about. `args` are the hook's arguments (remote name or URL, URL).
pub(super) fn read(repo: &gix::Repository, args: &[String]) -> Result<PushInput> {
    let fw = Framework::from_env();
    let name = args.first().cloned().or_else(|| fw.remote_name.clone());
    let url = args.get(1).cloned().or_else(|| fw.remote_url.clone());
    let mut input = PushInput::default();
    let (remote, elsewhere) = destination(repo, name.as_deref(), url.as_deref());
    input.remote = remote;
    input.notes.extend(elsewhere.clone());
    let stdin = read_stdin(fw.active())?;
    parse_lines(&stdin, repo.object_hash().len_in_hex(), &mut input)?;
    if !input.updates.is_empty() {
        return Ok(input);
    }
    if fw.active() {
        derive_from_framework(repo, &fw, elsewhere.is_none(), &mut input)?;
    } else if std::env::var_os("GIT_EXEC_PATH").is_some() {
        // git exports GIT_EXEC_PATH to every process it starts, hooks included: git ran this
        // check (directly or through a hook manager) and had no ref to push.
        input
            .notes
            .push("git reported no refs to push (everything up to date): nothing to scan".into());
    } else {
        bail!(
            "the pre-push check got no pushed refs on stdin, and git did not run it (GIT_EXEC_PATH is not set), so there is nothing to tell a push that sends nothing from input that went missing: nothing was checked. \
             Give it git's lines `<local ref> <local sha> <remote ref> <remote sha>` on stdin, as git's pre-push hook receives them"
        );
    }
    Ok(input)
}

/// stdin, unless it is a terminal: then no input was passed (lefthook without `use_stdin:
/// true` gives its commands a terminal) and reading would wait forever. The pre-commit
/// framework reads git's lines itself, so with its variables set a terminal is no loss.
fn read_stdin(framework: bool) -> Result<String> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        if framework {
            return Ok(String::new());
        }
        bail!(
            "the pre-push check got no input: its stdin is a terminal, not git's pushed-ref lines, so nothing was checked. \
             With lefthook, set `use_stdin: true` on the leakgate command (lefthook.yml: `leakgate: {{run: \"leakgate hook run pre-push {{1}} {{2}}\", use_stdin: true}}`); \
             a hook script must pass its stdin on to `leakgate hook run pre-push \"$@\"`"
        );
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|e| anyhow!("cannot read the pushed refs from stdin: {e}"))?;
    Ok(text)
}

/// Parse git's lines into `input`. Blank lines are skipped; any other line must have four
/// fields whose second and fourth are object ids of this repository's hash (`hex_len` digits).
fn parse_lines(stdin: &str, hex_len: usize, input: &mut PushInput) -> Result<()> {
    const FORMAT: &str = "expected `<local ref> <local sha> <remote ref> <remote sha>`";
    for (n, line) in stdin.lines().enumerate() {
        let n = n + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() != 4 {
            bail!(
                "malformed pre-push input, line {n}: {} field{}, {FORMAT}",
                f.len(),
                if f.len() == 1 { "" } else { "s" }
            );
        }
        for (i, id) in [(2, f[1]), (4, f[3])] {
            if id.len() != hex_len || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!(
                    "malformed pre-push input, line {n}: field {i} is not a {hex_len}-digit object id, {FORMAT}"
                );
            }
        }
        input.updates.push((f[1].to_string(), f[3].to_string()));
        if !is_zero(f[1]) {
            input.local_refs.push(f[0].to_string());
            input.names.extend([f[0].to_string(), f[2].to_string()]);
        }
    }
    input.names.retain(|n| n != "(delete)");
    input.names.sort();
    input.names.dedup();
    Ok(())
}

/// A revision as a commit id here.
fn commit(repo: &gix::Repository, rev: &str) -> Option<gix::ObjectId> {
    repo.rev_parse_single(rev)
        .ok()
        .and_then(|id| id.object().ok())
        .and_then(|o| o.peel_to_commit().ok())
        .map(|c| c.id)
}

/// The range of a pre-commit framework run with no lines on stdin. `trust_from`: the
/// framework's FROM ref may say what the destination has (it is computed from the remote's
/// remote-tracking refs, which do not describe a push URL of its own).
fn derive_from_framework(
    repo: &gix::Repository,
    fw: &Framework,
    trust_from: bool,
    input: &mut PushInput,
) -> Result<()> {
    let resolve = |what: &str, rev: &str| {
        commit(repo, rev).ok_or_else(|| {
            anyhow!(
                "{what} is '{}', which is not a commit in this repository: nothing was checked",
                text(rev)
            )
        })
    };
    let from = match &fw.from {
        Some(f) => Some(resolve("PRE_COMMIT_FROM_REF", f)?),
        None => None,
    };
    let theirs = from
        .filter(|_| trust_from)
        .map_or_else(|| ZERO.to_string(), |id| id.to_string());
    if let Some(to) = &fw.to {
        input
            .updates
            .push((resolve("PRE_COMMIT_TO_REF", to)?.to_string(), theirs));
    }
    let Some(remote_name) = &fw.remote_name else {
        // `pre-commit run --hook-stage pre-push --from-ref A --to-ref B`: that range.
        input
            .notes
            .push("scanning PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF (pre-commit framework)".into());
        return Ok(());
    };
    // A push. The framework passes at most its first ref with new commits (none on a first push
    // or an orphan branch) and cannot say which others git is pushing: every local branch.
    let mut tips: Vec<(String, gix::ObjectId)> = Vec::new();
    if let Some(b) = &fw.local_branch {
        tips.push((b.clone(), resolve("PRE_COMMIT_LOCAL_BRANCH", b)?));
    }
    if let Ok(platform) = repo.references()
        && let Ok(branches) = platform.local_branches()
    {
        for mut r in branches.filter_map(Result::ok) {
            let name = r.name().as_bstr().to_string();
            if let Ok(id) = r.peel_to_id() {
                tips.push((name, id.detach()));
            }
        }
    }
    for (name, id) in tips {
        input.updates.push((id.to_string(), ZERO.to_string()));
        input.local_refs.push(name);
    }
    input
        .names
        .extend(fw.local_branch.iter().chain(&fw.remote_branch).cloned());
    let have = match &input.remote {
        Some(r) => format!("minus what {}'s remote-tracking refs reach", text(r)),
        None => format!(
            "minus only what the destination reports ({} is not a remote whose refs describe it)",
            text(remote_name)
        ),
    };
    input.notes.push(format!(
        "the pre-commit framework passed no ref lines (at most its first pushed ref, as PRE_COMMIT_* variables), so every local branch is scanned, {have}; a finding may be on a branch this push does not send"
    ));
    Ok(())
}

/// Whether `name` is a remote configured in `repo` (git passes a URL as the first argument when
/// the push names no remote).
pub(super) fn is_remote(repo: &gix::Repository, name: &str) -> bool {
    let snapshot = repo.config_snapshot();
    let sub: &BStr = name.as_bytes().as_bstr();
    snapshot.plumbing().section("remote", Some(sub)).is_ok()
}

/// The configured remote whose remote-tracking refs describe where the push goes: `name`, when
/// it is a configured remote and the push URL (`url`, when given) is its fetch URL. A push URL
/// of its own (`remote.<name>.pushurl`, `pushInsteadOf` to another place) goes somewhere those
/// refs do not describe: the push then counts as one to a URL, and the note says so.
fn destination(
    repo: &gix::Repository,
    name: Option<&str>,
    url: Option<&str>,
) -> (Option<String>, Option<String>) {
    let Some(name) = name.filter(|n| is_remote(repo, n)) else {
        return (None, None);
    };
    let Some(url) = url else {
        return (Some(name.to_string()), None);
    };
    let sub: &BStr = name.as_bytes().as_bstr();
    let configured = repo
        .config_snapshot()
        .plumbing()
        .strings_by("remote", Some(sub), "url")
        .and_then(|v| v.into_iter().next())
        .map(|u| u.to_str_lossy().into_owned());
    let rewritten = repo.find_remote(name).ok().and_then(|r| {
        r.url(gix::remote::Direction::Fetch)
            .map(|u| u.to_bstring().to_str_lossy().into_owned())
    });
    let target = place(url);
    if configured
        .iter()
        .chain(&rewritten)
        .any(|f| place(f) == target)
    {
        return (Some(name.to_string()), None);
    }
    (
        None,
        Some(format!(
            "remote '{0}': this push goes to a URL other than its fetch URL (remote.{0}.pushurl, or url.<base>.pushInsteadOf), and its remote-tracking refs describe the fetch URL, so none of them count as published; only what git reports the destination has is excluded, as for a push to a URL",
            text(name)
        )),
    )
}

/// What names a repository in a URL: the host (lower case) and the path, without a trailing `/`
/// or `.git`, so the same repository over https and ssh compares equal; a local path
/// canonicalised (relative paths are relative to the working tree, where git runs hooks).
fn place(url: &str) -> String {
    let trim = |p: &str| {
        p.trim_end_matches('/')
            .trim_end_matches(".git")
            .trim_end_matches('/')
            .to_string()
    };
    match gix::url::parse(url.as_bytes().as_bstr()) {
        Ok(u) => {
            let path = u.path.to_str_lossy().into_owned();
            match u.host() {
                Some(host) => format!(
                    "{}:{}",
                    host.to_ascii_lowercase(),
                    trim(path.trim_start_matches('/'))
                ),
                None => std::path::Path::new(&path)
                    .canonicalize()
                    .map_or_else(|_| trim(&path), |p| trim(&p.to_string_lossy())),
            }
        }
        Err(_) => trim(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_parsed_strictly() {
        let (a, z) = ("a".repeat(40), ZERO);
        let mut input = PushInput::default();
        parse_lines(
            &format!("refs/heads/x {a} refs/heads/x {z}\n\n"),
            40,
            &mut input,
        )
        .unwrap();
        assert_eq!(input.updates, [(a.clone(), z.to_string())]);
        assert_eq!(input.names, ["refs/heads/x"]);
        for bad in [
            format!("refs/heads/x {a} refs/heads/x\n"),
            format!("refs/heads/x {a} refs/heads/x {z} extra\n"),
            format!("refs/heads/x main refs/heads/x {z}\n"),
            format!("refs/heads/x {a} refs/heads/x {}\n", "g".repeat(40)),
        ] {
            let e = parse_lines(&bad, 40, &mut PushInput::default()).unwrap_err();
            assert!(e.to_string().contains("line 1"), "{e}");
        }
    }

    #[test]
    fn the_same_repository_over_https_and_ssh_is_one_place() {
        assert_eq!(
            place("https://github.com/o/r.git"),
            place("git@github.com:o/r")
        );
        assert_eq!(
            place("ssh://git@GitHub.com/o/r.git/"),
            place("https://github.com/o/r")
        );
        assert_ne!(
            place("https://github.com/o/r.git"),
            place("https://github.com/o/public.git")
        );
    }
}

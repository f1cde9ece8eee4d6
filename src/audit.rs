//! The audit: working-tree and history findings merged per secret value, with a risk for each
//! secret (pushed > committed > local-only > unreachable), its first exposure, every location,
//! and a rotation plan: the provider's steps, what to check afterwards, and how to clean history.

use crate::finding::Finding;
use crate::source::Exposure;
// Every name leakgate puts into a command it suggests is quoted for the shell.
use crate::report::escape::shell;
use crate::rules::Severity;
use serde::Serialize;
use std::collections::BTreeMap;

/// How far a secret has travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    Unreachable,
    LocalOnly,
    Committed,
    Pushed,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Pushed => "pushed",
            Risk::Committed => "committed",
            Risk::LocalOnly => "local-only",
            Risk::Unreachable => "unreachable",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            Risk::Pushed => {
                "pushed: a remote has it; anyone with access to the remote (or its forks and clones) may have it"
            }
            Risk::Committed => "committed: in this repository's history; every clone carries it",
            Risk::LocalOnly => {
                "local only: never committed, but on disk, in backups and in file sync"
            }
            Risk::Unreachable => {
                "unreachable: only in objects no ref reaches (until git gc prunes them, and in any earlier clone or fetch)"
            }
        }
    }
}

/// The commit that first exposed a secret.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FirstExposure {
    pub commit: String,
    pub date: String,
    /// Seconds since the epoch, for comparisons.
    #[serde(skip)]
    pub time: i64,
    pub author: String,
    pub path: String,
}

/// One place a secret is.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Location {
    /// `worktree` or `history`.
    pub kind: &'static str,
    pub path: String,
    pub line: usize,
    pub exposure: Exposure,
    /// `file`, `blob`, `commit-message`, `tag-message`.
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<LocationCommit>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LocationCommit {
    pub id: String,
    pub date: String,
    pub refs: Vec<String>,
}

/// Rotation guidance for one secret.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Plan {
    pub url: String,
    pub steps: Vec<String>,
    /// What to review once rotated.
    pub check_afterwards: String,
    /// History clean-up commands (committed secrets only).
    pub cleanup: Vec<String>,
    /// What to know before and after running them (committed secrets only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cleanup_note: String,
}

/// One distinct secret value.
#[derive(Debug, Clone, Serialize)]
pub struct AuditSecret {
    pub fingerprint: String,
    pub rule_id: String,
    pub provider: String,
    pub description: String,
    pub severity: Severity,
    pub secret: String,
    pub risk: Risk,
    pub ever_committed: bool,
    pub in_head: bool,
    pub pushed: bool,
    /// In the working tree now (any file on disk).
    pub on_disk: bool,
    pub first_exposure: Option<FirstExposure>,
    pub locations: Vec<Location>,
    pub rotation: Plan,
    #[serde(skip)]
    pub raw_secret: Vec<u8>,
}

impl AuditSecret {
    /// A secret as its first finding shows it, before the other findings are merged in.
    fn first_seen(f: &Finding) -> Self {
        AuditSecret {
            fingerprint: f.fingerprint.clone(),
            rule_id: f.rule_id.clone(),
            provider: f.provider.clone(),
            description: f.description.clone(),
            severity: f.severity,
            secret: f.secret.clone(),
            risk: Risk::Unreachable,
            ever_committed: false,
            in_head: false,
            pushed: false,
            on_disk: false,
            first_exposure: None,
            locations: Vec::new(),
            rotation: Plan {
                url: f.rotation.url.clone(),
                steps: f.rotation.steps.clone(),
                check_afterwards: String::new(),
                cleanup: Vec::new(),
                cleanup_note: String::new(),
            },
            raw_secret: f.raw_secret.clone(),
        }
    }
}

/// Options for the clean-up commands.
#[derive(Debug, Clone, Default)]
pub struct CleanupOptions {
    /// Where the replacements file for `git filter-repo --replace-text` / BFG was written (`None`:
    /// not asked for; the commands then name `FILE`, which `leakgate audit --replacements FILE`
    /// writes).
    pub replacements_file: Option<String>,
}

/// Merge working-tree findings and history findings per secret value, risk-ordered.
/// Working-tree findings get `also_in_history` set.
pub fn merge(
    worktree: &mut [Finding],
    history: &[Finding],
    cleanup: &CleanupOptions,
) -> Vec<AuditSecret> {
    let in_history: std::collections::HashSet<&str> =
        history.iter().map(|f| f.fingerprint.as_str()).collect();
    for f in worktree.iter_mut() {
        f.also_in_history = Some(in_history.contains(f.fingerprint.as_str()));
    }
    let mut by_fp: BTreeMap<String, AuditSecret> = BTreeMap::new();
    for f in history.iter().chain(worktree.iter()) {
        let s = by_fp
            .entry(f.fingerprint.clone())
            .or_insert_with(|| AuditSecret::first_seen(f));
        let is_history = matches!(f.exposure, Exposure::Reachable | Exposure::Unreachable);
        if is_history {
            if let Some(c) = &f.commit {
                s.ever_committed = true;
                s.in_head |= c.in_head;
                s.pushed |= c.pushed;
                let earlier = s.first_exposure.as_ref().is_none_or(|fe| c.time < fe.time);
                if earlier {
                    s.first_exposure = Some(FirstExposure {
                        commit: c.id.clone(),
                        date: c.date.clone(),
                        time: c.time,
                        author: c.author.clone(),
                        path: f.path.clone(),
                    });
                }
            }
            let risk = match (f.exposure, f.commit.as_ref()) {
                (Exposure::Reachable, Some(c)) if c.pushed => Risk::Pushed,
                (Exposure::Reachable, _) => Risk::Committed,
                _ => Risk::Unreachable,
            };
            s.risk = s.risk.max(risk);
        } else {
            s.on_disk = true;
            if f.exposure == Exposure::Committed {
                s.in_head = true;
            }
            let risk = if f.exposure == Exposure::Committed {
                Risk::Committed
            } else {
                Risk::LocalOnly
            };
            s.risk = s.risk.max(risk);
        }
        s.locations.push(Location {
            kind: if is_history { "history" } else { "worktree" },
            path: f.path.clone(),
            line: f.line,
            exposure: f.exposure,
            source: f.source.as_str(),
            commit: f.commit.as_ref().map(|c| LocationCommit {
                id: c.id.clone(),
                date: c.date.clone(),
                refs: c.refs.clone(),
            }),
        });
    }
    let mut secrets: Vec<AuditSecret> = by_fp.into_values().collect();
    for s in &mut secrets {
        s.rotation.check_afterwards = match &s.first_exposure {
            Some(fe) => format!(
                "Review {}'s access and usage logs for activity with this credential from {} (first committed) until it was revoked; look for unfamiliar IPs, regions and API calls.",
                s.provider, fe.date
            ),
            None => format!(
                "Review {}'s access and usage logs for activity with this credential since the file was created (check its modification time and any backups or syncs that copied it) until it was revoked.",
                s.provider
            ),
        };
        if s.ever_committed {
            let file = cleanup
                .replacements_file
                .clone()
                .unwrap_or_else(|| "FILE".to_string());
            s.rotation.cleanup = vec![
                format!("git filter-repo --replace-text {}", shell(&file)),
                format!(
                    "bfg --replace-text {} && git reflog expire --expire=now --all && git gc --prune=now --aggressive",
                    shell(&file)
                ),
            ];
            s.rotation.cleanup_note = "Rotate first: rewriting history does not un-expose a secret that was pushed, cloned or fetched. Use either command (git filter-repo: pip install git-filter-repo; BFG Repo-Cleaner), then force-push every rewritten branch and tag, ask collaborators to re-clone, and ask your host to purge cached views and pull-request refs.".to_string();
            if cleanup.replacements_file.is_none() {
                s.rotation.cleanup_note.push_str(" FILE is the replacements file `leakgate audit --replacements FILE` writes (mode 0600: it holds the secrets in clear; delete it when done).");
            }
        }
        s.locations
            .sort_by(|a, b| (a.kind, &a.path, a.line).cmp(&(b.kind, &b.path, b.line)));
    }
    secrets.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then(b.severity.cmp(&a.severity))
            .then(
                a.first_exposure
                    .as_ref()
                    .map(|f| f.time)
                    .cmp(&b.first_exposure.as_ref().map(|f| f.time)),
            )
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
    secrets
}

/// The `git filter-repo --replace-text` / BFG file: one `secret==>***REMOVED***` line per
/// committed secret. It holds secrets in clear, so it is written with 0600 permissions.
pub fn write_replacements(
    path: &std::path::Path,
    secrets: &[AuditSecret],
) -> std::io::Result<usize> {
    use std::io::Write;
    let mut f = crate::safe_fs::create(path, crate::safe_fs::Mode::Private)
        .map_err(std::io::Error::other)?;
    let mut n = 0;
    for s in secrets.iter().filter(|s| s.ever_committed) {
        // git filter-repo and BFG both read a plain line as a literal.
        f.write_all(&s.raw_secret)?;
        f.write_all(format!("==>***REMOVED-{}***\n", s.rule_id).as_bytes())?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Target, scan_bytes};
    use crate::engine::{Engine, Scanner};
    use crate::finding::{CommitInfo, FindingOptions};
    use crate::rules::{LoadedFile, RuleSet};
    use crate::source::SourceKind;

    /// Findings of a test rule (`tok_` + 20 alphanumerics) in `text`.
    fn findings(text: &str) -> Vec<Finding> {
        let rule = "[[rule]]\nid = 'tok'\nprovider = 'P'\ndescription = 'd'\nseverity = 'high'\nkeywords = ['tok_']\nregex = '''(?P<secret>tok_[a-zA-Z0-9]{20})'''\nrotate.url = 'https://example.org'\nrotate.steps = ['x']\n";
        let engine = Engine::new(
            RuleSet::build(vec![LoadedFile::parse("t.toml", rule, true).unwrap()]).unwrap(),
        )
        .unwrap();
        let opts = FindingOptions::default();
        let target = Target {
            path: "a.env",
            source: SourceKind::File,
            exposure: Exposure::File,
            opts: &opts,
        };
        scan_bytes(
            &mut Scanner::new(&engine),
            text.as_bytes(),
            &target,
            target.keep_all(),
        )
        .findings
    }

    /// `f` as a history finding in commit `id` at `date` (`time`: the same instant).
    fn committed(f: &Finding, id: &str, date: &str, time: i64) -> Finding {
        Finding {
            exposure: Exposure::Reachable,
            source: SourceKind::Blob,
            commit: Some(CommitInfo {
                id: id.to_string(),
                author: "a".into(),
                email: "a@example.org".into(),
                date: date.to_string(),
                time,
                summary: "s".into(),
                refs: Vec::new(),
                in_head: false,
                pushed: false,
            }),
            ..f.clone()
        }
    }

    #[test]
    fn one_entry_per_secret_first_exposed_at_the_earliest_instant() {
        let found = findings("A=tok_Xq7pL2mN9vR4sT8wY3zK\nB=tok_Hd5jF1gQ6cW0bV2nM8xE\n");
        assert_eq!(found.len(), 2);
        // 01:00+05:00 on the 2nd is 20:00Z on the 1st: earlier than 22:00Z on the 1st, although
        // its text sorts later.
        let history = vec![
            committed(&found[0], "late", "2024-01-01T22:00:00Z", 1_704_146_400),
            committed(
                &found[0],
                "early",
                "2024-01-02T01:00:00+05:00",
                1_704_139_200,
            ),
        ];
        let mut worktree = vec![found[0].clone(), found[1].clone()];
        let secrets = merge(&mut worktree, &history, &CleanupOptions::default());
        assert_eq!(secrets.len(), 2, "one entry per secret");
        let a = secrets
            .iter()
            .find(|s| s.fingerprint == found[0].fingerprint)
            .unwrap();
        assert!(a.ever_committed);
        assert_eq!(a.first_exposure.as_ref().unwrap().commit, "early");
        let b = secrets
            .iter()
            .find(|s| s.fingerprint == found[1].fingerprint)
            .unwrap();
        assert!(!b.ever_committed && b.first_exposure.is_none());
        assert_eq!(worktree[0].also_in_history, Some(true));
        assert_eq!(worktree[1].also_in_history, Some(false));
    }
}

//! The configuration a gate (`ci`, the pre-push hook) applies: the repository's own
//! `.leakgate.toml` and baseline as the *base* commit has them, what was already reviewed, not as
//! the change under review brings them. When the change itself modifies scanner configuration,
//! the gate says so and lists the findings the change's own configuration would suppress: they
//! still fail the gate unless `--trust-head-config`.

use crate::cli::ConfigArgs;
use crate::config::{self, CommitFiles, RepoConfig};
use crate::engine::Engine;
use crate::report::{ChangeSuppressed, Report};
use anyhow::{Context, Result};
use gix::ObjectId;

/// The configuration a gate applies, and what the change does to it.
pub(super) struct GateConfig {
    pub rules: Engine,
    /// The repository files whose configuration is applied (their baseline included).
    pub files: CommitFiles,
    /// Where the applied repository configuration comes from, for the log.
    pub source: String,
    /// Scanner configuration files the change modifies.
    pub changed: Vec<&'static str>,
    /// The change's own files, when they differ and are not trusted: to list what they would
    /// suppress.
    pub head_files: Option<CommitFiles>,
    /// The configuration could not be read from the commits (an object that cannot be read):
    /// none was applied, and the scan is incomplete.
    pub error: Option<String>,
}

impl GateConfig {
    /// The configuration for a change from `base` (`None`: nothing reviewed to read it from) to
    /// `head`.
    pub fn load(
        repo: &gix::Repository,
        args: &ConfigArgs,
        base: Option<ObjectId>,
        head: ObjectId,
        trust_head: bool,
    ) -> Result<Self> {
        match Self::read(repo, args, base, head, trust_head) {
            Ok(gate) => Ok(gate),
            // A commit whose configuration cannot be read: scan with none, and say so (a
            // config or rule error, which the user can fix, stays an error).
            Err(e)
                if e.downcast_ref::<config::ConfigError>()
                    .is_some_and(|c| matches!(c, config::ConfigError::Git(_))) =>
            {
                Ok(GateConfig {
                    rules: rules_for(args, &CommitFiles::default())?,
                    files: CommitFiles::default(),
                    source: "none (it could not be read)".to_string(),
                    changed: Vec::new(),
                    head_files: None,
                    error: Some(format!("{e:#}")),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn read(
        repo: &gix::Repository,
        args: &ConfigArgs,
        base: Option<ObjectId>,
        head: ObjectId,
        trust_head: bool,
    ) -> Result<Self> {
        let changed = match base {
            Some(b) => {
                config::changed_config_files(repo, b, head).map_err(config::ConfigError::from)?
            }
            None => Vec::new(),
        };
        let short = |id: ObjectId| id.to_hex_with_len(12).to_string();
        let (applied, source) = if args.no_repo_config {
            (None, "none (--no-repo-config)".to_string())
        } else if trust_head {
            (
                Some(head),
                format!("head commit {} (--trust-head-config)", short(head)),
            )
        } else {
            match base {
                Some(b) => (Some(b), format!("base commit {}", short(b))),
                None => (None, "none (no base commit to read it from)".to_string()),
            }
        };
        let files = match applied {
            Some(c) => CommitFiles::at(repo, c)
                .with_context(|| format!("reading the configuration of commit {}", short(c)))?,
            None => CommitFiles::default(),
        };
        let rules = rules_for(args, &files)?;
        let head_files =
            if changed.is_empty() || trust_head || args.no_repo_config {
                None
            } else {
                Some(CommitFiles::at(repo, head).with_context(|| {
                    format!("reading the configuration of commit {}", short(head))
                })?)
            };
        Ok(GateConfig {
            rules,
            files,
            source,
            changed,
            head_files,
            error: None,
        })
    }

    /// Whether the change's own `.leakgate.toml` differs (so its rules must be run to know what
    /// they would suppress; a changed baseline alone needs no second scan).
    pub fn head_rules_differ(&self) -> bool {
        self.head_files.is_some() && self.changed.contains(&config::REPO_CONFIG)
    }

    /// The rule set of the change's own configuration.
    pub fn head_rules(&self, args: &ConfigArgs) -> Result<Option<Engine>> {
        match &self.head_files {
            Some(f) if self.head_rules_differ() => Ok(Some(rules_for(args, f)?)),
            _ => Ok(None),
        }
    }

    /// Record, in `report` (the gate's result under the base configuration), that the change
    /// modifies scanner configuration, and which of its findings `head` (the same scan under the
    /// change's own configuration, baseline applied) no longer reports.
    pub fn note_change(&self, report: &mut Report, head: Option<&Report>, command: &str) {
        if let Some(e) = &self.error {
            report
                .summary
                .error_details
                .push(crate::source::worktree::FileError {
                    path: "repository configuration".to_string(),
                    error: e.clone(),
                });
            report.summary.incomplete = true;
        }
        if self.changed.is_empty() {
            return;
        }
        let mut suppressed: Vec<ChangeSuppressed> = match head {
            Some(h) => report
                .findings
                .iter()
                .filter(|f| {
                    !h.findings
                        .iter()
                        .any(|g| g.fingerprint == f.fingerprint && g.path == f.path)
                })
                .map(|f| ChangeSuppressed {
                    path: f.path.clone(),
                    line: f.line,
                    rule_id: f.rule_id.clone(),
                })
                .collect(),
            None => Vec::new(),
        };
        suppressed.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        let files = self.changed.join(", ");
        let what = if self.head_files.is_none() {
            format!(
                "this change modifies {files}; the repository configuration applied: {}",
                self.source
            )
        } else if suppressed.is_empty() {
            format!(
                "this change modifies {files}; the configuration of the {} was applied, and the change's own suppresses nothing more",
                self.source
            )
        } else {
            format!(
                "this change modifies {files}; the configuration of the {} was applied, and the change's own would suppress {} finding{} (listed): they fail the gate unless `leakgate {command} --trust-head-config`",
                self.source,
                suppressed.len(),
                if suppressed.len() == 1 { "" } else { "s" }
            )
        };
        report.summary.warnings.push(what);
        report.summary.suppressed_by_change_config = suppressed;
    }
}

/// The rule set with `files`' `.leakgate.toml` as the repository's own config.
fn rules_for(args: &ConfigArgs, files: &CommitFiles) -> Result<Engine> {
    let text = files
        .config
        .as_ref()
        .map(|(name, text)| (name.as_str(), text.as_str()));
    Ok(config::load_rules_with(args, RepoConfig::Text(text))?)
}

/// Of the findings inline allow markers suppressed in `summary`, record those a change adds as
/// `suppressed_in_change`: all of them for staged content (only added lines are scanned), and
/// for a range those whose secret the base commit does not already hold at that path (markers
/// already in the base keep working silently).
pub(super) fn inline_added_by_change(
    repo: &gix::Repository,
    base: Option<ObjectId>,
    summary: &mut crate::report::Summary,
) {
    let in_base = |path: &str, secret: &[u8]| {
        base.is_some_and(|b| {
            matches!(
                crate::source::git::file_at(repo, b, path, crate::source::blob::MAX_IN_MEMORY),
                Ok(Some(old)) if memchr::memmem::find(&old, secret).is_some()
            )
        })
    };
    let mut added: Vec<ChangeSuppressed> = std::mem::take(&mut summary.inline_suppressed)
        .into_iter()
        .filter(|s| !in_base(&s.path, &s.raw_secret))
        .map(|s| ChangeSuppressed {
            path: s.path,
            line: s.line,
            rule_id: s.rule_id,
        })
        .collect();
    added.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    added.dedup();
    summary.suppressed_in_change = added;
}

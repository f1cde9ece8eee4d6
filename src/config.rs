//! Turns command-line options and config files into what a run uses: the rules compiled into an
//! [`Engine`] (built-in rules, the repository's `.leakgate.toml` unless `--no-repo-config`, then
//! `--config` files in order), the baseline, and the finding and output options.

use crate::cli::{ColorChoice, ConfigArgs, OutputArgs};
use crate::engine::Engine;
use crate::finding::FindingOptions;
use crate::report::{Format, RenderOptions};
use crate::rules::{LoadedFile, RuleError, RuleSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Name of a repository's own config file, at the root of its working tree.
pub const REPO_CONFIG: &str = ".leakgate.toml";

/// Name of a repository's own baseline, at the root of its working tree.
pub const REPO_BASELINE: &str = crate::baseline::DEFAULT_FILE;

/// Scanner configuration files a change can touch: leakgate's own, and gitleaks' (which a
/// repository migrating from gitleaks may hold; a change to them is reported too).
pub const WATCHED_FILES: &[&str] = &[
    REPO_CONFIG,
    REPO_BASELINE,
    ".gitleaks.toml",
    ".gitleaksignore",
];

/// Errors loading the configuration a commit holds.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Git(#[from] crate::source::git::GitError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
    #[error("{file}: not UTF-8 text")]
    NotText { file: String },
}

/// The repository configuration a commit holds at its root: its `.leakgate.toml` (name and
/// text) and its baseline. `ci` and the pre-push hook apply the base commit's, what was already
/// reviewed, rather than what the change under review brings.
#[derive(Debug, Default)]
pub struct CommitFiles {
    pub config: Option<(String, String)>,
    pub baseline: Option<(PathBuf, crate::baseline::Baseline)>,
}

impl CommitFiles {
    /// Read `.leakgate.toml` and `.leakgate-baseline.json` from the root of `commit`'s tree.
    pub fn at(repo: &gix::Repository, commit: gix::ObjectId) -> Result<Self, ConfigError> {
        let short = commit.to_hex_with_len(12).to_string();
        let read = |name: &str, max: u64| -> Result<Option<(String, String)>, ConfigError> {
            let label = format!("{short}:{name}");
            match crate::source::git::file_at(repo, commit, name, max)? {
                None => Ok(None),
                Some(bytes) => String::from_utf8(bytes)
                    .map(|t| Some((label.clone(), t)))
                    .map_err(|_| ConfigError::NotText { file: label }),
            }
        };
        let config = read(REPO_CONFIG, 16 << 20)?;
        let baseline = match read(REPO_BASELINE, 64 << 20)? {
            Some((name, text)) => Some((
                PathBuf::from(&name),
                crate::baseline::Baseline::parse(&name, &text)?,
            )),
            None => None,
        };
        Ok(CommitFiles { config, baseline })
    }
}

/// The scanner configuration files (of [`WATCHED_FILES`]) that differ between the roots of
/// `base` and `head`.
pub fn changed_config_files(
    repo: &gix::Repository,
    base: gix::ObjectId,
    head: gix::ObjectId,
) -> Result<Vec<&'static str>, crate::source::git::GitError> {
    let a = crate::source::git::root_ids(repo, base, WATCHED_FILES)?;
    let b = crate::source::git::root_ids(repo, head, WATCHED_FILES)?;
    Ok(WATCHED_FILES
        .iter()
        .zip(a.iter().zip(&b))
        .filter(|(_, (x, y))| x != y)
        .map(|(name, _)| *name)
        .collect())
}

/// Where the scanned repository's own `.leakgate.toml` comes from.
#[derive(Debug, Clone, Copy)]
pub enum RepoConfig<'a> {
    /// The file at the root of the scanned directory's repository (or the directory itself).
    Dir(Option<&'a Path>),
    /// Text read from a commit: (name, content).
    Text(Option<(&'a str, &'a str)>),
}

/// Why the rules of a run could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Index(#[from] crate::engine::IndexError),
}

/// Load the rules for a scan rooted at `root` (a repository or directory), compiled.
pub fn load_rules(args: &ConfigArgs, root: Option<&Path>) -> Result<Engine, LoadError> {
    load_rules_with(args, RepoConfig::Dir(root))
}

/// Load the rule set: the built-in rules, the repository's own config from `repo` (unless
/// `--no-repo-config`), then `--config` files in order.
pub fn load_rules_with(args: &ConfigArgs, repo: RepoConfig<'_>) -> Result<Engine, LoadError> {
    let mut files = vec![LoadedFile::builtin()?];
    let mut repo_config = None;
    if !args.no_repo_config {
        let file = match repo {
            RepoConfig::Dir(root) => match root.and_then(repo_config_path) {
                Some(path) => Some(LoadedFile::load_untrusted(&path)?),
                None => None,
            },
            RepoConfig::Text(Some((name, text))) => Some(LoadedFile::parse(name, text, true)?),
            RepoConfig::Text(None) => None,
        };
        if let Some(file) = file {
            repo_config = Some(file.name.clone());
            files.push(file);
        }
    }
    for c in &args.configs {
        files.push(LoadedFile::load(c)?);
    }
    for f in &files {
        crate::debug!("rule file {}: {} rules", f.name, f.rules.len());
    }
    let mut set = RuleSet::build(files)?;
    set.repo_config = repo_config;
    crate::debug!("{} rules in effect", set.rules().len());
    Ok(Engine::new(set)?)
}

/// The baseline to apply: `--baseline FILE` (which must exist), else the repository's
/// `.leakgate-baseline.json` unless `--no-repo-config`.
pub fn load_baseline(
    args: &ConfigArgs,
    root: Option<&Path>,
) -> Result<Option<(PathBuf, crate::baseline::Baseline)>, crate::baseline::BaselineError> {
    use crate::baseline::{Baseline, DEFAULT_FILE};
    if let Some(p) = &args.baseline {
        return Baseline::load(p).map(|b| Some((p.clone(), b)));
    }
    if args.no_repo_config {
        return Ok(None);
    }
    let Some(root) = root else { return Ok(None) };
    let base = match crate::source::git::discover(root) {
        Ok(Some(repo)) => repo.workdir().map(Path::to_path_buf),
        _ => None,
    }
    .unwrap_or_else(|| root.to_path_buf());
    let candidate = base.join(DEFAULT_FILE);
    if candidate.is_file() {
        Baseline::load(&candidate).map(|b| Some((candidate, b)))
    } else {
        Ok(None)
    }
}

/// The `.leakgate.toml` that applies to `path`: at the root of the enclosing repository's working
/// tree, or in `path` itself when it is a directory outside any repository.
pub fn repo_config_path(path: &Path) -> Option<PathBuf> {
    let base = match crate::source::git::discover(path) {
        Ok(Some(repo)) => repo.workdir().map(Path::to_path_buf),
        _ => None,
    }
    .or_else(|| path.is_dir().then(|| path.to_path_buf()))?;
    let candidate = base.join(REPO_CONFIG);
    candidate.is_file().then_some(candidate)
}

/// The HMAC key for fingerprints, if one was given (an empty key means none).
pub fn fingerprint_key(key: Option<&str>) -> Option<std::sync::Arc<[u8]>> {
    key.filter(|k| !k.is_empty())
        .map(|k| std::sync::Arc::from(k.as_bytes()))
}

/// Worker threads: the flag if positive, else the number of CPUs. The engine is told, so the
/// memory its per-thread caches may hold is shared out among them.
pub fn threads(flag: Option<usize>) -> usize {
    let n = flag.filter(|&t| t > 0).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    crate::engine::set_scanner_count(n);
    n
}

/// Output settings resolved from flags, environment and terminal.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub render: RenderOptions,
    pub finding: FindingOptions,
    pub threads: usize,
}

impl OutputConfig {
    pub fn from_args(a: &OutputArgs) -> Self {
        let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
        let color = match a.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let threads = threads(a.threads);
        OutputConfig {
            format: a.format,
            output: a.output.clone(),
            render: RenderOptions {
                color,
                quiet: a.quiet,
            },
            finding: FindingOptions {
                show_secrets: a.show_secrets,
                min_confidence: a.min_confidence.into(),
                fingerprint_key: fingerprint_key(a.fingerprint_key.as_deref()),
                honour_inline: !a.no_inline_allow,
            },
            threads,
        }
    }
}

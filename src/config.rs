//! Turns command-line options and config files into one validated [`ScanConfig`]: the rule set
//! (built-in rules, the repository's `.leakgate.toml` unless `--no-repo-config`, then `--config`
//! files in order) and the scanning and output options.

use crate::cli::{ColorChoice, ConfigArgs, OutputArgs};
use crate::finding::FindingOptions;
use crate::report::{Format, RenderOptions};
use crate::rules::{LoadedFile, RuleError, RuleSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Name of a repository's own config file, at the root of its working tree.
pub const REPO_CONFIG: &str = ".leakgate.toml";

/// Load the rule set for a scan rooted at `root` (a repository or directory).
pub fn load_rules(args: &ConfigArgs, root: Option<&Path>) -> Result<RuleSet, RuleError> {
    let mut files = vec![LoadedFile::builtin()?];
    let mut repo_config = None;
    if !args.no_repo_config
        && let Some(path) = root.and_then(repo_config_path)
    {
        let file = LoadedFile::load_untrusted(&path)?;
        repo_config = Some(file.name.clone());
        files.push(file);
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
    Ok(set)
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

/// Worker threads: the flag if positive, else the number of CPUs.
pub fn threads(flag: Option<usize>) -> usize {
    flag.filter(|&t| t > 0).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
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

//! Command-line definitions (clap derive). No logic lives here.

use crate::report::Format;
use crate::rules::Confidence;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "leakgate",
    version,
    about = "Find secrets in git repositories: working tree, staged changes and history",
    after_help = "Exit codes: 0 nothing found, 1 findings, 2 error or incomplete scan."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan the working tree: every file, gitignored and hidden ones included.
    Scan(ScanArgs),
    /// Scan every object in the repository's object database once, attributing each secret to the
    /// commit that first exposed it.
    History(HistoryArgs),
    /// Pre-commit: scan what is staged (the index), reporting only secrets on added lines.
    Staged(StagedArgs),
    /// Install or remove leakgate's git hooks, or run one (used by the installed scripts).
    Hook {
        #[command(subcommand)]
        command: HookCommand,
    },
    /// Working tree + history, merged per secret, with exposure and a rotation plan.
    Audit(AuditArgs),
    /// CI gate: scan the commits a CI job is about (pull request or push range).
    Ci(CiArgs),
    /// Accept today's findings; later scans report only new ones.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// List, check or explain the rules in effect.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules in effect (built-in plus config).
    List(RulesArgs),
    /// Run every rule's examples and negative examples.
    Check(RulesArgs),
    /// Show one rule: format, examples and rotation guidance.
    Explain {
        /// Rule id.
        id: String,
        #[command(flatten)]
        args: RulesArgs,
    },
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format (human or json).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Options shared by every command that loads rules.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// Extra config file(s): add rules, disable rules, add allowlists.
    #[arg(long = "config", short = 'c', value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// Ignore the scanned repository's own .leakgate.toml and .leakgate-baseline.json (explicit
    /// --config and --baseline files still apply).
    #[arg(long)]
    pub no_repo_config: bool,
    /// Suppress findings listed in this baseline (default: the repository's
    /// .leakgate-baseline.json, if any).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options shared by scanning commands.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write results to FILE (created 0600) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in clear text (default: redacted).
    #[arg(long)]
    pub show_secrets: bool,
    /// Colour: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Only print the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Drop findings below this confidence.
    #[arg(long, value_enum, default_value_t = ConfidenceArg::Medium)]
    pub min_confidence: ConfidenceArg,
    /// Fingerprint secrets with HMAC-SHA-256 under this key (for baselines that must not carry
    /// even a hash of a weak password).
    #[arg(long, env = "LEAKGATE_FINGERPRINT_KEY", hide_env_values = true)]
    pub fingerprint_key: Option<String>,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Report findings on lines with an inline allow marker (`leakgate:allow`,
    /// `gitleaks:allow`, `pragma: allowlist secret`) instead of suppressing them.
    #[arg(long)]
    pub no_inline_allow: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    Low,
    Medium,
    High,
}

impl From<ConfidenceArg> for Confidence {
    fn from(c: ConfidenceArg) -> Self {
        match c {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Skip files larger than SIZE (suffixes K, M, G), naming them in the report. Default: no
    /// limit; text of any size is scanned in pieces, in bounded memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Also scan dependency and cache folders (node_modules, target, .venv, ...).
    #[arg(long)]
    pub include_deps: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Repository (bare, non-bare, linked worktree, or a path inside one). Default: `.`.
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Only what commits not reachable from REV introduced.
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    pub since: Option<String>,
    /// Only what the commits in A..B introduced.
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,
    /// Only commits reachable from REF (with --since: and not from REV).
    #[arg(long, value_name = "REF", conflicts_with = "range")]
    pub branch: Option<String>,
    /// Skip objects that no ref reaches.
    #[arg(long)]
    pub reachable_only: bool,
    #[command(flatten)]
    pub objects: ObjectArgs,
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// Repository (default: the current directory).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Skip staged blobs larger than SIZE (suffixes K, M, G): they are named, and the check then
    /// exits 2, since it did not read them. Default: no limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the pre-commit and commit-msg hooks (and with --pre-push the pre-push hook), or,
    /// when husky, lefthook or the pre-commit framework manages the hooks, print the line to add
    /// to its configuration.
    Install(HookInstallArgs),
    /// Remove leakgate's hooks, restoring hooks they chained.
    Uninstall(HookInstallArgs),
    /// Where git looks for hooks now, whether leakgate's hooks are there, executable and
    /// chained, and what to do. Exit 2 when a check leakgate should run is not run.
    Status(HookStatusArgs),
    /// Run a hook: `pre-push` reads git's `<local ref> <local sha> <remote ref> <remote sha>`
    /// lines; `commit-msg FILE` checks the commit message git is about to record.
    Run(HookRunArgs),
}

#[derive(Debug, Args)]
pub struct HookInstallArgs {
    /// Repository (default: the current directory).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Also install (or uninstall) the pre-push hook.
    #[arg(long)]
    pub pre_push: bool,
    /// Only the pre-push hook.
    #[arg(long)]
    pub pre_push_only: bool,
    /// Replace an existing hook instead of refusing when one is already chained.
    #[arg(long)]
    pub force: bool,
    /// Also install into (or uninstall from) every initialised submodule, recursively.
    #[arg(long)]
    pub recurse_submodules: bool,
}

#[derive(Debug, Args)]
pub struct HookStatusArgs {
    /// Repository (default: the current directory).
    #[arg(long)]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HookRunArgs {
    /// Hook name: pre-push or commit-msg.
    pub hook: String,
    /// Arguments git passes to the hook (remote name and URL for pre-push, the message file for
    /// commit-msg).
    pub args: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// pre-push: apply the repository configuration (.leakgate.toml, baseline) of the commits
    /// being pushed instead of what the destination already has.
    #[arg(long)]
    pub trust_head_config: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Repository (bare, non-bare, linked worktree, or a path inside one). Default: `.`.
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub objects: ObjectArgs,
    /// Also scan dependency and cache folders of the working tree.
    #[arg(long)]
    pub include_deps: bool,
    /// Write the history clean-up replacements file for git filter-repo / BFG here (0600; it
    /// holds the secrets in clear). Not written unless asked for, and only when a secret was
    /// ever committed.
    #[arg(long, value_name = "FILE")]
    pub replacements: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    /// Repository (default: the current directory).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Base revision (what the target branch had). Found automatically on GitHub Actions and
    /// GitLab CI.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Head revision (what is being merged or pushed). Default: HEAD when --base is given.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub objects: ObjectArgs,
    /// Apply the repository configuration (.leakgate.toml, .leakgate-baseline.json) of the head
    /// commit, the change under review, instead of the base commit's.
    #[arg(long)]
    pub trust_head_config: bool,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Write today's findings (history and working tree) to a baseline file.
    Create(BaselineArgs),
    /// Add new findings to the baseline and drop entries that no longer match anything.
    Update(BaselineArgs),
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Repository (default: the current directory).
    pub repo: Option<PathBuf>,
    /// Baseline file (default: .leakgate-baseline.json at the repository root).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Fingerprint with HMAC-SHA-256 under this key.
    #[arg(long, env = "LEAKGATE_FINGERPRINT_KEY", hide_env_values = true)]
    pub fingerprint_key: Option<String>,
    /// Include findings of every confidence, not just medium and above.
    #[arg(long, value_enum, default_value_t = ConfidenceArg::Medium)]
    pub min_confidence: ConfidenceArg,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
}

/// Options of every command that reads git objects.
#[derive(Debug, Args, Clone)]
pub struct ObjectArgs {
    /// Do not fail (exit 2) when objects are missing (partial clones); still report them.
    #[arg(long)]
    pub allow_missing: bool,
    /// Skip files and blobs larger than SIZE (suffixes K, M, G), naming them in the report (the
    /// CI gate then exits 2). Default: no limit; large content is scanned in pieces.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&s[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("invalid size '{s}' (examples: 1048576, 512K, 25M, 1G)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("25M"), Ok(25 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("x").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

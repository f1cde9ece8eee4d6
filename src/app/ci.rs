//! `leakgate ci`: the CI secret gate. Works out the commit range a CI job is about (GitHub
//! Actions pull_request and push events, GitLab merge-request and push pipelines, or explicit
//! `--base/--head`), scans what those commits introduced (merge commits' own changes included),
//! and fails closed when the clone is too shallow to see the base.

use super::gate::GateConfig;
use super::history::{Strictness, history_report};
use super::{Completion, Outcome, emit, finalize};
use crate::cli::CiArgs;
use crate::config::OutputConfig;
use crate::history::{self, HistoryOptions, Scope};
use crate::report::Format;
use crate::source::git;
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// What the CI job is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiRange {
    /// Base commit; `None` for a new branch (everything the default branch does not have).
    pub base: Option<String>,
    pub head: String,
    /// Where the range came from, for the log.
    pub origin: String,
    /// A force-push: the old tip may be gone.
    pub forced: bool,
    /// The branch being pushed (`GITHUB_REF`, `CI_COMMIT_BRANCH`), when known.
    pub branch: Option<String>,
    /// The repository's default branch as the CI system names it (the push payload's
    /// `repository.default_branch`, `CI_DEFAULT_BRANCH`), when known.
    pub default_branch: Option<String>,
}

fn is_zero(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'0')
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Work out the range from flags or the CI environment.
pub fn detect(args: &CiArgs) -> Result<CiRange> {
    if args.base.is_some() || args.head.is_some() {
        let base = args.base.clone().ok_or_else(|| {
            anyhow!("--head needs --base (the revision the head is compared with)")
        })?;
        return Ok(CiRange {
            base: (!is_zero(&base)).then_some(base),
            head: args.head.clone().unwrap_or_else(|| "HEAD".into()),
            origin: "--base/--head".into(),
            forced: false,
            // In a CI job that passes the range explicitly, the branch is still known.
            branch: env("GITHUB_REF")
                .and_then(|r| r.strip_prefix("refs/heads/").map(str::to_string))
                .or_else(|| env("CI_COMMIT_BRANCH")),
            default_branch: env("CI_DEFAULT_BRANCH"),
        });
    }
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        let event = env("GITHUB_EVENT_NAME").unwrap_or_default();
        let path =
            env("GITHUB_EVENT_PATH").ok_or_else(|| anyhow!("GITHUB_EVENT_PATH is not set"))?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the GitHub event payload {path}"))?;
        let payload: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("the GitHub event payload {path} is not JSON"))?;
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        return match event.as_str() {
            "pull_request" | "pull_request_target" => {
                let base = s(&payload["pull_request"]["base"]["sha"]);
                let head = s(&payload["pull_request"]["head"]["sha"]).or_else(|| env("GITHUB_SHA"));
                match (base, head) {
                    (Some(b), Some(h)) => Ok(CiRange {
                        base: Some(b),
                        head: h,
                        origin: format!("GitHub {event} event"),
                        forced: false,
                        branch: env("GITHUB_HEAD_REF"),
                        default_branch: s(&payload["repository"]["default_branch"]),
                    }),
                    _ => bail!("the {event} payload has no pull_request.base.sha / head.sha"),
                }
            }
            "push" => {
                let after = s(&payload["after"])
                    .or_else(|| env("GITHUB_SHA"))
                    .ok_or_else(|| anyhow!("the push payload has no 'after'"))?;
                let before = s(&payload["before"]).unwrap_or_default();
                Ok(CiRange {
                    base: (!before.is_empty() && !is_zero(&before)).then_some(before),
                    head: after,
                    origin: "GitHub push event".into(),
                    forced: payload["forced"].as_bool().unwrap_or(false),
                    branch: s(&payload["ref"])
                        .or_else(|| env("GITHUB_REF"))
                        .and_then(|r| r.strip_prefix("refs/heads/").map(str::to_string)),
                    default_branch: s(&payload["repository"]["default_branch"]),
                })
            }
            other => bail!(
                "cannot work out the commit range of a GitHub '{other}' event; pass --base REV --head REV"
            ),
        };
    }
    if env("GITLAB_CI").as_deref() == Some("true") {
        let head = env("CI_COMMIT_SHA").ok_or_else(|| anyhow!("CI_COMMIT_SHA is not set"))?;
        if let Some(base) = env("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
            return Ok(CiRange {
                base: Some(base),
                head,
                origin: "GitLab merge request pipeline".into(),
                forced: false,
                branch: env("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
                default_branch: env("CI_DEFAULT_BRANCH"),
            });
        }
        let before = env("CI_COMMIT_BEFORE_SHA").unwrap_or_default();
        return Ok(CiRange {
            base: (!before.is_empty() && !is_zero(&before)).then_some(before),
            head,
            origin: "GitLab push pipeline".into(),
            forced: false,
            branch: env("CI_COMMIT_BRANCH"),
            default_branch: env("CI_DEFAULT_BRANCH"),
        });
    }
    bail!("not running on GitHub Actions or GitLab CI; pass --base REV --head REV")
}

fn resolve(repo: &gix::Repository, rev: &str) -> Option<gix::ObjectId> {
    repo.rev_parse_single(rev)
        .ok()
        .and_then(|id| id.object().ok())
        .and_then(|o| o.peel_to_commit().ok())
        .map(|c| c.id)
}

pub(super) fn run(args: CiArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&args.output);
    let start = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = git::discover_with(&start, git::Vet::Deep)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", start.display()))?;
    let range = detect(&args)?;
    let plan = plan(&repo, &range)?;
    let line = format!(
        "leakgate ci: {} range {}..{}{}",
        range.origin,
        range.base.as_deref().unwrap_or("(new branch)"),
        range.head,
        plan.note
    );
    eprintln!("{}", crate::report::escape::text(&line));
    // What was already reviewed decides: the base commit's configuration and baseline.
    let gate = GateConfig::load(
        &repo,
        &args.config,
        plan.config_base,
        plan.head,
        args.trust_head_config,
    )?;
    eprintln!(
        "leakgate ci: config: {}; repository configuration: {}",
        gate.rules.rules().sources.join(", "),
        gate.source
    );
    let completion = |rules, files| Completion {
        command: "ci",
        rules,
        config: &args.config,
        root: repo.workdir(),
        commit_files: Some(files),
        full_coverage: false,
    };
    let raw = scan_range(&repo, &gate.rules, &plan, &args, &out)?;
    // What the change's own configuration would report, to list what it would suppress.
    let head_rules = gate.head_rules(&args.config)?;
    let head_report = match (&gate.head_files, &head_rules) {
        (Some(files), Some(rules)) => Some(finalize(
            scan_range(&repo, rules, &plan, &args, &out)?,
            completion(rules.rules(), files),
        )?),
        (Some(files), None) => Some(finalize(
            raw.clone(),
            completion(gate.rules.rules(), files),
        )?),
        _ => None,
    };
    let mut report = finalize(raw, completion(gate.rules.rules(), &gate.files))?;
    gate.note_change(&mut report, head_report.as_ref(), "ci");
    super::gate::inline_added_by_change(&repo, plan.config_base, &mut report.summary);
    report.finish();
    log_suppressions(&report);
    emit(&report, &out)?;
    if let Some(path) = env("GITHUB_STEP_SUMMARY") {
        let mut f = crate::safe_fs::append(Path::new(&path))
            .with_context(|| format!("GITHUB_STEP_SUMMARY ({path})"))?;
        report
            .write(Format::Markdown, Default::default(), &mut f)
            .context("cannot write the step summary")?;
    }
    Ok(Outcome::of(&report))
}

/// The commits a CI range selects.
struct Plan {
    head: gix::ObjectId,
    /// Revisions whose commits are excluded (the base, or for a new branch the default branch).
    exclude: Vec<String>,
    /// Base and head are the same commit: nothing to scan.
    empty: bool,
    /// The commit whose repository configuration applies: the base, or for a new branch the
    /// default branch it is compared with, when there is one.
    config_base: Option<gix::ObjectId>,
    /// How the range was completed, for the log.
    note: String,
    /// The names of the refs being pushed or proposed, scanned as text.
    names: Vec<String>,
}

fn plan(repo: &gix::Repository, range: &CiRange) -> Result<Plan> {
    let shallow = repo.common_dir().join("shallow").is_file();
    let head = resolve(repo, &range.head).ok_or_else(|| {
        anyhow!(
            "the head commit {} is not in this clone{}",
            range.head,
            if shallow { " (shallow clone)" } else { "" }
        )
    })?;
    let mut plan = Plan {
        head,
        exclude: Vec::new(),
        empty: false,
        config_base: None,
        note: String::new(),
        names: range
            .branch
            .iter()
            .map(|b| format!("refs/heads/{b}"))
            .chain(
                // A head given as a ref name (not an object id) is a name too.
                gix::ObjectId::from_hex(range.head.as_bytes())
                    .is_err()
                    .then(|| range.head.clone())
                    .filter(|h| h != "HEAD"),
            )
            .collect(),
    };
    let no_base = |plan: &mut Plan, why: &str| {
        let (exclude, note) = without_base(repo, head, range);
        plan.note = format!(" ({why}: {note})");
        plan.config_base = exclude;
        plan.exclude = exclude.iter().map(ToString::to_string).collect();
    };
    match &range.base {
        Some(base) => match resolve(repo, base) {
            Some(b) if b == head => {
                eprintln!(
                    "leakgate ci: base and head are the same commit ({head}): nothing to scan"
                );
                plan.empty = true;
                plan.config_base = Some(b);
            }
            Some(b) => {
                plan.exclude = vec![b.to_string()];
                plan.config_base = Some(b);
            }
            None if shallow => bail!(
                "the base commit {base} is not in this shallow clone, so the range {base}..{} cannot be scanned. \
                 Fetch the history it needs: with actions/checkout set `fetch-depth: 0`; with GitLab set GIT_DEPTH: 0; \
                 or run `git fetch --deepen=100` (repeat until the base is present) or `git fetch origin {base}`.",
                range.head
            ),
            None if range.forced => no_base(
                &mut plan,
                &format!("force-push: the old tip {base} is gone"),
            ),
            None => bail!(
                "the base commit {base} is not in this repository; fetch it or pass a base that exists"
            ),
        },
        None => no_base(&mut plan, "new branch"),
    }
    Ok(plan)
}

/// The remote's default branch as this clone has it.
struct DefaultBranch {
    /// Its remote-tracking ref, shortened (`origin/main`).
    shown: String,
    /// The branch's name (`main`), when known.
    branch: Option<String>,
    tip: gix::ObjectId,
}

/// The repository's default branch: the one the CI system names, else the one
/// `refs/remotes/origin/HEAD` points to, else `origin/main` or `origin/master`.
fn default_branch(repo: &gix::Repository, named: Option<&str>) -> Option<DefaultBranch> {
    let tracking = |branch: &str| {
        let name = format!("refs/remotes/origin/{branch}");
        let id = repo.find_reference(name.as_str()).ok()?.peel_to_id().ok()?;
        Some(DefaultBranch {
            shown: format!("origin/{branch}"),
            branch: Some(branch.to_string()),
            tip: resolve(repo, &id.to_string())?,
        })
    };
    let origin_head = || {
        let mut r = repo.find_reference("refs/remotes/origin/HEAD").ok()?;
        let target = r
            .target()
            .try_name()
            .map(|n| n.as_bstr().to_string())
            .and_then(|n| n.strip_prefix("refs/remotes/origin/").map(str::to_string));
        match target {
            Some(branch) => tracking(&branch),
            // Not symbolic: a commit, whose branch is not known.
            None => Some(DefaultBranch {
                shown: "origin/HEAD".to_string(),
                branch: None,
                tip: resolve(repo, &r.peel_to_id().ok()?.to_string())?,
            }),
        }
    };
    named
        .and_then(tracking)
        .or_else(origin_head)
        .or_else(|| tracking("main"))
        .or_else(|| tracking("master"))
}

/// What a range with no base excludes: only what the repository's default branch reaches, the
/// reviewed history every branch starts from. Other remote-tracking refs do not count: branches
/// pushed together (stacked pull requests, `git push --all`) would hide each other's commits. The
/// head's own branch is never excluded: when the default branch is the branch being pushed (or,
/// that branch unknown, is at the head commit), or there is none, the head's whole history is
/// scanned. Returns the excluded commit and how the range was completed, for the log.
fn without_base(
    repo: &gix::Repository,
    head: gix::ObjectId,
    range: &CiRange,
) -> (Option<gix::ObjectId>, String) {
    const WHOLE: &str = "scanning the whole history of the head";
    let Some(default) = default_branch(repo, range.default_branch.as_deref()) else {
        return (
            None,
            format!(
                "no default branch found (refs/remotes/origin/HEAD, origin/main, origin/master); {WHOLE}"
            ),
        );
    };
    let own = match (&range.branch, &default.branch) {
        (Some(pushed), Some(b)) => pushed == b,
        _ => default.tip == head,
    };
    if own {
        let why = if range.branch.is_some() {
            "is the branch being pushed"
        } else {
            "is at the head commit (it may be the branch being pushed)"
        };
        return (
            None,
            format!("the default branch {} {why}; {WHOLE}", default.shown),
        );
    }
    (
        Some(default.tip),
        format!(
            "scanning what the default branch {} does not have",
            default.shown
        ),
    )
}

/// Scan the plan's range with `rules`: the report before baseline and counts.
fn scan_range(
    repo: &gix::Repository,
    rules: &crate::engine::Engine,
    plan: &Plan,
    args: &CiArgs,
    out: &OutputConfig,
) -> Result<crate::report::Report> {
    let scan = if plan.empty {
        history::HistoryScan::default()
    } else {
        let opts = HistoryOptions {
            scope: Scope {
                include: vec![plan.head.to_string()],
                exclude: plan.exclude.clone(),
                reachable_only: false,
                ref_names: plan.names.clone(),
            },
            threads: out.threads,
            max_blob_size: args.objects.max_file_size,
            finding: out.finding.clone(),
        };
        history::scan(repo, rules, &opts, &history::Progress::default())?
    };
    Ok(history_report(
        scan,
        rules.rules(),
        Strictness {
            allow_missing: args.objects.allow_missing,
            gate: true,
        },
        &out.finding,
    ))
}

/// The allowlists and baseline in effect, on stderr (the CI log).
fn log_suppressions(report: &crate::report::Report) {
    for (label, n) in &report.summary.suppressed_by_allowlist {
        eprintln!(
            "leakgate ci: allowlist '{}' suppressed {n} finding(s)",
            crate::report::escape::text(label)
        );
    }
    eprintln!(
        "leakgate ci: baseline: {}",
        report
            .summary
            .baseline
            .as_ref()
            .map_or("none".to_string(), |b| format!(
                "{} ({} entries, {} finding(s) suppressed)",
                b.file, b.entries, b.suppressed
            ))
    );
}

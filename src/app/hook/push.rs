//! The pre-push check (`leakgate hook run pre-push <remote> <url>`): scans the commits a push
//! would publish, the ones the pushed tips reach and the destination does not have. What the
//! destination has is what its own remote-tracking refs (`refs/remotes/<remote>/*`) and the tips
//! git reports for it reach (git's sample hook: `--not --remotes=<remote>`); another remote's
//! refs do not count, and a push to a URL (or to a push URL that is not the remote's fetch URL)
//! has no remote-tracking refs. What is pushed is read in `push_input`. The submodule commits the
//! pushed superproject commits record are scanned too (`push_submodules`).

use super::super::gate::GateConfig;
use super::super::history::{Strictness, history_report};
use super::super::{Completion, Outcome, emit, finalize};
use super::push_input::{self, is_zero};
use super::{open, push_submodules};
use crate::cli::HookRunArgs;
use crate::config::OutputConfig;
use crate::history::{self, HistoryOptions, HistoryScan, Scope};
use crate::report::escape::{shell, text};
use anyhow::Result;
use gix::bstr::ByteSlice;

/// The commits `remote`'s remote-tracking refs point to: the refs under
/// `refs/remotes/<remote>/` (not those of a remote whose name continues it, `<remote>/x`), and
/// never one of `pushed`, the refs being pushed. A fetch refspec that writes elsewhere (`git
/// remote add --mirror=fetch` writes `refs/heads/*`) does not make those refs published.
pub(super) fn tracking_tips(
    repo: &gix::Repository,
    remote: &str,
    pushed: &[String],
) -> Vec<String> {
    let prefix = format!("refs/remotes/{remote}/");
    let snapshot = repo.config_snapshot();
    let longer: Vec<String> = snapshot
        .plumbing()
        .sections_by_name("remote")
        .map(|it| {
            it.filter_map(|s| s.header().subsection_name().map(|n| n.to_string()))
                .filter(|n| n.starts_with(&prefix["refs/remotes/".len()..]))
                .map(|n| format!("refs/remotes/{n}/"))
                .collect()
        })
        .unwrap_or_default();
    let Ok(platform) = repo.references() else {
        return Vec::new();
    };
    let Ok(refs) = platform.prefixed(prefix.as_str()) else {
        return Vec::new();
    };
    let mut tips: Vec<String> = refs
        .filter_map(Result::ok)
        .filter(|r| {
            let name = r.name().as_bstr().to_str_lossy();
            !longer.iter().any(|l| name.starts_with(l.as_str()))
                && !pushed.iter().any(|p| p.as_str() == name)
        })
        .filter_map(|mut r| r.peel_to_commit().ok().map(|c| c.id.to_string()))
        .collect();
    tips.sort();
    tips.dedup();
    tips
}

/// A commit id that exists here, or `None`.
pub(super) fn local_commit(repo: &gix::Repository, hex: &str) -> Option<gix::ObjectId> {
    if is_zero(hex) {
        return None;
    }
    let id = gix::ObjectId::from_hex(hex.as_bytes()).ok()?;
    repo.find_object(id)
        .ok()?
        .peel_to_commit()
        .ok()
        .map(|c| c.id)
}

pub(super) fn run(a: HookRunArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&a.output);
    let repo = open(None)?;
    let input = push_input::read(&repo, &a.args)?;
    for note in &input.notes {
        eprintln!("leakgate: pre-push: {}", text(note));
    }
    let updates = &input.updates;
    let remote = input.remote.clone();
    // What the destination has: its remote-tracking refs and the tips git says it has.
    let mut known = remote
        .as_deref()
        .map(|r| tracking_tips(&repo, r, &input.local_refs))
        .unwrap_or_default();
    for (_, theirs) in updates {
        if let Some(id) = local_commit(&repo, theirs) {
            known.push(id.to_string());
        }
    }
    // What was already reviewed decides: the configuration the destination has.
    let head = updates
        .iter()
        .find_map(|(local, _)| local_commit(&repo, local));
    let base = reviewed_base(&repo, updates, remote.as_deref());
    let gate = match head {
        Some(h) => GateConfig::load(&repo, &a.config, base, h, a.trust_head_config)?,
        None => GateConfig::load(
            &repo,
            &a.config,
            None,
            gix::ObjectId::null(repo.object_hash()),
            false,
        )?,
    };
    let push = Push {
        updates,
        names: input.names.clone(),
        known: &known,
        remote: remote.as_deref(),
    };
    let (scan, subs) = scan_push(&repo, &gate.rules, &push, &out)?;
    let head_scan = match (&gate.head_files, gate.head_rules(&a.config)?) {
        (Some(files), Some(rules)) => {
            Some((scan_push(&repo, &rules, &push, &out)?.0, rules, files))
        }
        _ => None,
    };
    report(&repo, scan, &gate, head_scan, base, &a, &out, &subs)
}

/// What a push sends, and what the destination already has.
struct Push<'a> {
    updates: &'a [(String, String)],
    names: Vec<String>,
    known: &'a [String],
    remote: Option<&'a str>,
}

/// The commit whose configuration applies: the destination's tip of the first pushed ref, else
/// the destination's default branch, when known here.
fn reviewed_base(
    repo: &gix::Repository,
    updates: &[(String, String)],
    remote: Option<&str>,
) -> Option<gix::ObjectId> {
    updates
        .iter()
        .find_map(|(_, theirs)| local_commit(repo, theirs))
        .or_else(|| {
            let r = remote?;
            let id = repo
                .find_reference(format!("refs/remotes/{r}/HEAD").as_str())
                .ok()?
                .peel_to_id()
                .ok()?
                .detach();
            local_commit(repo, &id.to_string())
        })
}

/// Scan every pushed tip (minus what the destination has and what an earlier tip of this push
/// reaches) and the submodule commits they record.
fn scan_push(
    repo: &gix::Repository,
    rules: &crate::engine::Engine,
    push: &Push<'_>,
    out: &OutputConfig,
) -> Result<(HistoryScan, Vec<String>)> {
    let mut scan = HistoryScan::default();
    let mut pushed: Vec<String> = Vec::new();
    for (local, _) in push.updates {
        if is_zero(local) || pushed.contains(local) {
            continue; // a deletion publishes nothing; a tip pushed twice is scanned once
        }
        // Commits an earlier ref of this push reaches were scanned with it.
        let mut exclude = push.known.to_vec();
        exclude.extend(pushed.iter().cloned());
        let opts = HistoryOptions {
            scope: Scope {
                include: vec![local.clone()],
                exclude,
                reachable_only: false,
                // The names are scanned once, with the first tip.
                ref_names: if pushed.is_empty() {
                    push.names.clone()
                } else {
                    Vec::new()
                },
            },
            threads: out.threads,
            max_blob_size: None,
            finding: out.finding.clone(),
        };
        scan.absorb(history::scan(
            repo,
            rules,
            &opts,
            &history::Progress::default(),
        )?);
        pushed.push(local.clone());
    }
    let subs = push_submodules::scan(
        repo,
        &push_submodules::Push {
            rules,
            out,
            remote: push.remote,
            pushed: &pushed,
            known: push.known,
        },
        &mut scan,
    );
    Ok((scan, subs))
}

/// Dedupe the findings of a push's scans and turn them into the gate's report.
fn push_report(
    repo: &gix::Repository,
    mut scan: HistoryScan,
    rules: &crate::engine::Engine,
    files: &crate::config::CommitFiles,
    a: &HookRunArgs,
    out: &OutputConfig,
) -> Result<crate::report::Report> {
    scan.findings
        .sort_by(|x, y| x.fingerprint.cmp(&y.fingerprint).then(x.path.cmp(&y.path)));
    scan.findings.dedup_by(|x, y| {
        x.fingerprint == y.fingerprint && x.path == y.path && x.source == y.source
    });
    let report = history_report(
        scan,
        rules.rules(),
        Strictness {
            allow_missing: false,
            gate: true,
        },
        &out.finding,
    );
    finalize(
        report,
        Completion {
            command: "pre-push",
            rules: rules.rules(),
            config: &a.config,
            root: repo.workdir(),
            commit_files: Some(files),
            full_coverage: false,
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn report(
    repo: &gix::Repository,
    scan: HistoryScan,
    gate: &GateConfig,
    head_scan: Option<(
        HistoryScan,
        crate::engine::Engine,
        &crate::config::CommitFiles,
    )>,
    base: Option<gix::ObjectId>,
    a: &HookRunArgs,
    out: &OutputConfig,
    subs: &[String],
) -> Result<Outcome> {
    let in_subs: Vec<&String> = subs
        .iter()
        .filter(|p| {
            scan.findings
                .iter()
                .any(|f| f.path.starts_with(&format!("{p}/")))
        })
        .collect();
    let head_report = match head_scan {
        Some((scan, rules, files)) => Some(push_report(repo, scan, &rules, files, a, out)?),
        None => None,
    };
    let mut report = push_report(repo, scan, &gate.rules, &gate.files, a, out)?;
    gate.note_change(&mut report, head_report.as_ref(), "hook run pre-push");
    super::super::gate::inline_added_by_change(repo, base, &mut report.summary);
    report.finish();
    emit(&report, out)?;
    let outcome = Outcome::of(&report);
    if outcome == Outcome::Findings {
        eprintln!(
            "leakgate: push blocked: the commits above add secrets. Remove them from those commits (git rebase -i, or git commit --amend for the last one), rotate any that left this machine, then push again. False positive? Add `leakgate:allow` on the line."
        );
        for p in in_subs {
            let (t, q) = (text(p), shell(p));
            eprintln!(
                "leakgate: findings under {t}/ are in commits of submodule {t} that this push references and its remote does not have: fix them in the submodule (git -C {q} rebase -i), record its new commit in the superproject (git add {q}; git commit --amend), then push again."
            );
        }
    }
    Ok(outcome)
}

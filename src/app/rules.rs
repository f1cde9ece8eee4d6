//! `leakgate rules list|check|explain`.

use super::{Outcome, open_output};
use crate::cli::{RulesArgs, RulesCommand};
use crate::config;
use crate::engine::Engine;
use crate::engine::Scanner;
use crate::finding;
use crate::report::Format;
use crate::report::escape::text;
use crate::rules::{Confidence, RuleSet};
use anyhow::{Result, bail};
use std::io::Write;

pub(super) fn run(cmd: RulesCommand) -> Result<Outcome> {
    match cmd {
        RulesCommand::List(args) => {
            let set = load_for_rules(&args)?;
            let mut w = open_output(None)?;
            rules_list(set.rules(), args.format, &mut w)?;
            w.flush()?;
            Ok(Outcome::Clean)
        }
        RulesCommand::Check(args) => {
            let set = load_for_rules(&args)?;
            let mut w = open_output(None)?;
            let failures = rules_check(&set, &mut w)?;
            w.flush()?;
            Ok(if failures == 0 {
                Outcome::Clean
            } else {
                Outcome::Incomplete
            })
        }
        RulesCommand::Explain { id, args } => {
            let set = load_for_rules(&args)?;
            let Some(rule) = set.rules().rules().iter().find(|r| r.id == id) else {
                bail!("no rule with id '{id}' (see `leakgate rules list`)");
            };
            let mut w = open_output(None)?;
            // A repository's own rules are its text: shown safely (`escape::text`).
            let mut lines = vec![
                format!("{} ({}): {}", rule.id, rule.provider, rule.description),
                format!(
                    "severity {}, confidence {}",
                    rule.severity.as_str(),
                    rule.confidence.as_str()
                ),
                format!("keywords: {}", rule.keywords.join(", ")),
                format!("regex: {}", rule.regex),
            ];
            if let Some(e) = rule.min_entropy {
                lines.push(format!("min entropy: {e} bits/byte"));
            }
            lines.push(format!(
                "defined at {}:{}",
                rule.origin.file, rule.origin.line
            ));
            lines.push(format!("rotate: {}", rule.rotate.url));
            for (i, s) in rule.rotate.steps.iter().enumerate() {
                lines.push(format!("  {}. {s}", i + 1));
            }
            for line in lines {
                writeln!(w, "{}", text(&line))?;
            }
            w.flush()?;
            Ok(Outcome::Clean)
        }
    }
}

fn load_for_rules(args: &RulesArgs) -> Result<Engine> {
    let cwd = std::env::current_dir().ok();
    Ok(config::load_rules(&args.config, cwd.as_deref())?)
}

fn rules_list(set: &RuleSet, format: Format, w: &mut impl Write) -> Result<()> {
    if format == Format::Human {
        for r in set.rules() {
            let line = format!(
                "{:<40} {:<9} {:<7} {:<22} {}",
                r.id,
                r.severity.as_str(),
                r.confidence.as_str(),
                r.provider,
                r.description
            );
            writeln!(w, "{}", text(&line))?;
        }
        let providers: std::collections::BTreeSet<&str> =
            set.rules().iter().map(|r| r.provider.as_str()).collect();
        writeln!(
            w,
            "{} rules, {} providers",
            set.rules().len(),
            providers.len()
        )?;
    } else {
        let rules: Vec<serde_json::Value> = set
            .rules()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "provider": r.provider, "description": r.description,
                    "severity": r.severity, "confidence": r.confidence, "keywords": r.keywords,
                    "rotation": r.rotate, "defined_in": r.origin.file,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *w, &serde_json::json!({"rules": rules}))?;
        writeln!(w)?;
    }
    Ok(())
}

/// Run every rule's examples (each must yield a finding of that rule) and negative examples (none
/// may). Returns the number of failures.
fn rules_check(engine: &Engine, w: &mut impl Write) -> Result<usize> {
    let set = engine.rules();
    let mut failures = 0usize;
    for e in set.validate_all() {
        writeln!(w, "FAIL {}", text(&e.to_string()))?;
        failures += 1;
    }
    for (ri, rule) in set.rules().iter().enumerate() {
        let mut scanner = Scanner::for_rule(engine, ri as u32);
        // An example counts when it would be reported at the default confidence floor (or at
        // the rule's own confidence, if lower): a failed checksum does not count.
        let floor = rule.confidence.min(Confidence::Medium);
        let hits = |scanner: &mut Scanner<'_>, text: &str| {
            scanner.scan(text.as_bytes()).iter().any(|m| {
                !m.allowed && crate::content::confidence(set, m, m.secret(text.as_bytes())) >= floor
            })
        };
        let mut problems = Vec::new();
        if rule.examples.is_empty() {
            problems.push("has no examples".to_string());
        }
        if rule.rotate.url.is_empty() || rule.rotate.steps.is_empty() {
            problems.push("has no rotation guidance (rotate.url and rotate.steps)".to_string());
        }
        for ex in &rule.examples {
            if !hits(&mut scanner, ex) {
                problems.push(format!(
                    "example not matched: {}",
                    finding::redact(ex.as_bytes())
                ));
            }
        }
        for ex in &rule.negative_examples {
            if hits(&mut scanner, ex) {
                problems.push(format!("negative example matched: {ex:?}"));
            }
        }
        for p in &problems {
            let line = format!(
                "FAIL {}:{}: rule '{}' {p}",
                rule.origin.file, rule.origin.line, rule.id
            );
            writeln!(w, "{}", text(&line))?;
        }
        failures += problems.len();
    }
    let examples: usize = set
        .rules()
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    writeln!(
        w,
        "{} rules, {examples} examples checked, {failures} failure{}",
        set.rules().len(),
        if failures == 1 { "" } else { "s" }
    )?;
    Ok(failures)
}

//! A rule set compiled for matching: one Aho-Corasick automaton over every rule's keywords and
//! the decoder's trigger patterns, and for each automaton pattern the rules listening for it and
//! the decode trigger it is. Built once per run from the rules' data; every scanner borrows it.

use super::decode::{self, Trigger};
use super::keywords::Keywords;
use crate::rules::{Confidence, RuleSet};
use std::collections::HashMap;

/// A rule listening for a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordRule {
    pub rule: u32,
    /// The keyword is one of the rule's `names`: it counts only at the start of a word.
    pub word_start: bool,
}

/// The keyword automaton could not be built.
#[derive(Debug, thiserror::Error)]
#[error("keyword automaton over {sources}: {source}")]
pub struct IndexError {
    sources: String,
    #[source]
    source: aho_corasick::BuildError,
}

/// Keyword automaton and the tables that route its hits.
#[derive(Debug)]
pub struct Index {
    /// The automaton over keywords and decode triggers (lowercase).
    keywords: Keywords,
    /// For each automaton pattern, the decode trigger it is, if any.
    pattern_trigger: Vec<Option<Trigger>>,
    /// For each automaton pattern, the rules that listed it as a keyword.
    pattern_rules: Vec<Vec<KeywordRule>>,
}

/// Shortest keyword of a high-confidence rule whose hex form is a trigger: shorter prefixes
/// would hit random hex too often.
const MIN_HEX_PREFIX: usize = 4;

impl Index {
    /// Index every rule the engine runs (shadow rules included) by keyword.
    pub fn build(rules: &RuleSet) -> Result<Self, IndexError> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut by_pattern: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut pattern_rules: Vec<Vec<KeywordRule>> = Vec::new();
        for (ri, rule) in rules.all_rules().iter().enumerate() {
            for kw in &rule.keywords {
                let entry = KeywordRule {
                    rule: ri as u32,
                    word_start: rule.names.contains(kw),
                };
                let key = kw.to_ascii_lowercase().into_bytes();
                let pi = *by_pattern.entry(key.clone()).or_insert_with(|| {
                    patterns.push(key);
                    pattern_rules.push(Vec::new());
                    patterns.len() - 1
                });
                if !pattern_rules[pi].contains(&entry) {
                    pattern_rules[pi].push(entry);
                }
            }
        }
        // The decoder's triggers ride on the same automaton: one pass finds both. The hex form
        // of each distinctive token prefix (the keywords of high-confidence rules) finds
        // hex-encoded tokens.
        let mut pattern_trigger: Vec<Option<Trigger>> = vec![None; patterns.len()];
        let hex_prefixes = rules
            .all_rules()
            .iter()
            .filter(|r| r.confidence == Confidence::High)
            .flat_map(|r| &r.keywords)
            .filter(|k| k.len() >= MIN_HEX_PREFIX)
            .map(|k| decode::hex_trigger(k));
        for (key, trigger) in decode::trigger_patterns().chain(hex_prefixes) {
            let pi = *by_pattern.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                pattern_rules.push(Vec::new());
                pattern_trigger.push(None);
                patterns.len() - 1
            });
            pattern_trigger[pi].get_or_insert(trigger);
        }
        let keywords = Keywords::new(patterns).map_err(|source| IndexError {
            sources: rules.sources.join(", "),
            source,
        })?;
        Ok(Index {
            keywords,
            pattern_trigger,
            pattern_rules,
        })
    }

    /// The keyword automaton.
    pub fn keywords(&self) -> &Keywords {
        &self.keywords
    }

    /// Rules listening for pattern `pattern`.
    pub fn rules_for_pattern(&self, pattern: usize) -> &[KeywordRule] {
        &self.pattern_rules[pattern]
    }

    /// The decode trigger automaton pattern `pattern` is, if any.
    pub fn trigger_for_pattern(&self, pattern: usize) -> Option<Trigger> {
        self.pattern_trigger[pattern]
    }
}

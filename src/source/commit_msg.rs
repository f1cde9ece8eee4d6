//! The commit message git is about to record, as the commit-msg hook sees it: the file git passes,
//! minus what git will strip from it. Comment lines are stripped only when git strips them (an
//! edited message under the default or `strip` cleanup); `git commit -m` keeps lines starting
//! with `#`, so they are scanned. Stripped lines are kept as empty lines, so line numbers are the
//! file's.

use gix::bstr::ByteSlice;

/// git's scissors line, after the comment string and a space: `git commit -v` puts the diff
/// below it, and git removes it and everything after when the message was edited.
const SCISSORS: &str = "------------------------ >8 ------------------------";

/// Characters `core.commentChar=auto` chooses from.
const AUTO_CANDIDATES: &str = "#;@!$%^&|:";

/// What git does with the message file before recording it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleanup {
    /// Comment lines (starting with this string) are removed.
    pub strip: Option<String>,
    /// Comment strings whose scissors line ends the message (the editor was used).
    pub scissors: Vec<String>,
}

impl Cleanup {
    /// From git's configuration and environment: `core.commentString` / `core.commentChar`
    /// (default `#`; `auto`: chosen per message, so no line is taken for a comment),
    /// `commit.cleanup` (default: strip when the message was edited), and whether git started
    /// an editor (git sets `GIT_EDITOR=:` for the hook when it did not: `-m`, `-F`, `-C`).
    /// `--cleanup` on the command line is not visible to a hook.
    pub fn from_git(repo: &gix::Repository, git_editor: Option<&str>) -> Self {
        let snapshot = repo.config_snapshot();
        let comment = snapshot
            .string("core.commentString")
            .or_else(|| snapshot.string("core.commentChar"))
            .map(|s| s.to_str_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "#".to_string());
        let mode = snapshot
            .string("commit.cleanup")
            .map(|s| s.to_str_lossy().to_lowercase())
            .unwrap_or_else(|| "default".to_string());
        let edited = git_editor != Some(":");
        Self::new(&comment, &mode, edited)
    }

    /// For a comment string (`auto` for a per-message choice), a `commit.cleanup` mode and
    /// whether the message was edited.
    pub fn new(comment: &str, mode: &str, edited: bool) -> Self {
        let known = (comment != "auto").then(|| comment.to_string());
        let strips = mode == "strip" || (mode == "default" && edited);
        let scissors = if !edited || mode == "verbatim" || mode == "whitespace" {
            Vec::new()
        } else if let Some(c) = &known {
            vec![c.clone()]
        } else {
            AUTO_CANDIDATES.chars().map(String::from).collect()
        };
        Cleanup {
            strip: known.filter(|_| strips),
            scissors,
        }
    }

    /// The message as git will record it, line for line: comment lines emptied, nothing from
    /// the scissors line on.
    pub fn apply(&self, raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(raw.len());
        for line in raw.split_inclusive(|b| *b == b'\n') {
            let bare = line.strip_suffix(b"\n").unwrap_or(line);
            let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
            if self.scissors.iter().any(|c| is_scissors(bare, c)) {
                break;
            }
            match &self.strip {
                Some(c) if bare.starts_with(c.as_bytes()) => {
                    if line.ends_with(b"\n") {
                        out.push(b'\n');
                    }
                }
                _ => out.extend_from_slice(line),
            }
        }
        out
    }
}

fn is_scissors(line: &[u8], comment: &str) -> bool {
    line.strip_prefix(comment.as_bytes())
        .and_then(|rest| rest.strip_prefix(b" "))
        .is_some_and(|rest| rest == SCISSORS.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"subject\n\nbody\n# comment\n; other\n# ------------------------ >8 ------------------------\n+diff\n";

    #[test]
    fn edited_messages_lose_comments_and_the_diff() {
        let c = Cleanup::new("#", "default", true);
        assert_eq!(c.apply(MSG), b"subject\n\nbody\n\n; other\n");
    }

    #[test]
    fn messages_given_with_m_keep_every_line() {
        let c = Cleanup::new("#", "default", false);
        assert_eq!(c.apply(MSG), MSG);
        assert_eq!(Cleanup::new("#", "verbatim", true).apply(MSG), MSG);
    }

    #[test]
    fn another_comment_character() {
        let c = Cleanup::new(";", "strip", true);
        let out = c.apply(MSG);
        assert_eq!(
            out,
            b"subject\n\nbody\n# comment\n\n# ------------------------ >8 ------------------------\n+diff\n"
        );
    }

    #[test]
    fn auto_comment_character_strips_nothing_but_finds_the_scissors() {
        let c = Cleanup::new("auto", "default", true);
        assert_eq!(c.apply(MSG), b"subject\n\nbody\n# comment\n; other\n");
    }
}

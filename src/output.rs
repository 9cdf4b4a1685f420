//! Formatting for people: the unified diff of notes.ini (and its part of the JSON output), colour,
//! and times.

use anstyle::{AnsiColor, Style};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::ini::Document;
use crate::profile::format_duration;

/// The diff part of the JSON output.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JsonDiff {
    /// Unified diff text.
    pub unified: String,
    /// notes.ini before (lossy UTF-8).
    pub before: String,
    /// notes.ini after (lossy UTF-8).
    pub after: String,
}

impl JsonDiff {
    /// The JSON diff of two versions of notes.ini, reusing the unified diff already computed. The
    /// whole texts are included only when `json` (they are as large as the file).
    pub fn new(unified: &str, before: &[u8], after: &[u8], json: bool) -> JsonDiff {
        let text = |b: &[u8]| {
            if json {
                String::from_utf8_lossy(b).into_owned()
            } else {
                String::new()
            }
        };
        JsonDiff {
            unified: unified.to_string(),
            before: text(before),
            after: text(after),
        }
    }
}

/// A unified diff (3 lines of context) of two versions of notes.ini, by line content. Empty when
/// they are equal. Line endings are not shown; bytes that are not UTF-8 are shown as U+FFFD.
///
/// Only the part between the common prefix and suffix (plus context) is split into lines and
/// diffed, so a two-line change in a million-line file costs a byte comparison, not a diff of a
/// million lines.
pub fn unified_diff(before: &[u8], after: &[u8], name: &str) -> String {
    if before == after {
        return String::new();
    }
    const CONTEXT: usize = 3;
    // The common prefix and suffix, cut back to whole lines.
    let same = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let head = before[..same]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let room = (before.len() - head).min(after.len() - head);
    let mut tail = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    // The suffix must start a line in both versions.
    let starts_line = |b: &[u8], i: usize| i == 0 || b[i - 1] == b'\n';
    while tail > 0
        && !(starts_line(before, before.len() - tail) && starts_line(after, after.len() - tail))
    {
        tail -= 1;
    }
    // Context lines on both sides, identical in both versions.
    let mut from = head;
    for _ in 0..CONTEXT {
        match before[..from.saturating_sub(1)]
            .iter()
            .rposition(|&b| b == b'\n')
        {
            Some(i) if from > 0 => from = i + 1,
            _ => {
                from = 0;
                break;
            }
        }
    }
    let mut extra = 0;
    for _ in 0..CONTEXT {
        let rest = &before[before.len() - tail + extra..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => extra += i + 1,
            None => {
                extra += rest.len();
                break;
            }
        }
    }
    let offset = before[..from].iter().filter(|&&b| b == b'\n').count();
    let old_mid = &before[from..before.len() - tail + extra];
    let new_mid = &after[from..after.len() - tail + extra];

    let lines = |b: &[u8]| -> Vec<String> {
        Document::parse(b)
            .lines()
            .map(|l| String::from_utf8_lossy(l.content).into_owned())
            .collect()
    };
    let (old, new) = (lines(old_mid), lines(new_mid));
    let old_refs: Vec<&str> = old.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new.iter().map(String::as_str).collect();
    let diff = TextDiff::from_slices(&old_refs, &new_refs);
    let mut out = format!("--- {name}\n+++ {name} (dbgini)\n");
    for group in diff.grouped_ops(CONTEXT) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_r = first.old_range().start..last.old_range().end;
        let new_r = first.new_range().start..last.new_range().end;
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            offset + old_r.start + 1,
            old_r.len(),
            offset + new_r.start + 1,
            new_r.len()
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Equal => ' ',
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                };
                out.push(sign);
                out.push_str(change.value());
                out.push('\n');
            }
        }
    }
    out
}

/// Adds colour to a unified diff: removed lines red, added green, hunk headers cyan.
pub fn colour_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.lines() {
        let style = if line.starts_with("---") || line.starts_with("+++") {
            Style::new().bold()
        } else if line.starts_with('-') {
            AnsiColor::Red.on_default()
        } else if line.starts_with('+') {
            AnsiColor::Green.on_default()
        } else if line.starts_with("@@") {
            AnsiColor::Cyan.on_default()
        } else {
            Style::new()
        };
        out.push_str(&format!("{style}{line}{style:#}\n"));
    }
    out
}

/// `2026-11-30 13:15 UTC`, in the given time zone (stored times are UTC; people read local time).
pub fn at(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// `in 1h 12m` or `3m ago`, to the minute (to the second under a minute).
pub fn relative(t: Timestamp, now: Timestamp) -> String {
    let d = t.duration_since(now);
    let abs = if d.is_negative() { -d } else { d };
    let rounded = if abs >= SignedDuration::from_mins(1) {
        SignedDuration::from_mins(abs.as_mins())
    } else {
        SignedDuration::from_secs(abs.as_secs())
    };
    let words = if rounded.is_zero() {
        "0s".to_string()
    } else {
        format_duration(rounded)
    };
    if d.is_negative() {
        format!("{words} ago")
    } else {
        format!("in {words}")
    }
}

/// Bold text for headings.
pub fn bold(s: &str) -> String {
    let style = Style::new().bold();
    format!("{style}{s}{style:#}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(b: &[u8]) -> Vec<String> {
        Document::parse(b)
            .lines()
            .map(|l| String::from_utf8_lossy(l.content).into_owned())
            .collect()
    }

    /// Applies a unified diff to `old`, checking every context and removed line against it at the
    /// line numbers the hunk headers give.
    fn apply(old: &[String], diff: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = 0;
        for line in diff.lines().skip(2) {
            if let Some(h) = line.strip_prefix("@@ -") {
                let start: usize = h.split([',', ' ']).next().unwrap().parse().unwrap();
                while at < start - 1 {
                    out.push(old[at].clone());
                    at += 1;
                }
            } else if let Some(l) = line.strip_prefix('+') {
                out.push(l.to_string());
            } else {
                let (keep, l) = (line.starts_with(' '), &line[1..]);
                assert_eq!(
                    old[at],
                    l,
                    "the diff does not match the old text at line {}",
                    at + 1
                );
                if keep {
                    out.push(l.to_string());
                }
                at += 1;
            }
        }
        out.extend(old[at..].iter().cloned());
        out
    }

    proptest! {
        #[test]
        fn the_diff_turns_the_old_text_into_the_new(
            lines in proptest::collection::vec("[a-c]{0,2}", 0..40),
            edits in proptest::collection::vec((0usize..40, "[a-d]{0,2}", 0u8..3), 1..4),
            crlf in any::<bool>(),
            final_nl in any::<bool>(),
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let join = |v: &[String]| { let mut s = v.join(nl); if final_nl && !v.is_empty() { s.push_str(nl); } s };
            let mut after = lines.clone();
            for (at, text, op) in edits {
                let at = at.min(after.len());
                match op {
                    0 => after.insert(at, text),
                    1 if at < after.len() => { after.remove(at); }
                    _ if at < after.len() => after[at] = text,
                    _ => after.push(text),
                }
            }
            let (b, a) = (join(&lines), join(&after));
            let got = unified_diff(b.as_bytes(), a.as_bytes(), "n");
            prop_assert_eq!(got.is_empty(), b == a);
            if !got.is_empty() {
                prop_assert_eq!(apply(&split(b.as_bytes()), &got), split(a.as_bytes()));
            }
        }
    }
}

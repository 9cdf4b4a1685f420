//! What commands hand back to `main` for printing: text for stdout, messages for stderr, and the
//! `--json` object. Also the unified diff of notes.ini and time formatting.

use anstyle::{AnsiColor, Style};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::ini::Document;
use crate::profile::format_duration;

/// The result of a command.
#[derive(Debug, Default)]
pub struct Report {
    /// Data for stdout in text mode (may carry ANSI styles; the printer strips them when colour is off).
    pub data: String,
    /// Messages for stderr (suppressed by `-q`).
    pub notes: Vec<String>,
    /// Warnings for stderr (always shown, also in `--json` as `warnings`).
    pub warnings: Vec<String>,
    /// The `--json` object.
    pub json: serde_json::Value,
    /// The exit code (a report can carry a failure, e.g. one target of several failed).
    pub exit_code: crate::error::ExitCode,
}

/// The diff part of the JSON output.
#[derive(Debug, Serialize)]
pub struct JsonDiff {
    /// Unified diff text.
    pub unified: String,
    /// notes.ini before (lossy UTF-8).
    pub before: String,
    /// notes.ini after (lossy UTF-8).
    pub after: String,
}

impl JsonDiff {
    /// Builds the JSON diff of two versions of notes.ini.
    pub fn new(before: &[u8], after: &[u8], name: &str) -> JsonDiff {
        JsonDiff {
            unified: unified_diff(before, after, name),
            before: String::from_utf8_lossy(before).into_owned(),
            after: String::from_utf8_lossy(after).into_owned(),
        }
    }
}

/// A unified diff (3 lines of context) of two versions of notes.ini, by line content. Empty when
/// they are equal. Line endings are not shown; bytes that are not UTF-8 are shown as U+FFFD.
pub fn unified_diff(before: &[u8], after: &[u8], name: &str) -> String {
    if before == after {
        return String::new();
    }
    let lines = |b: &[u8]| -> Vec<String> {
        Document::parse(b)
            .lines()
            .iter()
            .map(|l| String::from_utf8_lossy(&l.content).into_owned())
            .collect()
    };
    let (old, new) = (lines(before), lines(after));
    let old_refs: Vec<&str> = old.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new.iter().map(String::as_str).collect();
    let diff = TextDiff::from_slices(&old_refs, &new_refs);
    let mut out = format!("--- {name}\n+++ {name} (dbgini)\n");
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_r = first.old_range().start..last.old_range().end;
        let new_r = first.new_range().start..last.new_range().end;
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            old_r.start + 1,
            old_r.len(),
            new_r.start + 1,
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

//! The one sink for what the user is told (as jj's `ui.rs`): status notes, warnings, hints and
//! the diffs of what enforcement changed on the way.
//!
//! Operations emit a message the moment they know it, so it reaches the user even when a later
//! step fails (an expired lease reverted, then a refusal). On a terminal each message is written
//! to stderr at once (`-q` keeps only warnings); with `--json` they are kept and end up in the one
//! JSON object on stdout, on the error path too; `watch` logs them one line (or one JSON object)
//! each. The sink also records whether this run changed notes.ini, which decides the exit code of
//! an error that comes after the change (see [`crate::error::ExitCode::Partial`]).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use schemars::JsonSchema;
use serde::Serialize;

/// What kind of message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// What happened (suppressed by `-q`).
    Status,
    /// Something the user must see (never suppressed).
    Warning,
    /// Something that failed while the command went on (one target of several).
    Error,
    /// What to do next (suppressed by `-q`).
    Hint,
    /// A unified diff of a change made on the way (expiry); suppressed by `-q`.
    Diff,
}

/// One message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Message {
    /// What kind.
    pub kind: Kind,
    /// The text.
    pub text: String,
    /// The notes.ini it concerns, when a command works on several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ini: Option<String>,
}

/// How messages are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Written to stderr as they come; `quiet` keeps only warnings.
    Terminal {
        /// `-q`.
        quiet: bool,
    },
    /// Kept for the JSON object; nothing is written until the command ends.
    Json,
    /// `watch`: one line per message on stdout, with a timestamp (JSON Lines with `--json`).
    Log {
        /// `--json`.
        json: bool,
    },
    /// Kept only (library tests).
    Silent,
}

#[derive(Debug, Default)]
struct Inner {
    messages: Vec<Message>,
    target: Option<String>,
    changed: bool,
    would_change: bool,
}

/// The sink. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Ui {
    style: Style,
    inner: Arc<Mutex<Inner>>,
}

impl Ui {
    /// A sink of the given style.
    pub fn new(style: Style) -> Ui {
        Ui {
            style,
            inner: Arc::default(),
        }
    }

    /// The style.
    pub fn style(&self) -> Style {
        self.style
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// What happened.
    pub fn status(&self, text: impl Into<String>) {
        self.emit(Kind::Status, text.into());
    }

    /// Something the user must see, even with `-q`.
    pub fn warning(&self, text: impl Into<String>) {
        self.emit(Kind::Warning, text.into());
    }

    /// Something that failed while the command went on (one target of several).
    pub fn error(&self, text: impl Into<String>) {
        self.emit(Kind::Error, text.into());
    }

    /// What to do next.
    pub fn hint(&self, text: impl Into<String>) {
        self.emit(Kind::Hint, text.into());
    }

    /// The diff of a change made on the way.
    pub fn diff(&self, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.emit(Kind::Diff, text);
        }
    }

    /// Runs `f` with every message marked as concerning `ini` (commands over several targets).
    pub fn for_target<R>(&self, ini: &str, f: impl FnOnce() -> R) -> R {
        let before = self.with(|i| i.target.replace(ini.to_string()));
        let r = f();
        self.with(|i| i.target = before);
        r
    }

    /// Records that this run changed a notes.ini.
    pub fn file_changed(&self) {
        self.with(|i| i.changed = true);
    }

    /// Whether this run changed a notes.ini.
    pub fn changed(&self) -> bool {
        self.with(|i| i.changed)
    }

    /// Records that this dry run would have changed a notes.ini.
    pub fn would_change(&self) {
        self.with(|i| i.would_change = true);
    }

    /// Whether this run changed a notes.ini, or (a dry run) would have.
    pub fn changed_or_would(&self) -> bool {
        self.with(|i| i.changed || i.would_change)
    }

    /// Every message so far.
    pub fn messages(&self) -> Vec<Message> {
        self.with(|i| i.messages.clone())
    }

    fn emit(&self, kind: Kind, text: String) {
        let message = self.with(|i| {
            let m = Message {
                kind,
                text,
                ini: i.target.clone(),
            };
            // A log is written as it goes and may run for weeks: nothing to keep.
            if !matches!(self.style, Style::Log { .. }) {
                i.messages.push(m.clone());
            }
            m
        });
        match self.style {
            Style::Terminal { quiet } => {
                if quiet && !matches!(kind, Kind::Warning | Kind::Error) {
                    return;
                }
                write_terminal(&message);
            }
            Style::Log { json } => log(&message, json),
            Style::Json | Style::Silent => {}
        }
    }
}

fn write_terminal(m: &Message) {
    let mut err = anstream::stderr();
    let prefix = m.ini.as_ref().map_or(String::new(), |p| format!("{p}: "));
    let _ = match m.kind {
        Kind::Status => writeln!(err, "{prefix}{}", m.text),
        Kind::Warning => {
            let s = anstyle::AnsiColor::Yellow.on_default().bold();
            writeln!(err, "{s}warning:{s:#} {prefix}{}", m.text)
        }
        Kind::Error => {
            let s = anstyle::AnsiColor::Red.on_default().bold();
            writeln!(err, "{s}error:{s:#} {prefix}{}", m.text)
        }
        Kind::Hint => {
            let s = anstyle::AnsiColor::Cyan.on_default().bold();
            writeln!(err, "{s}hint:{s:#} {prefix}{}", m.text)
        }
        Kind::Diff => write!(err, "{}", crate::output::colour_diff(&m.text)),
    };
}

/// One line of `watch`'s log: the time, the target, the message; diffs are left out of the text
/// log (they are in the audit log) and kept in the JSON one.
fn log(m: &Message, json: bool) {
    let time = jiff::Timestamp::now();
    let mut out = anstream::stdout();
    if json {
        let line = crate::outcome::WatchLine {
            schema: crate::outcome::SCHEMA,
            command: "watch".into(),
            time: time.to_string(),
            kind: m.kind,
            ini: m.ini.clone(),
            text: m.text.clone(),
        };
        let _ = writeln!(out, "{}", serde_json::to_string(&line).unwrap_or_default());
    } else {
        let prefix = m.ini.as_ref().map_or(String::new(), |p| format!("{p}: "));
        let _ = match m.kind {
            Kind::Diff => Ok(()),
            Kind::Status => writeln!(out, "{time} {prefix}{}", m.text),
            Kind::Warning => writeln!(out, "{time} {prefix}warning: {}", m.text),
            Kind::Error => writeln!(out, "{time} {prefix}error: {}", m.text),
            Kind::Hint => writeln!(out, "{time} {prefix}hint: {}", m.text),
        };
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_kept_in_order_with_their_target_and_the_change_is_recorded() {
        let ui = Ui::new(Style::Silent);
        ui.status("one");
        ui.for_target("/a/notes.ini", || ui.warning("two"));
        ui.hint("three");
        ui.diff("");
        assert!(!ui.changed());
        ui.file_changed();
        assert!(ui.changed());
        let kinds: Vec<Kind> = ui.messages().iter().map(|m| m.kind).collect();
        assert_eq!(kinds, [Kind::Status, Kind::Warning, Kind::Hint]);
        assert_eq!(ui.messages()[1].ini.as_deref(), Some("/a/notes.ini"));
        assert_eq!(ui.messages()[2].ini, None);
    }
}

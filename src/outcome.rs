//! What each command hands back: one `#[derive(Serialize)]` type per command (as cargo's
//! `machine_message.rs`), which is the `--json` contract, and from which the text for stdout is
//! rendered. `docs/dbgini.schema.json` is generated from these types (a test keeps it current and
//! validates every command's output against it).
//!
//! Every JSON object dbgini prints has `schema` (this module's [`SCHEMA`]) and `command`:
//! - success: an [`Output`]: the command's fields, `changed`, `exit_code`, `warnings`, `notes`;
//! - failure (usage errors included): a [`Failure`], with `error`, `caused_by`, `help`;
//! - `watch --json`: JSON Lines, one [`WatchLine`] per message, then the final [`Output`].

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::ExitCode;
use crate::guard::{Guard, format_size, sparkline};
use crate::lease::{Drift, KeyChange, Lease};
use crate::live::Mode;
use crate::output::{JsonDiff, at, bold, colour_diff, relative};
use crate::store::AuditRecord;
use crate::ui::Kind;

/// The version of the JSON shapes below. It changes only when a field is removed or changes
/// meaning; new fields may appear without it.
pub const SCHEMA: u32 = 1;

/// What a command did, by command (`command` in JSON).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "command", rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Outcome {
    Enable(Enable),
    Revert(Revert),
    Extend(Extend),
    Expire(Expire),
    Status(Status),
    Diff(Diff),
    Doctor(Doctor),
    Tidy(Tidy),
    History(History),
    Bundle(Bundle),
    Profiles(Profiles),
    Show(Show),
    Schedule(Schedule),
    Watch(Watch),
    Version(Version),
}

/// A successful command's JSON object.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Output<'a> {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The command's own fields, and `command`.
    #[serde(flatten)]
    pub outcome: &'a Outcome,
    /// Whether this run changed notes.ini or dbgini's record of it (expired leases reverted on
    /// the way count too).
    pub changed: bool,
    /// The exit code (see [`ExitCode`]).
    pub exit_code: u8,
    /// Warnings, in the order they were given.
    pub warnings: Vec<String>,
    /// Status notes and hints, in the order they were given.
    pub notes: Vec<String>,
}

/// A failed command's JSON object (on stdout with `--json`, usage errors included).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Failure {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The subcommand, when it was parsed.
    pub command: Option<String>,
    /// Always true.
    pub failed: bool,
    /// Whether this run changed notes.ini or dbgini's record of it before it failed (then
    /// `exit_code` is 4).
    pub changed: bool,
    /// What went wrong.
    pub error: String,
    /// The causes, outermost first.
    pub caused_by: Vec<String>,
    /// What to do.
    pub help: String,
    /// The exit code.
    pub exit_code: u8,
    /// Warnings given before it failed.
    pub warnings: Vec<String>,
    /// Notes given before it failed.
    pub notes: Vec<String>,
}

/// One line of `watch --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WatchLine {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Always `watch`.
    pub command: String,
    /// When (RFC 3339).
    pub time: String,
    /// What kind of message.
    pub kind: Kind,
    /// The notes.ini it concerns.
    pub ini: Option<String>,
    /// The message.
    pub text: String,
}

/// Every JSON object dbgini prints: the schema's root.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum Printed<'a> {
    Output(Output<'a>),
    Failure(Failure),
    WatchLine(WatchLine),
}

/// The JSON Schema of every object dbgini prints (`docs/dbgini.schema.json`).
pub fn schema() -> String {
    let schema = schemars::schema_for!(Printed<'static>);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// What a command that changes notes.ini did: `enable`, `revert` (flattened into theirs).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Changed {
    /// The notes.ini.
    pub ini: String,
    /// `--dry-run`.
    pub dry_run: bool,
    /// How the change reached the server (null when it could not be told).
    pub mode: Option<Mode>,
    /// Console commands sent (or that would be sent).
    pub console_commands: Vec<String>,
    /// Active leases afterwards.
    pub leases: Vec<Lease>,
    /// Leases that had expired and were reverted first.
    pub expired: Vec<Lease>,
    /// Key changes in notes.ini.
    pub changes: Vec<KeyChange>,
    /// Hand changes found.
    pub drift: Vec<Drift>,
    /// The diff of notes.ini.
    pub diff: JsonDiff,
    /// One line: what happened.
    pub msg: String,
}

impl Changed {
    /// The console commands and the diff, for stdout (nothing under `-q`).
    fn text(&self, quiet: bool) -> String {
        if quiet {
            return String::new();
        }
        let mut out: String = self
            .console_commands
            .iter()
            .map(|c| format!("console> {c}\n"))
            .collect();
        out.push_str(&colour_diff(&self.diff.unified));
        out
    }
}

/// `enable`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Enable {
    /// What changed.
    #[serde(flatten)]
    pub change: Changed,
    /// The profile was enabled already with the same settings: nothing was done.
    pub already: bool,
    /// The new lease (or the existing one, when `already`).
    pub lease: Lease,
}

/// `revert`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Revert {
    /// What changed.
    #[serde(flatten)]
    pub change: Changed,
    /// Ids of the leases reverted.
    pub reverted: Vec<String>,
}

/// `extend`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Extend {
    /// The notes.ini.
    pub ini: String,
    /// The lease with its new expiry.
    pub lease: Lease,
    /// Active leases afterwards.
    pub leases: Vec<Lease>,
    /// Leases that had expired and were reverted first.
    pub expired: Vec<Lease>,
    /// One line: what happened.
    pub msg: String,
}

/// `expire`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Expire {
    /// `--dry-run`.
    pub dry_run: bool,
    /// Each notes.ini looked at.
    pub targets: Vec<ExpireTarget>,
    /// One line: what happened.
    pub msg: String,
}

/// One notes.ini of `expire`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExpireTarget {
    /// The notes.ini.
    pub ini: PathBuf,
    /// Ids of the leases reverted.
    pub reverted: Vec<String>,
    /// Those leases.
    pub expired: Vec<Lease>,
    /// Leases still active.
    pub active: usize,
    /// Why it could not be looked at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `error`: whether it stays in the registry (its state is still there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<bool>,
}

/// `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Status {
    /// The notes.ini.
    pub ini: String,
    /// The time expiry is judged by.
    #[schemars(with = "String")]
    pub now: Timestamp,
    /// How a change would reach the server now (null when it cannot be told).
    pub mode: Option<Mode>,
    /// Why that mode (or why it cannot be told).
    pub mode_reason: String,
    /// Empty `KEY=` lines the server console left.
    pub residue: Vec<String>,
    /// Active leases.
    pub leases: Vec<LeaseStatus>,
    /// Ids of active leases past their expiry.
    pub overdue: Vec<String>,
    /// Leases that had expired and were reverted on the way.
    pub expired: Vec<Lease>,
    /// The keys dbgini manages.
    pub managed: Vec<ManagedKey>,
    /// Hand changes.
    pub drift: Vec<Drift>,
    /// Recently ended leases, newest last.
    pub ended: Vec<EndedLease>,
}

/// An active lease in `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LeaseStatus {
    /// The lease.
    #[serde(flatten)]
    pub lease: Lease,
    /// Keys set through the console that the server has not written yet.
    pub unconfirmed: Vec<String>,
    /// Its watched files measured now (when it has a guard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
}

/// A guard's files measured by `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Measured {
    /// Sizes now, in the order of the guard's files.
    pub sizes: Vec<u64>,
    /// Free bytes now.
    pub free: u64,
    /// Growth so far, in bytes.
    pub growth: u64,
}

/// A managed key in `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManagedKey {
    /// The key.
    pub key: String,
    /// Its value before dbgini (null: absent).
    pub baseline: Option<String>,
    /// The line number it had.
    pub baseline_line: Option<usize>,
    /// What dbgini last wrote.
    pub expected: String,
    /// What the file holds now (null: absent).
    pub current: Option<String>,
}

/// A recently ended lease in `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EndedLease {
    /// Its id.
    pub id: String,
    /// Its profile.
    pub profile: String,
    /// When it ended.
    #[schemars(with = "String")]
    pub at: Timestamp,
    /// Why.
    pub reason: String,
}

/// `diff`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Diff {
    /// The notes.ini.
    pub ini: String,
    /// Baseline (notes.ini before dbgini) against now.
    pub diff: JsonDiff,
    /// Leases that had expired and were reverted on the way.
    pub expired: Vec<Lease>,
}

/// How bad a `doctor` finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Domino or dbgini cannot work with this.
    Error,
}

/// One thing `doctor` found.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// A stable name for scripts.
    pub code: String,
    /// What.
    pub message: String,
    /// What to do.
    pub fix: String,
}

/// `doctor`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Doctor {
    /// The notes.ini.
    pub ini: PathBuf,
    /// What it found.
    pub findings: Vec<Finding>,
    /// The worst severity found.
    pub worst: Option<Severity>,
    /// One line: a count.
    pub msg: String,
}

/// `tidy`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Tidy {
    /// The notes.ini.
    pub ini: String,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Lines removed.
    pub changes: Vec<KeyChange>,
    /// The diff of notes.ini.
    pub diff: JsonDiff,
    /// One line: what happened.
    pub msg: String,
}

/// `history`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct History {
    /// The notes.ini.
    pub ini: PathBuf,
    /// The audit records, oldest first.
    pub history: Vec<AuditRecord>,
    /// Leases that had expired and were reverted on the way.
    pub expired: Vec<Lease>,
}

/// `bundle`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Bundle {
    /// The notes.ini.
    pub ini: String,
    /// The lease bundled.
    pub lease: String,
    /// The archive (`-`: standard output).
    pub archive: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// What it holds.
    pub contents: Vec<Member>,
    /// What was left out, and why.
    pub skipped: Vec<String>,
    /// SMTP AUTH credentials redacted.
    pub redacted: usize,
}

/// A member of a bundle.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Member {
    /// Its name in the archive.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// `profiles`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Profiles {
    /// Every profile found.
    pub profiles: Vec<Listed>,
}

/// A profile in `profiles`: usable, or broken with the reason.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// One line (usable profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Where it comes from (usable profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Profiles of the same name it hides.
    pub overrides: Vec<String>,
    /// Why it cannot be used (broken profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How to fix it (broken profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// `show`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Show {
    /// Where it comes from.
    pub origin: String,
    /// Profiles of the same name it hides.
    pub overrides: Vec<String>,
    /// The profile as written.
    pub profile: crate::profile::Profile,
}

/// `schedule`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Schedule {
    /// `install`, `uninstall` or `status`.
    pub action: String,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `systemd`, `cron` or `task-scheduler`.
    pub kind: String,
    /// The files of that kind.
    pub files: Vec<ScheduleFile>,
    /// With `status`: the state of the systemd timer, when it was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer: Option<String>,
    /// One line: what happened.
    pub msg: String,
}

/// A file of `schedule`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ScheduleFile {
    /// Where it is written (below `--root` when given).
    pub path: PathBuf,
    /// Where it belongs on the system it is for.
    pub system_path: PathBuf,
    /// Whether it is there.
    pub present: bool,
    /// What it holds (or would hold).
    pub content: String,
}

/// `watch`, when it stops.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Watch {
    /// One line: it stopped.
    pub msg: String,
}

/// `--version`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Version {
    /// The version.
    pub version: String,
    /// The commit it was built from, when known.
    pub commit: Option<String>,
}

impl Outcome {
    /// The exit code of a command that did its work (errors have their own).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Outcome::Doctor(d) => match d.worst {
                Some(Severity::Error) => ExitCode::Refused,
                Some(Severity::Warning) => ExitCode::Findings,
                _ => ExitCode::Ok,
            },
            Outcome::Profiles(p) if p.profiles.iter().any(|l| l.error.is_some()) => {
                ExitCode::Findings
            }
            Outcome::Schedule(s) if s.action == "status" && !s.files.iter().all(|f| f.present) => {
                ExitCode::Findings
            }
            Outcome::Expire(e) => {
                e.targets
                    .iter()
                    .filter(|t| t.error.is_some())
                    .fold(ExitCode::Ok, |worst, t| {
                        // A target whose state is kept (maybe active leases) or that was refused.
                        worst.worst(if t.kept == Some(false) {
                            ExitCode::Ok
                        } else {
                            ExitCode::Refused
                        })
                    })
            }
            _ => ExitCode::Ok,
        }
    }

    /// The text for stdout. `quiet` (`-q`) leaves out what only accompanies a change (its diff and
    /// console commands); what a query command was asked for is printed all the same.
    pub fn text(&self, tz: &TimeZone, quiet: bool) -> String {
        match self {
            Outcome::Enable(e) => e.change.text(quiet),
            Outcome::Revert(r) => r.change.text(quiet),
            Outcome::Tidy(_) if quiet => String::new(),
            Outcome::Tidy(t) => colour_diff(&t.diff.unified),
            Outcome::Diff(d) => colour_diff(&d.diff.unified),
            Outcome::Status(s) => s.text(tz),
            Outcome::History(h) => h.text(tz),
            Outcome::Profiles(p) => p.text(),
            Outcome::Doctor(d) => d.text(),
            Outcome::Show(s) => s.text(),
            Outcome::Schedule(s) => s.text(),
            Outcome::Version(v) => format!("dbgini {}\n", v.version),
            Outcome::Extend(_) | Outcome::Expire(_) | Outcome::Bundle(_) | Outcome::Watch(_) => {
                String::new()
            }
        }
    }
}

/// `router-7f3a (router) until 2026-11-30 13:15 UTC (in 2h)`.
pub fn lease_line(lease: &Lease, tz: &TimeZone, now: Timestamp) -> String {
    format!(
        "{} ({}) until {} ({})",
        lease.id,
        lease.profile,
        at(lease.expires, tz),
        relative(lease.expires, now)
    )
}

impl Status {
    fn text(&self, tz: &TimeZone) -> String {
        let now = self.now;
        let mut out = format!("{} {}\n", bold("notes.ini:"), self.ini);
        let mode = self.mode.map_or("unknown", |m| match m {
            Mode::File => "file",
            Mode::Console => "console",
        });
        out.push_str(&format!(
            "{} {mode} ({})\n",
            bold("mode:"),
            self.mode_reason
        ));
        if !self.residue.is_empty() {
            out.push_str(&format!(
                "{} {} (empty lines the server console left; `dbgini tidy` removes them while the server is down)\n",
                bold("residue:"),
                self.residue.iter().map(|k| format!("{k}=")).collect::<Vec<_>>().join(", ")
            ));
        }
        if self.leases.is_empty() {
            out.push_str("no active leases: dbgini manages nothing in this file\n");
        }
        for ls in &self.leases {
            let l = &ls.lease;
            let when = if l.expires <= now {
                let loud = anstyle::AnsiColor::Red.on_default().bold();
                format!(
                    "{loud}OVERDUE{loud:#}: expired {} at {}; run `dbgini expire`",
                    relative(l.expires, now),
                    at(l.expires, tz)
                )
            } else {
                format!(
                    "expires {}, at {}",
                    relative(l.expires, now),
                    at(l.expires, tz)
                )
            };
            out.push_str(&format!(
                "{} {} ({}) {when}\n",
                bold("lease"),
                l.id,
                l.profile
            ));
            out.push_str(&format!(
                "    by {}@{} at {}",
                l.user,
                l.host,
                at(l.created, tz)
            ));
            if let Some(r) = &l.reason {
                out.push_str(&format!(", reason: {r}"));
            }
            out.push('\n');
            for s in l.active_settings() {
                out.push_str(&format!("    {}={} ({})\n", s.key, s.value, s.rule.name()));
            }
            for k in &l.released {
                out.push_str(&format!("    {k}: released (changed by hand)\n"));
            }
            if l.content_capture {
                let loud = anstyle::AnsiColor::Magenta.on_default().bold();
                out.push_str(&format!("    {loud}CAPTURES MESSAGE CONTENT{loud:#} (consented with --allow-content-capture)\n"));
            }
            if !ls.unconfirmed.is_empty() {
                let loud = anstyle::AnsiColor::Yellow.on_default().bold();
                out.push_str(&format!(
                    "    {loud}UNCONFIRMED{loud:#}: the server has not written {} yet (check with `show config KEY` at the console; `dbgini revert` undoes whatever did land)\n",
                    ls.unconfirmed.join(", ")
                ));
            }
            if let (Some(g), Some(m)) = (&l.guard, &ls.measured) {
                out.push_str(&guard_lines(g, m, l.expires, now));
            }
        }
        if !self.managed.is_empty() {
            out.push_str(&format!(
                "{}\n",
                bold("managed keys (before dbgini -> now):")
            ));
            for m in &self.managed {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
                out.push_str(&format!(
                    "    {}: {} -> {}\n",
                    m.key,
                    show(&m.baseline),
                    show(&m.current)
                ));
            }
        }
        if !self.ended.is_empty() {
            out.push_str(&format!("{}\n", bold("recently ended:")));
            for e in self.ended.iter().rev() {
                out.push_str(&format!(
                    "    {} ({}) at {}: {}\n",
                    e.id,
                    e.profile,
                    at(e.at, tz),
                    e.reason
                ));
            }
        }
        out
    }
}

/// The watched files of a lease: size at enable, now, growth per hour, projected size at expiry,
/// free space, and a sparkline of the total growth over the samples.
fn guard_lines(g: &Guard, live: &Measured, expires: Timestamp, now: Timestamp) -> String {
    let mut out = format!(
        "    growth cap {}, free-space floor {}; grown {} so far\n",
        format_size(g.max_growth),
        format_size(g.min_free),
        format_size(live.growth)
    );
    let first = g.samples.first();
    let hours_left = (expires.duration_since(now).as_secs_f64() / 3600.0).max(0.0);
    for (i, f) in g.files.iter().enumerate() {
        let size_now = live.sizes.get(i).copied().unwrap_or(0);
        let rate = first.and_then(|s| {
            let secs = now.duration_since(s.time).as_secs_f64();
            (secs >= 60.0).then(|| {
                size_now.saturating_sub(s.sizes.get(i).copied().unwrap_or(0)) as f64 * 3600.0 / secs
            })
        });
        let projection = rate.map_or("rate not known yet".to_string(), |r| {
            format!(
                "{}/h, about {} at expiry",
                format_size(r as u64),
                format_size(size_now + (r * hours_left) as u64)
            )
        });
        out.push_str(&format!(
            "    {:<14} {} -> {} ({projection})  {}\n",
            f.output.name(),
            format_size(f.size_at_enable),
            format_size(size_now),
            f.path
        ));
    }
    let fresh = g.samples.last().is_none_or(|s| s.sizes != live.sizes);
    let mut growth: Vec<u64> = g.samples.iter().map(|s| g.growth(s)).collect();
    if fresh {
        growth.push(live.growth);
    }
    out.push_str(&format!(
        "    free space {}  growth {}\n",
        format_size(live.free),
        sparkline(&growth)
    ));
    out
}

impl History {
    fn text(&self, tz: &TimeZone) -> String {
        let mut out = String::new();
        for r in &self.history {
            out.push_str(&format!(
                "{} {}@{}: {}\n",
                at(r.time, tz),
                r.user,
                r.host,
                r.command
            ));
            if let Some(reason) = &r.reason {
                out.push_str(&format!("    reason: {reason}\n"));
            }
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
            for c in &r.changes {
                out.push_str(&format!(
                    "    {}: {} -> {}\n",
                    c.key,
                    show(&c.before),
                    show(&c.after)
                ));
            }
            for d in &r.drift {
                out.push_str(&format!(
                    "    {}: changed by hand (expected {}, found {})\n",
                    d.key,
                    d.expected,
                    show(&d.found)
                ));
            }
        }
        out
    }
}

impl Profiles {
    fn text(&self) -> String {
        let width = self
            .profiles
            .iter()
            .map(|l| l.name.len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for l in &self.profiles {
            match (&l.error, &l.summary, &l.origin) {
                (Some(e), _, _) => out.push_str(&format!("{:width$}  BROKEN: {e}\n", l.name)),
                (None, summary, origin) => {
                    out.push_str(&format!(
                        "{:width$}  {}\n",
                        l.name,
                        summary.as_deref().unwrap_or("")
                    ));
                    let mut from =
                        format!("{:width$}  from {}", "", origin.as_deref().unwrap_or(""));
                    if !l.overrides.is_empty() {
                        from.push_str(&format!(", overriding {}", l.overrides.join(", ")));
                    }
                    out.push_str(&from);
                    out.push('\n');
                }
            }
        }
        out
    }
}

impl Doctor {
    fn text(&self) -> String {
        let mut data = String::new();
        for f in &self.findings {
            let label = match f.severity {
                Severity::Info => "info",
                Severity::Warning => "warning",
                Severity::Error => "error",
            };
            data.push_str(&format!("{label}: {}\n    fix: {}\n", f.message, f.fix));
        }
        data
    }
}

impl Show {
    fn text(&self) -> String {
        let p = &self.profile;
        let mut text = format!("{} {}\n{}\n\n", bold("profile"), p.name, p.summary);
        text.push_str(&format!(
            "{}\n{}\n\n",
            bold("when to use it:"),
            p.scenario.trim()
        ));
        text.push_str(&format!("from:      {}\n", self.origin));
        for s in &self.overrides {
            text.push_str(&format!("overrides: {s}\n"));
        }
        text.push_str(&format!(
            "duration:  {} by default, at most {}\n",
            p.default_duration, p.max_duration
        ));
        text.push_str(&format!(
            "growth:    at most {} (--max-growth), then the lease ends early\n",
            format_size(p.max_growth())
        ));
        if !p.refresh.is_empty() {
            text.push_str(&format!("refresh:   {}\n", p.refresh.join("; ")));
        }
        if !p.params.is_empty() {
            text.push_str(&format!("\n{}\n", bold("parameters (--param NAME=VALUE):")));
            for prm in &p.params {
                let req = if prm.required { "required" } else { "optional" };
                text.push_str(&format!(
                    "  {} ({}, {req}): {}\n",
                    prm.name,
                    prm.ty.name(),
                    prm.help
                ));
            }
        }
        text.push_str(&format!("\n{}\n", bold("settings:")));
        for s in &p.settings {
            text.push_str(&format!("  {}={}  [{}]\n", s.key, s.value, s.rule.name()));
            text.push_str(&format!("      {}\n      source: {}\n", s.note, s.source));
            let info = crate::profile::setting_info(Some(s), &s.key, &s.value);
            if info.output != crate::guard::Output::None {
                let why = if info.note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", info.note)
                };
                text.push_str(&format!(
                    "      output: {}, {} volume at this value{why}\n",
                    info.output.destination(),
                    info.volume.name()
                ));
            }
            let mut captures: Vec<String> = s.captures_content.clone();
            captures.extend(
                crate::guard::known(&s.key)
                    .into_iter()
                    .flat_map(|k| k.captures.iter().map(|c| c.to_string())),
            );
            captures.sort();
            captures.dedup();
            if !captures.is_empty() {
                text.push_str(&format!(
                    "      captures message contents at {} (needs --allow-content-capture)\n",
                    captures.join(", ")
                ));
            }
            if let Some(w) = &s.warning {
                text.push_str(&format!("      warning: {w}\n"));
            }
        }
        text
    }
}

impl Schedule {
    fn text(&self) -> String {
        let mut out = String::new();
        match self.action.as_str() {
            "install" if self.dry_run => {
                for f in &self.files {
                    out.push_str(&format!(
                        "{}\n{}\n",
                        bold(&format!("# {}", f.system_path.display())),
                        f.content
                    ));
                }
            }
            "status" => {
                for f in &self.files {
                    out.push_str(&format!(
                        "{} {}\n",
                        if f.present { "present:" } else { "missing:" },
                        f.path.display()
                    ));
                }
                if let Some(t) = &self.timer {
                    out.push_str(&format!("dbgini-expire.timer: {t}\n"));
                }
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    /// The checked-in schema is the one the types generate (`UPDATE_SCHEMA=1 cargo test` writes it).
    #[test]
    fn the_checked_in_json_schema_is_generated_from_the_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dbgini.schema.json");
        let want = super::schema();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            #[allow(clippy::disallowed_methods)]
            std::fs::write(&path, &want).expect("write the schema");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/dbgini.schema.json is out of date: run `UPDATE_SCHEMA=1 cargo test --lib outcome`"
        );
    }
}

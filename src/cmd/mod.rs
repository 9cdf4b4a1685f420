//! The subcommands, one file each. Each takes its parsed arguments and the [`Context`], does its
//! work through the library, and returns a [`Report`] for `main` to print.

use std::path::PathBuf;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::ini::{Document, IniError};
use crate::lease::{self, Change, Drift, KeyChange, Lease, effective_now};
use crate::output::{Report, at, relative, unified_diff};
use crate::profile::{format_duration, parse_duration};
use crate::registry::Registry;
use crate::store::{AuditRecord, Caller, Session, Target};

pub mod apply;
pub mod bundle;
pub mod diff;
pub mod doctor;
pub mod enable;
pub mod expire;
pub mod extend;
pub mod guards;
pub mod history;
pub mod profiles;
pub mod revert;
pub mod schedule;
pub mod show;
pub mod status;
pub mod tidy;
pub mod watch;

/// Everything a command needs from outside: gathered once by `main`.
#[derive(Clone, Debug)]
pub struct Context {
    /// The notes.ini, when one was named or found.
    pub ini: Option<PathBuf>,
    /// The config file that could name it (for the error message).
    pub config_file: Option<PathBuf>,
    /// Where profiles are looked up.
    pub catalog: crate::profile::Catalog,
    /// Who runs dbgini, and when.
    pub caller: Caller,
    /// Targets with leases, for `expire --all-targets`.
    pub registry: Registry,
    /// The longest lease any profile may have (config `max_duration`, default 24h).
    pub max_duration: SignedDuration,
    /// The time zone for showing times.
    pub tz: TimeZone,
    /// This program, as units and cron entries must call it.
    pub exe: PathBuf,
    /// The system's root directory (`/`; another one for images and tests).
    pub system_root: PathBuf,
    /// `--mode`.
    pub mode: crate::live::ModeChoice,
    /// How console commands reach the server.
    pub console: crate::live::Console,
    /// How long to wait for the server to write what was set through its console.
    pub confirm_timeout: std::time::Duration,
    /// The system temp directory (where SMTPSaveImportErrors writes).
    pub temp_dir: PathBuf,
    /// Questions may be asked: stdin and stderr are terminals and `--json` is off.
    pub interactive: bool,
    /// `--json`: reports carry their full JSON (the whole notes.ini text in diffs).
    pub json: bool,
}

/// A target opened for a command, with what expiry enforcement did first.
pub struct Opened {
    /// The session.
    pub session: Session,
    /// Messages for the admin (recovery, expiry).
    pub notes: Vec<String>,
    /// Warnings (hand changes found while expiring, enforcement that failed).
    pub warnings: Vec<String>,
    /// Leases reverted because they had expired.
    pub expired: Vec<Lease>,
}

impl Opened {
    /// The JSON list of leases that expired on opening.
    pub fn expired_json(&self) -> serde_json::Value {
        self.expired.iter().map(lease_json).collect()
    }
}

/// Who owns `path`, for messages: the user id on Unix ("its owner" elsewhere or when unknown).
fn owner(path: &std::path::Path) -> String {
    #[cfg(unix)]
    if let Ok(m) = std::fs::metadata(path) {
        return format!("uid {}", std::os::unix::fs::MetadataExt::uid(&m));
    }
    "its owner".into()
}

/// Why enforcement ends a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Its time is up.
    Expired,
    /// It outgrew its guard (growth cap, free-space floor): why.
    Outgrown(String),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Expired => f.write_str("expired"),
            Ending::Outgrown(why) => write!(f, "reverted early: {why}"),
        }
    }
}

/// How a command wants expired leases handled when it opens a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforce {
    /// Revert them; an error stops the command.
    Strict,
    /// Revert them; an error becomes a warning (read-only commands).
    Lenient,
    /// Report what would be reverted; write nothing (`--dry-run`).
    DryRun,
}

impl Enforce {
    /// `DryRun` with `--dry-run`, else `Strict`: what a changing command asks for.
    pub fn unless(dry_run: bool) -> Enforce {
        if dry_run {
            Enforce::DryRun
        } else {
            Enforce::Strict
        }
    }
}

impl Context {
    /// The target, or the error that says how to name one.
    pub fn target(&self) -> Result<Target> {
        let ini = self.ini.as_ref().ok_or_else(|| Error::NoIni {
            config: self.config_file.clone(),
        })?;
        Target::resolve(ini)
    }

    /// Opens the configured target; see [`Context::open_target`].
    pub fn open(&self, enforce: Enforce) -> Result<Opened> {
        self.open_target(self.target()?, enforce)
    }

    /// Opens a target, recovers an interrupted operation, and first of all reverts the leases
    /// that have expired (lazy enforcement: whatever dbgini command runs next ends them).
    ///
    /// A read-only command (`Enforce::Lenient`) that may not lock the target (the state belongs
    /// to another user) still shows what is recorded, with a warning that nothing was enforced.
    pub fn open_target(&self, target: Target, enforce: Enforce) -> Result<Opened> {
        let mut warnings = Vec::new();
        let mut read_only = false;
        let session = match Session::open(target.clone(), &self.caller) {
            Err(Error::Io { source, .. })
                if enforce == Enforce::Lenient
                    && source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                let session = Session::open_unlocked(target)?;
                let pending = crate::store::has_pending(&session.target, session.state.serial);
                warnings.push(format!(
                    "you may not write dbgini's state for {} (it belongs to {}), so this shows what is recorded without reverting expired leases{}; run dbgini as that user (or root) to enforce",
                    session.target.real.display(),
                    owner(&session.target.state_dir),
                    if pending {
                        " and without finishing the interrupted write that awaits it"
                    } else {
                        ""
                    }
                ));
                read_only = true;
                session
            }
            other => other?,
        };
        let notes = session.recovery.iter().map(|r| r.message()).collect();
        let mut opened = Opened {
            session,
            notes,
            warnings,
            expired: Vec::new(),
        };
        if read_only {
            return Ok(opened);
        }
        match self.expire_due(&mut opened, enforce) {
            Err(e) if enforce == Enforce::Lenient => opened.warnings.push(format!(
                "expired leases could not be reverted: {e}; {}",
                e.help()
            )),
            other => other?,
        }
        Ok(opened)
    }

    /// Asks a yes-or-no question on the terminal; `false` when not interactive.
    pub fn confirm(&self, question: &str) -> bool {
        use std::io::{BufRead, Write};
        if !self.interactive {
            return false;
        }
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "YES"
    }

    /// The time expiry is judged by for this session (see [`lease::effective_now`]).
    pub fn now(&self, session: &Session) -> Timestamp {
        effective_now(session.state.clock.as_ref(), &self.caller.clock())
    }

    /// Samples the guarded leases' files, then reverts the leases that have expired or outgrown
    /// their guard (growth cap, free-space floor), each with its reason.
    fn expire_due(&self, opened: &mut Opened, enforce: Enforce) -> Result<()> {
        let session = &mut opened.session;
        let now = self.now(session);
        let dry_run = enforce == Enforce::DryRun;

        // Measure first: a lease that outgrew its guard ends now, whatever its expiry.
        let mut state = session.state.clone();
        let mut reasons: Vec<(String, Ending)> = Vec::new();
        for l in &mut state.leases {
            let Some(g) = &mut l.guard else { continue };
            let s = guards::sample(g, now, session.target.perms);
            g.observe(&s);
            if let Some(why) = g.breach(&s) {
                reasons.push((l.id.clone(), Ending::Outgrown(why)));
            }
            let stale = g.samples.last().is_none_or(|x| {
                x.sizes != s.sizes || now.duration_since(x.time) >= SignedDuration::from_mins(1)
            });
            if stale {
                g.record(s);
            }
        }
        let outgrown: std::collections::HashSet<String> =
            reasons.iter().map(|(id, _)| id.clone()).collect();
        for id in lease::due(&state, now) {
            if !outgrown.contains(&id) {
                reasons.push((id, Ending::Expired));
            }
        }
        if reasons.is_empty() {
            if state != session.state && !dry_run {
                session.write_state_only(&self.caller, &state)?;
            }
            return Ok(());
        }

        let ids: Vec<String> = reasons.iter().map(|(id, _)| id.clone()).collect();
        let why: std::collections::HashMap<&str, &Ending> =
            reasons.iter().map(|(id, e)| (id.as_str(), e)).collect();
        let ended: Vec<Lease> = state
            .leases
            .iter()
            .filter(|l| why.contains_key(l.id.as_str()))
            .cloned()
            .collect();
        let doc = session.doc();
        check_editable(&doc, session)?;
        let mut plan = lease::plan(doc, &state, Change::Remove(ids.clone()), false)
            .map_err(|e| refused(session, e))?;
        for l in &ended {
            let reason = why[l.id.as_str()].to_string();
            lease::record_ended(&mut plan.state, std::slice::from_ref(l), now, &reason);
        }
        let before = session.bytes.clone();
        let name = session.target.ini.display().to_string();
        let verb = if dry_run {
            "would be reverted"
        } else {
            "reverted"
        };
        // Said only once the revert has happened: a failure (a read-only command turns it into a
        // warning) must not leave a note that claims otherwise.
        let mut notes = Vec::new();
        for l in &ended {
            notes.push(match why[l.id.as_str()] {
                Ending::Expired => format!(
                    "lease {} ({}) expired at {} ({}): {verb}",
                    l.id,
                    l.profile,
                    at(l.expires, &self.tz),
                    relative(l.expires, now)
                ),
                Ending::Outgrown(breach) => {
                    format!("lease {} ({}) {verb} early: {breach}", l.id, l.profile)
                }
            });
        }
        let summary = reasons
            .iter()
            .map(|(id, why)| format!("{id}: {why}"))
            .collect::<Vec<_>>()
            .join("; ");
        let record = self.audit(ids, plan.changes.clone(), plan.drift.clone(), Some(summary));
        let refresh: Vec<String> = ended.iter().flat_map(|l| l.refresh.clone()).collect();
        let applied = apply::apply(
            self,
            session,
            "expire",
            &plan,
            record,
            &refresh,
            apply::OnTimeout::KeepOld,
            dry_run,
            false,
        )?;
        opened.warnings.extend(plan.drift.iter().map(drift_warning));
        if !dry_run {
            self.register(session, &mut opened.warnings);
        }
        opened.notes.extend(notes);
        opened.notes.extend(applied.notes);
        opened.warnings.extend(applied.warnings);
        let diff = unified_diff(&before, &applied.after, &name);
        if !diff.is_empty() {
            opened.notes.push(diff.trim_end().to_string());
        }
        opened.expired = ended;
        Ok(())
    }

    /// An audit record for this caller (hashes are filled in by the commit).
    pub fn audit(
        &self,
        leases: Vec<String>,
        changes: Vec<KeyChange>,
        drift: Vec<Drift>,
        reason: Option<String>,
    ) -> AuditRecord {
        AuditRecord {
            time: self.caller.now,
            user: self.caller.user.clone(),
            host: self.caller.host.clone(),
            command: self.caller.command.clone(),
            leases,
            changes,
            drift,
            reason,
            content_capture: false,
            before_sha256: String::new(),
            after_sha256: String::new(),
        }
    }

    /// Lists a target with leases in the registry (once; a durable write only the first time).
    /// Targets without leases are dropped by `expire --all-targets`, not here, so re-enabling a
    /// profile does not pay for the registry again.
    pub fn register(&self, session: &Session, warnings: &mut Vec<String>) {
        if session.state.leases.is_empty() {
            return;
        }
        let result = self.registry.add(&session.target.real);
        if let Err(e) = result {
            warnings.push(format!(
                "{e}; `dbgini expire --all-targets` (the timer) will not see this notes.ini, but any dbgini command run on it still ends its expired leases"
            ));
        }
    }

    /// The lease duration from `--for` or `--until`, checked against `max` and the global maximum.
    pub fn duration(
        &self,
        r#for: Option<&str>,
        until: Option<&str>,
        now: Timestamp,
        default: SignedDuration,
        max: SignedDuration,
        what: &str,
    ) -> Result<SignedDuration> {
        let d = match (r#for, until) {
            (Some(f), _) => parse_duration(f).map_err(|msg| {
                Error::invalid(
                    format!("--for: {msg}"),
                    "e.g. --for 2h, --for 90m or --for 1h30m",
                )
            })?,
            (None, Some(u)) => {
                let end = parse_until(u, now, &self.tz)?;
                end.duration_since(now)
            }
            (None, None) => default,
        };
        let flag = if r#for.is_none() && until.is_some() {
            "--until"
        } else {
            "--for"
        };
        if d < min_lease() {
            return Err(Error::invalid(
                format!(
                    "{flag}: {} is shorter than the shortest lease, {}: the next dbgini run would revert it before the server wrote anything",
                    format_duration(d),
                    format_duration(min_lease())
                ),
                "e.g. --for 15m or --for 2h",
            ));
        }
        let whose = if max <= self.max_duration {
            format!("{what}'s maximum")
        } else {
            "the global maximum (config max_duration)".to_string()
        };
        let max = max.min(self.max_duration);
        if d > max {
            return Err(Error::invalid(
                format!(
                    "{flag} {} is longer than {whose} of {}",
                    format_duration(d),
                    format_duration(max)
                ),
                format!(
                    "choose --for {} or less; extend it later (`dbgini extend`) if you need more time",
                    format_duration(max)
                ),
            ));
        }
        Ok(d)
    }
}

/// The shortest lease dbgini makes: anything shorter would be reverted by the next run (the timer
/// runs every minute) before it did anything.
pub const MIN_LEASE: SignedDuration = SignedDuration::from_mins(1);

/// [`MIN_LEASE`]; test builds (the `crash-points` feature) take `DBGINI_TEST_MIN_LEASE_SECS`, so
/// the real-clock tests need not wait a minute.
fn min_lease() -> SignedDuration {
    #[cfg(feature = "crash-points")]
    if let Some(secs) = std::env::var("DBGINI_TEST_MIN_LEASE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return SignedDuration::from_secs(secs);
    }
    MIN_LEASE
}

/// `--until`: an RFC 3339 time (`2026-11-30T18:00:00Z`, `...+01:00`) or `HH:MM`, the next such
/// time of day in the local time zone.
pub fn parse_until(s: &str, now: Timestamp, tz: &TimeZone) -> Result<Timestamp> {
    let bad = || {
        Error::invalid(
            format!("--until {s}: not a time"),
            "use HH:MM (local time) or a full time such as 2026-11-30T18:00:00Z",
        )
    };
    let end = if let Ok(t) = s.parse::<Timestamp>() {
        t
    } else {
        let time: jiff::civil::Time = s.parse().map_err(|_| bad())?;
        let here = now.to_zoned_datetime(tz.clone());
        let today = here
            .date()
            .to_datetime(time)
            .to_zoned_datetime(tz.clone())
            .map_err(|_| bad())?;
        if today.timestamp() > now {
            today.timestamp()
        } else {
            today
                .checked_add(SignedDuration::from_hours(24))
                .map_err(|_| bad())?
                .timestamp()
        }
    };
    if end <= now {
        return Err(Error::invalid(
            format!("--until {s} is not in the future"),
            "give a later time",
        ));
    }
    Ok(end)
}

/// Runs a subcommand. A command that planned on a target without its lock (the target's first
/// use) and lost the race to another dbgini starts over, now under the lock.
pub fn run(command: Command, ctx: &Context) -> Result<Report> {
    let mut tries = 0;
    loop {
        match run_once(command.clone(), ctx) {
            Err(Error::StartOver) if tries < 5 => tries += 1,
            other => return other,
        }
    }
}

fn run_once(command: Command, ctx: &Context) -> Result<Report> {
    match command {
        Command::Profiles => profiles::run(ctx),
        Command::Show(args) => show::run(args, ctx),
        Command::Enable(args) => enable::run(args, ctx),
        Command::Revert(args) => revert::run(args, ctx),
        Command::Extend(args) => extend::run(args, ctx),
        Command::Expire(args) => expire::run(args, ctx),
        Command::Status => status::run(ctx),
        Command::Diff => diff::run(ctx),
        Command::Doctor => doctor::run(ctx),
        Command::Bundle(args) => bundle::run(args, ctx),
        Command::Tidy(args) => tidy::run(args, ctx),
        Command::History(args) => history::run(args, ctx),
        Command::Schedule(args) => schedule::run(args, ctx),
        Command::Watch(args) => watch::run(args, ctx),
        Command::Completions(_) | Command::Man => Err(Error::invalid(
            "completions and man are handled before a notes.ini is opened",
            "run `dbgini completions bash` or `dbgini man`",
        )),
    }
}

/// Refuses a document dbgini must not edit.
pub fn check_editable(doc: &Document, session: &Session) -> Result<()> {
    doc.check_editable().map_err(|e| refused(session, e))
}

/// Wraps an [`IniError`] as a refusal for this target.
pub fn refused(session: &Session, source: IniError) -> Error {
    Error::Refused {
        path: session.target.ini.clone(),
        source,
    }
}

/// A lease as JSON.
pub fn lease_json(lease: &Lease) -> serde_json::Value {
    json!({
        "id": lease.id,
        "profile": lease.profile,
        "created_at": lease.created.to_string(),
        "expires_at": lease.expires.to_string(),
        "reason": lease.reason,
        "params": lease.params,
        "overrides": lease.overrides,
        "settings": lease.settings,
        "user": lease.user,
        "host": lease.host,
        "released": lease.released,
        "extensions": lease.extensions,
        "content_capture": lease.content_capture,
        "guard": lease.guard,
    })
}

/// `router-7f3a (router) until 2026-11-30 13:15 UTC (in 2h)`.
pub fn lease_line(lease: &Lease, ctx: &Context, now: Timestamp) -> String {
    format!(
        "{} ({}) until {} ({})",
        lease.id,
        lease.profile,
        at(lease.expires, &ctx.tz),
        relative(lease.expires, now)
    )
}

/// The warning for a key changed by hand.
pub fn drift_warning(d: &Drift) -> String {
    let found = d
        .found
        .as_deref()
        .map_or("no line at all".to_string(), |f| format!("'{f}'"));
    if d.overridden {
        format!(
            "{} had been changed by hand (dbgini wrote '{}', found {found}); --force overwrote it",
            d.key, d.expected
        )
    } else {
        format!(
            "{} was changed by hand since dbgini set it (dbgini wrote '{}', found {found}): left as it is, and dbgini no longer manages it; `dbgini revert --force` would put the original back",
            d.key, d.expected
        )
    }
}

/// Finds leases by id, or else by profile, named as `enable` was given it (see [`names`]).
pub fn find_leases<'a>(leases: &'a [Lease], wanted: &str) -> Vec<&'a Lease> {
    let by_id: Vec<_> = leases.iter().filter(|l| l.id == wanted).collect();
    if by_id.is_empty() {
        leases.iter().filter(|l| names(l, wanted)).collect()
    } else {
        by_id
    }
}

/// Whether `wanted` names `lease`: its id, its profile's name, or whatever `enable` accepted for
/// that profile (the path of a profile file or snippet: see [`crate::profile::lease_name`]).
pub fn names(lease: &Lease, wanted: &str) -> bool {
    lease.id == wanted || lease.profile == crate::profile::lease_name(wanted)
}

/// `file` or `console`.
pub fn mode_name(mode: crate::live::Mode) -> &'static str {
    match mode {
        crate::live::Mode::File => "file",
        crate::live::Mode::Console => "console",
    }
}

/// The console commands of an apply, as lines for stdout (empty in file mode).
pub fn console_lines(applied: &apply::Applied) -> String {
    applied
        .console_commands
        .iter()
        .map(|c| format!("console> {c}\n"))
        .collect()
}

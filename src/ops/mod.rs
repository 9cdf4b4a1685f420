//! The operations behind the commands (as cargo's `ops`): opening a target with lazy expiry
//! ([`Context::open_target`], [`expiry`]), applying a plan by file or console ([`apply`]), the
//! guards' I/O ([`guards`]), choosing leases ([`select`]), and one operation per command, each
//! taking validated options and returning its [`crate::outcome`] type. Messages go to the
//! [`crate::ui::Ui`] in the [`Context`] when they are known.

use std::path::PathBuf;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};
use crate::ini::{Document, IniError};
use crate::lease::{Drift, KeyChange, Lease, effective_now};
use crate::profile::format_duration;
use crate::registry::Registry;
use crate::store::{AuditRecord, Caller, Session, Target};

pub mod apply;
pub mod bundle;
pub mod context;
pub mod diff;
pub mod doctor;
pub mod enable;
pub mod expire;
pub mod expiry;
pub mod extend;
pub mod guards;
pub mod history;
pub mod profiles;
pub mod revert;
pub mod schedule;
pub mod select;
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
    /// `--json`: outcomes carry their full JSON (the whole notes.ini text in diffs).
    pub json: bool,
    /// Where messages for the user go.
    pub ui: crate::ui::Ui,
}

/// A target opened for a command, with the leases expiry enforcement ended first.
pub struct Opened {
    /// The session.
    pub session: Session,
    /// Leases reverted because they had expired or outgrown their guard.
    pub expired: Vec<Lease>,
}

/// Who owns `path`, for messages: the user id on Unix ("its owner" elsewhere or when unknown).
fn owner(path: &std::path::Path) -> String {
    #[cfg(unix)]
    if let Ok(m) = std::fs::metadata(path) {
        return format!("uid {}", std::os::unix::fs::MetadataExt::uid(&m));
    }
    #[cfg(not(unix))]
    let _ = path;
    "its owner".into()
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
    /// Only look: no lock, no recovery, no expiry (`status --peek`); what is due shows as overdue.
    Peek,
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

/// The lease time asked for with `--for` or `--until`, worked out before anything is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asked {
    /// How long, from now.
    pub duration: SignedDuration,
    /// The flag that asked for it (`--for` or `--until`), for messages.
    pub flag: &'static str,
}

impl Asked {
    /// `--for` or `--until` (seen at `now` in `tz`), or `None` when neither was given.
    pub fn from_args(
        r#for: Option<SignedDuration>,
        until: Option<&crate::cli::Until>,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<Option<Asked>> {
        if let Some(duration) = r#for {
            return Ok(Some(Asked {
                duration,
                flag: "--for",
            }));
        }
        let Some(until) = until else { return Ok(None) };
        match until.resolve(now, tz) {
            Some(end) if end > now => Ok(Some(Asked {
                duration: end.duration_since(now),
                flag: "--until",
            })),
            Some(_) => Err(Error::invalid(
                "--until is not in the future",
                "give a later time",
            )),
            None => Err(Error::invalid(
                "--until names a time that does not exist in the local time zone",
                "give another time, or a full time such as 2026-11-30T18:00:00Z",
            )),
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

    /// Opens a target, recovers an interrupted operation, and first of all ends the leases that
    /// have expired or outgrown their guard (lazy enforcement: whatever dbgini command runs next
    /// ends them; see [`expiry::enforce`]). What it does is told through the [`Context::ui`] at
    /// once, so it is not lost when the command fails later.
    ///
    /// A read-only command (`Enforce::Lenient`) that may not lock the target (the state belongs
    /// to another user) still shows what is recorded, with a warning that nothing was enforced.
    pub fn open_target(&self, target: Target, enforce: Enforce) -> Result<Opened> {
        if enforce == Enforce::Peek {
            let session = Session::open_unlocked(target)?;
            if crate::store::has_pending(&session.target, session.state.serial) {
                self.ui.warning(
                    "an interrupted dbgini write awaits: this shows the state before it; `dbgini status` without --peek finishes or discards it",
                );
            }
            return Ok(Opened {
                session,
                expired: Vec::new(),
            });
        }
        let session = match Session::open(target.clone(), &self.caller) {
            Err(Error::Io { source, .. })
                if enforce == Enforce::Lenient
                    && source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                let session = Session::open_unlocked(target)?;
                let pending = crate::store::has_pending(&session.target, session.state.serial);
                self.ui.warning(format!(
                    "you may not write dbgini's state for {} (it belongs to {}), so this shows what is recorded without reverting expired leases{}; run dbgini as that user (or root) to enforce",
                    session.target.real.display(),
                    owner(&session.target.state_dir),
                    if pending {
                        " and without finishing the interrupted write that awaits it"
                    } else {
                        ""
                    }
                ));
                return Ok(Opened {
                    session,
                    expired: Vec::new(),
                });
            }
            other => other?,
        };
        for r in &session.recovery {
            self.ui.status(r.message());
        }
        let mut opened = Opened {
            session,
            expired: Vec::new(),
        };
        match expiry::enforce(self, &mut opened, enforce) {
            Err(e) if enforce == Enforce::Lenient => self.ui.warning(format!(
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

    /// The time expiry is judged by for this session (see [`effective_now`]).
    pub fn now(&self, session: &Session) -> Timestamp {
        effective_now(session.state.clock.as_ref(), &self.caller.clock())
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
    pub fn register(&self, session: &Session) {
        if session.state.leases.is_empty() {
            return;
        }
        if let Err(e) = self.registry.add(&session.target.real) {
            self.ui.warning(format!(
                "{e}; `dbgini expire --all-targets` (the timer) will not see this notes.ini, but any dbgini command run on it still ends its expired leases"
            ));
        }
    }

    /// The lease duration: what was asked (else `default`), checked against the shortest lease,
    /// `max` (named `what` in messages) and the global maximum.
    pub fn lease_duration(
        &self,
        asked: Option<Asked>,
        default: SignedDuration,
        max: SignedDuration,
        what: &str,
    ) -> Result<SignedDuration> {
        let (d, flag) = asked.map_or((default, "--for"), |a| (a.duration, a.flag));
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

impl crate::outcome::Changed {
    /// The outcome of a changing command that applied `plan`: the file as `applied` left it
    /// against `before`, the leases and hand changes of the plan.
    #[allow(clippy::too_many_arguments)]
    pub fn applied(
        ctx: &Context,
        ini: String,
        dry_run: bool,
        before: &[u8],
        applied: apply::Applied,
        plan: crate::lease::Plan,
        expired: Vec<Lease>,
        msg: String,
    ) -> crate::outcome::Changed {
        let diff = crate::output::unified_diff(before, &applied.after, &ini);
        crate::outcome::Changed {
            diff: crate::output::JsonDiff::new(&diff, before, &applied.after, ctx.json),
            ini,
            dry_run,
            mode: Some(applied.mode),
            console_commands: applied.console_commands,
            leases: plan.state.leases,
            expired,
            changes: applied.changes,
            drift: plan.drift,
            msg,
        }
    }

    /// The outcome of a changing command that found nothing to do: the file as it is, the mode it
    /// would have used (null when that cannot be told), and the hand changes to managed keys (each
    /// also a warning).
    pub fn nothing(
        ctx: &Context,
        session: &Session,
        force: bool,
        dry_run: bool,
        ini: String,
        expired: Vec<Lease>,
        msg: String,
    ) -> crate::outcome::Changed {
        let doc = session.doc();
        // Nothing is written, so a hand change stays managed: shown, not released.
        let drift = crate::lease::detect_drift(&doc, &session.state).unwrap_or_default();
        for d in &drift {
            ctx.ui.warning(drift_warning(d, Released::Not));
        }
        crate::outcome::Changed {
            ini,
            dry_run,
            mode: ctx.mode_for(session, &doc, force).ok().map(|(m, _)| m),
            console_commands: Vec::new(),
            leases: session.state.leases.clone(),
            expired,
            changes: Vec::new(),
            drift,
            diff: crate::output::JsonDiff::new("", &session.bytes, &session.bytes, ctx.json),
            msg,
        }
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

/// Whether a hand change that a warning reports has been given up by dbgini for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Released {
    /// Only seen (status, a dry run, nothing to do): a lease still manages the key, so
    /// `revert --force` can still put the original back.
    Not,
    /// This run writes the release: the key is left as found and no lease manages it any more.
    Now,
    /// Released, and managed again at once by a lease of this run (enabling the same profile
    /// again): the value found is what a revert puts back now.
    Retaken,
}

impl Released {
    /// How `plan` (applied for real unless `dry_run`) leaves the hand change `d`.
    pub fn by(plan: &crate::lease::Plan, d: &Drift, dry_run: bool) -> Released {
        let managed = plan
            .state
            .managed
            .iter()
            .any(|m| m.key.eq_ignore_ascii_case(&d.key));
        match (managed, dry_run) {
            (true, _) => Released::Retaken,
            (false, true) => Released::Not,
            (false, false) => Released::Now,
        }
    }
}

/// The warning for a key changed by hand.
pub fn drift_warning(d: &Drift, released: Released) -> String {
    let found = d
        .found
        .as_deref()
        .map_or("no line at all".to_string(), |f| format!("'{f}'"));
    let original = match &d.original {
        Some(v) => format!("'{v}'"),
        None => "not set".to_string(),
    };
    if d.overridden {
        return format!(
            "{} had been changed by hand (dbgini wrote '{}', found {found}); --force overwrote it",
            d.key, d.expected
        );
    }
    match released {
        Released::Not => format!(
            "{} was changed by hand since dbgini set it (dbgini wrote '{}', found {found}): the next change dbgini makes leaves it as it is and stops managing it; `dbgini revert --force` would put back what it was before dbgini ({original})",
            d.key, d.expected
        ),
        Released::Now => format!(
            "{} was changed by hand since dbgini set it (dbgini wrote '{}', found {found}): left as it is, and dbgini no longer manages it, so no revert will change it; before dbgini it was {original}: set it back by hand if the hand change was not meant to stay",
            d.key, d.expected
        ),
        Released::Retaken => format!(
            "{} was changed by hand since dbgini set it (dbgini wrote '{}', found {found}): the lease enabled now manages it from the value found, so a revert puts back {found}, not what it was before dbgini ({original})",
            d.key, d.expected
        ),
    }
}

//! Applying a plan to a target: by replacing notes.ini (server down, file mode) or through the
//! server console with confirmation from the file the server writes (server running).
//!
//! Console mode keeps the journal the single source of truth: the state is written before any
//! command is sent, with the keys about to change marked as not yet confirmed
//! ([`crate::lease::Previous`]), so a crash, a failed command or a server that never writes leaves
//! a state that the next run finishes or undoes without mistaking old values for hand changes.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Context;
use crate::error::{Error, Result};
use crate::lease::{self, KeyChange, Plan, Previous, State};
use crate::live::{Detected, Mode, ModeChoice, check_sendable, commands, detect};
use crate::store::{AuditRecord, Session};

/// What to keep when the server does not confirm in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTimeout {
    /// The new state (enable: the lease stays, unconfirmed, so revert undoes what landed).
    KeepNew,
    /// The old state (revert, expire: the leases stay active, so running it again finishes it).
    KeepOld,
}

/// What applying did.
#[derive(Debug)]
pub struct Applied {
    /// File or console.
    pub mode: Mode,
    /// Console commands sent (or, with `--dry-run`, that would be sent).
    pub console_commands: Vec<String>,
    /// Key changes, including empty lines tidied away.
    pub changes: Vec<KeyChange>,
    /// notes.ini afterwards (as the server wrote it, in console mode; as planned, in a dry run).
    pub after: crate::ini::Shared,
}

/// Why a mode was chosen: said by `status`, and a warning when file mode was forced on a running
/// server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeWhy {
    /// `--mode console` or `--mode file` was asked for (the server is not running, or unknown).
    Asked(Mode),
    /// `--mode file --force` while the server runs.
    Forced {
        /// The server's process.
        pid: u32,
    },
    /// Auto mode found the server running.
    Running {
        /// The server's process.
        pid: u32,
        /// Where.
        dir: String,
    },
    /// Auto mode found no server.
    Stopped {
        /// Where it looked.
        dir: String,
    },
}

impl std::fmt::Display for ModeWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModeWhy::Asked(m) => write!(f, "--mode {}", m.name()),
            ModeWhy::Forced { pid } => write!(
                f,
                "--mode file --force, although the Domino server (process {pid}) runs: it will not see this change until it restarts, and it may overwrite it"
            ),
            ModeWhy::Running { pid, dir } => {
                write!(f, "the Domino server (process {pid}) runs in {dir}")
            }
            ModeWhy::Stopped { dir } => write!(f, "no Domino server process runs in {dir}"),
        }
    }
}

impl Context {
    /// Which mode applies to this target, and why (for `status`). `doc` is the target's notes.ini
    /// (its `Directory=` is where Domino runs).
    pub fn mode_for(
        &self,
        session: &Session,
        doc: &crate::ini::Document,
        force_file: bool,
    ) -> Result<(Mode, ModeWhy)> {
        // An explicit console mode needs no look at the processes.
        if self.mode == ModeChoice::Console {
            return Ok((Mode::Console, ModeWhy::Asked(Mode::Console)));
        }
        let mut dirs = vec![
            session
                .target
                .real
                .parent()
                .unwrap_or(Path::new("/"))
                .to_path_buf(),
        ];
        if let Ok(Some(dir)) = doc.get("Directory") {
            dirs.push(String::from_utf8_lossy(dir).trim().into());
        }
        let shown = dirs[0].display().to_string();
        match (self.mode, detect(&dirs, &session.target.real)) {
            (ModeChoice::Console, _) => Ok((Mode::Console, ModeWhy::Asked(Mode::Console))),
            (ModeChoice::File, Detected::Running(pid)) if force_file => {
                Ok((Mode::File, ModeWhy::Forced { pid }))
            }
            (ModeChoice::File, Detected::Running(pid)) => Err(Error::ServerRunning { pid }),
            (ModeChoice::File, _) => Ok((Mode::File, ModeWhy::Asked(Mode::File))),
            (ModeChoice::Auto, Detected::Running(pid)) => {
                Ok((Mode::Console, ModeWhy::Running { pid, dir: shown }))
            }
            (ModeChoice::Auto, Detected::Stopped) => {
                Ok((Mode::File, ModeWhy::Stopped { dir: shown }))
            }
            (ModeChoice::Auto, Detected::Unknown(reason)) => Err(Error::ModeUnknown { reason }),
        }
    }
}

/// Whether the file shows change `c` (its keys looked up in `lines`).
fn landed(doc: &crate::ini::Document, lines: &crate::ini::Lookup, c: &KeyChange) -> bool {
    let found = lines
        .unique(&c.key)
        .map(|i| i.and_then(|i| doc.line(i).value()));
    match (&c.after, found) {
        (Some(v), Ok(Some(found))) => found == v.as_bytes(),
        (None, Ok(found)) => found.is_none_or(<[u8]>::is_empty),
        _ => false,
    }
}

/// Marks the keys of `changes` in `state` as not yet confirmed, with the value they may still have.
fn unconfirmed(
    mut state: State,
    changes: &[KeyChange],
    previous: impl Fn(&KeyChange) -> Option<String>,
) -> State {
    let at: std::collections::HashMap<String, usize> = state
        .managed
        .iter()
        .enumerate()
        .map(|(i, m)| (m.key.to_ascii_lowercase(), i))
        .collect();
    for c in changes {
        if let Some(&i) = at.get(&c.key.to_ascii_lowercase()) {
            let m = &mut state.managed[i];
            m.previous = Some(Previous {
                value: previous(c).map(|v| crate::bytes::Bytes(v.into_bytes())),
            });
        }
    }
    state
}

/// How a plan reaches the target, chosen before it is made (see [`Context::mode_for`]): the plan
/// removes the console's empty lines only when the file itself is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// File or console.
    pub mode: Mode,
    /// Why.
    pub why: ModeWhy,
}

impl Route {
    /// The route for this target (a warning when file mode was forced on a running server).
    pub fn choose(
        ctx: &Context,
        session: &Session,
        doc: &crate::ini::Document,
        force_file: bool,
    ) -> Result<Route> {
        let (mode, why) = ctx.mode_for(session, doc, force_file)?;
        if let ModeWhy::Forced { .. } = why {
            ctx.ui.warning(why.to_string());
        }
        Ok(Route { mode, why })
    }

    /// The plan policy for this route: `force` as asked, and the residue tidied in file mode.
    pub fn policy(&self, force: bool) -> lease::Policy {
        lease::Policy {
            force,
            tidy: self.mode == Mode::File,
        }
    }
}

/// Applies `plan` to the session's target by `route`. `refresh` are the console commands that
/// make the server re-read its settings, sent after a confirmed console change.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    ctx: &Context,
    session: &mut Session,
    op: &str,
    plan: &Plan,
    route: &Route,
    mut record: AuditRecord,
    refresh: &[String],
    on_timeout: OnTimeout,
    dry_run: bool,
) -> Result<Applied> {
    let mode = route.mode;
    let mut out = Applied {
        mode,
        console_commands: Vec::new(),
        changes: plan.changes.clone(),
        after: session.bytes.clone(),
    };
    let state_changed = plan.state != session.state;
    if mode == Mode::File {
        out.after = std::sync::Arc::new(plan.doc.to_bytes());
        let changed = out.after != session.bytes || state_changed;
        if dry_run {
            if changed {
                ctx.ui.would_change();
            }
            return Ok(out);
        }
        record.changes = out.changes.clone();
        session.commit(
            &ctx.caller,
            op,
            &out.after,
            &plan.state,
            &plan.ended,
            record,
        )?;
        if changed {
            ctx.ui.file_changed();
        }
        return Ok(out);
    }

    check_sendable(&plan.changes)?;
    out.console_commands = commands(&plan.changes);
    if !plan.changes.is_empty() {
        out.console_commands.extend(refresh.iter().cloned());
    }
    ctx.ui.status(format!("console mode ({})", route.why));
    if dry_run {
        out.after = std::sync::Arc::new(plan.doc.to_bytes());
        if !plan.changes.is_empty() || state_changed {
            ctx.ui.would_change();
        }
        return Ok(out);
    }
    if plan.changes.is_empty() {
        let bytes = session.bytes.clone();
        session.commit(&ctx.caller, op, &bytes, &plan.state, &plan.ended, record)?;
        if state_changed {
            ctx.ui.file_changed();
        }
        out.after = bytes;
        return Ok(out);
    }

    // 1. Durable first: the state as it must be if the server never writes.
    let pending = match on_timeout {
        OnTimeout::KeepNew => unconfirmed(plan.state.clone(), &plan.changes, |c| c.before.clone()),
        OnTimeout::KeepOld => {
            unconfirmed(session.state.clone(), &plan.changes, |c| c.after.clone())
        }
    };
    session.write_state_only(&ctx.caller, &pending)?;
    // dbgini's record now holds the change as unconfirmed: whatever fails from here on leaves a
    // partial change (exit 4) that `status` shows and `revert` undoes.
    ctx.ui.file_changed();

    // 2. Send, without a shell, in the data directory.
    let cwd = session
        .target
        .real
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let sets = commands(&plan.changes);
    for cmd in &sets {
        ctx.console.send(cmd, &cwd, session.target.perms)?;
    }

    // 3. Confirm from the file the server writes.
    let deadline = Instant::now() + ctx.confirm_timeout;
    let missing = loop {
        session.reread()?;
        let doc = session.doc();
        let lines = doc.lookup(plan.changes.iter().map(|c| c.key.as_str()));
        let missing: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| !landed(&doc, &lines, c))
            .map(|c| c.key.clone())
            .collect();
        if missing.is_empty() || Instant::now() >= deadline {
            break missing;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !missing.is_empty() {
        record.reason = Some(format!(
            "console change not confirmed for {}",
            missing.join(", ")
        ));
        record.changes = plan
            .changes
            .iter()
            .filter(|c| !missing.contains(&c.key))
            .cloned()
            .collect();
        session.append_audit(&record)?;
        return Err(Error::Unconfirmed {
            keys: missing,
            secs: ctx.confirm_timeout.as_secs(),
            kept: match on_timeout {
                OnTimeout::KeepNew => "the lease is kept, marked unconfirmed: `dbgini revert` undoes whatever did land".into(),
                OnTimeout::KeepOld => "the leases stay active; run the same command again to finish".into(),
            },
        });
    }

    // 4. Confirmed: the plan's state, plus the empty lines the console may have left.
    let doc = session.doc();
    let mut state = plan.state.clone();
    for c in plan.changes.iter().filter(|c| c.after.is_none()) {
        if doc.get(&c.key).ok().flatten().is_some_and(<[u8]>::is_empty)
            && !state.residue.contains(&c.key)
        {
            state.residue.push(c.key.clone());
            ctx.ui.status(format!(
                "the server left an empty {}= line; dbgini removes it the next time it runs with the server down (or `dbgini tidy`)",
                c.key
            ));
        }
    }
    let bytes = session.bytes.clone();
    out.after = bytes.clone();
    session.commit(&ctx.caller, op, &bytes, &state, &plan.ended, record)?;

    // 5. Make the tasks re-read their settings now instead of within minutes.
    for r in refresh {
        if let Err(e) = ctx.console.send(r, &cwd, session.target.perms) {
            ctx.ui.warning(format!(
                "{e}; the task picks the change up by itself within a few minutes"
            ));
        }
    }
    Ok(out)
}

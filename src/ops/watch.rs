//! `watch`: a foreground loop that reverts leases as they expire, for servers without systemd or
//! cron (Domino in a container).
//!
//! Each pass opens every target (which reverts what has expired, see [`Context::open_target`]);
//! what happened is logged through the [`crate::ui::Ui`] (a log style: one line per message with
//! a timestamp, JSON Lines with `--json`). It then sleeps until the next expiry, at most `poll`,
//! so new leases are noticed. SIGTERM or SIGINT ends it cleanly between passes.

use std::sync::mpsc;
use std::time::Duration;

use jiff::Timestamp;

use super::{Context, Enforce};
use crate::error::{Error, Result};
use crate::outcome::Watch;
use crate::store::{Target, boot_clock};

/// What `watch` is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// `--all-targets`.
    pub all_targets: bool,
    /// `--poll`: the longest sleep between passes.
    pub poll: Duration,
}

/// One pass over the targets; the earliest expiry still ahead.
fn pass(ctx: &Context, all: bool) -> Option<Timestamp> {
    let paths = if all {
        match ctx.registry.targets() {
            Ok(p) => p,
            Err(e) => {
                ctx.ui.error(format!("{e}; {}", e.help()));
                return None;
            }
        }
    } else {
        ctx.ini.iter().cloned().collect()
    };
    let mut next: Option<Timestamp> = None;
    for path in paths {
        ctx.ui.for_target(&path.display().to_string(), || {
            match Target::resolve(&path).and_then(|t| ctx.open_target(t, Enforce::Strict)) {
                Ok(o) => {
                    if all && o.session.state.leases.is_empty() {
                        // A target without leases drops out of the registry; failing that is
                        // harmless.
                        let _ = ctx.registry.remove(&o.session.target.real);
                    }
                    let soonest = o.session.state.leases.iter().map(|l| l.expires).min();
                    next = match (next, soonest) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                Err(e) => ctx.ui.error(format!("{e}; {}", e.help())),
            }
        });
    }
    next
}

/// Runs `watch` until SIGTERM or SIGINT.
pub fn watch(ctx: &Context, opts: Options) -> Result<Watch> {
    if !opts.all_targets {
        ctx.target()?;
    }
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| {
        Error::invalid(
            format!("cannot handle signals: {e}"),
            "run `dbgini expire` from a timer instead",
        )
    })?;
    let poll = opts.poll.max(Duration::from_secs(1));
    let what = match (&ctx.ini, opts.all_targets) {
        (Some(ini), false) => ini.display().to_string(),
        _ => "all registered targets".to_string(),
    };
    ctx.ui
        .status(format!("watching {what}; stop with SIGTERM or Ctrl-C"));
    loop {
        // A long-running loop needs the clock of each pass, not of the start.
        let mut now_ctx = ctx.clone();
        now_ctx.caller.now = Timestamp::now();
        now_ctx.caller.boot = boot_clock();
        let next = pass(&now_ctx, opts.all_targets);
        let wait = next
            .map(|t| t.duration_since(Timestamp::now()))
            .and_then(|d| Duration::try_from(d).ok())
            .map_or(poll, |d| d.min(poll))
            .max(Duration::from_millis(50));
        match rx.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    ctx.ui.status("stopped");
    Ok(Watch {
        msg: "stopped".into(),
    })
}

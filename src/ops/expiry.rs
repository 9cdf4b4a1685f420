//! Lazy enforcement: whenever a command opens a target, the leases that have expired or outgrown
//! their guard end first, with the same plan as `revert` (see [`super::Context::open_target`]).

use std::collections::{HashMap, HashSet};

use jiff::SignedDuration;

use super::apply::{OnTimeout, Route, apply};
use super::{Context, Enforce, Opened, Released, check_editable, drift_warning, guards, refused};
use crate::error::Result;
use crate::lease::{self, Change, Lease};
use crate::output::{at, relative, unified_diff};

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

/// Samples the guarded leases' files, then reverts the leases that have expired or outgrown their
/// guard, each with its reason. With `Enforce::DryRun` it says what would be reverted.
pub fn enforce(ctx: &Context, opened: &mut Opened, enforce: Enforce) -> Result<()> {
    let session = &mut opened.session;
    let now = ctx.now(session);
    let dry_run = enforce == Enforce::DryRun;

    // Measure first: a lease that outgrew its guard ends now, whatever its expiry.
    let mut state = session.state.clone();
    let mut ending: Vec<(String, Ending)> = Vec::new();
    for l in &mut state.leases {
        let Some(g) = &mut l.guard else { continue };
        let s = guards::sample(g, now, session.target.perms);
        g.observe(&s);
        if let Some(why) = g.breach(&s) {
            ending.push((l.id.clone(), Ending::Outgrown(why)));
        }
        let stale = g.samples.last().is_none_or(|x| {
            x.sizes != s.sizes || now.duration_since(x.time) >= SignedDuration::from_mins(1)
        });
        if stale {
            g.record(s);
        }
    }
    let outgrown: HashSet<String> = ending.iter().map(|(id, _)| id.clone()).collect();
    for id in lease::due(&state, now) {
        if !outgrown.contains(&id) {
            ending.push((id, Ending::Expired));
        }
    }
    if ending.is_empty() {
        if state != session.state && !dry_run {
            session.write_state_only(&ctx.caller, &state)?;
        }
        return Ok(());
    }

    let ids: Vec<String> = ending.iter().map(|(id, _)| id.clone()).collect();
    let why: HashMap<&str, &Ending> = ending.iter().map(|(id, e)| (id.as_str(), e)).collect();
    let ended: Vec<Lease> = state
        .leases
        .iter()
        .filter(|l| why.contains_key(l.id.as_str()))
        .cloned()
        .collect();
    let doc = session.doc();
    check_editable(&doc, session)?;
    let route = Route::choose(ctx, session, &doc, false)?;
    let mut plan = lease::plan(
        doc,
        &state,
        Change::Remove(ids.clone()),
        route.policy(false),
    )
    .map_err(|e| refused(session, e))?;
    for l in &ended {
        let reason = why[l.id.as_str()].to_string();
        lease::record_ended(&mut plan, std::slice::from_ref(l), now, &reason);
    }
    let before = session.bytes.clone();
    let name = session.target.ini.display().to_string();
    let summary = ending
        .iter()
        .map(|(id, why)| format!("{id}: {why}"))
        .collect::<Vec<_>>()
        .join("; ");
    let record = ctx.audit(ids, plan.changes.clone(), plan.drift.clone(), Some(summary));
    let refresh: Vec<String> = ended.iter().flat_map(|l| l.refresh.clone()).collect();
    let applied = apply(
        ctx,
        session,
        "expire",
        &plan,
        &route,
        record,
        &refresh,
        OnTimeout::KeepOld,
        dry_run,
    )?;
    // Said only once the revert has happened: a failure (a read-only command turns it into a
    // warning) must not leave a note that claims otherwise.
    let verb = if dry_run {
        "would be reverted"
    } else {
        "reverted"
    };
    for l in &ended {
        ctx.ui.status(match why[l.id.as_str()] {
            Ending::Expired => format!(
                "lease {} ({}) expired at {} ({}): {verb}",
                l.id,
                l.profile,
                at(l.expires, &ctx.tz),
                relative(l.expires, now)
            ),
            Ending::Outgrown(breach) => {
                format!("lease {} ({}) {verb} early: {breach}", l.id, l.profile)
            }
        });
    }
    for d in &plan.drift {
        ctx.ui
            .warning(drift_warning(d, Released::by(&plan, d, dry_run)));
    }
    if !dry_run {
        ctx.register(session);
    }
    ctx.ui.diff(unified_diff(&before, &applied.after, &name));
    opened.expired = ended;
    Ok(())
}

//! `status`: active leases, expiry, managed keys, hand changes, and the watched files measured now.

use std::collections::HashMap;

use super::{Context, Enforce, Opened, Released, drift_warning, guards, refused};
use crate::error::Result;
use crate::lease::{Lease, Managed, detect_drift};
use crate::outcome::{EndedLease, LeaseStatus, ManagedKey, Measured, Status};

/// Runs `status`: with `Enforce::Peek` it only looks (no lock, no recovery, no expiry).
pub fn status(ctx: &Context, enforce: Enforce) -> Result<Status> {
    let opened = ctx.open(enforce)?;
    of(ctx, opened)
}

/// The status of an opened target (also packed by `bundle`, which holds it open already).
pub fn of(ctx: &Context, opened: Opened) -> Result<Status> {
    let session = &opened.session;
    let now = ctx.now(session);
    let doc = session.doc();
    let state = &session.state;
    let drift = detect_drift(&doc, state).map_err(|e| refused(session, e))?;
    for d in &drift {
        ctx.ui.warning(drift_warning(d, Released::Not));
    }
    let (mode, mode_reason) = match ctx.mode_for(session, &doc, false) {
        Ok((m, why)) => (Some(m), why.to_string()),
        Err(e) => (None, format!("{e}; {}", e.help())),
    };
    // Keys set through the console that the server has not written yet: the state marks them
    // (`previous`) until a write confirms them, and the file does not show the value.
    let by_key: HashMap<String, &Managed> = state
        .managed
        .iter()
        .map(|m| (m.key.to_ascii_lowercase(), m))
        .collect();
    let unconfirmed = |l: &Lease| -> Vec<String> {
        l.active_settings()
            .filter_map(|s| {
                let m = by_key.get(&s.key.to_ascii_lowercase())?;
                // Marked first: only those are looked up in the file.
                let waiting = m.previous.is_some()
                    && doc.get(&m.key).ok().flatten() != Some(m.expected.0.as_slice());
                waiting.then(|| m.key.clone())
            })
            .collect()
    };
    let lossy = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let leases = state
        .leases
        .iter()
        .map(|l| LeaseStatus {
            unconfirmed: unconfirmed(l),
            measured: l.guard.as_ref().map(|g| {
                let s = guards::sample(g, now, session.target.perms);
                Measured {
                    growth: g.growth(&s),
                    sizes: s.sizes,
                    free: s.free,
                }
            }),
            lease: l.clone(),
        })
        .collect();
    let managed = state
        .managed
        .iter()
        .map(|m| ManagedKey {
            key: m.key.clone(),
            baseline: m.baseline_value().map(|v| lossy(&v)),
            baseline_line: m.baseline.as_ref().map(|b| b.line),
            expected: m.expected.lossy(),
            current: doc.get(&m.key).ok().flatten().map(lossy),
        })
        .collect();
    let ended = crate::store::read_ended(&session.target)?
        .into_iter()
        .map(|e| EndedLease {
            id: e.lease.id,
            profile: e.lease.profile,
            at: e.at,
            reason: e.reason,
        })
        .collect();
    Ok(Status {
        ini: session.target.ini.display().to_string(),
        now,
        mode,
        mode_reason,
        residue: state.residue.clone(),
        leases,
        overdue: state
            .leases
            .iter()
            .filter(|l| l.expires <= now)
            .map(|l| l.id.clone())
            .collect(),
        expired: opened.expired,
        managed,
        drift,
        ended,
    })
}

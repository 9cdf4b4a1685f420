//! `dbgini extend [LEASE|PROFILE] --for DUR`: a new expiry, counted from now.

use serde_json::json;

use super::{Context, Enforce, find_leases, lease_json, lease_line};
use crate::cli::ExtendArgs;
use crate::error::{Error, Result};
use crate::output::{Report, at, relative};

/// Runs `extend`.
pub fn run(args: ExtendArgs, ctx: &Context) -> Result<Report> {
    let mut opened = ctx.open(Enforce::Strict)?;
    let now = ctx.now(&opened.session);
    let session = &mut opened.session;
    let state = &session.state;
    let index = {
        let found = match &args.lease {
            Some(w) => find_leases(&state.leases, w),
            None => state.leases.iter().collect(),
        };
        let just_expired = opened
            .expired
            .iter()
            .any(|l| args.lease.as_ref().is_none_or(|w| super::names(l, w)));
        match found.as_slice() {
            [one] => state
                .leases
                .iter()
                .position(|l| l.id == one.id)
                .unwrap_or_default(),
            [] if just_expired => {
                return Err(Error::invalid(
                    "that lease had already expired and was reverted just now",
                    "enable the profile again (`dbgini enable PROFILE --for DUR`)",
                ));
            }
            [] => {
                return Err(Error::invalid(
                    format!(
                        "no active lease matches '{}'",
                        args.lease.as_deref().unwrap_or("")
                    ),
                    "`dbgini status` lists the active leases",
                ));
            }
            many => {
                return Err(Error::invalid(
                    format!(
                        "{} leases match:\n{}",
                        many.len(),
                        many.iter()
                            .map(|l| format!("  {}", lease_line(l, ctx, now)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    "name one by its id",
                ));
            }
        }
    };
    let old = state.leases[index].clone();
    let max = old.max_duration.unwrap_or(ctx.max_duration);
    let d = ctx.duration(
        args.duration.as_deref(),
        args.until.as_deref(),
        now,
        max,
        max,
        &format!("lease {}", old.id),
    )?;
    let expires = now
        .checked_add(d)
        .map_err(|e| Error::invalid(format!("--for: {e}"), "choose a shorter duration"))?;
    if expires < old.expires && !args.allow_shorter {
        return Err(Error::invalid(
            format!(
                "lease {} runs until {} ({}); the new expiry, {}, would shorten it",
                old.id,
                at(old.expires, &ctx.tz),
                relative(old.expires, now),
                at(expires, &ctx.tz)
            ),
            format!(
                "pass --allow-shorter to end it earlier, or `dbgini revert {}` to end it now",
                old.id
            ),
        ));
    }
    let mut new_state = state.clone();
    let lease = &mut new_state.leases[index];
    lease.expires = expires;
    lease.extensions += 1;
    let lease = lease.clone();
    // Whole seconds, as everywhere a person reads a time (the lease keeps the exact one).
    let second = |t: jiff::Timestamp| jiff::Timestamp::from_second(t.as_second()).unwrap_or(t);
    let reason = Some(format!(
        "extended from {} to {}",
        second(old.expires),
        second(lease.expires)
    ));
    let record = ctx.audit(vec![lease.id.clone()], Vec::new(), Vec::new(), reason);
    let bytes = session.bytes.clone();
    session.commit(&ctx.caller, "extend", &bytes, &new_state, record)?;
    let msg = format!(
        "extended lease {} (was until {})",
        lease_line(&lease, ctx, now),
        at(old.expires, &ctx.tz)
    );
    opened.notes.push(msg.clone());
    Ok(Report {
        json: json!({
            "command": "extend", "changed": true, "ini": session.target.ini, "lease": lease_json(&lease),
            "leases": session.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "expired": opened.expired_json(), "warnings": opened.warnings, "msg": msg,
        }),
        notes: opened.notes,
        warnings: opened.warnings,
        ..Report::default()
    })
}

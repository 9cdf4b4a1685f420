//! `extend`: give a lease a new expiry, counted from now.

use super::select::{self, Which};
use super::{Asked, Context, Enforce};
use crate::error::{Error, Result};
use crate::outcome::{Extend, lease_line};
use crate::output::{at, relative};

/// What `extend` is asked to do.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// A lease id or profile, or the only lease.
    pub which: Which<'a>,
    /// `--for` or `--until` (one is required).
    pub asked: Asked,
    /// `--allow-shorter`.
    pub allow_shorter: bool,
}

/// Runs `extend`.
pub fn extend(ctx: &Context, opts: &Options<'_>) -> Result<Extend> {
    let mut opened = ctx.open(Enforce::Strict)?;
    let now = ctx.now(&opened.session);
    let expired = std::mem::take(&mut opened.expired);
    let session = &mut opened.session;
    let state = &session.state;
    let found = select::choose(&state.leases, opts.which, &ctx.tz, now)?;
    let old = match (found.as_slice(), opts.which) {
        ([one], _) => (*one).clone(),
        ([], Which::Named(w)) if expired.iter().any(|l| select::names(l, w)) => {
            return Err(Error::invalid(
                format!("lease '{w}' had expired, and was reverted just now"),
                "enable the profile again (`dbgini enable PROFILE --for DUR`)",
            ));
        }
        ([], Which::Named(w)) => return Err(select::unknown(w, &state.leases, &ctx.tz, now)),
        ([], _) if !expired.is_empty() => {
            return Err(Error::invalid(
                "the lease had expired, and was reverted just now",
                "enable the profile again (`dbgini enable PROFILE --for DUR`)",
            ));
        }
        ([], _) => {
            return Err(Error::invalid(
                "no active lease: there is nothing to extend",
                "enable a profile (`dbgini enable PROFILE --for DUR`)",
            ));
        }
        (many, _) => {
            return Err(Error::invalid(
                format!(
                    "{} leases match:\n{}",
                    many.len(),
                    many.iter()
                        .map(|l| format!("  {}", lease_line(l, &ctx.tz, now)))
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                "name one by its id",
            ));
        }
    };
    let max = old.max_duration.unwrap_or(ctx.max_duration);
    let d = ctx.lease_duration(Some(opts.asked), max, max, &format!("lease {}", old.id))?;
    let expires = now
        .checked_add(d)
        .map_err(|e| Error::invalid(format!("--for: {e}"), "choose a shorter duration"))?;
    if expires < old.expires && !opts.allow_shorter {
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
    let Some(lease) = new_state.leases.iter_mut().find(|l| l.id == old.id) else {
        return Err(select::unknown(&old.id, &state.leases, &ctx.tz, now));
    };
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
    session.commit(&ctx.caller, "extend", &bytes, &new_state, &[], record)?;
    ctx.ui.file_changed();
    let msg = format!(
        "extended lease {} (was until {})",
        lease_line(&lease, &ctx.tz, now),
        at(old.expires, &ctx.tz)
    );
    ctx.ui.status(msg.clone());
    Ok(Extend {
        ini: session.target.ini.display().to_string(),
        lease,
        leases: session.state.leases.clone(),
        expired,
        msg,
    })
}

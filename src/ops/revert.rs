//! `revert`: put back what was there before, for some leases or all.

use super::apply::{OnTimeout, Route, apply};
use super::select::{self, Which};
use super::{Context, Enforce, Released, check_editable, drift_warning, refused};
use crate::error::Result;
use crate::lease::{self, Change, Lease};
use crate::live::Mode;
use crate::outcome::{Changed, Revert};

/// What `revert` is asked to do.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// `--all`, a lease id or profile, or the only lease.
    pub which: Which<'a>,
    /// `--force`.
    pub force: bool,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// Whether `wanted` names something that existed, so that not finding it active means it was
/// reverted already (idempotent, exit 0) rather than a typo: a profile dbgini knows, or a lease
/// that ended recently.
fn known(ctx: &Context, ended: &[crate::lease::Ended], wanted: &str) -> bool {
    ended.iter().any(|e| select::names(&e.lease, wanted)) || ctx.catalog.find(wanted).is_ok()
}

/// Runs `revert`.
pub fn revert(ctx: &Context, opts: &Options<'_>) -> Result<Revert> {
    let mut opened = ctx.open(Enforce::unless(opts.dry_run))?;
    let now = ctx.now(&opened.session);
    let expired = std::mem::take(&mut opened.expired);
    let session = &mut opened.session;
    let name = session.target.ini.display().to_string();
    let chosen: Vec<Lease> = select::choose(&session.state.leases, opts.which, &ctx.tz, now)?
        .into_iter()
        .cloned()
        .collect();
    if chosen.is_empty() {
        let msg = match opts.which {
            Which::Named(w) if !session.state.leases.is_empty() => {
                let ended = crate::store::read_ended(&session.target)?;
                if !known(ctx, &ended, w) {
                    return Err(select::unknown(w, &session.state.leases, &ctx.tz, now));
                }
                format!(
                    "no active lease matches '{w}'; it was reverted or expired already (see `dbgini history`); nothing to revert"
                )
            }
            Which::Named(w) => {
                format!("no active lease matches '{w}' (no lease is active); nothing to revert")
            }
            _ => "no active leases; nothing to revert".to_string(),
        };
        ctx.ui.status(msg.clone());
        return Ok(Revert {
            change: Changed::nothing(ctx, session, opts.force, opts.dry_run, name, expired, msg),
            reverted: Vec::new(),
        });
    }
    let ids: Vec<String> = chosen.iter().map(|l| l.id.clone()).collect();

    let doc = session.doc();
    check_editable(&doc, session)?;
    let route = Route::choose(ctx, session, &doc, opts.force)?;
    let mut plan = lease::plan(
        doc,
        &session.state,
        Change::Remove(ids.clone()),
        route.policy(opts.force),
    )
    .map_err(|e| refused(session, e))?;
    lease::record_ended(
        &mut plan,
        &chosen,
        now,
        &format!("reverted by {}@{}", ctx.caller.user, ctx.caller.host),
    );
    let before = session.bytes.clone();
    for d in &plan.drift {
        ctx.ui
            .warning(drift_warning(d, Released::by(&plan, d, opts.dry_run)));
    }
    let record = ctx.audit(ids.clone(), plan.changes.clone(), plan.drift.clone(), None);
    let refresh: Vec<String> = chosen.iter().flat_map(|l| l.refresh.clone()).collect();
    let applied = apply(
        ctx,
        session,
        "revert",
        &plan,
        &route,
        record,
        &refresh,
        OnTimeout::KeepOld,
        opts.dry_run,
    )?;
    if !opts.dry_run {
        ctx.register(session);
    }
    let n = applied.changes.len();
    let msg = format!(
        "{} {}; {n} setting{} restored{}{}{}",
        if opts.dry_run {
            "would revert"
        } else {
            "reverted"
        },
        ids.join(", "),
        if n == 1 { "" } else { "s" },
        if applied.mode == Mode::Console {
            " through the server console"
        } else {
            ""
        },
        match plan.state.leases.len() {
            0 => String::new(),
            n => format!("; {n} lease{} still active", if n == 1 { "" } else { "s" }),
        },
        if opts.dry_run {
            "; dry run, nothing was written"
        } else {
            ""
        }
    );
    ctx.ui.status(msg.clone());
    Ok(Revert {
        change: Changed::applied(
            ctx,
            name,
            opts.dry_run,
            &before,
            applied,
            plan,
            expired,
            msg,
        ),
        reverted: ids,
    })
}

//! `dbgini revert [LEASE|PROFILE] [--all]`: put back what was there before.

use serde_json::json;

use super::apply::{OnTimeout, apply};
use super::{
    Context, Enforce, check_editable, console_lines, drift_warning, find_leases, lease_json,
    lease_line, mode_name, refused,
};
use crate::cli::RevertArgs;
use crate::error::{Error, Result};
use crate::lease::{self, Change, State};
use crate::live::Mode;
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};

/// Which leases a `revert` asks for: their ids, or a note saying why there is nothing to do.
fn select(
    args: &RevertArgs,
    state: &State,
    ctx: &Context,
    now: jiff::Timestamp,
) -> Result<Result<Vec<String>, String>> {
    let leases = &state.leases;
    let chosen: Vec<String> = if args.all {
        leases.iter().map(|l| l.id.clone()).collect()
    } else if let Some(wanted) = &args.lease {
        let found = find_leases(leases, wanted);
        if found.is_empty() {
            return Ok(Err(format!(
                "no active lease matches '{wanted}'; it may have been reverted or expired already (see `dbgini history`); nothing to revert"
            )));
        }
        found.iter().map(|l| l.id.clone()).collect()
    } else {
        match leases.as_slice() {
            [one] => vec![one.id.clone()],
            [] => Vec::new(),
            many => {
                return Err(Error::invalid(
                    format!(
                        "{} leases are active:\n{}",
                        many.len(),
                        many.iter()
                            .map(|l| format!("  {}", lease_line(l, ctx, now)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    "name one (dbgini revert LEASE-ID or PROFILE), or revert them all with --all",
                ));
            }
        }
    };
    Ok(if chosen.is_empty() {
        Err("no active leases; nothing to revert".into())
    } else {
        Ok(chosen)
    })
}

/// Runs `revert`.
pub fn run(args: RevertArgs, ctx: &Context) -> Result<Report> {
    let enforce = Enforce::unless(args.dry_run);
    let mut opened = ctx.open(enforce)?;
    let now = ctx.now(&opened.session);
    let mut notes = std::mem::take(&mut opened.notes);
    let mut warnings = std::mem::take(&mut opened.warnings);
    let expired = opened.expired_json();
    let session = &mut opened.session;
    let name = session.target.ini.display().to_string();
    let ids = match select(&args, &session.state, ctx, now)? {
        Ok(ids) => ids,
        Err(msg) => {
            notes.push(msg.clone());
            return Ok(Report {
                json: json!({
                    "command": "revert", "changed": !opened.expired.is_empty(), "dry_run": args.dry_run, "ini": name,
                    "reverted": [], "expired": expired,
                    "leases": session.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
                    "changes": [], "drift": [], "diff": JsonDiff::new("", &session.bytes, &session.bytes, ctx.json),
                    "warnings": warnings, "msg": msg,
                }),
                notes,
                warnings,
                ..Report::default()
            });
        }
    };

    let doc = session.doc();
    check_editable(&doc, session)?;
    let mut plan = lease::plan(doc, &session.state, Change::Remove(ids.clone()), args.force)
        .map_err(|e| refused(session, e))?;
    let reverted: Vec<crate::lease::Lease> = session
        .state
        .leases
        .iter()
        .filter(|l| ids.contains(&l.id))
        .cloned()
        .collect();
    lease::record_ended(
        &mut plan.state,
        &reverted,
        now,
        &format!("reverted by {}@{}", ctx.caller.user, ctx.caller.host),
    );
    let before = session.bytes.clone();
    warnings.extend(plan.drift.iter().map(drift_warning));
    let state_changed = plan.state != session.state;
    let record = ctx.audit(ids.clone(), plan.changes.clone(), plan.drift.clone(), None);
    let refresh: Vec<String> = session
        .state
        .leases
        .iter()
        .filter(|l| ids.contains(&l.id))
        .flat_map(|l| l.refresh.clone())
        .collect();
    let applied = apply(
        ctx,
        session,
        "revert",
        &plan,
        record,
        &refresh,
        OnTimeout::KeepOld,
        args.dry_run,
        args.force,
    )?;
    let changed = state_changed || applied.after != before;
    notes.extend(applied.notes.iter().cloned());
    warnings.extend(applied.warnings.iter().cloned());
    if !args.dry_run {
        ctx.register(session, &mut warnings);
    }

    let verb = if args.dry_run {
        "would revert"
    } else {
        "reverted"
    };
    let msg = format!(
        "{verb} {}; {} setting{} restored{}{}{}",
        ids.join(", "),
        applied.changes.len(),
        if applied.changes.len() == 1 { "" } else { "s" },
        if applied.mode == Mode::Console {
            " through the server console"
        } else {
            ""
        },
        match plan.state.leases.len() {
            0 => String::new(),
            n => format!("; {n} lease{} still active", if n == 1 { "" } else { "s" }),
        },
        if args.dry_run {
            "; dry run, nothing was written"
        } else {
            ""
        }
    );
    notes.push(msg.clone());
    let diff = unified_diff(&before, &applied.after, &name);
    Ok(Report {
        data: console_lines(&applied) + &colour_diff(&diff),
        json: json!({
            "command": "revert", "changed": changed || !opened.expired.is_empty(),
            "dry_run": args.dry_run, "ini": name, "reverted": ids, "expired": expired,
            "mode": mode_name(applied.mode), "console_commands": applied.console_commands,
            "leases": plan.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "changes": applied.changes, "drift": plan.drift,
            "diff": JsonDiff::new(&diff, &before, &applied.after, ctx.json),
            "warnings": warnings, "msg": msg,
        }),
        notes,
        warnings,
        ..Report::default()
    })
}

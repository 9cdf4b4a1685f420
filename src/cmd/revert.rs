//! `dbgini revert [LEASE|PROFILE] [--all]`: put back what was there before.

use serde_json::json;

use super::{Context, check_editable, drift_warning, lease_json, lease_line, refused};
use crate::cli::RevertArgs;
use crate::error::{Error, Result};
use crate::lease::{self, Change, Lease, State};
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};
use crate::store::AuditRecord;

/// Which leases a `revert` asks for. `Ok(vec![])` with a note when there is nothing to revert.
fn select<'a>(
    args: &RevertArgs,
    state: &'a State,
    ctx: &Context,
) -> Result<(Vec<&'a Lease>, Option<String>)> {
    let leases = &state.leases;
    if args.all {
        let note = leases
            .is_empty()
            .then(|| "no active leases; nothing to revert".to_string());
        return Ok((leases.iter().collect(), note));
    }
    match &args.lease {
        Some(wanted) => {
            let by_id: Vec<_> = leases.iter().filter(|l| &l.id == wanted).collect();
            let chosen = if by_id.is_empty() {
                leases.iter().filter(|l| &l.profile == wanted).collect()
            } else {
                by_id
            };
            let note = chosen.is_empty().then(|| {
                format!("no active lease matches '{wanted}'; it may have been reverted or expired already (see `dbgini history`); nothing to revert")
            });
            Ok((chosen, note))
        }
        None => match leases.as_slice() {
            [] => Ok((vec![], Some("no active leases; nothing to revert".into()))),
            [one] => Ok((vec![one], None)),
            many => Err(Error::invalid(
                format!(
                    "{} leases are active:\n{}",
                    many.len(),
                    many.iter()
                        .map(|l| format!("  {}", lease_line(l, ctx)))
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                "name one (dbgini revert LEASE-ID or PROFILE), or revert them all with --all",
            )),
        },
    }
}

/// Runs `revert`.
pub fn run(args: RevertArgs, ctx: &Context) -> Result<Report> {
    let (mut session, mut notes) = ctx.open()?;
    let name = session.target.ini.display().to_string();
    let (chosen, nothing) = select(&args, &session.state, ctx)?;
    let ids: Vec<String> = chosen.iter().map(|l| l.id.clone()).collect();
    if let Some(msg) = nothing {
        notes.push(msg.clone());
        return Ok(Report {
            notes,
            json: json!({
                "command": "revert", "changed": false, "dry_run": args.dry_run, "ini": name,
                "reverted": [], "leases": session.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
                "changes": [], "diff": JsonDiff::new(&session.bytes, &session.bytes, &name),
                "warnings": [], "msg": msg,
            }),
            ..Report::default()
        });
    }

    let doc = session.doc();
    check_editable(&doc, &session)?;
    let plan = lease::plan(
        &doc,
        &session.state,
        Change::Remove(ids.clone()),
        args.force,
    )
    .map_err(|e| refused(&session, e))?;
    let after = plan.doc.to_bytes();
    let warnings: Vec<String> = plan.drift.iter().map(drift_warning).collect();

    if !args.dry_run {
        let audit = AuditRecord {
            time: ctx.caller.now,
            user: ctx.caller.user.clone(),
            host: ctx.caller.host.clone(),
            command: ctx.caller.command.clone(),
            leases: ids.clone(),
            changes: plan.changes.clone(),
            drift: plan.drift.clone(),
            reason: None,
            before_sha256: String::new(),
            after_sha256: String::new(),
        };
        session.lock_for_write(&ctx.caller)?;
        session.commit("revert", &after, &plan.state, audit)?;
    }

    let verb = if args.dry_run {
        "would revert"
    } else {
        "reverted"
    };
    let msg = format!(
        "{verb} {}; {} setting{} restored{}{}",
        ids.join(", "),
        plan.changes.len(),
        if plan.changes.len() == 1 { "" } else { "s" },
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
    let diff = unified_diff(&session.bytes, &after, &name);
    Ok(Report {
        data: colour_diff(&diff),
        json: json!({
            "command": "revert", "changed": after != session.bytes || plan.state != session.state,
            "dry_run": args.dry_run, "ini": name, "reverted": ids,
            "leases": plan.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "changes": plan.changes, "drift": plan.drift,
            "diff": JsonDiff::new(&session.bytes, &after, &name),
            "warnings": warnings, "msg": msg,
        }),
        notes,
        warnings,
    })
}

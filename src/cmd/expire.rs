//! `dbgini expire [--all-targets] [--dry-run]`: revert every lease whose time is up.
//!
//! The same enforcement runs lazily whenever any command opens a target ([`Context::open`]); this
//! command exists for the timer, the Domino unit's `ExecStartPre`, and people.

use std::path::PathBuf;

use serde_json::json;

use super::{Context, Enforce};
use crate::cli::ExpireArgs;
use crate::error::{ExitCode, Result};
use crate::output::Report;
use crate::store::Target;

/// Where the state of the notes.ini at `real` lives (see [`Target::resolve`]), for a target that
/// cannot be resolved any more.
fn state_dir_of(real: &std::path::Path) -> Option<PathBuf> {
    Some(real.parent()?.join(".dbgini").join(real.file_name()?))
}

/// Runs `expire`.
pub fn run(args: ExpireArgs, ctx: &Context) -> Result<Report> {
    let targets: Vec<PathBuf> = if args.all_targets {
        ctx.registry.targets()?
    } else {
        vec![ctx.target()?.ini]
    };
    let enforce = Enforce::unless(args.dry_run);
    let mut report = Report::default();
    let mut results = Vec::new();
    let mut reverted = 0;
    for path in targets {
        let target = match Target::resolve(&path) {
            Ok(t) => t,
            Err(e) if args.all_targets => {
                // A notes.ini moved away for a while (maintenance) may come back with its leases
                // still active: the target stays listed while its state folder is there. Only a
                // target whose state is gone too has nothing left to expire.
                let state = state_dir_of(&path);
                let kept = state
                    .as_ref()
                    .is_some_and(|d| std::fs::symlink_metadata(d).is_ok());
                let what = match (kept, args.dry_run) {
                    (true, _) => format!(
                        "kept in the registry, because its state is still at {}: put notes.ini back (its leases may still be active), or move that folder aside to forget them",
                        state.as_ref().map_or(String::new(), |d| d.display().to_string())
                    ),
                    (false, false) => "dropped from the registry (no state is left either)".into(),
                    (false, true) => "would be dropped from the registry (no state is left either); dry run, nothing was written".into(),
                };
                report
                    .warnings
                    .push(format!("{}: {e}; {what}", path.display()));
                if kept {
                    report.exit_code = ExitCode::Failure;
                } else if !args.dry_run {
                    let _ = ctx.registry.remove(&path);
                }
                results.push(
                    json!({ "ini": path, "reverted": [], "error": e.to_string(), "kept": kept }),
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        match ctx.open_target(target, enforce) {
            Ok(opened) => {
                let ids: Vec<String> = opened.expired.iter().map(|l| l.id.clone()).collect();
                reverted += ids.len();
                for n in &opened.notes {
                    report.notes.push(format!("{}: {n}", path.display()));
                }
                report.warnings.extend(
                    opened
                        .warnings
                        .iter()
                        .map(|w| format!("{}: {w}", path.display())),
                );
                // A target without leases drops out of the registry.
                if args.all_targets
                    && !args.dry_run
                    && opened.session.state.leases.is_empty()
                    && let Err(e) = ctx.registry.remove(&opened.session.target.real)
                {
                    report.warnings.push(format!("{e}; {}", e.help()));
                }
                results.push(json!({
                    "ini": path, "reverted": ids, "expired": opened.expired_json(),
                    "active": opened.session.state.leases.len(),
                }));
            }
            Err(e) if args.all_targets => {
                report
                    .warnings
                    .push(format!("{}: {e}; {}", path.display(), e.help()));
                // The gravest outcome decides: a refusal (exit 3) over a failure (exit 1).
                report.exit_code = match (report.exit_code, e.exit_code()) {
                    (ExitCode::Refused, _) | (_, ExitCode::Refused) => ExitCode::Refused,
                    _ => ExitCode::Failure,
                };
                results.push(json!({ "ini": path, "reverted": [], "error": e.to_string() }));
            }
            Err(e) => return Err(e),
        }
    }
    let msg = match (reverted, args.dry_run) {
        (0, _) => "nothing has expired".to_string(),
        (n, false) => format!(
            "reverted {n} expired lease{}",
            if n == 1 { "" } else { "s" }
        ),
        (n, true) => format!(
            "would revert {n} expired lease{}; dry run, nothing was written",
            if n == 1 { "" } else { "s" }
        ),
    };
    report.notes.push(msg.clone());
    report.json = json!({
        "command": "expire", "changed": reverted > 0, "dry_run": args.dry_run,
        "targets": results, "warnings": report.warnings, "msg": msg,
    });
    Ok(report)
}

//! `dbgini tidy`: remove the empty `KEY=` lines that `set config KEY=` left when live mode
//! reverted a key that was absent before (server down, file mode).

use serde_json::json;

use super::apply::{OnTimeout, apply};
use super::{Context, Enforce, check_editable, refused};
use crate::cli::TidyArgs;
use crate::error::{Error, Result};
use crate::lease::{self, Change};
use crate::live::Mode;
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};

/// Runs `tidy`.
pub fn run(args: TidyArgs, ctx: &Context) -> Result<Report> {
    let enforce = Enforce::unless(args.dry_run);
    let mut opened = ctx.open(enforce)?;
    let session = &mut opened.session;
    let doc = session.doc();
    if ctx.mode_for(session, &doc, args.force)?.0 == Mode::Console {
        return Err(Error::invalid(
            "tidy edits notes.ini directly, and the server that owns it is running",
            "run it while the server is down (or use --mode file --force if you know it is not running)",
        ));
    }
    check_editable(&doc, session)?;
    let residue = session.state.residue.clone();
    let plan =
        lease::plan(doc, &session.state, Change::None, false).map_err(|e| refused(session, e))?;
    let before = session.bytes.clone();
    let record = ctx.audit(
        Vec::new(),
        Vec::new(),
        plan.drift.clone(),
        Some("tidy".into()),
    );
    let applied = apply(
        ctx,
        session,
        "tidy",
        &plan,
        record,
        &[],
        OnTimeout::KeepOld,
        args.dry_run,
        args.force,
    )?;
    let name = session.target.ini.display().to_string();
    let diff = unified_diff(&before, &applied.after, &name);
    let msg = match (applied.changes.len(), args.dry_run) {
        (0, _) if residue.is_empty() => "nothing to tidy".to_string(),
        (0, _) => format!(
            "nothing to tidy: {} no longer empty or gone",
            residue.join(", ")
        ),
        (n, false) => format!(
            "removed {n} empty line{} left by the server console",
            if n == 1 { "" } else { "s" }
        ),
        (n, true) => format!(
            "would remove {n} empty line{}; dry run, nothing was written",
            if n == 1 { "" } else { "s" }
        ),
    };
    opened.notes.push(msg.clone());
    Ok(Report {
        data: colour_diff(&diff),
        json: json!({
            "command": "tidy", "changed": !applied.changes.is_empty(), "dry_run": args.dry_run, "ini": name,
            "changes": applied.changes, "diff": JsonDiff::new(&diff, &before, &applied.after, ctx.json),
            "warnings": opened.warnings, "msg": msg,
        }),
        notes: opened.notes,
        warnings: opened.warnings,
        ..Report::default()
    })
}

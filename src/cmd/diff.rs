//! `dbgini diff`: notes.ini as it was before dbgini (the baselines) against notes.ini now.

use serde_json::json;

use super::{Context, Enforce, refused};
use crate::error::Result;
use crate::lease::{self, Change};
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};

/// notes.ini as it would be with every lease reverted, hand changes included: the baseline file.
pub fn baseline(session: &crate::store::Session) -> Result<Vec<u8>> {
    let all = session.state.leases.iter().map(|l| l.id.clone()).collect();
    Ok(
        lease::plan(session.doc(), &session.state, Change::Remove(all), true)
            .map_err(|e| refused(session, e))?
            .doc
            .to_bytes(),
    )
}

/// Runs `diff`.
pub fn run(ctx: &Context) -> Result<Report> {
    let opened = ctx.open(Enforce::Lenient)?;
    let (session, notes) = (&opened.session, opened.notes.clone());
    let baseline = baseline(session)?;
    let name = session.target.ini.display().to_string();
    let diff = unified_diff(&baseline, &session.bytes, &name);
    Ok(Report {
        data: colour_diff(&diff),
        json: json!({
            "command": "diff", "changed": !opened.expired.is_empty(), "ini": name,
            "diff": JsonDiff::new(&diff, &baseline, &session.bytes, ctx.json),
            "warnings": opened.warnings, "expired": opened.expired_json(),
        }),
        notes: if diff.is_empty() {
            let mut n = notes;
            n.push("no difference: dbgini has changed nothing in this file".into());
            n
        } else {
            notes
        },
        warnings: opened.warnings.clone(),
        ..Report::default()
    })
}

//! `dbgini diff`: notes.ini as it was before dbgini (the baselines) against notes.ini now.

use serde_json::json;

use super::{Context, refused};
use crate::error::Result;
use crate::lease::{self, Change};
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};

/// Runs `diff`.
pub fn run(ctx: &Context) -> Result<Report> {
    let (session, notes) = ctx.open()?;
    let state = &session.state;
    // The baseline file is what reverting everything, hand changes included, would give.
    let all = state.leases.iter().map(|l| l.id.clone()).collect();
    let baseline = lease::plan(&session.doc(), state, Change::Remove(all), true)
        .map_err(|e| refused(&session, e))?
        .doc
        .to_bytes();
    let name = session.target.ini.display().to_string();
    let diff = unified_diff(&baseline, &session.bytes, &name);
    Ok(Report {
        data: colour_diff(&diff),
        json: json!({
            "command": "diff", "changed": false, "ini": name,
            "diff": JsonDiff::new(&baseline, &session.bytes, &name),
            "warnings": [],
        }),
        notes: if diff.is_empty() {
            vec!["no difference: dbgini has changed nothing in this file".into()]
        } else {
            notes
        },
        warnings: Vec::new(),
    })
}

//! `dbgini history`: the audit log of one notes.ini.

use serde_json::json;

use super::{Context, Enforce};
use crate::cli::HistoryArgs;
use crate::error::Result;
use crate::output::{Report, at};
use crate::store::read_audit;

/// Runs `history`.
pub fn run(args: HistoryArgs, ctx: &Context) -> Result<Report> {
    let opened = ctx.open(Enforce::Lenient)?;
    let target = &opened.session.target;
    let mut records = read_audit(target)?;
    if let Some(n) = args.limit {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        records = records.split_off(records.len().saturating_sub(n));
    }
    let mut out = String::new();
    for r in &records {
        out.push_str(&format!(
            "{} {}@{}: {}\n",
            at(r.time, &ctx.tz),
            r.user,
            r.host,
            r.command
        ));
        if let Some(reason) = &r.reason {
            out.push_str(&format!("    reason: {reason}\n"));
        }
        for c in &r.changes {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
            out.push_str(&format!(
                "    {}: {} -> {}\n",
                c.key,
                show(&c.before),
                show(&c.after)
            ));
        }
        for d in &r.drift {
            out.push_str(&format!(
                "    {}: changed by hand (expected {}, found {})\n",
                d.key,
                d.expected,
                d.found.clone().unwrap_or_else(|| "(absent)".into())
            ));
        }
    }
    let mut notes = opened.notes.clone();
    if records.is_empty() {
        notes.push("no history: dbgini has not changed this file".to_string());
    }
    Ok(Report {
        data: out,
        json: json!({
            "command": "history", "changed": !opened.expired.is_empty(), "ini": target.ini,
            "history": records, "expired": opened.expired_json(), "warnings": opened.warnings,
        }),
        notes,
        warnings: opened.warnings.clone(),
        ..Report::default()
    })
}

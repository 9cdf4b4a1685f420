//! `dbgini status`: active leases, expiry, managed keys and hand changes.

use serde_json::json;

use super::{Context, drift_warning, lease_json, refused};
use crate::error::Result;
use crate::lease::detect_drift;
use crate::output::{Report, bold, relative, utc};

/// Runs `status`.
pub fn run(ctx: &Context) -> Result<Report> {
    let (session, notes) = ctx.open()?;
    let doc = session.doc();
    let state = &session.state;
    let drift = detect_drift(&doc, state).map_err(|e| refused(&session, e))?;
    let now = ctx.caller.now;
    let name = session.target.ini.display().to_string();

    let mut out = format!("{} {name}\n", bold("notes.ini:"));
    if state.leases.is_empty() {
        out.push_str("no active leases: dbgini manages nothing in this file\n");
    }
    for l in &state.leases {
        let overdue = if l.expires <= now {
            " OVERDUE: it should have been reverted"
        } else {
            ""
        };
        out.push_str(&format!(
            "{} {} ({}) expires {} ({}){overdue}\n",
            bold("lease"),
            l.id,
            l.profile,
            utc(l.expires),
            relative(l.expires, now)
        ));
        out.push_str(&format!(
            "    by {}@{} at {}",
            l.user,
            l.host,
            utc(l.created)
        ));
        if let Some(r) = &l.reason {
            out.push_str(&format!(", reason: {r}"));
        }
        out.push('\n');
        for s in l.active_settings() {
            out.push_str(&format!("    {}={} ({})\n", s.key, s.value, s.rule.name()));
        }
        for k in &l.released {
            out.push_str(&format!("    {k}: released (changed by hand)\n"));
        }
    }
    if !state.managed.is_empty() {
        out.push_str(&format!(
            "{}\n",
            bold("managed keys (before dbgini -> now):")
        ));
        for m in &state.managed {
            let before = m.baseline_value().map_or("(absent)".into(), |v| {
                String::from_utf8_lossy(&v).into_owned()
            });
            let now_v = doc
                .get(&m.key)
                .ok()
                .flatten()
                .map_or("(absent)".into(), |v| {
                    String::from_utf8_lossy(v).into_owned()
                });
            out.push_str(&format!("    {}: {before} -> {now_v}\n", m.key));
        }
    }
    let warnings: Vec<String> = drift.iter().map(drift_warning).collect();
    let managed: Vec<_> = state
        .managed
        .iter()
        .map(|m| {
            json!({
                "key": m.key,
                "baseline": m.baseline_value().map(|v| String::from_utf8_lossy(&v).into_owned()),
                "baseline_line": m.baseline.as_ref().map(|b| b.line),
                "expected": m.expected.lossy(),
                "current": doc.get(&m.key).ok().flatten().map(|v| String::from_utf8_lossy(v).into_owned()),
            })
        })
        .collect();
    Ok(Report {
        data: out,
        json: json!({
            "command": "status", "changed": false, "ini": name,
            "leases": state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "overdue": state.leases.iter().filter(|l| l.expires <= now).map(|l| l.id.clone()).collect::<Vec<_>>(),
            "managed": managed, "drift": drift, "warnings": warnings,
        }),
        notes,
        warnings,
    })
}

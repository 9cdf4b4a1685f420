//! `dbgini status`: active leases, expiry, managed keys and hand changes.

use serde_json::json;

use super::{Context, Enforce, drift_warning, lease_json, refused};
use crate::error::Result;
use crate::lease::detect_drift;
use crate::output::{Report, at, bold, relative};

/// Runs `status`.
pub fn run(ctx: &Context) -> Result<Report> {
    let mut opened = ctx.open(Enforce::Lenient)?;
    let session = &opened.session;
    let now = ctx.now(session);
    let doc = session.doc();
    let state = &session.state;
    let drift = detect_drift(&doc, state).map_err(|e| refused(session, e))?;
    let name = session.target.ini.display().to_string();

    let mut out = format!("{} {name}\n", bold("notes.ini:"));
    let (mode, mode_reason) = match ctx.mode_for(session, false) {
        Ok((m, why)) => (super::mode_name(m), why),
        Err(e) => ("unknown", format!("{e}; {}", e.help())),
    };
    out.push_str(&format!("{} {mode} ({mode_reason})\n", bold("mode:")));
    if !state.residue.is_empty() {
        out.push_str(&format!(
            "{} {} (empty lines the server console left; `dbgini tidy` removes them while the server is down)\n",
            bold("residue:"),
            state.residue.iter().map(|k| format!("{k}=")).collect::<Vec<_>>().join(", ")
        ));
    }
    if state.leases.is_empty() {
        out.push_str("no active leases: dbgini manages nothing in this file\n");
    }
    for l in &state.leases {
        let when = if l.expires <= now {
            let loud = anstyle::AnsiColor::Red.on_default().bold();
            format!(
                "{loud}OVERDUE{loud:#}: expired {} at {}; run `dbgini expire`",
                relative(l.expires, now),
                at(l.expires, &ctx.tz)
            )
        } else {
            format!(
                "expires {}, at {}",
                relative(l.expires, now),
                at(l.expires, &ctx.tz)
            )
        };
        out.push_str(&format!(
            "{} {} ({}) {when}\n",
            bold("lease"),
            l.id,
            l.profile
        ));
        out.push_str(&format!(
            "    by {}@{} at {}",
            l.user,
            l.host,
            at(l.created, &ctx.tz)
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
    opened.warnings.extend(drift.iter().map(drift_warning));
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
            "command": "status", "changed": !opened.expired.is_empty(), "ini": name, "now": now.to_string(),
            "mode": mode, "mode_reason": mode_reason, "residue": state.residue,
            "leases": state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "overdue": state.leases.iter().filter(|l| l.expires <= now).map(|l| l.id.clone()).collect::<Vec<_>>(),
            "expired": opened.expired_json(),
            "managed": managed, "drift": drift, "warnings": opened.warnings,
        }),
        notes: opened.notes,
        warnings: opened.warnings,
        ..Report::default()
    })
}

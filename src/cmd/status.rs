//! `dbgini status`: active leases, expiry, managed keys and hand changes.

use serde_json::json;

use super::{Context, Enforce, Opened, drift_warning, lease_json, refused};
use crate::error::Result;
use crate::lease::detect_drift;
use jiff::Timestamp;

use super::guards::sample;
use crate::guard::{Guard, format_size, sparkline};
use crate::output::{Report, at, bold, relative};

/// Runs `status`.
pub fn run(ctx: &Context) -> Result<Report> {
    let opened = ctx.open(Enforce::Lenient)?;
    render(ctx, opened)
}

/// The status of an opened target (also used by `bundle`, which holds the lock already).
pub fn render(ctx: &Context, mut opened: Opened) -> Result<Report> {
    let session = &opened.session;
    let now = ctx.now(session);
    let doc = session.doc();
    let state = &session.state;
    let drift = detect_drift(&doc, state).map_err(|e| refused(session, e))?;
    let name = session.target.ini.display().to_string();

    let mut out = format!("{} {name}\n", bold("notes.ini:"));
    let (mode, mode_reason) = match ctx.mode_for(session, &doc, false) {
        Ok((m, why)) => (super::mode_name(m), why.to_string()),
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
    // Keys set through the console that the server has not written yet: the state marks them
    // (`previous`) until a write confirms them, and the file does not show the value.
    let by_key: std::collections::HashMap<String, &crate::lease::Managed> = state
        .managed
        .iter()
        .map(|m| (m.key.to_ascii_lowercase(), m))
        .collect();
    let unconfirmed = |l: &crate::lease::Lease| -> Vec<String> {
        l.active_settings()
            .filter_map(|s| {
                let m = by_key.get(&s.key.to_ascii_lowercase())?;
                // Marked first: only those are looked up in the file.
                let waiting = m.previous.is_some()
                    && doc.get(&m.key).ok().flatten() != Some(m.expected.0.as_slice());
                waiting.then(|| m.key.clone())
            })
            .collect()
    };
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
        if l.content_capture {
            let loud = anstyle::AnsiColor::Magenta.on_default().bold();
            out.push_str(&format!("    {loud}CAPTURES MESSAGE CONTENT{loud:#} (consented with --allow-content-capture)\n"));
        }
        let waiting = unconfirmed(l);
        if !waiting.is_empty() {
            let loud = anstyle::AnsiColor::Yellow.on_default().bold();
            out.push_str(&format!(
                "    {loud}UNCONFIRMED{loud:#}: the server has not written {} yet (check with `show config KEY` at the console; `dbgini revert` undoes whatever did land)\n",
                waiting.join(", ")
            ));
        }
        if let Some(g) = &l.guard {
            out.push_str(&guard_lines(g, l.expires, now, session.target.perms));
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
    let ended = crate::store::read_ended(&session.target)?;
    if !ended.is_empty() {
        out.push_str(&format!("{}\n", bold("recently ended:")));
        for e in ended.iter().rev() {
            out.push_str(&format!(
                "    {} ({}) at {}: {}\n",
                e.lease.id,
                e.lease.profile,
                at(e.at, &ctx.tz),
                e.reason
            ));
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
            "leases": state.leases.iter().map(|l| {
                let mut j = lease_json(l);
                j["unconfirmed"] = json!(unconfirmed(l));
                j
            }).collect::<Vec<_>>(),
            "overdue": state.leases.iter().filter(|l| l.expires <= now).map(|l| l.id.clone()).collect::<Vec<_>>(),
            "expired": opened.expired_json(),
            "managed": managed, "drift": drift, "warnings": opened.warnings,
            "ended": ended.iter().map(|e| json!({
                "id": e.lease.id, "profile": e.lease.profile, "at": e.at.to_string(), "reason": e.reason,
            })).collect::<Vec<_>>(),
        }),
        notes: opened.notes,
        warnings: opened.warnings,
        ..Report::default()
    })
}

/// The watched files of a lease: size at enable, now, growth per hour, projected size at expiry,
/// free space, and a sparkline of the total growth over the samples.
fn guard_lines(
    g: &Guard,
    expires: Timestamp,
    now: Timestamp,
    owner: crate::atomic::Perms,
) -> String {
    let live = sample(g, now, owner);
    let mut out = format!(
        "    growth cap {}, free-space floor {}; grown {} so far\n",
        format_size(g.max_growth),
        format_size(g.min_free),
        format_size(g.growth(&live))
    );
    let first = g.samples.first();
    let hours_left = (expires.duration_since(now).as_secs_f64() / 3600.0).max(0.0);
    for (i, f) in g.files.iter().enumerate() {
        let size_now = live.sizes.get(i).copied().unwrap_or(0);
        let rate = first.and_then(|s| {
            let secs = now.duration_since(s.time).as_secs_f64();
            (secs >= 60.0).then(|| {
                size_now.saturating_sub(s.sizes.get(i).copied().unwrap_or(0)) as f64 * 3600.0 / secs
            })
        });
        let projection = rate.map_or("rate not known yet".to_string(), |r| {
            format!(
                "{}/h, about {} at expiry",
                format_size(r as u64),
                format_size(size_now + (r * hours_left) as u64)
            )
        });
        out.push_str(&format!(
            "    {:<14} {} -> {} ({projection})  {}\n",
            f.output.name(),
            format_size(f.size_at_enable),
            format_size(size_now),
            f.path
        ));
    }
    let fresh = g.samples.last().is_none_or(|s| s.sizes != live.sizes);
    let growth: Vec<u64> = g
        .samples
        .iter()
        .chain(fresh.then_some(&live))
        .map(|s| g.growth(s))
        .collect();
    out.push_str(&format!(
        "    free space {}  growth {}\n",
        format_size(live.free),
        sparkline(&growth)
    ));
    out
}

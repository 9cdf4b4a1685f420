//! `dbgini show PROFILE`: a profile in full, sources included.

use serde_json::json;

use super::Context;
use crate::cli::ShowArgs;
use crate::error::Result;
use crate::output::{Report, bold};

/// Runs `show`.
pub fn run(args: ShowArgs, ctx: &Context) -> Result<Report> {
    let found = ctx.catalog.find(&args.profile)?;
    let p = &found.profile;
    let mut out = format!("{} {}\n{}\n\n", bold("profile"), p.name, p.summary);
    out.push_str(&format!(
        "{}\n{}\n\n",
        bold("when to use it:"),
        p.scenario.trim()
    ));
    out.push_str(&format!("from:      {}\n", found.origin));
    for s in &found.shadows {
        out.push_str(&format!("overrides: {s}\n"));
    }
    out.push_str(&format!(
        "duration:  {} by default, at most {}\n",
        p.default_duration, p.max_duration
    ));
    if !p.refresh.is_empty() {
        out.push_str(&format!("refresh:   {}\n", p.refresh.join("; ")));
    }
    if !p.params.is_empty() {
        out.push_str(&format!("\n{}\n", bold("parameters (--param NAME=VALUE):")));
        for prm in &p.params {
            let req = if prm.required { "required" } else { "optional" };
            out.push_str(&format!(
                "  {} ({}, {req}): {}\n",
                prm.name,
                prm.ty.name(),
                prm.help
            ));
        }
    }
    out.push_str(&format!("\n{}\n", bold("settings:")));
    for s in &p.settings {
        out.push_str(&format!("  {}={}  [{}]\n", s.key, s.value, s.rule.name()));
        out.push_str(&format!("      {}\n      source: {}\n", s.note, s.source));
        if let Some(w) = &s.warning {
            out.push_str(&format!("      warning: {w}\n"));
        }
    }
    Ok(Report {
        data: out,
        json: json!({
            "command": "show", "changed": false, "origin": found.origin.to_string(),
            "overrides": found.shadows.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
            "profile": p, "warnings": [],
        }),
        ..Report::default()
    })
}

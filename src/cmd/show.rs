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
    let mut text = format!("{} {}\n{}\n\n", bold("profile"), p.name, p.summary);
    text.push_str(&format!(
        "{}\n{}\n\n",
        bold("when to use it:"),
        p.scenario.trim()
    ));
    text.push_str(&format!("from:      {}\n", found.origin));
    for s in &found.shadows {
        text.push_str(&format!("overrides: {s}\n"));
    }
    text.push_str(&format!(
        "duration:  {} by default, at most {}\n",
        p.default_duration, p.max_duration
    ));
    text.push_str(&format!(
        "growth:    at most {} (--max-growth), then the lease ends early\n",
        crate::guard::format_size(p.max_growth())
    ));
    if !p.refresh.is_empty() {
        text.push_str(&format!("refresh:   {}\n", p.refresh.join("; ")));
    }
    if !p.params.is_empty() {
        text.push_str(&format!("\n{}\n", bold("parameters (--param NAME=VALUE):")));
        for prm in &p.params {
            let req = if prm.required { "required" } else { "optional" };
            text.push_str(&format!(
                "  {} ({}, {req}): {}\n",
                prm.name,
                prm.ty.name(),
                prm.help
            ));
        }
    }
    text.push_str(&format!("\n{}\n", bold("settings:")));
    for s in &p.settings {
        text.push_str(&format!("  {}={}  [{}]\n", s.key, s.value, s.rule.name()));
        text.push_str(&format!("      {}\n      source: {}\n", s.note, s.source));
        let info = crate::profile::setting_info(Some(s), &s.key, &s.value);
        if info.output != crate::guard::Output::None {
            let why = if info.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", info.note)
            };
            out_line(
                &mut text,
                &format!(
                    "      output: {}, {} volume at this value{why}",
                    info.output.destination(),
                    info.volume.name()
                ),
            );
        }
        let mut captures: Vec<String> = s.captures_content.clone();
        captures.extend(
            crate::guard::known(&s.key)
                .into_iter()
                .flat_map(|k| k.captures.iter().map(|c| c.to_string())),
        );
        captures.sort();
        captures.dedup();
        if !captures.is_empty() {
            out_line(
                &mut text,
                &format!(
                    "      captures message contents at {} (needs --allow-content-capture)",
                    captures.join(", ")
                ),
            );
        }
        if let Some(w) = &s.warning {
            text.push_str(&format!("      warning: {w}\n"));
        }
    }
    Ok(Report {
        data: text,
        json: json!({
            "command": "show", "changed": false, "origin": found.origin.to_string(),
            "overrides": found.shadows.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
            "profile": p, "warnings": [],
        }),
        ..Report::default()
    })
}

fn out_line(text: &mut String, line: &str) {
    text.push_str(line);
    text.push('\n');
}

//! `dbgini profiles`: every profile and where it comes from.

use serde_json::json;

use super::Context;
use crate::error::{ExitCode, Result};
use crate::output::Report;

/// Runs `profiles`. A profile file that cannot be loaded is listed with its error (and a
/// warning, exit 1); the others are listed as usual.
pub fn run(ctx: &Context) -> Result<Report> {
    let all = ctx.catalog.list();
    let width = all
        .iter()
        .map(|l| {
            l.as_ref()
                .map_or_else(|(n, _)| n.len(), |f| f.profile.name.len())
        })
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut warnings = Vec::new();
    let mut listed = Vec::new();
    for l in &all {
        match l {
            Ok(f) => {
                out.push_str(&format!(
                    "{:width$}  {}\n",
                    f.profile.name, f.profile.summary
                ));
                let mut from = format!("{:width$}  from {}", "", f.origin);
                if !f.shadows.is_empty() {
                    let hidden: Vec<String> = f.shadows.iter().map(|o| o.to_string()).collect();
                    from.push_str(&format!(", overriding {}", hidden.join(", ")));
                }
                out.push_str(&from);
                out.push('\n');
                listed.push(json!({
                    "name": f.profile.name, "summary": f.profile.summary, "origin": f.origin.to_string(),
                    "overrides": f.shadows.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
                }));
            }
            Err((name, e)) => {
                out.push_str(&format!("{name:width$}  BROKEN: {e}\n"));
                warnings.push(format!("profile {name} cannot be used: {e}; {}", e.help()));
                listed.push(json!({ "name": name, "error": e.to_string(), "help": e.help() }));
            }
        }
    }
    Ok(Report {
        data: out,
        json: json!({
            "command": "profiles", "changed": false,
            "profiles": listed,
            "warnings": warnings,
        }),
        exit_code: if warnings.is_empty() {
            ExitCode::Ok
        } else {
            ExitCode::Failure
        },
        warnings,
        ..Report::default()
    })
}

//! `dbgini profiles`: every profile and where it comes from.

use serde_json::json;

use super::Context;
use crate::error::Result;
use crate::output::Report;

/// Runs `profiles`.
pub fn run(ctx: &Context) -> Result<Report> {
    let all = ctx.catalog.list()?;
    let width = all.iter().map(|f| f.profile.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in &all {
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
    }
    Ok(Report {
        data: out,
        json: json!({
            "command": "profiles", "changed": false,
            "profiles": all.iter().map(|f| json!({
                "name": f.profile.name, "summary": f.profile.summary, "origin": f.origin.to_string(),
                "overrides": f.shadows.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "warnings": [],
        }),
        ..Report::default()
    })
}

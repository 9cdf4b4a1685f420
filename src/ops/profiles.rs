//! `profiles`: every profile and where it comes from.

use super::Context;
use crate::outcome::{Listed, Profiles};

/// Runs `profiles`. A profile file that cannot be loaded is listed with its error (and a
/// warning); the others are listed as usual.
pub fn profiles(ctx: &Context) -> Profiles {
    let profiles = ctx
        .catalog
        .list()
        .into_iter()
        .map(|l| match l {
            Ok(f) => Listed {
                name: f.profile.name.clone(),
                summary: Some(f.profile.summary.clone()),
                origin: Some(f.origin.to_string()),
                overrides: f.shadows.iter().map(|o| o.to_string()).collect(),
                error: None,
                help: None,
            },
            Err(broken) => {
                let (name, e) = *broken;
                ctx.ui
                    .warning(format!("profile {name} cannot be used: {e}; {}", e.help()));
                Listed {
                    name,
                    summary: None,
                    origin: None,
                    overrides: Vec::new(),
                    error: Some(e.to_string()),
                    help: Some(e.help()),
                }
            }
        })
        .collect();
    Profiles { profiles }
}

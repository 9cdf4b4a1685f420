//! `show PROFILE`: a profile in full, sources included (rendered by [`crate::outcome::Show`]).

use super::Context;
use crate::error::Result;
use crate::outcome::Show;

/// Runs `show`.
pub fn show(ctx: &Context, profile: &str) -> Result<Show> {
    let found = ctx.catalog.find(profile)?;
    Ok(Show {
        origin: found.origin.to_string(),
        overrides: found.shadows.iter().map(|o| o.to_string()).collect(),
        profile: found.profile,
    })
}

//! `dbgini profiles`.

use crate::error::Result;
use crate::ops::{Context, profiles};
use crate::outcome::Outcome;

/// Runs `profiles`.
pub fn run(ctx: &Context) -> Result<Outcome> {
    Ok(Outcome::Profiles(profiles::profiles(ctx)))
}

//! `dbgini diff`.

use crate::error::Result;
use crate::ops::{Context, diff};
use crate::outcome::Outcome;

/// Runs `diff`.
pub fn run(ctx: &Context) -> Result<Outcome> {
    diff::diff(ctx).map(Outcome::Diff)
}

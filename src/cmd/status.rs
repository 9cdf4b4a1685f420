//! `dbgini status`.

use crate::error::Result;
use crate::ops::{Context, status};
use crate::outcome::Outcome;

/// Runs `status`.
pub fn run(ctx: &Context) -> Result<Outcome> {
    status::status(ctx).map(Outcome::Status)
}

//! `dbgini doctor`.

use crate::error::Result;
use crate::ops::{Context, doctor};
use crate::outcome::Outcome;

/// Runs `doctor`.
pub fn run(ctx: &Context) -> Result<Outcome> {
    doctor::doctor(ctx).map(Outcome::Doctor)
}

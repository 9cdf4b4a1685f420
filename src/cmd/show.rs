//! `dbgini show PROFILE`.

use crate::cli::ShowArgs;
use crate::error::Result;
use crate::ops::{Context, show};
use crate::outcome::Outcome;

/// Runs `show`.
pub fn run(args: &ShowArgs, ctx: &Context) -> Result<Outcome> {
    show::show(ctx, &args.profile).map(Outcome::Show)
}

//! `dbgini tidy`.

use crate::cli::TidyArgs;
use crate::error::Result;
use crate::ops::{Context, tidy};
use crate::outcome::Outcome;

/// Runs `tidy`.
pub fn run(args: &TidyArgs, ctx: &Context) -> Result<Outcome> {
    let opts = tidy::Options {
        force: args.force,
        dry_run: args.dry_run,
    };
    tidy::tidy(ctx, opts).map(Outcome::Tidy)
}

//! `dbgini revert [LEASE|PROFILE] [--all]`.

use crate::cli::RevertArgs;
use crate::error::Result;
use crate::ops::select::Which;
use crate::ops::{Context, revert};
use crate::outcome::Outcome;

/// Runs `revert`.
pub fn run(args: &RevertArgs, ctx: &Context) -> Result<Outcome> {
    let which = if args.all {
        Which::All
    } else {
        Which::named_or_only(args.lease.as_deref())
    };
    let opts = revert::Options {
        which,
        force: args.force,
        dry_run: args.dry_run,
    };
    revert::revert(ctx, &opts).map(Outcome::Revert)
}

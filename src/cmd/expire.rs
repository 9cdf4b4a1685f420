//! `dbgini expire [--all-targets] [--dry-run]`.

use crate::cli::ExpireArgs;
use crate::error::Result;
use crate::ops::{Context, expire};
use crate::outcome::Outcome;

/// Runs `expire`.
pub fn run(args: &ExpireArgs, ctx: &Context) -> Result<Outcome> {
    let opts = expire::Options {
        all_targets: args.all_targets,
        dry_run: args.dry_run,
    };
    expire::expire(ctx, opts).map(Outcome::Expire)
}

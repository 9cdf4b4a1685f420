//! `dbgini watch [--all-targets]`.

use std::time::Duration;

use crate::cli::WatchArgs;
use crate::error::Result;
use crate::ops::{Context, watch};
use crate::outcome::Outcome;

/// Runs `watch`.
pub fn run(args: &WatchArgs, ctx: &Context) -> Result<Outcome> {
    let opts = watch::Options {
        all_targets: args.all_targets,
        poll: Duration::from_secs(args.poll),
    };
    watch::watch(ctx, opts).map(Outcome::Watch)
}

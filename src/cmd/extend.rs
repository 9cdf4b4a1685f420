//! `dbgini extend [LEASE|PROFILE] --for DURATION`.

use crate::cli::ExtendArgs;
use crate::error::{Error, Result};
use crate::ops::select::Which;
use crate::ops::{Asked, Context, extend};
use crate::outcome::Outcome;

/// Runs `extend`.
pub fn run(args: &ExtendArgs, ctx: &Context) -> Result<Outcome> {
    let asked = Asked::from_args(args.duration, args.until.as_ref(), ctx.caller.now, &ctx.tz)?
        .ok_or_else(|| Error::invalid("give --for or --until", "e.g. --for 1h"))?;
    let opts = extend::Options {
        which: Which::named_or_only(args.lease.as_deref()),
        asked,
        allow_shorter: args.allow_shorter,
    };
    extend::extend(ctx, &opts).map(Outcome::Extend)
}

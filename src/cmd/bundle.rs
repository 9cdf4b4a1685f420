//! `dbgini bundle [LEASE] -o FILE.tar.gz`.

use crate::cli::BundleArgs;
use crate::error::Result;
use crate::ops::select::Which;
use crate::ops::{Context, bundle};
use crate::outcome::Outcome;

/// Runs `bundle`.
pub fn run(args: &BundleArgs, ctx: &Context) -> Result<Outcome> {
    let opts = bundle::Options {
        which: Which::named_or_only(args.lease.as_deref()),
        output: &args.output,
        allow_content_capture: args.allow_content_capture,
        no_redact: args.no_redact,
    };
    bundle::bundle(ctx, &opts).map(Outcome::Bundle)
}

//! `dbgini status [--peek]`.

use crate::cli::StatusArgs;
use crate::error::Result;
use crate::ops::{Context, Enforce, status};
use crate::outcome::Outcome;

/// Runs `status`.
pub fn run(args: &StatusArgs, ctx: &Context) -> Result<Outcome> {
    let enforce = if args.peek {
        Enforce::Peek
    } else {
        Enforce::Lenient
    };
    status::status(ctx, enforce).map(Outcome::Status)
}

//! `dbgini history [-n N]`.

use crate::cli::HistoryArgs;
use crate::error::Result;
use crate::ops::{Context, history};
use crate::outcome::Outcome;

/// Runs `history`.
pub fn run(args: &HistoryArgs, ctx: &Context) -> Result<Outcome> {
    history::history(ctx, args.limit).map(Outcome::History)
}

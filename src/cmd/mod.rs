//! The subcommands, one file each and thin (as cargo's `commands/*.rs`): each turns its parsed
//! arguments into the options of an operation in [`crate::ops`], and hands back the operation's
//! [`Outcome`]. No subcommand uses another; whatever two of them share is an operation.

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::ops::Context;
use crate::outcome::Outcome;

mod bundle;
mod diff;
mod doctor;
mod enable;
mod expire;
mod extend;
mod history;
mod profiles;
mod revert;
mod schedule;
mod show;
mod status;
mod tidy;
mod watch;

/// Runs a subcommand. A command that planned on a target without its lock (the target's first
/// use) and lost the race to another dbgini starts over, now under the lock.
pub fn run(command: &Command, ctx: &Context) -> Result<Outcome> {
    let mut tries = 0;
    loop {
        match run_once(command, ctx) {
            Err(Error::StartOver) if tries < 5 => tries += 1,
            other => return other,
        }
    }
}

fn run_once(command: &Command, ctx: &Context) -> Result<Outcome> {
    match command {
        Command::Profiles => profiles::run(ctx),
        Command::Show(args) => show::run(args, ctx),
        Command::Enable(args) => enable::run(args, ctx),
        Command::Revert(args) => revert::run(args, ctx),
        Command::Extend(args) => extend::run(args, ctx),
        Command::Expire(args) => expire::run(args, ctx),
        Command::Status(args) => status::run(args, ctx),
        Command::Diff => diff::run(ctx),
        Command::Doctor => doctor::run(ctx),
        Command::Bundle(args) => bundle::run(args, ctx),
        Command::Tidy(args) => tidy::run(args, ctx),
        Command::History(args) => history::run(args, ctx),
        Command::Schedule(args) => schedule::run(args, ctx),
        Command::Watch(args) => watch::run(args, ctx),
        Command::Completions(_) | Command::Man => Err(Error::invalid(
            "completions and man are handled before a notes.ini is opened",
            "run `dbgini completions bash` or `dbgini man`",
        )),
    }
}

//! `dbgini schedule install|uninstall|status`.

use crate::cli::ScheduleArgs;
use crate::error::Result;
use crate::ops::Context;
use crate::ops::schedule::{self, Kind};
use crate::outcome::Outcome;

/// Runs `schedule`.
pub fn run(args: &ScheduleArgs, ctx: &Context) -> Result<Outcome> {
    let opts = schedule::Options {
        action: args.action,
        kind: match (args.systemd, args.cron, args.task_scheduler) {
            (true, _, _) => Some(Kind::Systemd),
            (_, true, _) => Some(Kind::Cron),
            (_, _, true) => Some(Kind::TaskScheduler),
            _ => None,
        },
        domino_unit: args.domino_unit.clone(),
        dry_run: args.dry_run,
        root: args.root.clone(),
        task_user: args.task_user.clone(),
    };
    schedule::schedule(ctx, &opts).map(Outcome::Schedule)
}

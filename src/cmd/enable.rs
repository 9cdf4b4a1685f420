//! `dbgini enable PROFILE`.

use std::collections::BTreeMap;

use crate::cli::EnableArgs;
use crate::error::{Error, Result};
use crate::ops::{Asked, Context, enable};
use crate::outcome::Outcome;

/// Runs `enable`.
pub fn run(args: &EnableArgs, ctx: &Context) -> Result<Outcome> {
    let mut params = BTreeMap::new();
    for p in &args.params {
        if params.insert(p.name.clone(), p.value.clone()).is_some() {
            return Err(Error::invalid(
                format!("--param {} is given twice", p.name),
                "give each parameter once",
            ));
        }
    }
    let mut overrides: Vec<(String, String)> = Vec::new();
    for s in &args.overrides {
        if overrides
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(&s.name))
        {
            return Err(Error::invalid(
                format!("--set {} is given twice", s.name),
                "give each key once",
            ));
        }
        overrides.push((s.name.clone(), s.value.clone()));
    }
    let opts = enable::Options {
        profile: args.profile.clone(),
        asked: Asked::from_args(args.duration, args.until.as_ref(), ctx.caller.now, &ctx.tz)?,
        params,
        overrides,
        reason: args.reason.clone(),
        dry_run: args.dry_run,
        force: args.force,
        create_dirs: args.create_dirs,
        allow_content_capture: args.allow_content_capture,
        allow_keys: args.allow_keys.clone(),
        max_growth: args.max_growth,
        min_free: args.min_free,
        mail_rate: args.mail_rate,
    };
    enable::enable(ctx, &opts).map(Outcome::Enable)
}

//! `expire`: revert every lease whose time is up, on one target or every registered one.
//!
//! The same enforcement runs lazily whenever any command opens a target
//! ([`Context::open_target`]); this command exists for the timer, the Domino unit's
//! `ExecStartPre`, and people.

use std::path::{Path, PathBuf};

use super::{Context, Enforce};
use crate::error::{Error, Result};
use crate::outcome::{Expire, ExpireTarget};
use crate::store::Target;

/// What `expire` is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// `--all-targets`.
    pub all_targets: bool,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// Where the state of the notes.ini at `real` lives (see [`Target::resolve`]), for a target that
/// cannot be resolved any more.
fn state_dir_of(real: &Path) -> Option<PathBuf> {
    Some(real.parent()?.join(".dbgini").join(real.file_name()?))
}

/// Runs `expire`. With `--all-targets`, a target that cannot be looked at is reported (a warning,
/// and in the outcome) and the others are still done.
pub fn expire(ctx: &Context, opts: Options) -> Result<Expire> {
    let targets: Vec<PathBuf> = if opts.all_targets {
        ctx.registry.targets()?
    } else {
        vec![ctx.target()?.ini]
    };
    let enforce = Enforce::unless(opts.dry_run);
    let mut results = Vec::new();
    for path in targets {
        let shown = path.display().to_string();
        let result = ctx.ui.for_target(&shown, || {
            let target = match Target::resolve(&path) {
                Ok(t) => t,
                Err(e) if opts.all_targets => return Ok(gone(ctx, opts, &path, &e)),
                Err(e) => return Err(e),
            };
            match ctx.open_target(target, enforce) {
                Ok(opened) => {
                    // A target without leases drops out of the registry.
                    if opts.all_targets
                        && !opts.dry_run
                        && opened.session.state.leases.is_empty()
                        && let Err(e) = ctx.registry.remove(&opened.session.target.real)
                    {
                        ctx.ui.warning(format!("{e}; {}", e.help()));
                    }
                    Ok(ExpireTarget {
                        ini: path.clone(),
                        reverted: opened.expired.iter().map(|l| l.id.clone()).collect(),
                        expired: opened.expired,
                        active: opened.session.state.leases.len(),
                        error: None,
                        kept: None,
                    })
                }
                Err(e) if opts.all_targets => {
                    ctx.ui.error(format!("{e}; {}", e.help()));
                    Ok(ExpireTarget {
                        ini: path.clone(),
                        reverted: Vec::new(),
                        expired: Vec::new(),
                        active: 0,
                        error: Some(e.to_string()),
                        kept: None,
                    })
                }
                Err(e) => Err(e),
            }
        })?;
        results.push(result);
    }
    let reverted: usize = results.iter().map(|t| t.reverted.len()).sum();
    let msg = match (reverted, opts.dry_run) {
        (0, _) => "nothing has expired".to_string(),
        (n, false) => format!(
            "reverted {n} expired lease{}",
            if n == 1 { "" } else { "s" }
        ),
        (n, true) => format!(
            "would revert {n} expired lease{}; dry run, nothing was written",
            if n == 1 { "" } else { "s" }
        ),
    };
    ctx.ui.status(msg.clone());
    Ok(Expire {
        dry_run: opts.dry_run,
        targets: results,
        msg,
    })
}

/// A registered notes.ini that cannot be resolved any more. One moved away for a while
/// (maintenance) may come back with its leases still active: it stays listed while its state
/// folder is there. Only a target whose state is gone too has nothing left to expire.
fn gone(ctx: &Context, opts: Options, path: &Path, e: &Error) -> ExpireTarget {
    let state = state_dir_of(path);
    let kept = state
        .as_ref()
        .is_some_and(|d| std::fs::symlink_metadata(d).is_ok());
    let what = match (kept, opts.dry_run) {
        (true, _) => format!(
            "kept in the registry, because its state is still at {}: put notes.ini back (its leases may still be active), or move that folder aside to forget them",
            state.as_ref().map_or(String::new(), |d| d.display().to_string())
        ),
        (false, false) => "dropped from the registry (no state is left either)".into(),
        (false, true) => "would be dropped from the registry (no state is left either); dry run, nothing was written".into(),
    };
    ctx.ui.warning(format!("{e}; {what}"));
    if !kept && !opts.dry_run {
        let _ = ctx.registry.remove(path);
    }
    ExpireTarget {
        ini: path.to_path_buf(),
        reverted: Vec::new(),
        expired: Vec::new(),
        active: 0,
        error: Some(e.to_string()),
        kept: Some(kept),
    }
}

//! `tidy`: remove the empty `KEY=` lines that `set config KEY=` left when live mode reverted a key
//! that was absent before (server down, file mode).

use super::apply::{OnTimeout, Route, apply};
use super::{Context, Enforce, check_editable, refused};
use crate::error::{Error, Result};
use crate::lease::{self, Change};
use crate::live::Mode;
use crate::outcome::Tidy;
use crate::output::{JsonDiff, unified_diff};

/// What `tidy` is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// `--force`.
    pub force: bool,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// Runs `tidy`.
pub fn tidy(ctx: &Context, opts: Options) -> Result<Tidy> {
    let mut opened = ctx.open(Enforce::unless(opts.dry_run))?;
    let session = &mut opened.session;
    let doc = session.doc();
    let route = Route::choose(ctx, session, &doc, opts.force)?;
    if route.mode == Mode::Console {
        return Err(Error::Unsafe {
            msg: format!(
                "tidy edits notes.ini directly, and the file belongs to a running server ({})",
                route.why
            ),
            help: "run it while the server is down (or use --mode file --force if you know it is not running)".into(),
        });
    }
    check_editable(&doc, session)?;
    let residue = session.state.residue.clone();
    let plan = lease::plan(doc, &session.state, Change::None, route.policy(false))
        .map_err(|e| refused(session, e))?;
    let before = session.bytes.clone();
    let record = ctx.audit(
        Vec::new(),
        Vec::new(),
        plan.drift.clone(),
        Some("tidy".into()),
    );
    let applied = apply(
        ctx,
        session,
        "tidy",
        &plan,
        &route,
        record,
        &[],
        OnTimeout::KeepOld,
        opts.dry_run,
    )?;
    let name = session.target.ini.display().to_string();
    let diff = unified_diff(&before, &applied.after, &name);
    let msg = match (applied.changes.len(), opts.dry_run) {
        (0, _) if residue.is_empty() => "nothing to tidy".to_string(),
        (0, _) => format!(
            "nothing to tidy: {} no longer empty or gone",
            residue.join(", ")
        ),
        (n, false) => format!(
            "removed {n} empty line{} left by the server console",
            if n == 1 { "" } else { "s" }
        ),
        (n, true) => format!(
            "would remove {n} empty line{}; dry run, nothing was written",
            if n == 1 { "" } else { "s" }
        ),
    };
    ctx.ui.status(msg.clone());
    Ok(Tidy {
        ini: name,
        dry_run: opts.dry_run,
        changes: applied.changes,
        diff: JsonDiff::new(&diff, &before, &applied.after, ctx.json),
        msg,
    })
}

//! `diff`: notes.ini as it was before dbgini (the baselines) against notes.ini now.

use super::{Context, Enforce, refused};
use crate::error::Result;
use crate::lease::{self, Change};
use crate::outcome::Diff;
use crate::output::{JsonDiff, unified_diff};

/// notes.ini as it would be with every lease reverted, hand changes included: the baseline file.
pub fn baseline(session: &crate::store::Session) -> Result<Vec<u8>> {
    let all = session.state.leases.iter().map(|l| l.id.clone()).collect();
    Ok(lease::plan(
        session.doc(),
        &session.state,
        Change::Remove(all),
        lease::Policy::force(true),
    )
    .map_err(|e| refused(session, e))?
    .doc
    .to_bytes())
}

/// Runs `diff`.
pub fn diff(ctx: &Context) -> Result<Diff> {
    let opened = ctx.open(Enforce::Lenient)?;
    let session = &opened.session;
    let baseline = baseline(session)?;
    let name = session.target.ini.display().to_string();
    let diff = unified_diff(&baseline, &session.bytes, &name);
    if diff.is_empty() {
        ctx.ui
            .status("no difference: dbgini has changed nothing in this file");
    }
    Ok(Diff {
        diff: JsonDiff::new(&diff, &baseline, &session.bytes, ctx.json),
        ini: name,
        expired: opened.expired,
    })
}

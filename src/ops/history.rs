//! `history`: the audit log of one notes.ini.

use super::{Context, Enforce};
use crate::error::Result;
use crate::outcome::History;
use crate::store::read_audit;

/// Runs `history`: the last `limit` records, or all.
pub fn history(ctx: &Context, limit: Option<u64>) -> Result<History> {
    let opened = ctx.open(Enforce::Lenient)?;
    let target = &opened.session.target;
    let mut records = read_audit(target)?;
    if let Some(n) = limit {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        records = records.split_off(records.len().saturating_sub(n));
    }
    if records.is_empty() {
        ctx.ui
            .status("no history: dbgini has not changed this file");
    }
    Ok(History {
        ini: target.ini.clone(),
        history: records,
        expired: opened.expired,
    })
}

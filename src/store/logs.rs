//! The logs of one notes.ini, kept in its state folder: the audit log (`audit.jsonl`, one line a
//! write) and the ended-lease log (`ended.jsonl`, for `status` and `bundle`). Appended without
//! fsync: a power cut may lose the newest line of a log, never the state.

use std::io::Write;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{AUDIT, ENDED, Session, Target};
use crate::error::{Error, Result};
use crate::lease::{Drift, KeyChange};
use crate::safe::{Dir, Open};

/// One line of the audit log.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditRecord {
    /// When.
    #[schemars(with = "String")]
    pub time: Timestamp,
    /// Who.
    pub user: String,
    /// Where.
    pub host: String,
    /// The command line.
    pub command: String,
    /// The lease ids the operation created or ended.
    pub leases: Vec<String>,
    /// Key changes in notes.ini.
    pub changes: Vec<KeyChange>,
    /// Hand changes found.
    #[serde(default)]
    pub drift: Vec<Drift>,
    /// `--reason`.
    #[serde(default)]
    pub reason: Option<String>,
    /// The lease captures message contents (consented).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub content_capture: bool,
    /// Hash of notes.ini before.
    pub before_sha256: String,
    /// Hash of notes.ini after.
    pub after_sha256: String,
}

impl Session {
    /// Appends a record to the audit log (`commit` does this for writes).
    pub fn append_audit(&self, record: &AuditRecord) -> Result<()> {
        let mut line = serde_json::to_string(record).map_err(|e| Error::BadState {
            path: self.target.path(AUDIT),
            msg: e.to_string(),
        })?;
        line.push('\n');
        self.append_line(AUDIT, &line)
    }

    pub(super) fn append_ended(&self, ended: &[crate::lease::Ended]) -> Result<()> {
        if ended.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for e in ended {
            text.push_str(&serde_json::to_string(e).map_err(|err| Error::BadState {
                path: self.target.path(ENDED),
                msg: err.to_string(),
            })?);
            text.push('\n');
        }
        let dir = self.state_dir()?;
        // History, bounded: past 1 MiB the log keeps only what `status` and `bundle` show.
        let big = dir
            .open_file(ENDED, Open::Read)?
            .is_some_and(|(f, _)| f.metadata().is_ok_and(|m| m.len() > 1 << 20));
        if big {
            let mut kept = String::new();
            for e in read_ended_in(dir) {
                kept.push_str(&serde_json::to_string(&e).unwrap_or_default());
                kept.push('\n');
            }
            kept.push_str(&text);
            return dir.replace(ENDED, kept.as_bytes(), self.target.perms.private(), false);
        }
        self.append_line(ENDED, &text)
    }

    /// Appends to a log in the state directory, created with the state's permissions.
    fn append_line(&self, name: &str, line: &str) -> Result<()> {
        let dir = self.state_dir()?;
        crate::crash::fail(name).map_err(|e| Error::io("append to", dir.join(name), e))?;
        let (mut f, _) = dir.open_file(name, Open::Append)?.ok_or_else(|| {
            Error::io("open", dir.join(name), std::io::ErrorKind::NotFound.into())
        })?;
        // No fsync: a power cut may lose the newest line of the log, never the state.
        f.write_all(line.as_bytes())
            .map_err(|e| Error::io("append to", dir.join(name), e))
    }
}

/// The leases that ended most recently, oldest first (at most [`crate::lease::ENDED_KEPT`]).
/// Unreadable lines (a log cut short by a crash) are skipped: this is history, not state.
pub fn read_ended(target: &Target) -> Result<Vec<crate::lease::Ended>> {
    Ok(match target.state()? {
        Some(dir) => {
            // A planted file is refused like anywhere else in the state; what is merely
            // unreadable is history and is skipped.
            dir.open_file(ENDED, Open::Read)?;
            read_ended_in(&dir)
        }
        None => Vec::new(),
    })
}

fn read_ended_in(dir: &Dir) -> Vec<crate::lease::Ended> {
    let Ok(Some(bytes)) = dir.read(ENDED) else {
        return Vec::new();
    };
    let all: Vec<crate::lease::Ended> = String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    all[all.len().saturating_sub(crate::lease::ENDED_KEPT)..].to_vec()
}

/// Reads the audit log, oldest first.
pub fn read_audit(target: &Target) -> Result<Vec<AuditRecord>> {
    let Some(dir) = target.state()? else {
        return Ok(Vec::new());
    };
    let Some(bytes) = dir.read(AUDIT)? else {
        return Ok(Vec::new());
    };
    let path = dir.join(AUDIT);
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| Error::BadState {
                path: path.clone(),
                msg: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

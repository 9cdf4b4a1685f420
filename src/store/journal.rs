//! The journal: the intent records (`pending.0`, `pending.1`) written before notes.ini changes,
//! and the pure decision ([`resolve`]) of what an interrupted write left to do.
//!
//! A record is framed by a header line (`dbgini-pending 2 <serial> <body length> <sha256 of the
//! body>`) so a record torn by a crash fails its checksum and predates any change. Records
//! alternate between the two slots by serial, so the newest durable record is never the one being
//! overwritten; a record counts only while it is newer than the committed state.

use serde::{Deserialize, Serialize};

use super::{Session, Target, sha256};
use crate::error::{Error, Result};
use crate::lease::State;
use crate::safe::{Dir, Open};

/// `pending.0` and `pending.1`: the intent records, each overwritten in place, the one for the
/// state with serial `n` in `pending.{n % 2}` (see [`Session::commit`]).
pub(super) fn pending_name(serial: u64) -> &'static str {
    if serial.is_multiple_of(2) {
        "pending.0"
    } else {
        "pending.1"
    }
}

/// One intent record: the operation, the hashes of notes.ini before and after it, and the state
/// to commit once notes.ini holds the after.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Pending {
    pub(super) op: String,
    pub(super) started: jiff::Timestamp,
    pub(super) before_sha256: String,
    pub(super) after_sha256: String,
    pub(super) state: State,
}

/// The first line of a pending record: `dbgini-pending 2 <serial> <body length> <sha256 of the
/// body>`, the serial being that of the state in the body.
const PENDING_MAGIC: &str = "dbgini-pending 2";

/// A pending record as read.
pub(super) enum Framed {
    /// No record (no file, or emptied), or one not newer than the committed state.
    Empty,
    /// A whole record.
    Valid(Box<Pending>),
    /// A record cut short or damaged.
    Torn,
}

/// Reads a pending record slot. A record whose serial is not above `committed` is done with
/// and is not checked further. A whole record whose body is not a record is an error (a
/// damaged state directory), not a torn write.
pub(super) fn read_pending(dir: &Dir, name: &str, committed: u64) -> Result<Framed> {
    let Some(bytes) = dir.read(name)? else {
        return Ok(Framed::Empty);
    };
    if bytes.is_empty() {
        return Ok(Framed::Empty);
    }
    let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
        return Ok(Framed::Torn);
    };
    let header = String::from_utf8_lossy(&bytes[..nl]);
    let mut words = header.rsplitn(4, ' ');
    let (hash, len, serial, magic) = (words.next(), words.next(), words.next(), words.next());
    let (len, serial) = (
        len.and_then(|l| l.parse::<usize>().ok()),
        serial.and_then(|s| s.parse::<u64>().ok()),
    );
    let body = &bytes[nl + 1..];
    match (magic, serial, len, hash) {
        (Some(PENDING_MAGIC), Some(serial), Some(_), Some(_)) if serial <= committed => {
            Ok(Framed::Empty)
        }
        (Some(PENDING_MAGIC), Some(serial), Some(len), Some(hash))
            if body.len() == len && sha256(body) == hash =>
        {
            let Ok(text) = std::str::from_utf8(body) else {
                return Ok(Framed::Torn);
            };
            let bad = |msg: String| Error::BadState {
                path: dir.join(name),
                msg,
            };
            let pending: Pending = toml::from_str(text).map_err(|e| bad(e.message().into()))?;
            if pending.state.serial != serial {
                return Err(bad(format!(
                    "the header says serial {serial}, the state in it {}",
                    pending.state.serial
                )));
            }
            Ok(Framed::Valid(Box::new(pending)))
        }
        _ => Ok(Framed::Torn),
    }
}

/// Empties a pending record slot (a torn or dropped record). No fsync: should the emptying be
/// lost in a power cut, the record is resolved again by the hashes of notes.ini.
pub(super) fn clear_pending(dir: &Dir, name: &str) -> Result<()> {
    match dir.open_file(name, Open::Write)? {
        Some((f, _)) => f
            .set_len(0)
            .map_err(|e| Error::io("clear", dir.join(name), e)),
        None => Ok(()),
    }
}

/// Whether a target has a pending record newer than the state with serial `committed` (an
/// interrupted operation the next command must resolve), for commands that change nothing.
pub fn has_pending(target: &Target, committed: u64) -> bool {
    let Ok(Some(dir)) = target.state() else {
        return false;
    };
    [pending_name(0), pending_name(1)]
        .iter()
        .any(|name| !matches!(read_pending(&dir, name, committed), Ok(Framed::Empty)))
}

/// The hashes of notes.ini a record names: before and after its write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hashes<'a> {
    /// notes.ini before the write.
    pub before: &'a str,
    /// notes.ini after the write.
    pub after: &'a str,
}

/// What one record of an interrupted write calls for (by its index in the list given to
/// [`resolve`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// notes.ini holds what the record meant to write: commit the record's state.
    Finish(usize),
    /// notes.ini is as it was before the record: drop it and look at the older one.
    Discard(usize),
    /// notes.ini is neither: stop, and ask a person to look.
    Stop(usize),
}

/// Decides what the records of interrupted writes call for, newest first, given the hash of
/// notes.ini now: pure, so every case is a unit test. The newest record whose after the file
/// holds is finished; each record whose before it holds is discarded on the way; a record the
/// file matches neither way stops the decision.
pub fn resolve(records: &[Hashes<'_>], now: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if now == r.after {
            steps.push(Step::Finish(i));
            break;
        } else if now == r.before {
            steps.push(Step::Discard(i));
        } else {
            steps.push(Step::Stop(i));
            break;
        }
    }
    steps
}

impl Session {
    /// Writes the pending record in place and makes it durable: one `fdatasync`, and a directory
    /// sync only the first time the file is created (no temp file, no rename). A crash while
    /// writing leaves a record whose checksum fails: it predates any change to notes.ini.
    pub(super) fn write_pending(&self, name: &str, serial: u64, body: &str) -> Result<()> {
        let record = format!(
            "{PENDING_MAGIC} {serial} {} {}\n{body}",
            body.len(),
            sha256(body.as_bytes())
        );
        let dir = self.state_dir()?;
        if dir.overwrite(name, record.as_bytes(), true)? {
            dir.sync()
                .map_err(|e| Error::io("write", dir.join(name), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<'a>(before: &'a str, after: &'a str) -> Hashes<'a> {
        Hashes { before, after }
    }

    #[test]
    fn the_file_decides_what_an_interrupted_write_left() {
        // The newest record reached the file: finish it; the older one is not looked at.
        assert_eq!(resolve(&[h("a", "b"), h("z", "a")], "b"), [Step::Finish(0)]);
        // The newest never reached the file, the older did: drop the newest, finish the older.
        assert_eq!(
            resolve(&[h("b", "c"), h("a", "b")], "b"),
            [Step::Discard(0), Step::Finish(1)]
        );
        // The file is older than what the newest record started from: the records do not
        // explain it, so stop (the older one is not consulted).
        assert_eq!(resolve(&[h("b", "c"), h("a", "b")], "a"), [Step::Stop(0)]);
        // Two records that both never reached the file (the same starting point): both dropped.
        assert_eq!(
            resolve(&[h("a", "c"), h("a", "b")], "a"),
            [Step::Discard(0), Step::Discard(1)]
        );
        // Someone else wrote the file meanwhile: stop at once, whatever is older.
        assert_eq!(resolve(&[h("a", "b"), h("z", "a")], "x"), [Step::Stop(0)]);
        assert_eq!(
            resolve(&[h("b", "c"), h("a", "x2")], "b"),
            [Step::Discard(0), Step::Stop(1)]
        );
        assert_eq!(resolve(&[], "a"), []);
    }

    #[test]
    fn a_record_is_framed_and_a_torn_or_stale_one_is_not_taken() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (uid, gid) = crate::safe::me();
        let perms = crate::atomic::Perms {
            mode: 0o600,
            uid,
            gid,
        };
        let d = Dir::anchor(dir.path(), perms).expect("anchor");
        let body = "op = \"enable\"\nstarted = \"2026-11-30T12:00:00Z\"\nbefore_sha256 = \"a\"\nafter_sha256 = \"b\"\n[state]\nversion = 1\nserial = 3\n";
        let record = format!(
            "{PENDING_MAGIC} 3 {} {}\n{body}",
            body.len(),
            sha256(body.as_bytes())
        );
        d.overwrite("pending.1", record.as_bytes(), false)
            .expect("write");
        assert!(matches!(
            read_pending(&d, "pending.1", 2),
            Ok(Framed::Valid(_))
        ));
        // Not newer than the committed state: done with.
        assert!(matches!(
            read_pending(&d, "pending.1", 3),
            Ok(Framed::Empty)
        ));
        // Cut short by a crash.
        d.overwrite("pending.1", &record.as_bytes()[..record.len() - 5], false)
            .expect("write");
        assert!(matches!(read_pending(&d, "pending.1", 2), Ok(Framed::Torn)));
    }
}

//! Where dbgini keeps its state for one notes.ini, and the durable write path.
//!
//! State lives beside the target, in `.dbgini/<file name>/` next to the real notes.ini (after
//! following symlinks), so every user and tool that manages that file sees the same leases:
//!
//! | file | what |
//! |---|---|
//! | `lock` | held exclusively while a command works on the target; says who holds it |
//! | `state.toml` | active leases and managed keys ([`crate::lease::State`]) |
//! | `pending` | the intent record: written (in place, checksummed) before notes.ini changes, emptied after: what recovery needs |
//! | `backups/` | the last [`BACKUPS_KEPT`] versions of notes.ini before dbgini changed it |
//! | `audit.jsonl` | one JSON line per write |
//!
//! A write ([`Session::commit`]) goes: pending record (durable) -> backup -> check the file did not
//! change since it was read -> atomic replace -> state -> empty the pending record. Whatever point a crash
//! stops it at, the next [`Session::open`] finds notes.ini either whole-old or whole-new and makes
//! the state agree (see [`Recovery`]).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::atomic;
use crate::error::{Error, Result};
use crate::ini::Document;
use crate::lease::{Clock, Drift, KeyChange, STATE_VERSION, State, anchor};

/// How many backups of notes.ini are kept.
pub const BACKUPS_KEPT: usize = 10;

/// A notes.ini and the paths of its state.
#[derive(Clone, Debug)]
pub struct Target {
    /// The path as given.
    pub ini: PathBuf,
    /// The real file (symlinks followed): what is replaced.
    pub real: PathBuf,
    /// `.dbgini/<file name>/` beside the real file.
    pub state_dir: PathBuf,
}

impl Target {
    /// Resolves the real file and the state directory.
    pub fn resolve(ini: &Path) -> Result<Target> {
        let real = std::fs::canonicalize(ini).map_err(|e| Error::io("open", ini, e))?;
        if !real.is_file() {
            return Err(Error::invalid(
                format!("{} is not a file", ini.display()),
                "--ini must name the notes.ini file itself, not its directory",
            ));
        }
        let dir = real.parent().unwrap_or(Path::new("/"));
        let name = real
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        Ok(Target {
            ini: ini.to_path_buf(),
            state_dir: dir.join(".dbgini").join(name),
            real,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.state_dir.join(name)
    }

    /// `state.toml`.
    pub fn state_file(&self) -> PathBuf {
        self.path("state.toml")
    }

    /// `pending.0` and `pending.1`: the intent records, each overwritten in place, the one for
    /// the state with serial `n` in `pending.{n % 2}` (see [`Session::commit`]).
    pub fn pending_file(&self, serial: u64) -> PathBuf {
        self.path(&format!("pending.{}", serial % 2))
    }

    /// Both pending record slots.
    pub fn pending_files(&self) -> [PathBuf; 2] {
        [self.pending_file(0), self.pending_file(1)]
    }

    /// `audit.jsonl`.
    pub fn audit_file(&self) -> PathBuf {
        self.path("audit.jsonl")
    }

    /// `ended.jsonl`: one line per lease that ended, for `status` and `bundle`.
    pub fn ended_file(&self) -> PathBuf {
        self.path("ended.jsonl")
    }

    /// `backups/`.
    pub fn backups_dir(&self) -> PathBuf {
        self.path("backups")
    }

    fn temp_prefix(&self) -> String {
        atomic::temp_prefix(self.real.file_name().unwrap_or_default())
    }
}

/// Who is running dbgini, and when: everything the store records about the caller.
#[derive(Clone, Debug)]
pub struct Caller {
    /// User name.
    pub user: String,
    /// Host name.
    pub host: String,
    /// The command line, for the lock and the audit log.
    pub command: String,
    /// The wall-clock time now.
    pub now: Timestamp,
    /// The boot id and the time since boot, where the system tells (see [`crate::lease::Clock`]).
    pub boot: Option<(String, jiff::SignedDuration)>,
    /// How long to wait for the lock.
    pub lock_timeout: Duration,
}

impl Caller {
    /// The clocks now.
    pub fn clock(&self) -> Clock {
        Clock {
            wall: self.now,
            boot: self.boot.clone(),
        }
    }
}

/// What an interrupted earlier operation left, and what `open` did about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// notes.ini had been replaced: the state was brought up to date.
    Finished(String),
    /// notes.ini had not been replaced: the pending record was dropped.
    Discarded(String),
    /// The pending record itself was cut short (a crash while writing it, so before notes.ini
    /// changed): it was dropped.
    Torn,
}

impl Recovery {
    /// A sentence for the admin.
    pub fn message(&self) -> String {
        match self {
            Recovery::Finished(op) => format!(
                "an earlier `dbgini {op}` was interrupted after it had written notes.ini; its state was recorded now"
            ),
            Recovery::Discarded(op) => format!(
                "an earlier `dbgini {op}` was interrupted before it changed notes.ini; it was discarded and notes.ini is as it was"
            ),
            Recovery::Torn => "an earlier dbgini was interrupted while it recorded what it was about to do, before it changed notes.ini; the record was discarded".into(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pending {
    op: String,
    started: Timestamp,
    before_sha256: String,
    after_sha256: String,
    state: State,
}

/// One line of the audit log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When.
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

/// A target opened for work: locked (when it has state), recovered, read.
///
/// The lock is held until the session is dropped.
pub struct Session {
    /// The target.
    pub target: Target,
    /// notes.ini as read.
    pub bytes: crate::ini::Shared,
    /// The committed state.
    pub state: State,
    /// What recovery did, if anything.
    pub recovery: Vec<Recovery>,
    perms: atomic::Perms,
    lock: Option<File>,
}

/// Hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Session {
    /// Opens a target: locks it and recovers an interrupted operation when it has state, then
    /// reads notes.ini and the state. A target that never had state is read without a lock and
    /// without creating anything; [`Session::lock_for_write`] creates the state directory when
    /// a command is about to write.
    pub fn open(target: Target, caller: &Caller) -> Result<Session> {
        let meta =
            std::fs::metadata(&target.real).map_err(|e| Error::io("read", &target.real, e))?;
        let perms = atomic::Perms::of(&meta);
        let mut session = Session {
            bytes: Arc::new(Vec::new()),
            state: State::default(),
            recovery: Vec::new(),
            perms,
            lock: None,
            target,
        };
        if session.target.state_dir.is_dir() {
            session.lock = Some(lock(&session.target, caller, perms)?);
            crate::crash::point("after-lock");
            session.remove_stale_temp_files(false);
            session.state = read_state(&session.target.state_file())?;
            session.recovery = session.recover(session.state.serial)?;
            if session
                .recovery
                .iter()
                .any(|r| matches!(r, Recovery::Finished(_)))
            {
                session.state = read_state(&session.target.state_file())?;
            }
        }
        session.bytes = Arc::new(read(&session.target.real)?);
        Ok(session)
    }

    /// Opens a target to look at it when [`Session::open`] cannot lock it (another user's
    /// state): reads notes.ini and the committed state, without a lock and without resolving an
    /// interrupted write. Readers always see a whole state file (it is replaced by a rename);
    /// any write through this session fails at [`Session::lock_for_write`], as it must.
    pub fn open_unlocked(target: Target) -> Result<Session> {
        let meta =
            std::fs::metadata(&target.real).map_err(|e| Error::io("read", &target.real, e))?;
        Ok(Session {
            bytes: Arc::new(read(&target.real)?),
            state: read_state(&target.state_file())?,
            recovery: Vec::new(),
            perms: atomic::Perms::of(&meta),
            lock: None,
            target,
        })
    }

    /// Makes sure the target is locked before a write, creating the state directory on first
    /// use. When that happens, notes.ini and the state are read again; if either changed since
    /// [`Session::open`] read them, the command must start over.
    pub fn lock_for_write(&mut self, caller: &Caller) -> Result<()> {
        if self.lock.is_some() {
            return Ok(());
        }
        create_state_dir(&self.target, self.perms)?;
        self.lock = Some(lock(&self.target, caller, self.perms)?);
        crate::crash::point("after-lock");
        let state = read_state(&self.target.state_file())?;
        if !self.recover(state.serial)?.is_empty()
            || !same_content(&self.target.real, &self.bytes)?
            || state != self.state
        {
            return Err(Error::StartOver);
        }
        Ok(())
    }

    /// Reads notes.ini again (the server wrote it, in console mode).
    pub fn reread(&mut self) -> Result<()> {
        self.bytes = Arc::new(read(&self.target.real)?);
        Ok(())
    }

    /// Writes the state alone, before console commands change the file through the server (so
    /// the baselines are durable first); no audit record.
    pub fn write_state_only(&mut self, caller: &Caller, state: &State) -> Result<()> {
        self.lock_for_write(caller)?;
        let state = self.next(caller, state);
        self.write_state(&state)?;
        self.state = state;
        Ok(())
    }

    /// `state` as the next commit records it: stamped with the caller's clock (see
    /// [`crate::lease::effective_now`]) and one serial above the committed state.
    fn next(&self, caller: &Caller, state: &State) -> State {
        State {
            clock: Some(anchor(self.state.clock.as_ref(), &caller.clock())),
            serial: self.state.serial + 1,
            ..state.clone()
        }
    }

    /// The document as read.
    pub fn doc(&self) -> Document {
        Document::from_shared(self.bytes.clone())
    }

    /// Removes dbgini's temp files for this target: in the state directory and among the
    /// backups (a few entries each), and with `beside_ini` beside notes.ini too.
    fn remove_stale_temp_files(&self, beside_ini: bool) {
        let prefix = self.target.temp_prefix();
        let dir = self.target.real.parent().unwrap_or(Path::new("/"));
        let backups = self.target.backups_dir();
        let state_dirs = [self.target.state_dir.as_path(), backups.as_path()];
        for d in state_dirs.into_iter().chain(beside_ini.then_some(dir)) {
            let Ok(entries) = std::fs::read_dir(d) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(&prefix) || (d != dir && name.starts_with(atomic::TEMP_PREFIX))
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// Resolves the pending records newer than the committed state, newest first: notes.ini
    /// as the record meant to leave it finishes the operation (the record's state is written);
    /// notes.ini as it was before drops the record and looks at the older one; anything else
    /// stops with [`Error::Interrupted`]. Torn and dropped records are emptied.
    fn recover(&self, committed: u64) -> Result<Vec<Recovery>> {
        let mut done = Vec::new();
        let mut records = Vec::new();
        for path in self.target.pending_files() {
            match read_pending(&path, committed)? {
                Framed::Empty => {}
                Framed::Torn => {
                    clear_pending(&path)?;
                    done.push(Recovery::Torn);
                }
                Framed::Valid(p) => records.push((path, p)),
            }
        }
        if records.is_empty() {
            return Ok(done);
        }
        // Temp files beside notes.ini are only made after a record is durable, so only an
        // interrupted write can have left one there; looking for them on every open would list
        // the whole data directory.
        self.remove_stale_temp_files(true);
        records.sort_by_key(|(_, p)| std::cmp::Reverse(p.state.serial));
        let now = sha256(&read(&self.target.real)?);
        for (path, pending) in records {
            if now == pending.after_sha256 {
                self.write_state(&pending.state)?;
                done.push(Recovery::Finished(pending.op));
                break;
            } else if now == pending.before_sha256 {
                clear_pending(&path)?;
                done.push(Recovery::Discarded(pending.op));
            } else {
                return Err(Error::Interrupted {
                    op: pending.op,
                    path: self.target.real.clone(),
                    pending: path,
                    backup: newest_backup(&self.target),
                });
            }
        }
        Ok(done)
    }

    /// Writes the pending record in place and makes it durable: one `fdatasync`, and a directory
    /// sync only the first time the file is created (no temp file, no rename). A crash while
    /// writing leaves a record whose checksum fails: it predates any change to notes.ini.
    fn write_pending(&self, path: &Path, serial: u64, body: &str) -> Result<()> {
        let record = format!(
            "{PENDING_MAGIC} {serial} {} {}\n{body}",
            body.len(),
            sha256(body.as_bytes())
        );
        let existed = path.exists();
        atomic::overwrite(path, record.as_bytes(), self.perms.private(), true)
            .and_then(|()| {
                if existed {
                    Ok(())
                } else {
                    atomic::sync_dir(&self.target.state_dir)
                }
            })
            .map_err(|e| Error::io("write", path, e))
    }

    fn write_state(&self, state: &State) -> Result<()> {
        self.write_state_as(state, true)
    }

    fn write_state_relaxed(&self, state: &State) -> Result<()> {
        self.write_state_as(state, false)
    }

    fn write_state_as(&self, state: &State, durable: bool) -> Result<()> {
        let path = self.target.state_file();
        let text = toml::to_string_pretty(state).map_err(|e| Error::BadState {
            path: path.clone(),
            msg: e.to_string(),
        })?;
        atomic::write_twin(&path, text.as_bytes(), self.perms.private(), durable)
            .map_err(|e| Error::io("write", path, e))
    }

    /// Makes `after` and `state` durable, in the order that recovery relies on, and appends
    /// `audit` to the log. `after` equal to what was read writes only the state; when neither
    /// changed, nothing is written. The state is stamped with the caller's clock (see
    /// [`crate::lease::effective_now`]). Afterwards the session holds the new file and state.
    pub fn commit(
        &mut self,
        caller: &Caller,
        op: &str,
        after: &crate::ini::Shared,
        state: &State,
        mut audit: AuditRecord,
    ) -> Result<()> {
        let after_arc = after.clone();
        let after: &[u8] = after;
        let changed = after != self.bytes.as_slice();
        if !changed && state == &self.state {
            return Ok(());
        }
        self.lock_for_write(caller)?;
        let state = &self.next(caller, state);
        let real = &self.target.real;
        audit.before_sha256 = sha256(&self.bytes);
        audit.after_sha256 = sha256(after);
        if changed {
            let pending = Pending {
                op: op.to_string(),
                started: audit.time,
                before_sha256: audit.before_sha256.clone(),
                after_sha256: audit.after_sha256.clone(),
                state: state.clone(),
            };
            let path = self.target.pending_file(state.serial);
            let text = toml::to_string_pretty(&pending).map_err(|e| Error::BadState {
                path: path.clone(),
                msg: e.to_string(),
            })?;
            self.write_pending(&path, state.serial, &text)?;
            crate::crash::point("after-pending");
            let replaced = self.backup(audit.time).and_then(|()| {
                crate::crash::point("after-backup");
                if !same_content(real, &self.bytes)? {
                    return Err(Error::ChangedUnderneath { path: real.clone() });
                }
                let hook = |name: &str| {
                    crate::crash::point(name);
                    crate::crash::fail(name)
                };
                atomic::write_hooked(real, after, self.perms, &hook)
                    .map_err(|e| Error::io("replace", real, e))
            });
            if let Err(e) = replaced {
                // The new file in place (the rename happened, and only syncing its directory
                // failed): the record stays, and the next command finishes the operation from it.
                // Anything else (unchanged, or changed by another program): the record is void.
                if same_content(real, after).unwrap_or(false) {
                    return Err(unfinished(real, "making it durable")(e));
                }
                let _ = clear_pending(&path);
                return Err(e);
            }
            // From here on the pending record recovers everything after a power cut, so the
            // state needs no fsync of its own. The record is not emptied: once the state is
            // written it is older than the state, and the next commit writes the other slot,
            // so this record stays whole until a newer one is durable.
            self.write_state_relaxed(state)
                .map_err(unfinished(real, "recording its lease state"))?;
            crate::crash::point("after-state");
            crate::crash::point("before-done");
        } else {
            self.write_state(state)?;
        }
        self.bytes = after_arc;
        self.state = state.clone();
        self.state.ended.clear();
        let logged = self
            .append_ended(&state.ended)
            .and_then(|()| self.append_audit(&audit));
        match logged {
            Err(e) if changed => Err(unfinished(&self.target.real, "writing the audit log")(e)),
            other => other,
        }
    }

    fn backup(&self, now: Timestamp) -> Result<()> {
        let dir = self.target.backups_dir();
        ensure_dir(&dir, self.perms)?;
        let name = self
            .target
            .real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let mut path = dir.join(format!("{name}.{stamp}"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{name}.{stamp}-{n:03}"));
        }
        // A hard link keeps the old file's inode, which the replace then leaves to the backup
        // alone: no copy, no fsync (backups are a convenience; the pending record is the
        // guarantee). Where links are not possible, a copy.
        if std::fs::hard_link(&self.target.real, &path).is_err() {
            atomic::write_relaxed(&path, &self.bytes, self.perms.private())
                .map_err(|e| Error::io("write backup", &path, e))?;
        }
        let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io("list", &dir, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with(&format!("{name}.")))
            })
            .collect();
        all.sort();
        for old in all.iter().rev().skip(BACKUPS_KEPT) {
            let _ = std::fs::remove_file(old);
        }
        Ok(())
    }

    /// Appends a record to the audit log (`commit` does this for writes).
    pub fn append_audit(&self, record: &AuditRecord) -> Result<()> {
        let path = self.target.audit_file();
        let mut line = serde_json::to_string(record).map_err(|e| Error::BadState {
            path: path.clone(),
            msg: e.to_string(),
        })?;
        line.push('\n');
        self.append_line(&path, &line)
    }

    fn append_ended(&self, ended: &[crate::lease::Ended]) -> Result<()> {
        if ended.is_empty() {
            return Ok(());
        }
        let path = self.target.ended_file();
        let mut text = String::new();
        for e in ended {
            text.push_str(&serde_json::to_string(e).map_err(|err| Error::BadState {
                path: path.clone(),
                msg: err.to_string(),
            })?);
            text.push('\n');
        }
        // History, bounded: past 1 MiB the log keeps only what `status` and `bundle` show.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > 1 << 20) {
            let mut kept = String::new();
            for e in read_ended(&self.target) {
                kept.push_str(&serde_json::to_string(&e).unwrap_or_default());
                kept.push('\n');
            }
            kept.push_str(&text);
            return atomic::write_relaxed(&path, kept.as_bytes(), self.perms.private())
                .map_err(|e| Error::io("write", &path, e));
        }
        self.append_line(&path, &text)
    }

    /// Appends to a log beside the state, created with the state's permissions.
    fn append_line(&self, path: &Path, line: &str) -> Result<()> {
        let path = path.to_path_buf();
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, self.perms.private().mode);
        let new = !path.exists();
        let mut f = opts.open(&path).map_err(|e| Error::io("open", &path, e))?;
        if new {
            atomic::set_perms(&path, self.perms.private())
                .map_err(|e| Error::io("set the owner of", &path, e))?;
        }
        // No fsync: a power cut may lose the newest line of the log, never the state.
        f.write_all(line.as_bytes())
            .map_err(|e| Error::io("append to", &path, e))
    }
}

/// The leases that ended most recently, oldest first (at most [`crate::lease::ENDED_KEPT`]).
/// Unreadable lines (a log cut short by a crash) are skipped: this is history, not state.
pub fn read_ended(target: &Target) -> Vec<crate::lease::Ended> {
    let Ok(text) = std::fs::read_to_string(target.ended_file()) else {
        return Vec::new();
    };
    let all: Vec<crate::lease::Ended> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    all[all.len().saturating_sub(crate::lease::ENDED_KEPT)..].to_vec()
}

/// Reads the audit log, oldest first.
pub fn read_audit(target: &Target) -> Result<Vec<AuditRecord>> {
    let path = target.audit_file();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    text.lines()
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

fn newest_backup(target: &Target) -> Option<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(target.backups_dir())
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    all.sort();
    all.pop()
}

/// Turns an I/O error that came after notes.ini was replaced into [`Error::Unfinished`]: the
/// generic advice for I/O errors says notes.ini was not changed, which is no longer true.
fn unfinished(path: &Path, step: &'static str) -> impl FnOnce(Error) -> Error {
    let path = path.to_path_buf();
    move |e| match e {
        Error::Io { source, .. } => Error::Unfinished { path, step, source },
        other => other,
    }
}

/// The first line of a pending record: `dbgini-pending 2 <serial> <body length> <sha256 of the
/// body>`, the serial being that of the state in the body.
const PENDING_MAGIC: &str = "dbgini-pending 2";

/// A pending record as read.
enum Framed {
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
fn read_pending(path: &Path, committed: u64) -> Result<Framed> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Framed::Empty),
        Err(e) => return Err(Error::io("read", path, e)),
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
                path: path.to_path_buf(),
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
fn clear_pending(path: &Path) -> Result<()> {
    match OpenOptions::new().write(true).open(path) {
        Ok(f) => f.set_len(0).map_err(|e| Error::io("clear", path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("clear", path, e)),
    }
}

/// Whether a target has a pending record newer than the state with serial `committed` (an
/// interrupted operation the next command must resolve), for commands that change nothing.
pub fn has_pending(target: &Target, committed: u64) -> bool {
    target
        .pending_files()
        .iter()
        .any(|path| !matches!(read_pending(path, committed), Ok(Framed::Empty)))
}

/// Whether the file at `path` holds exactly `bytes`, compared as it is read (no second copy).
fn same_content(path: &Path, bytes: &[u8]) -> Result<bool> {
    let io = |e| Error::io("read", path, e);
    let mut f = File::open(path).map_err(io)?;
    if f.metadata().map_err(io)?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    // No bigger than the file: a small notes.ini needs no 64 KiB of fresh pages.
    let mut buf = vec![0u8; bytes.len().clamp(1, 1 << 16)];
    let mut at = 0;
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(at == bytes.len());
        }
        if at + n > bytes.len() || buf[..n] != bytes[at..at + n] {
            return Ok(false);
        }
        at += n;
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io("read", path, e))
}

/// Reads a target's committed state without locking or recovering (for `doctor`).
pub fn peek_state(target: &Target) -> Result<State> {
    read_state(&target.state_file())
}

fn read_state(path: &Path) -> Result<State> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    #[derive(Deserialize)]
    struct Version {
        version: Option<u32>,
    }
    let bad = |msg: String| Error::BadState {
        path: path.to_path_buf(),
        msg,
    };
    let v: Version = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    match v.version {
        Some(STATE_VERSION) => toml::from_str(&text).map_err(|e| bad(e.message().to_string())),
        Some(n) if n > STATE_VERSION => Err(bad(format!(
            "it was written by a newer dbgini (state version {n}); upgrade dbgini"
        ))),
        other => Err(bad(format!("unknown state version {other:?}"))),
    }
}

/// Directory mode: owner rwx, and r-x for group and others only where notes.ini is readable by them.
fn dir_mode(perms: atomic::Perms) -> u32 {
    let m = perms.mode;
    0o700 | if m & 0o040 != 0 { 0o050 } else { 0 } | if m & 0o004 != 0 { 0o005 } else { 0 }
}

fn ensure_dir(dir: &Path, perms: atomic::Perms) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    match std::fs::create_dir(dir) {
        // Another dbgini created it first (two first-time enables at once): its owner and mode
        // are that one's to set.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => return Ok(()),
        other => other.map_err(|e| Error::io("create", dir, e))?,
    }
    atomic::set_perms(
        dir,
        atomic::Perms {
            mode: dir_mode(perms),
            ..perms
        },
    )
    .map_err(|e| Error::io("set the owner of", dir, e))
}

fn create_state_dir(target: &Target, perms: atomic::Perms) -> Result<()> {
    let parent = target.state_dir.parent().unwrap_or(Path::new("/"));
    ensure_dir(parent, perms)?;
    ensure_dir(&target.state_dir, perms)
}

fn lock(target: &Target, caller: &Caller, perms: atomic::Perms) -> Result<File> {
    let path = target.state_dir.join("lock");
    let new = !path.exists();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io("open the lock file", &path, e))?;
    if new {
        atomic::set_perms(&path, perms.private())
            .map_err(|e| Error::io("set the owner of", &path, e))?;
    }
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < caller.lock_timeout => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file
                    .rewind()
                    .and_then(|()| file.read_to_string(&mut holder));
                let holder = holder.trim();
                return Err(Error::Locked {
                    holder: if holder.is_empty() {
                        "holder unknown".into()
                    } else {
                        holder.into()
                    },
                    waited_secs: caller.lock_timeout.as_secs(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
    }
    let who = format!(
        "pid {} `{}` by {}@{} since {}",
        std::process::id(),
        caller.command,
        caller.user,
        caller.host,
        caller.now
    );
    // The holder line is only informative: failing to write it does not matter. Written over the
    // old one, then cut to length: emptying the file first would free its block each time.
    let _ = file
        .rewind()
        .and_then(|()| file.write_all(who.as_bytes()))
        .and_then(|()| file.set_len(who.len() as u64));
    Ok(file)
}

/// The boot id and the time since boot (Linux), for [`crate::lease::Clock`]; `None` elsewhere.
pub fn boot_clock() -> Option<(String, jiff::SignedDuration)> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    Some((
        id.trim().to_string(),
        jiff::SignedDuration::from_secs_f64(secs),
    ))
}

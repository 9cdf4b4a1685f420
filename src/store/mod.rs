//! Where dbgini keeps its state for one notes.ini, and the durable write path.
//!
//! State lives beside the target, in `.dbgini/<file name>/` next to the real notes.ini (after
//! following symlinks), so every user and tool that manages that file sees the same leases:
//!
//! | file | what |
//! |---|---|
//! | `lock` | held exclusively while a command works on the target; says who holds it |
//! | `state.toml` | active leases and managed keys ([`crate::lease::State`]) |
//! | `pending.0`, `pending.1` | the intent records (`journal.rs`, [`resolve`]): written (in place, checksummed) before notes.ini changes, in turn: what recovery needs |
//! | `backups/` | the last [`BACKUPS_KEPT`] versions of notes.ini before dbgini changed it |
//! | `audit.jsonl`, `ended.jsonl` | one JSON line per write, per ended lease (`logs.rs`) |
//!
//! A write ([`Session::commit`]) goes: pending record (durable) -> backup -> check the file did not
//! change since it was read -> atomic replace -> state (which marks the record as done) -> logs. Whatever point a crash
//! stops it at, the next [`Session::open`] finds notes.ini either whole-old or whole-new and makes
//! the state agree (see [`Recovery`]).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use sha2::Digest;

mod journal;
mod lock;
mod logs;

pub use journal::{Hashes, Step, has_pending, resolve};
pub use logs::{AuditRecord, read_audit, read_ended};

use journal::{Framed, Pending, clear_pending, pending_name, read_pending};
use lock::lock;

use crate::atomic::{self, Perms};
use crate::error::{Error, Result};
use crate::ini::Document;
use crate::lease::{Clock, STATE_VERSION, State, anchor};
use crate::safe::{Dir, Open};

/// How many backups of notes.ini are kept.
pub const BACKUPS_KEPT: usize = 10;

/// A notes.ini and the paths of its state.
#[derive(Clone, Debug)]
pub struct Target {
    /// The path as given.
    pub ini: PathBuf,
    /// The real file (symlinks followed): what is replaced.
    pub real: PathBuf,
    /// The directory that holds the real file (the data directory, usually).
    pub dir: PathBuf,
    /// The real file's name in it.
    pub name: String,
    /// `.dbgini/<file name>/` beside the real file (for messages: it is opened through [`Dir`]
    /// handles, never by this path).
    pub state_dir: PathBuf,
    /// The real file's mode and owner when it was resolved. Every file and directory dbgini keeps
    /// for it is created with that owner and must still have it when it is opened again.
    pub perms: Perms,
}

/// The state directory's name in the directory of notes.ini.
const STATE_DIR: &str = ".dbgini";
/// The state file.
const STATE: &str = "state.toml";
/// The lock file.
const LOCK: &str = "lock";
/// The audit log.
const AUDIT: &str = "audit.jsonl";
/// Leases that ended, for `status` and `bundle`.
const ENDED: &str = "ended.jsonl";
/// The backups of notes.ini.
const BACKUPS: &str = "backups";

impl Target {
    /// Resolves the real file and the state directory.
    ///
    /// As root, a notes.ini reached through symbolic links is followed only when root or the
    /// file's owner made every link on the way, and, if the owner did, only into a directory the
    /// owner may write: otherwise whoever controls a link could make root manage (write, and
    /// create state beside) a file of their choosing.
    pub fn resolve(ini: &Path) -> Result<Target> {
        let real = dunce::canonicalize(ini).map_err(|e| Error::io("open", ini, e))?;
        let meta = std::fs::symlink_metadata(&real).map_err(|e| Error::io("open", ini, e))?;
        if meta.is_dir() {
            return Err(Error::invalid(
                format!("{} is a directory", ini.display()),
                "--ini must name the notes.ini file itself, not its directory",
            ));
        }
        if !meta.is_file() {
            return Err(Error::invalid(
                format!("{} is not a regular file", ini.display()),
                "--ini must name the server's notes.ini, a regular file (not a device, a pipe or a socket)",
            ));
        }
        let dir = real.parent().unwrap_or(Path::new("/")).to_path_buf();
        let name = real
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                Error::invalid(
                    format!("{}: the file name is not UTF-8", real.display()),
                    "rename the file to an ASCII name such as notes.ini",
                )
            })?
            .to_string();
        let perms = Perms::of(&meta);
        if crate::safe::is_root() {
            check_links(ini, &real, &dir, perms)?;
        }
        Ok(Target {
            ini: ini.to_path_buf(),
            state_dir: dir.join(STATE_DIR).join(&name),
            dir,
            name,
            real,
            perms,
        })
    }

    /// Opens the directory that holds notes.ini: the one directory reached by path.
    pub fn data(&self) -> Result<Dir> {
        Dir::anchor(&self.dir, self.perms)
    }

    /// Opens the state directory, when there is one.
    pub fn state(&self) -> Result<Option<Dir>> {
        open_state_dir(&self.data()?, &self.name)
    }

    /// Reads notes.ini: not through a link, and only while it is a regular file with the owner
    /// it had when it was resolved.
    pub fn read_ini(&self) -> Result<Vec<u8>> {
        read_ini(&self.data()?, self)
    }

    /// The path of a file in the state directory, for messages.
    pub fn path(&self, name: &str) -> PathBuf {
        self.state_dir.join(name)
    }

    fn temp_prefix(&self) -> String {
        atomic::temp_prefix(std::ffi::OsStr::new(&self.name))
    }
}

/// `.dbgini/<name>` in `data`, opened without following links and checked; `None` when missing.
fn open_state_dir(data: &Dir, name: &str) -> Result<Option<Dir>> {
    match data.sub(STATE_DIR)? {
        Some(top) => top.sub(name),
        None => Ok(None),
    }
}

/// Reads notes.ini through the handle on its directory (see [`Target::read_ini`]).
fn read_ini(data: &Dir, target: &Target) -> Result<Vec<u8>> {
    let mut f = open_ini(data, target)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", &target.real, e))?;
    Ok(bytes)
}

fn open_ini(data: &Dir, target: &Target) -> Result<File> {
    data.open_file(&target.name, Open::ReadShared)?
        .map(|(f, _)| f)
        .ok_or_else(|| Error::io("read", &target.real, std::io::ErrorKind::NotFound.into()))
}

/// The links met on the way from `ini` to the real file, each with its owner (see
/// [`Target::resolve`]): refused unless root or the file's owner made them.
fn check_links(ini: &Path, real: &Path, dir: &Path, perms: Perms) -> Result<()> {
    let links = links_on_the_way(ini).map_err(|e| Error::io("open", ini, e))?;
    if let Some((link, uid)) = links.iter().find(|(_, uid)| *uid != 0 && *uid != perms.uid) {
        return Err(Error::Untrusted {
            path: link.clone(),
            what: format!(
                "is a symbolic link made by uid {uid}, who does not own {} (uid {}); as root, dbgini follows a link to notes.ini only when root or the file's owner made it",
                real.display(),
                perms.uid
            ),
        });
    }
    if links.iter().any(|(_, uid)| *uid != 0) && !may_write(dir, perms) {
        return Err(Error::Untrusted {
            path: ini.to_path_buf(),
            what: format!(
                "leads through a link of uid {} to {}, in a directory that user may not write; as root, dbgini will not manage a file there",
                perms.uid,
                real.display()
            ),
        });
    }
    Ok(())
}

/// Whether the owner of `perms` may write the directory `dir` (owner, or the write bits for
/// its group or everyone).
#[cfg(unix)]
fn may_write(dir: &Path, perms: Perms) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).is_ok_and(|m| {
        m.uid() == perms.uid
            || m.mode() & 0o002 != 0
            || (m.mode() & 0o020 != 0 && m.gid() == perms.gid)
    })
}

#[cfg(not(unix))]
fn may_write(_dir: &Path, _perms: Perms) -> bool {
    true
}

/// Every symbolic link resolving `path` meets, with its owner, in order.
#[cfg(unix)]
fn links_on_the_way(path: &Path) -> std::io::Result<Vec<(PathBuf, u32)>> {
    use std::collections::VecDeque;
    use std::os::unix::fs::MetadataExt;
    use std::path::Component;
    let path = std::path::absolute(path)?;
    let mut todo: VecDeque<PathBuf> = path
        .components()
        .map(|c| PathBuf::from(c.as_os_str()))
        .collect();
    let mut at = PathBuf::new();
    let mut links = Vec::new();
    while let Some(part) = todo.pop_front() {
        match part.components().next() {
            Some(Component::RootDir) => at = PathBuf::from("/"),
            Some(Component::ParentDir) => {
                at.pop();
            }
            Some(Component::Normal(_)) => {
                let next = at.join(&part);
                let m = std::fs::symlink_metadata(&next)?;
                if !m.file_type().is_symlink() {
                    at = next;
                    continue;
                }
                if links.len() >= 40 {
                    return Err(std::io::Error::other("too many levels of symbolic links"));
                }
                links.push((next.clone(), m.uid()));
                let to = std::fs::read_link(&next)?;
                for c in to.components().rev() {
                    todo.push_front(PathBuf::from(c.as_os_str()));
                }
            }
            _ => {}
        }
    }
    Ok(links)
}

#[cfg(not(unix))]
fn links_on_the_way(_path: &Path) -> std::io::Result<Vec<(PathBuf, u32)>> {
    Ok(Vec::new())
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
    /// The directory holding notes.ini.
    data: Dir,
    /// The state directory, once it exists.
    dir: Option<Dir>,
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
        let data = target.data()?;
        let dir = open_state_dir(&data, &target.name)?;
        let mut session = Session {
            bytes: Arc::new(Vec::new()),
            state: State::default(),
            recovery: Vec::new(),
            data,
            dir,
            lock: None,
            target,
        };
        if let Some(dir) = &session.dir {
            session.lock = Some(lock(dir, caller)?);
            check_state_files(dir)?;
            crate::crash::point("after-lock");
            session.remove_stale_temp_files(false);
            session.state = read_state(dir)?;
            session.recovery = session.recover(session.state.serial)?;
            if session
                .recovery
                .iter()
                .any(|r| matches!(r, Recovery::Finished(_)))
            {
                session.state = read_state(session.state_dir()?)?;
            }
        }
        session.bytes = Arc::new(read_ini(&session.data, &session.target)?);
        Ok(session)
    }

    /// Opens a target to look at it when [`Session::open`] cannot lock it (another user's
    /// state): reads notes.ini and the committed state, without a lock and without resolving an
    /// interrupted write. Readers always see a whole state file (it is replaced by a rename);
    /// any write through this session fails at [`Session::lock_for_write`], as it must.
    pub fn open_unlocked(target: Target) -> Result<Session> {
        let data = target.data()?;
        let dir = open_state_dir(&data, &target.name)?;
        let state = match &dir {
            Some(d) => read_state(d)?,
            None => State::default(),
        };
        Ok(Session {
            bytes: Arc::new(read_ini(&data, &target)?),
            state,
            recovery: Vec::new(),
            data,
            dir,
            lock: None,
            target,
        })
    }

    /// The state directory (it exists once the session is locked).
    fn state_dir(&self) -> Result<&Dir> {
        self.dir.as_ref().ok_or_else(|| {
            Error::io(
                "open",
                &self.target.state_dir,
                std::io::ErrorKind::NotFound.into(),
            )
        })
    }

    /// Makes sure the target is locked before a write, creating the state directory on first
    /// use. When that happens, notes.ini and the state are read again; if either changed since
    /// [`Session::open`] read them, the command must start over.
    pub fn lock_for_write(&mut self, caller: &Caller) -> Result<()> {
        if self.lock.is_some() {
            return Ok(());
        }
        let dir = self.data.make_sub(STATE_DIR)?.make_sub(&self.target.name)?;
        self.lock = Some(lock(&dir, caller)?);
        check_state_files(&dir)?;
        self.dir = Some(dir);
        crate::crash::point("after-lock");
        let state = read_state(self.state_dir()?)?;
        if !self.recover(state.serial)?.is_empty()
            || !self.same_content(&self.bytes)?
            || state != self.state
        {
            return Err(Error::StartOver);
        }
        Ok(())
    }

    /// Reads notes.ini again (the server wrote it, in console mode).
    pub fn reread(&mut self) -> Result<()> {
        self.bytes = Arc::new(read_ini(&self.data, &self.target)?);
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

    /// Whether notes.ini holds exactly `bytes` now.
    fn same_content(&self, bytes: &[u8]) -> Result<bool> {
        same_content(
            open_ini(&self.data, &self.target)?,
            &self.target.real,
            bytes,
        )
    }

    /// Removes dbgini's temp files for this target: in the state directory and among the
    /// backups (a few entries each), and with `beside_ini` beside notes.ini too. Names are
    /// removed, never what a link points to.
    fn remove_stale_temp_files(&self, beside_ini: bool) {
        let prefix = self.target.temp_prefix();
        let Some(state) = &self.dir else { return };
        let backups = state.sub(BACKUPS).ok().flatten();
        for d in [Some(state), backups.as_ref()].into_iter().flatten() {
            for name in d.names().unwrap_or_default() {
                if name.starts_with(atomic::TEMP_PREFIX) {
                    let _ = d.remove(&name);
                }
            }
        }
        if beside_ini {
            for name in self.data.names().unwrap_or_default() {
                if name.starts_with(&prefix) {
                    let _ = self.data.remove(&name);
                }
            }
        }
    }

    /// Resolves the pending records newer than the committed state, newest first, as
    /// [`journal::resolve`] decides: a finished record's state is written, a discarded record
    /// is emptied, a stop is [`Error::Interrupted`]. Torn records are emptied.
    fn recover(&self, committed: u64) -> Result<Vec<Recovery>> {
        let dir = self.state_dir()?;
        let mut done = Vec::new();
        let mut records = Vec::new();
        for name in [pending_name(0), pending_name(1)] {
            match read_pending(dir, name, committed)? {
                Framed::Empty => {}
                Framed::Torn => {
                    clear_pending(dir, name)?;
                    done.push(Recovery::Torn);
                }
                Framed::Valid(p) => records.push((name, p)),
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
        let now = sha256(&read_ini(&self.data, &self.target)?);
        let hashes: Vec<journal::Hashes> = records
            .iter()
            .map(|(_, p)| journal::Hashes {
                before: &p.before_sha256,
                after: &p.after_sha256,
            })
            .collect();
        for step in journal::resolve(&hashes, &now) {
            match step {
                journal::Step::Finish(i) => {
                    self.write_state(&records[i].1.state)?;
                    done.push(Recovery::Finished(records[i].1.op.clone()));
                }
                journal::Step::Discard(i) => {
                    clear_pending(dir, records[i].0)?;
                    done.push(Recovery::Discarded(records[i].1.op.clone()));
                }
                journal::Step::Stop(i) => {
                    return Err(Error::Interrupted {
                        op: records[i].1.op.clone(),
                        path: self.target.real.clone(),
                        pending: dir.join(records[i].0),
                        backup: newest_backup(dir),
                    });
                }
            }
        }
        Ok(done)
    }

    fn write_state(&self, state: &State) -> Result<()> {
        self.write_state_as(state, true)
    }

    fn write_state_relaxed(&self, state: &State) -> Result<()> {
        self.write_state_as(state, false)
    }

    fn write_state_as(&self, state: &State, durable: bool) -> Result<()> {
        let dir = self.state_dir()?;
        crate::crash::fail("write-state").map_err(|e| Error::io("write", dir.join(STATE), e))?;
        let text = toml::to_string_pretty(state).map_err(|e| Error::BadState {
            path: dir.join(STATE),
            msg: e.to_string(),
        })?;
        dir.write_twin(STATE, text.as_bytes(), durable)
    }

    /// Makes `after` and `state` durable, in the order that recovery relies on, and appends
    /// `ended` to the ended-lease log and `audit` to the audit log. `after` equal to what was read writes only the state; when neither
    /// changed, nothing is written. The state is stamped with the caller's clock (see
    /// [`crate::lease::effective_now`]). Afterwards the session holds the new file and state.
    pub fn commit(
        &mut self,
        caller: &Caller,
        op: &str,
        after: &crate::ini::Shared,
        state: &State,
        ended: &[crate::lease::Ended],
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
            let name = pending_name(state.serial);
            let text = toml::to_string_pretty(&pending).map_err(|e| Error::BadState {
                path: self.target.path(name),
                msg: e.to_string(),
            })?;
            self.write_pending(name, state.serial, &text)?;
            crate::crash::point("after-pending");
            let replaced = self.backup(audit.time).and_then(|()| {
                crate::crash::point("after-backup");
                if !self.same_content(&self.bytes)? {
                    return Err(Error::ChangedUnderneath { path: real.clone() });
                }
                let hook = |name: &str| {
                    crate::crash::point(name);
                    crate::crash::fail(name)
                };
                self.data
                    .replace_hooked(&self.target.name, after, self.target.perms, true, &hook)
            });
            if let Err(e) = replaced {
                // The new file in place (the rename happened, and only syncing its directory
                // failed): the record stays, and the next command finishes the operation from it.
                // Anything else (unchanged, or changed by another program): the record is void.
                if self.same_content(after).unwrap_or(false) {
                    return Err(unfinished(real, "making it durable")(e));
                }
                let _ = clear_pending(self.state_dir()?, name);
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
        let logged = self
            .append_ended(ended)
            .and_then(|()| self.append_audit(&audit));
        match logged {
            Err(e) if changed => Err(unfinished(&self.target.real, "writing the audit log")(e)),
            other => other,
        }
    }

    fn backup(&self, now: Timestamp) -> Result<()> {
        let dir = self.state_dir()?.make_sub(BACKUPS)?;
        let name = &self.target.name;
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let mut file = format!("{name}.{stamp}");
        let mut n = 1;
        while dir.exists(&file) {
            n += 1;
            file = format!("{name}.{stamp}-{n:03}");
        }
        // A hard link keeps the old file's inode, which the replace then leaves to the backup
        // alone: no copy, no fsync (backups are a convenience; the pending record is the
        // guarantee). Where links are not possible, a copy.
        if dir.link_from(&self.data, name, &file).is_err() {
            dir.replace(&file, &self.bytes, self.target.perms.private(), false)?;
        }
        let mut all: Vec<String> = dir
            .names()
            .map_err(|e| Error::io("list", dir.path(), e))?
            .into_iter()
            .filter(|f| f.starts_with(&format!("{name}.")))
            .collect();
        all.sort();
        for old in all.iter().rev().skip(BACKUPS_KEPT) {
            let _ = dir.remove(old);
        }
        Ok(())
    }
}

fn newest_backup(dir: &Dir) -> Option<PathBuf> {
    let backups = dir.sub(BACKUPS).ok()??;
    let mut all = backups.names().ok()?;
    all.sort();
    all.pop().map(|n| backups.join(&n))
}

/// Turns an I/O error that came after notes.ini was replaced into [`Error::Unfinished`]: the
/// generic advice for I/O errors says notes.ini was not changed, which is no longer true.
fn unfinished(path: &Path, step: &'static str) -> impl FnOnce(Error) -> Error {
    let path = path.to_path_buf();
    move |e| match e {
        Error::Io { source, .. } => Error::Unfinished { path, step, source },
        Error::Unfinished { .. } => e,
        other => Error::Unfinished {
            path,
            step,
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// Whether `f` (the file at `path`) holds exactly `bytes`, compared as it is read (no second copy).
fn same_content(mut f: File, path: &Path, bytes: &[u8]) -> Result<bool> {
    let io = |e| Error::io("read", path, e);
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

/// Reads a target's committed state without locking or recovering (for `doctor`), after the
/// same checks of the state folder that every locked open makes.
pub fn peek_state(target: &Target) -> Result<State> {
    match target.state()? {
        Some(dir) => {
            dir.check_entry(LOCK, false)?;
            check_state_files(&dir)?;
            read_state(&dir)
        }
        None => Ok(State::default()),
    }
}

fn read_state(dir: &Dir) -> Result<State> {
    let path = dir.join(STATE);
    let bad = |msg: String| Error::BadState {
        path: path.clone(),
        msg,
    };
    let Some(bytes) = dir.read(STATE)? else {
        return Ok(State::default());
    };
    let text = String::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text".into()))?;
    if text.trim().is_empty() {
        return Err(bad(
            "it is empty (a crash or a full disk may have cut it short)".into(),
        ));
    }
    #[derive(Deserialize)]
    struct Version {
        version: Option<u32>,
    }
    let v: Version = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    match v.version {
        Some(STATE_VERSION) => toml::from_str(&text).map_err(|e| bad(e.message().to_string())),
        Some(n) if n > STATE_VERSION => Err(bad(format!(
            "it was written by a newer dbgini (state version {n}); upgrade dbgini"
        ))),
        other => Err(bad(format!("unknown state version {other:?}"))),
    }
}

/// Checks every name a write may touch in the state directory before anything is written, so
/// that a file planted there stops the command before notes.ini changes, not halfway.
fn check_state_files(dir: &Dir) -> Result<()> {
    let twins = [format!("{STATE}.a"), format!("{STATE}.b")];
    for name in [STATE, AUDIT, ENDED, pending_name(0), pending_name(1)]
        .into_iter()
        .chain(twins.iter().map(String::as_str))
    {
        dir.check_entry(name, false)?;
    }
    dir.check_entry(BACKUPS, true)
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

//! Files in a directory that another user controls, handled so that this user cannot steer a
//! root dbgini.
//!
//! dbgini often runs as root (sudo, the expiry timer) over a data directory that the Domino user
//! owns, so that user controls every name in it: `.dbgini/`, each state file, the backups, and
//! the paths notes.ini names for debug output. Following a planted symbolic link, or writing into
//! a planted file, would let them make root write, create, chown or read anything on the machine.
//! So:
//!
//! - Everything below the directory holding notes.ini is reached through directory handles
//!   ([`Dir`]), one name at a time, never following a link (`openat` with `O_NOFOLLOW`, the
//!   discipline of systemd's `chase()` and cap-std).
//! - Every file and directory opened is checked before it is used: its type (a regular file, a
//!   directory), its owner (the target's owner, see [`Dir::owner`]) and that no other user may write
//!   it. A check that fails is [`Error::Untrusted`]: the command stops and changes nothing.
//! - New files are created exclusively (`O_EXCL`) and get their owner and mode through the open
//!   handle (`fchown`, `fchmod`), never by name, so nothing can be swapped in between.
//! - Files dbgini only reads for the admin (the debug output `bundle` packs) are opened with the
//!   rights of the target's owner alone ([`as_user`]): the kernel decides what that user could
//!   read, through every directory on the way.
//!
//! On Windows the same API works by path: its model of who may write a directory is the ACL,
//! not an owner, and symbolic links need a privilege that the Domino service account lacks.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::atomic::Perms;
use crate::error::{Error, Result};

/// What a file or directory must be to be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
}

/// A directory, held open: every name in it is opened relative to this handle, without
/// following links, and checked (see the module docs).
#[derive(Debug)]
pub struct Dir {
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
    path: PathBuf,
    perms: Perms,
}

/// How [`Dir::open_file`] opens a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Open {
    /// Read only; a missing file is `None`.
    Read,
    /// Read only, a file other users may be allowed to write (notes.ini itself, whose mode is
    /// the admin's): its kind and owner are checked, its mode is not.
    ReadShared,
    /// Read and write; a missing file is `None`.
    Write,
    /// Read and write, created (exclusively, with the directory's owner) if missing.
    Create,
    /// Appending, created if missing.
    Append,
}

impl Dir {
    /// Opens the directory at `path` as the anchor of a target: the one directory reached by
    /// path (the caller resolved it). Files created below it get `perms`' owner, and every file
    /// and directory opened below it must belong to that owner.
    pub fn anchor(path: &Path, perms: Perms) -> Result<Dir> {
        imp::anchor(path, perms)
    }

    /// The directory's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in this directory, for messages.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Owner and mode that files created here get, and whose owner every entry must have.
    pub fn owner(&self) -> Perms {
        self.perms
    }

    /// Opens the subdirectory `name`; `None` when there is none.
    pub fn sub(&self, name: &str) -> Result<Option<Dir>> {
        imp::sub(self, name)
    }

    /// Opens the subdirectory `name`, creating it first (mode [`dir_mode`], the owner's) when
    /// missing. Another dbgini creating it at the same moment is fine.
    pub fn make_sub(&self, name: &str) -> Result<Dir> {
        imp::make_sub(self, name)
    }

    /// Opens the file `name` as `how` says; `None` for a missing file where `how` does not
    /// create. The second value says whether the file was created.
    pub fn open_file(&self, name: &str, how: Open) -> Result<Option<(File, bool)>> {
        imp::open_file(self, name, how)
    }

    /// Creates the new file `name` (exclusively: an existing one is an error).
    pub fn create_new(&self, name: &str, perms: Perms) -> Result<File> {
        imp::create_new(self, name, perms)
    }

    /// Reads the file `name`; `None` when there is none.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some((mut f, _)) = self.open_file(name, Open::Read)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", self.join(name), e))?;
        Ok(Some(bytes))
    }

    /// Fails if `name` exists and is not a file (`dir` false) or directory (`dir` true) that
    /// passes the checks (see the module docs); a missing name is fine.
    pub fn check_entry(&self, name: &str, dir: bool) -> Result<()> {
        imp::check_entry(self, name, if dir { Kind::Dir } else { Kind::File })
    }

    /// Whether `name` exists (as anything: a link is not followed).
    pub fn exists(&self, name: &str) -> bool {
        imp::exists(self, name)
    }

    /// The names in this directory.
    pub fn names(&self) -> std::io::Result<Vec<String>> {
        imp::names(self)
    }

    /// Removes the name `name` (never what a link points to).
    pub fn remove(&self, name: &str) -> std::io::Result<()> {
        imp::remove(self, name)
    }

    /// Renames `from` to `to` within this directory, replacing `to`.
    pub fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        imp::rename(self, from, to)
    }

    /// Makes `name` here a hard link to `src_name` in `src` (not following a link).
    pub fn link_from(&self, src: &Dir, src_name: &str, name: &str) -> std::io::Result<()> {
        imp::link(src, src_name, self, name)
    }

    /// Whether `a` and `b` are the same file (hard links to one inode; links not followed).
    pub fn same_file(&self, a: &str, b: &str) -> bool {
        imp::same_file(self, a, b)
    }

    /// Fails unless `name` is missing or a regular file: what dbgini may replace by a rename
    /// when asked to write a file (never a link, a device or a directory).
    pub fn ensure_replaceable(&self, name: &str) -> Result<()> {
        match imp::kind(self, name) {
            None | Some("a file") => Ok(()),
            Some(kind) => Err(Error::Untrusted {
                path: self.join(name),
                what: format!(
                    "is {kind}; dbgini writes only regular files and never replaces anything else"
                ),
            }),
        }
    }

    /// Makes the directory's entries durable (after a rename or a create).
    pub fn sync(&self) -> std::io::Result<()> {
        imp::sync(self)
    }
}

/// Directory mode for dbgini's own directories: owner rwx, and r-x for group and others only
/// where notes.ini is readable by them.
pub fn dir_mode(perms: Perms) -> u32 {
    let m = perms.mode;
    0o700 | if m & 0o040 != 0 { 0o050 } else { 0 } | if m & 0o004 != 0 { 0o005 } else { 0 }
}

/// A name for a temp file that nobody can guess in advance (it is created exclusively anyway,
/// so a guess can only make the create fail).
pub fn random_name(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    format!("{prefix}{:016x}", h.finish())
}

/// The error for an entry that fails its check.
fn untrusted(path: PathBuf, what: String) -> Error {
    Error::Untrusted { path, what }
}

/// Runs `f` with the rights of user `uid` (group `gid` and that user's groups) alone, where
/// dbgini runs as root on Linux: in a thread of its own that takes those ids (the kernel keeps
/// credentials per thread), so every file `f` opens is checked by the kernel as that user.
/// Elsewhere, or when dbgini is not root (it then has no rights to give up), `f` runs as it is.
/// A file opened inside stays usable outside: only opening is checked.
pub fn as_user<T: Send>(uid: u32, gid: u32, f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    #[cfg(target_os = "linux")]
    return imp::as_user(uid, gid, f);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (uid, gid);
        Ok(f())
    }
}

/// Opens `path` for reading with the rights of user `uid` and group `gid` alone (see
/// [`as_user`]), not following a link in its last part, and only if it is a regular file: for
/// files dbgini reads on a user's behalf (debug output for `bundle`), whose paths that user
/// controls.
pub fn open_as_user(path: &Path, uid: u32, gid: u32) -> std::io::Result<File> {
    as_user(uid, gid, || open_regular(path))?
}

/// Opens `path` for reading without following a link in its last part (a link is an
/// `InvalidInput` error saying so), and only if it is a regular file. The caller checks owner
/// and mode on the returned handle, so a name swapped after the check is never read.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let f = imp::open_nofollow(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(f)
}

/// The user and group ids dbgini runs with (`0, 0` where there are none).
pub fn me() -> (u32, u32) {
    imp::me()
}

/// Whether dbgini runs with root's rights.
pub fn is_root() -> bool {
    imp::is_root()
}

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::os::fd::AsFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Stat, Uid};

    use super::{Dir, Kind, Open, dir_mode, untrusted};
    use crate::atomic::Perms;
    use crate::error::{Error, Result};

    fn io(e: rustix::io::Errno) -> std::io::Error {
        e.into()
    }

    pub fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    pub fn me() -> (u32, u32) {
        (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        )
    }

    pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(File::from(fd)),
            Err(rustix::io::Errno::LOOP) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a symbolic link, not followed",
            )),
            Err(e) => Err(io(e)),
        }
    }

    pub fn anchor(path: &Path, perms: Perms) -> Result<Dir> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io("open the directory", path, io(e)))?;
        Ok(Dir {
            fd,
            path: path.to_path_buf(),
            perms,
        })
    }

    fn kind_name(st: &Stat) -> &'static str {
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Symlink => "a symbolic link",
            FileType::Directory => "a directory",
            FileType::RegularFile => "a file",
            FileType::Fifo => "a named pipe",
            FileType::Socket => "a socket",
            FileType::CharacterDevice | FileType::BlockDevice => "a device",
            FileType::Unknown => "of an unknown kind",
        }
    }

    /// What is wrong with `st` for an entry of kind `want` in `dir`, if anything.
    fn check(dir: &Dir, name: &str, st: &Stat, want: Kind) -> Result<()> {
        check_as(dir, name, st, want, true)
    }

    fn check_as(dir: &Dir, name: &str, st: &Stat, want: Kind, mode: bool) -> Result<()> {
        let path = || dir.join(name);
        let ok_kind = match want {
            Kind::File => FileType::from_raw_mode(st.st_mode) == FileType::RegularFile,
            Kind::Dir => FileType::from_raw_mode(st.st_mode) == FileType::Directory,
        };
        if !ok_kind {
            let link = FileType::from_raw_mode(st.st_mode) == FileType::Symlink;
            return Err(untrusted(
                path(),
                format!(
                    "is {}, not {}{}",
                    kind_name(st),
                    if want == Kind::File {
                        "a regular file"
                    } else {
                        "a directory"
                    },
                    if link {
                        "; dbgini never follows a link in its state"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if st.st_uid != dir.perms.uid {
            return Err(untrusted(
                path(),
                format!(
                    "belongs to uid {}, but everything dbgini keeps for this notes.ini belongs to its owner, uid {}",
                    st.st_uid, dir.perms.uid
                ),
            ));
        }
        if mode && st.st_mode & 0o022 != 0 {
            return Err(untrusted(
                path(),
                format!(
                    "may be written by users other than its owner (mode {:o})",
                    st.st_mode & 0o7777
                ),
            ));
        }
        Ok(())
    }

    /// Explains why opening `name` without following links failed: a link or something else
    /// where a file or directory must be.
    fn explain(
        dir: &Dir,
        name: &str,
        want: Kind,
        e: rustix::io::Errno,
        action: &'static str,
    ) -> Error {
        if let Ok(st) = rustix::fs::statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW)
            && let Err(err) = check(dir, name, &st, want)
        {
            return err;
        }
        Error::io(action, dir.join(name), io(e))
    }

    pub fn sub(dir: &Dir, name: &str) -> Result<Option<Dir>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&dir.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(explain(dir, name, Kind::Dir, e, "open the directory")),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::io("inspect", dir.join(name), io(e)))?;
        check(dir, name, &st, Kind::Dir)?;
        Ok(Some(Dir {
            fd,
            path: dir.join(name),
            perms: dir.perms,
        }))
    }

    pub fn make_sub(dir: &Dir, name: &str) -> Result<Dir> {
        let created = match rustix::fs::mkdirat(&dir.fd, name, Mode::from_raw_mode(0o700)) {
            Ok(()) => true,
            // Another dbgini created it first (two first-time enables at once): its owner and
            // mode are that one's to set.
            Err(rustix::io::Errno::EXIST) => false,
            Err(e) => return Err(Error::io("create", dir.join(name), io(e))),
        };
        let path = dir.join(name);
        if created {
            // Set through a handle opened without following links: if the name was swapped
            // for a link in between, the open fails instead of chowning what it points to.
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&dir.fd, name, flags, Mode::empty())
                .map_err(|e| explain(dir, name, Kind::Dir, e, "open the directory"))?;
            set_perms(
                &fd,
                Perms {
                    mode: dir_mode(dir.perms),
                    ..dir.perms
                },
            )
            .map_err(|e| Error::io("set the owner of", &path, e))?;
        }
        sub(dir, name)?.ok_or_else(|| {
            Error::io(
                "open the directory",
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        })
    }

    /// Gives an open file or directory the owner (only where it differs, so that a user who is
    /// not root can write files they own) and mode of `perms`.
    pub fn set_perms(fd: impl AsFd, perms: Perms) -> std::io::Result<()> {
        let st = rustix::fs::fstat(&fd).map_err(io)?;
        if st.st_uid != perms.uid || st.st_gid != perms.gid {
            rustix::fs::fchown(
                &fd,
                Some(Uid::from_raw(perms.uid)),
                Some(Gid::from_raw(perms.gid)),
            )
            .map_err(io)?;
        }
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(perms.mode)).map_err(io)
    }

    pub fn open_file(dir: &Dir, name: &str, how: Open) -> Result<Option<(File, bool)>> {
        let base = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
        let access = match how {
            Open::Read | Open::ReadShared => OFlags::RDONLY,
            Open::Write | Open::Create => OFlags::RDWR,
            Open::Append => OFlags::WRONLY | OFlags::APPEND,
        };
        if matches!(how, Open::Create | Open::Append) {
            match rustix::fs::openat(
                &dir.fd,
                name,
                base | access | OFlags::CREATE | OFlags::EXCL,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => {
                    set_perms(&fd, dir.perms.private())
                        .map_err(|e| Error::io("set the owner of", dir.join(name), e))?;
                    return Ok(Some((File::from(fd), true)));
                }
                Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(explain(dir, name, Kind::File, e, "create")),
            }
        }
        let fd = match rustix::fs::openat(&dir.fd, name, base | access, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(explain(dir, name, Kind::File, e, "open")),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::io("inspect", dir.join(name), io(e)))?;
        // Opened non-blocking so that a planted pipe cannot hang the open; the check then
        // refuses it. On a regular file the flag changes nothing.
        check_as(dir, name, &st, Kind::File, how != Open::ReadShared)?;
        Ok(Some((File::from(fd), false)))
    }

    pub fn create_new(dir: &Dir, name: &str, perms: Perms) -> Result<File> {
        let flags = OFlags::RDWR
            | OFlags::CREATE
            | OFlags::EXCL
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NOCTTY;
        let fd = rustix::fs::openat(&dir.fd, name, flags, Mode::from_raw_mode(0o600))
            .map_err(|e| Error::io("create", dir.join(name), io(e)))?;
        set_perms(&fd, perms).map_err(|e| Error::io("set the owner of", dir.join(name), e))?;
        Ok(File::from(fd))
    }

    pub fn exists(dir: &Dir, name: &str) -> bool {
        rustix::fs::statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
    }

    pub fn check_entry(dir: &Dir, name: &str, want: Kind) -> Result<()> {
        match rustix::fs::statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => check(dir, name, &st, want),
            Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::io("inspect", dir.join(name), io(e))),
        }
    }

    pub fn kind(dir: &Dir, name: &str) -> Option<&'static str> {
        rustix::fs::statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| kind_name(&st))
    }

    pub fn same_file(dir: &Dir, a: &str, b: &str) -> bool {
        let id = |n: &str| {
            rustix::fs::statat(&dir.fd, n, AtFlags::SYMLINK_NOFOLLOW)
                .ok()
                .map(|st| (st.st_dev, st.st_ino))
        };
        matches!((id(a), id(b)), (Some(x), Some(y)) if x == y)
    }

    pub fn names(dir: &Dir) -> std::io::Result<Vec<String>> {
        let list = rustix::fs::Dir::read_from(&dir.fd).map_err(io)?;
        let mut out = Vec::new();
        for e in list {
            let e = e.map_err(io)?;
            let name = e.file_name().to_string_lossy();
            if name != "." && name != ".." {
                out.push(name.into_owned());
            }
        }
        Ok(out)
    }

    pub fn remove(dir: &Dir, name: &str) -> std::io::Result<()> {
        rustix::fs::unlinkat(&dir.fd, name, AtFlags::empty()).map_err(io)
    }

    pub fn rename(dir: &Dir, from: &str, to: &str) -> std::io::Result<()> {
        rustix::fs::renameat(&dir.fd, from, &dir.fd, to).map_err(io)
    }

    pub fn link(src: &Dir, src_name: &str, dst: &Dir, name: &str) -> std::io::Result<()> {
        rustix::fs::linkat(&src.fd, src_name, &dst.fd, name, AtFlags::empty()).map_err(io)
    }

    pub fn sync(dir: &Dir) -> std::io::Result<()> {
        rustix::fs::fsync(&dir.fd).map_err(io)
    }

    #[cfg(target_os = "linux")]
    pub fn as_user<T: Send>(
        uid: u32,
        gid: u32,
        f: impl FnOnce() -> T + Send,
    ) -> std::io::Result<T> {
        if !is_root() || uid == 0 {
            return Ok(f());
        }
        let groups = groups_of(uid, gid);
        std::thread::scope(|s| {
            s.spawn(move || {
                // Groups first, then the group, then the user: once the user is given up, the
                // thread may change nothing else. The thread ends with `f`, so its lowered
                // rights go with it.
                rustix::thread::set_thread_groups(&groups).map_err(io)?;
                rustix::thread::set_thread_res_gid(
                    Gid::from_raw(gid),
                    Gid::from_raw(gid),
                    Gid::from_raw(gid),
                )
                .map_err(io)?;
                rustix::thread::set_thread_res_uid(
                    Uid::from_raw(uid),
                    Uid::from_raw(uid),
                    Uid::from_raw(uid),
                )
                .map_err(io)?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("a reader thread panicked")))
        })
    }

    /// The groups of the user `uid` (from the user database), or only `gid` when the user is
    /// not in it: never more groups than the user has.
    #[cfg(target_os = "linux")]
    fn groups_of(uid: u32, gid: u32) -> Vec<Gid> {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten();
        let list = user.and_then(|u| {
            let name = std::ffi::CString::new(u.name).ok()?;
            nix::unistd::getgrouplist(&name, u.gid).ok()
        });
        match list {
            Some(l) => l.into_iter().map(|g| Gid::from_raw(g.as_raw())).collect(),
            None => vec![Gid::from_raw(gid)],
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! By path: see the module docs.
    use std::fs::{File, OpenOptions};
    use std::path::Path;

    use super::{Dir, Kind, Open, untrusted};
    use crate::atomic::Perms;
    use crate::error::{Error, Result};

    pub fn is_root() -> bool {
        false
    }

    pub fn me() -> (u32, u32) {
        (0, 0)
    }

    pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
        if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a symbolic link, not followed",
            ));
        }
        File::open(path)
    }

    pub fn anchor(path: &Path, perms: Perms) -> Result<Dir> {
        let m = std::fs::metadata(path).map_err(|e| Error::io("open the directory", path, e))?;
        if !m.is_dir() {
            return Err(untrusted(path.to_path_buf(), "is not a directory".into()));
        }
        Ok(Dir {
            path: path.to_path_buf(),
            perms,
        })
    }

    fn check(path: &Path, want: Kind) -> Result<bool> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("inspect", path, e)),
            Ok(m) if m.file_type().is_symlink() => Err(untrusted(
                path.to_path_buf(),
                "is a symbolic link; dbgini never follows a link in its state".into(),
            )),
            Ok(m) if (want == Kind::Dir) != m.is_dir() || (want == Kind::File && !m.is_file()) => {
                // Worded as on Unix: what it is, and what it should be.
                let is = if m.is_dir() {
                    "a directory"
                } else if m.is_file() {
                    "a file"
                } else {
                    "a device"
                };
                Err(untrusted(
                    path.to_path_buf(),
                    format!(
                        "is {is}, not {}",
                        if want == Kind::Dir {
                            "a directory"
                        } else {
                            "a regular file"
                        }
                    ),
                ))
            }
            Ok(_) => Ok(true),
        }
    }

    pub fn sub(dir: &Dir, name: &str) -> Result<Option<Dir>> {
        let path = dir.join(name);
        Ok(check(&path, Kind::Dir)?.then_some(Dir {
            path,
            perms: dir.perms,
        }))
    }

    pub fn make_sub(dir: &Dir, name: &str) -> Result<Dir> {
        let path = dir.join(name);
        match std::fs::create_dir(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(Error::io("create", &path, e));
            }
            _ => {}
        }
        sub(dir, name)?.ok_or_else(|| {
            Error::io(
                "open the directory",
                path,
                std::io::ErrorKind::NotFound.into(),
            )
        })
    }

    pub fn open_file(dir: &Dir, name: &str, how: Open) -> Result<Option<(File, bool)>> {
        let path = dir.join(name);
        let exists = check(&path, Kind::File)?;
        if !exists && matches!(how, Open::Read | Open::ReadShared | Open::Write) {
            return Ok(None);
        }
        let mut o = OpenOptions::new();
        match how {
            Open::Read | Open::ReadShared => o.read(true),
            Open::Write => o.read(true).write(true),
            Open::Create => o.read(true).write(true).create(true),
            Open::Append => o.append(true).create(true),
        };
        let f = o.open(&path).map_err(|e| Error::io("open", &path, e))?;
        Ok(Some((f, !exists)))
    }

    pub fn create_new(dir: &Dir, name: &str, _perms: Perms) -> Result<File> {
        let path = dir.join(name);
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))
    }

    pub fn exists(dir: &Dir, name: &str) -> bool {
        std::fs::symlink_metadata(dir.join(name)).is_ok()
    }

    pub fn check_entry(dir: &Dir, name: &str, want: Kind) -> Result<()> {
        check(&dir.join(name), want).map(|_| ())
    }

    pub fn kind(dir: &Dir, name: &str) -> Option<&'static str> {
        std::fs::symlink_metadata(dir.join(name)).ok().map(|m| {
            if m.file_type().is_symlink() {
                "a symbolic link"
            } else if m.is_dir() {
                "a directory"
            } else if m.is_file() {
                "a file"
            } else {
                "a device"
            }
        })
    }

    pub fn same_file(_dir: &Dir, _a: &str, _b: &str) -> bool {
        false
    }

    pub fn names(dir: &Dir) -> std::io::Result<Vec<String>> {
        Ok(std::fs::read_dir(&dir.path)?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect())
    }

    pub fn remove(dir: &Dir, name: &str) -> std::io::Result<()> {
        std::fs::remove_file(dir.join(name))
    }

    /// `std::fs::rename` (see [`sync`] for what it calls), after giving `from` the DACL
    /// of the file it replaces (`dbgini_win::copy_dacl`): a new file would otherwise get the
    /// directory's inherited ACL, and an ACL set on notes.ini itself would be lost. When that
    /// ACL cannot be copied, nothing is replaced. Windows refuses to replace a
    /// file that another process has open at that moment (ERROR_ACCESS_DENIED or
    /// ERROR_SHARING_VIOLATION): another dbgini resolving the same path, a virus scanner, a
    /// backup agent. Such opens are brief, so the rename is tried again for about a second
    /// before the error stands (a server that holds the file open for good still fails, and is
    /// explained by the error's help).
    pub fn rename(dir: &Dir, from: &str, to: &str) -> std::io::Result<()> {
        let (from, to) = (dir.join(from), dir.join(to));
        if to.exists() {
            dbgini_win::copy_dacl(&to, &from).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "could not give the new file the access control list (ACL) of {} ({e}), so it was not replaced",
                        to.display()
                    ),
                )
            })?;
        }
        let mut waited = std::time::Duration::ZERO;
        loop {
            match std::fs::rename(&from, &to) {
                Err(e)
                    if (e.kind() == std::io::ErrorKind::PermissionDenied
                        || e.raw_os_error() == Some(32))
                        && waited < std::time::Duration::from_secs(1) =>
                {
                    let step = std::time::Duration::from_millis(25);
                    std::thread::sleep(step);
                    waited += step;
                }
                r => return r,
            }
        }
    }

    pub fn link(src: &Dir, src_name: &str, dst: &Dir, name: &str) -> std::io::Result<()> {
        std::fs::hard_link(src.join(src_name), dst.join(name))
    }

    /// Nothing: Windows has no documented way to flush a directory's entries. The replace is
    /// std's rename (`SetFileInformationByHandle` with `FileRenameInfoEx`, POSIX semantics, on
    /// Windows 10 1607 and later; `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` before), a metadata
    /// change NTFS journals, and the new file's bytes were flushed (`FlushFileBuffers`) before it.
    pub fn sync(_dir: &Dir) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(unix)]
pub use imp::set_perms;

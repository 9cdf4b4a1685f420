//! The one way dbgini replaces a file: temp file in the same directory, same mode and owner,
//! fsync, rename over the target, fsync the directory.
//!
//! Nothing else in dbgini writes notes.ini or its state; clippy's `disallowed-methods` (see
//! `clippy.toml`) keeps raw `fs::write` out of the code base.

use std::fs::{File, Metadata};
use std::io::Write;
use std::path::Path;

/// Prefix of dbgini's temp files, so recovery can tell them from anybody else's.
pub const TEMP_PREFIX: &str = ".dbgini-tmp-";

/// The temp file prefix for replacing a file named `name`: `.dbgini-tmp-<name>.`, so recovery
/// removes only the leftovers of the file it is working on.
pub fn temp_prefix(name: &std::ffi::OsStr) -> String {
    format!("{TEMP_PREFIX}{}.", name.to_string_lossy())
}

/// Mode and owner for a file dbgini writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perms {
    /// Permission bits.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
}

impl Perms {
    /// Exactly those of `meta` (for notes.ini itself).
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Perms {
        use std::os::unix::fs::MetadataExt;
        Perms {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }

    /// Windows: permissions are inherited from the directory's ACL.
    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata) -> Perms {
        Perms {
            mode: 0o644,
            uid: 0,
            gid: 0,
        }
    }

    /// For dbgini's own files beside notes.ini: owner read-write, never more readable than notes.ini.
    pub fn private(self) -> Perms {
        Perms {
            mode: (self.mode & 0o644) | 0o600,
            ..self
        }
    }
}

/// Replaces `path` with `bytes` atomically, with the given mode and owner, durably.
///
/// The temp file is created exclusively with a random name (never a predictable one), so nobody
/// can plant it in advance. On any error the temp file is removed and `path` is untouched.
pub fn write(path: &Path, bytes: &[u8], perms: Perms) -> std::io::Result<()> {
    replace(path, bytes, perms, true, &|_| {})
}

/// [`write()`] without fsync: atomic for every reader and against a killed process, but not
/// durable across a power cut. For files whose loss a durable record already covers (the state
/// after a notes.ini replace: the pending record recovers it).
pub fn write_relaxed(path: &Path, bytes: &[u8], perms: Perms) -> std::io::Result<()> {
    replace(path, bytes, perms, false, &|_| {})
}

/// [`write()`], calling `hook` with `"after-temp-write"` once the temp file is durable and with
/// `"after-rename"` once it has replaced `path` (the crash points of the notes.ini replace).
pub fn write_hooked(
    path: &Path,
    bytes: &[u8],
    perms: Perms,
    hook: &dyn Fn(&str),
) -> std::io::Result<()> {
    replace(path, bytes, perms, true, hook)
}

fn replace(
    path: &Path,
    bytes: &[u8],
    perms: Perms,
    durable: bool,
    hook: &dyn Fn(&str),
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = temp_prefix(path.file_name().unwrap_or_default());
    let mut tmp = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir)?;
    tmp.as_file_mut().write_all(bytes)?;
    set_perms(tmp.path(), perms)?;
    if durable {
        tmp.as_file().sync_all()?;
    }
    hook("after-temp-write");
    tmp.persist(path).map_err(|e| e.error)?;
    hook("after-rename");
    if durable { sync_dir(dir) } else { Ok(()) }
}

/// Gives `path` the mode and owner of `perms` (the owner only where it differs, so a non-root
/// user can write files they own).
#[cfg(unix)]
pub fn set_perms(path: &Path, perms: Perms) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mine = std::fs::metadata(path)?;
    if mine.uid() != perms.uid || mine.gid() != perms.gid {
        std::os::unix::fs::chown(path, Some(perms.uid), Some(perms.gid))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(perms.mode))
}

/// Windows: ACLs are inherited from the directory; nothing to set.
#[cfg(not(unix))]
pub fn set_perms(_path: &Path, _perms: Perms) -> std::io::Result<()> {
    Ok(())
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Makes a rename in `dir` durable (Windows has no directory handles to sync).
#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

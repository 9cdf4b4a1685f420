//! How dbgini replaces a file: temp file in the same directory, same mode and owner, fsync, rename
//! over the target, fsync the directory ([`write()`]); and, for the state file, the same rename
//! with a twin file rewritten in place instead of a new temp file ([`write_twin`]).
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
    replace(path, bytes, perms, true, &|_| Ok(()))
}

/// [`write()`] without fsync: atomic for every reader and against a killed process, but not
/// durable across a power cut. For files whose loss a durable record already covers (the state
/// after a notes.ini replace: the pending record recovers it).
pub fn write_relaxed(path: &Path, bytes: &[u8], perms: Perms) -> std::io::Result<()> {
    replace(path, bytes, perms, false, &|_| Ok(()))
}

/// [`write()`], calling `hook` with `"after-temp-write"` once the temp file is durable and with
/// `"after-rename"` once it has replaced `path` (the crash points of the notes.ini replace); an
/// error from the hook is returned as if the write had failed there.
pub fn write_hooked(
    path: &Path,
    bytes: &[u8],
    perms: Perms,
    hook: &dyn Fn(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    replace(path, bytes, perms, true, hook)
}

fn replace(
    path: &Path,
    bytes: &[u8],
    perms: Perms,
    durable: bool,
    hook: &dyn Fn(&str) -> std::io::Result<()>,
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
    hook("after-temp-write")?;
    tmp.persist(path).map_err(|e| e.error)?;
    hook("after-rename")?;
    if durable { sync_dir(dir) } else { Ok(()) }
}

/// Replaces `path` with `bytes` atomically for every reader, like [`write()`], without creating
/// or freeing a file: `path` is a hard link to one of two twins beside it (`<name>.a`,
/// `<name>.b`); the other twin is overwritten in place and then linked over `path` (through a
/// temp name, as `rename` needs), and the twin that was `path` keeps its own name for next time.
/// For dbgini's small state file, rewritten on every change: replacing it with a new file freed
/// the old one's block each time, and on a file system mounted with `discard` that is a
/// synchronous TRIM. `durable` syncs the twin before the rename and the directory after it.
/// Where hard links are not possible (or not Unix), it is [`write()`] (or its relaxed form).
pub fn write_twin(path: &Path, bytes: &[u8], perms: Perms, durable: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(result) = twin(path, bytes, perms, durable) {
        return result;
    }
    replace(path, bytes, perms, durable, &|_| Ok(()))
}

/// [`write_twin`]'s work; `None` when the twins cannot be linked (the caller falls back).
#[cfg(unix)]
fn twin(path: &Path, bytes: &[u8], perms: Perms, durable: bool) -> Option<std::io::Result<()>> {
    use std::os::unix::fs::MetadataExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name()?.to_string_lossy().into_owned();
    let id = |m: &Metadata| (m.dev(), m.ino());
    let current = std::fs::metadata(path).ok().map(|m| id(&m));
    let [a, b] = [dir.join(format!("{name}.a")), dir.join(format!("{name}.b"))];
    let a_is_current = std::fs::metadata(&a).is_ok_and(|m| Some(id(&m)) == current);
    let spare = if a_is_current { b } else { a };
    let link = dir.join(format!("{}link", temp_prefix(std::ffi::OsStr::new(&name))));
    if let Err(e) = overwrite(&spare, bytes, perms, durable) {
        return Some(Err(e));
    }
    // A link left by a killed write is in the way.
    match std::fs::remove_file(&link) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Some(Err(e)),
        _ => {}
    }
    match std::fs::hard_link(&spare, &link) {
        Ok(()) => {}
        // No hard links on this file system (EPERM, or not supported): leave it to the temp
        // file and rename.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::Unsupported | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            return None;
        }
        Err(e) => return Some(Err(e)),
    }
    Some(std::fs::rename(&link, path).and_then(|()| if durable { sync_dir(dir) } else { Ok(()) }))
}

/// Writes `bytes` over `path` in place (created with `perms` if missing), cut to length: no
/// block is freed unless the file shrinks past one. Not atomic for readers: for the state's spare
/// twin, which nobody reads, and for checksummed records, which tell a torn write.
pub fn overwrite(path: &Path, bytes: &[u8], perms: Perms, durable: bool) -> std::io::Result<()> {
    let existed = path.exists();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    if !existed {
        set_perms(path, perms)?;
    }
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)?;
    if durable {
        f.sync_data()?;
    }
    Ok(())
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

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn perms() -> Perms {
        let meta = std::fs::metadata(".").unwrap();
        Perms {
            mode: 0o640,
            ..Perms::of(&meta)
        }
    }

    fn ino(p: &Path) -> u64 {
        std::fs::metadata(p).unwrap().ino()
    }

    #[test]
    fn twins_take_turns_and_no_file_is_created_or_freed_after_the_first_two() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.toml");
        let (a, b) = (
            dir.path().join("state.toml.a"),
            dir.path().join("state.toml.b"),
        );
        // A file written some other way (an older dbgini, an editor) is replaced too.
        write(&path, b"old\n", perms()).unwrap();
        let longer = b"version = 1\nserial = 1\n".repeat(40);
        write_twin(&path, &longer, perms(), true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), longer);
        assert_eq!(ino(&path), ino(&a));
        write_twin(&path, b"serial = 2\n", perms(), false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"serial = 2\n");
        assert_eq!(ino(&path), ino(&b));
        let (ia, ib) = (ino(&a), ino(&b));
        for n in 3..9 {
            let text = format!("serial = {n}\n");
            write_twin(&path, text.as_bytes(), perms(), n % 2 == 0).unwrap();
            // Shorter than what the twin held before: cut to length, nothing left over.
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            assert_eq!((ino(&a), ino(&b)), (ia, ib), "a twin was replaced");
            assert_eq!(ino(&path), if n % 2 == 1 { ia } else { ib });
        }
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn a_link_left_by_a_crash_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.toml");
        let stale = dir.path().join(".dbgini-tmp-state.toml.link");
        std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&stale)
            .unwrap();
        write_twin(&path, b"serial = 1\n", perms(), true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"serial = 1\n");
        assert!(!stale.exists());
    }
}

//! How dbgini writes a file: always relative to a [`Dir`] handle on its directory (see
//! [`crate::safe`]: no name is followed, every file is checked), in one of three forms:
//!
//! - [`Dir::replace`]: a temp file beside the target, created exclusively with a random name and
//!   given its mode and owner through its handle, synced, renamed over the target, the directory
//!   synced. Every reader sees the whole old file or the whole new one. For notes.ini.
//! - [`Dir::write_twin`]: the same rename, with a twin file rewritten in place instead of a new
//!   temp file, so no file is created or freed. For the state, rewritten on every change.
//! - [`Dir::overwrite`]: in place, for what nobody reads half-written (the state's spare twin,
//!   the checksummed pending records).
//!
//! Nothing else in dbgini writes notes.ini or its state; clippy's `disallowed-methods` (see
//! `clippy.toml`) keeps raw `fs::write` out of the code base.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::safe::{Dir, Open, random_name};

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
    pub fn of(meta: &std::fs::Metadata) -> Perms {
        use std::os::unix::fs::MetadataExt;
        Perms {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }

    /// Windows: permissions are inherited from the directory's ACL.
    #[cfg(not(unix))]
    pub fn of(_meta: &std::fs::Metadata) -> Perms {
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

impl Dir {
    /// Replaces `name` with `bytes` atomically, with the given mode and owner; `durable` syncs
    /// the file before the rename and the directory after it.
    ///
    /// The temp file is created exclusively with a random name (never a predictable one), so
    /// nobody can plant it in advance, and its owner and mode are set through its handle. On
    /// any error the temp file is removed and `name` is untouched.
    pub fn replace(&self, name: &str, bytes: &[u8], perms: Perms, durable: bool) -> Result<()> {
        self.replace_hooked(name, bytes, perms, durable, &|_| Ok(()))
    }

    /// [`Dir::replace`], calling `hook` with `"after-temp-write"` once the temp file is written
    /// and with `"after-rename"` once it has replaced `name` (the crash points of the notes.ini
    /// replace); an error from the hook is returned as if the write had failed there.
    pub fn replace_hooked(
        &self,
        name: &str,
        bytes: &[u8],
        perms: Perms,
        durable: bool,
        hook: &dyn Fn(&str) -> std::io::Result<()>,
    ) -> Result<()> {
        let tmp = random_name(&temp_prefix(std::ffi::OsStr::new(name)));
        let mut file = self.create_new(&tmp, perms)?;
        let mut renamed = false;
        let result = (|| {
            file.write_all(bytes)?;
            if durable {
                file.sync_all()?;
            }
            hook("after-temp-write")?;
            self.rename(&tmp, name)?;
            renamed = true;
            hook("after-rename")?;
            if durable { self.sync() } else { Ok(()) }
        })();
        if result.is_err() && !renamed {
            let _ = self.remove(&tmp);
        }
        result.map_err(|e| Error::io("replace", self.join(name), e))
    }

    /// Replaces `name` with `bytes` atomically for every reader, like [`Dir::replace`], without
    /// creating or freeing a file: `name` is a hard link to one of two twins beside it
    /// (`<name>.a`, `<name>.b`); the other twin is overwritten in place and then linked over
    /// `name` (through a temp name, as `rename` needs), and the twin that was `name` keeps its
    /// own name for next time. For dbgini's small state file, rewritten on every change:
    /// replacing it with a new file freed the old one's block each time, and on a file system
    /// mounted with `discard` that is a synchronous TRIM. Files get the directory's private
    /// perms. Where hard links are not possible (or not Unix), it is [`Dir::replace`].
    pub fn write_twin(&self, name: &str, bytes: &[u8], durable: bool) -> Result<()> {
        #[cfg(unix)]
        if let Some(result) = self.twin(name, bytes, durable) {
            return result;
        }
        self.replace(name, bytes, self.owner().private(), durable)
    }

    /// [`Dir::write_twin`]'s work; `None` when the twins cannot be linked (the caller falls back).
    #[cfg(unix)]
    fn twin(&self, name: &str, bytes: &[u8], durable: bool) -> Option<Result<()>> {
        let [a, b] = [format!("{name}.a"), format!("{name}.b")];
        let spare = if self.same_file(&a, name) { b } else { a };
        let link = format!("{}link", temp_prefix(std::ffi::OsStr::new(name)));
        let io = |e| Error::io("replace", self.join(name), e);
        // A link left by a killed write is in the way.
        match self.remove(&link) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Some(Err(io(e))),
            _ => {}
        }
        if let Err(e) = self.overwrite(&spare, bytes, durable) {
            return Some(Err(e));
        }
        match self.link_from(self, &spare, &link) {
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
            Err(e) => return Some(Err(io(e))),
        }
        Some(
            self.rename(&link, name)
                .and_then(|()| if durable { self.sync() } else { Ok(()) })
                .map_err(io),
        )
    }

    /// Writes `bytes` over `name` in place (created exclusively, with the directory's private
    /// perms, if missing), cut to length: no block is freed unless the file shrinks past one.
    /// Not atomic for readers: for the state's spare twin, which nobody reads, and for
    /// checksummed records, which tell a torn write. Returns whether the file was created.
    pub fn overwrite(&self, name: &str, bytes: &[u8], durable: bool) -> Result<bool> {
        let path = self.join(name);
        let (mut f, created) = self
            .open_file(name, Open::Create)?
            .ok_or_else(|| Error::io("write", &path, std::io::ErrorKind::NotFound.into()))?;
        f.write_all(bytes)
            .and_then(|()| f.set_len(bytes.len() as u64))
            .and_then(|()| if durable { f.sync_data() } else { Ok(()) })
            .map_err(|e| Error::io("write", &path, e))?;
        Ok(created)
    }
}

/// Replaces the file at `path` (its directory reached by path) atomically and durably, for
/// dbgini's own files outside any target: the registry, the units `schedule` installs. Refuses
/// to replace anything but a regular file (a link, a device, a directory).
pub fn write(path: &Path, bytes: &[u8], perms: Perms) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::invalid(format!("{} names no file", path.display()), "name a file")
    })?;
    let dir = Dir::anchor(dir, perms)?;
    dir.ensure_replaceable(name)?;
    dir.replace(name, bytes, perms, true)
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
        let d = Dir::anchor(dir.path(), perms()).unwrap();
        let longer = b"version = 1\nserial = 1\n".repeat(40);
        d.write_twin("state.toml", &longer, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), longer);
        assert_eq!(ino(&path), ino(&a));
        d.write_twin("state.toml", b"serial = 2\n", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"serial = 2\n");
        assert_eq!(ino(&path), ino(&b));
        let (ia, ib) = (ino(&a), ino(&b));
        for n in 3..9 {
            let text = format!("serial = {n}\n");
            d.write_twin("state.toml", text.as_bytes(), n % 2 == 0)
                .unwrap();
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
        let d = Dir::anchor(dir.path(), perms()).unwrap();
        d.write_twin("state.toml", b"serial = 1\n", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"serial = 1\n");
        assert!(!stale.exists());
    }
}

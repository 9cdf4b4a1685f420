//! The registry of targets that have (or had) active leases, for `expire --all-targets`, the
//! timer and `watch --all-targets`.
//!
//! A directory with one small file per target, named by a hash of the target's real path and
//! holding that path. One file each means concurrent dbgini runs never contend for a shared list.
//! System-wide (`/var/lib/dbgini/targets`; `%ProgramData%\dbgini\targets` on Windows) when run as
//! root (on Windows, always), otherwise in the user's data directory; `main` decides.

use std::path::{Path, PathBuf};

use crate::atomic::{self, Perms};
use crate::error::{Error, Result};
use crate::store::sha256;

/// A registry directory.
#[derive(Clone, Debug)]
pub struct Registry {
    /// The directory.
    pub dir: PathBuf,
    /// This is a user's own registry (dbgini run by someone other than root, without
    /// `DBGINI_REGISTRY`): root's timer, which reads the system registry, does not see it.
    pub per_user: bool,
}

impl Registry {
    fn entry(&self, real: &Path) -> PathBuf {
        let hash = sha256(real.as_os_str().as_encoded_bytes());
        self.dir.join(format!("{}.target", &hash[..16]))
    }

    /// Lists `real` (idempotent).
    pub fn add(&self, real: &Path) -> Result<()> {
        let entry = self.entry(real);
        if entry.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io("create the registry", &self.dir, e))?;
        let mut line = real.as_os_str().as_encoded_bytes().to_vec();
        line.push(b'\n');
        let perms = Perms {
            mode: 0o600,
            ..current_owner(&self.dir)
        };
        atomic::write(&entry, &line, perms)
    }

    /// Drops `real` (idempotent).
    pub fn remove(&self, real: &Path) -> Result<()> {
        match std::fs::remove_file(self.entry(real)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("update the registry", &self.dir, e))
            }
            _ => Ok(()),
        }
    }

    /// Every listed target.
    pub fn targets(&self) -> Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read the registry", &self.dir, e)),
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "target") {
                let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
                out.push(PathBuf::from(text.trim_end_matches('\n')));
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The owner of the registry directory (entries belong to whoever owns it).
#[cfg(unix)]
fn current_owner(dir: &Path) -> Perms {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(dir).ok();
    Perms {
        mode: 0o600,
        uid: m.as_ref().map_or(0, |m| m.uid()),
        gid: m.as_ref().map_or(0, |m| m.gid()),
    }
}

#[cfg(not(unix))]
fn current_owner(_dir: &Path) -> Perms {
    Perms {
        mode: 0o600,
        uid: 0,
        gid: 0,
    }
}

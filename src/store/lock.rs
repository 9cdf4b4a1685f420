//! The lock of a state folder: held exclusively while a command works on the target, with a
//! line naming the holder for whoever waits.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::time::{Duration, Instant};

use super::{Caller, LOCK};
use crate::error::{Error, Result};
use crate::safe::{Dir, Open};

/// Whether the process a lock holder line names (`pid N ...`) is known not to run (Linux:
/// no `/proc/N`). Elsewhere, or when the line names no pid, it is not known.
#[cfg(target_os = "linux")]
fn holder_gone(holder: &str) -> bool {
    let pid = holder
        .strip_prefix("pid ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) if std::path::Path::new("/proc/self").exists() => {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

/// Elsewhere (Windows, where Wine even maps a `/proc`) it is not known.
#[cfg(not(target_os = "linux"))]
fn holder_gone(_holder: &str) -> bool {
    false
}

/// Tries to take the lock on the open lock file. Unix: `flock` (std's `File::lock`), advisory.
/// Windows: a lock on one byte past the end (`dbgini_win::try_lock_past_end`): Windows locks are
/// mandatory, and std's lock on the whole file would keep a waiting dbgini from reading the
/// holder line.
fn try_lock(file: &File) -> std::result::Result<(), std::fs::TryLockError> {
    #[cfg(windows)]
    return match dbgini_win::try_lock_past_end(file) {
        Ok(true) => Ok(()),
        Ok(false) => Err(std::fs::TryLockError::WouldBlock),
        Err(e) => Err(std::fs::TryLockError::Error(e)),
    };
    #[cfg(not(windows))]
    file.try_lock()
}

/// Opens (creating it if missing) and takes the lock of the state directory `dir`.
pub(super) fn lock(dir: &Dir, caller: &Caller) -> Result<File> {
    let path = dir.join(LOCK);
    let (mut file, _) = dir.open_file(LOCK, Open::Create)?.ok_or_else(|| {
        Error::io(
            "open the lock file",
            &path,
            std::io::ErrorKind::NotFound.into(),
        )
    })?;
    let start = Instant::now();
    loop {
        match try_lock(&file) {
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
                    } else if holder_gone(holder) {
                        format!(
                            "the lock file names {holder}, but that process no longer runs here: the lock is held by a process this system does not show (another container or host sharing the file system?)"
                        )
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

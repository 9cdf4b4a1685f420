//! Named crash points on the write path, for tests that kill dbgini mid-operation.
//!
//! Compiled to nothing unless the `crash-points` feature is on (the integration tests turn it on).
//! With the feature, `DBGINI_CRASH_AT=<name>` makes the process SIGKILL itself when it reaches the
//! point of that name: no destructor runs, no buffer is flushed, exactly as if the machine had
//! killed it there. `DBGINI_TOUCH_AT=<name>` instead appends a comment line to notes.ini at that
//! point, standing in for another program writing the file while dbgini works. `DBGINI_FAIL_AT=<name>`
//! makes [`fail`] return an I/O error there (a disk that fails after the rename, say): at the
//! crash points of the notes.ini replace, at `write-state` (writing the state) and at the name of
//! a log (`audit.jsonl`, `ended.jsonl`) when appending to it.

/// The points, in the order an operation reaches them.
pub const POINTS: &[&str] = &[
    "after-lock",
    "after-pending",
    "after-backup",
    "after-temp-write",
    "after-rename",
    "after-state",
    "before-done",
];

/// Dies here (or plays the other writer) if the test asked for it.
#[cfg(feature = "crash-points")]
#[allow(clippy::disallowed_methods)]
pub fn point(name: &str) {
    debug_assert!(POINTS.contains(&name), "unknown crash point {name}");
    if std::env::var("DBGINI_TOUCH_AT").is_ok_and(|v| v == name)
        && let Some(file) = std::env::var_os("DBGINI_TOUCH_FILE")
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(file)
            .expect("DBGINI_TOUCH_FILE");
        f.write_all(b"; written by another program\n")
            .expect("touch");
    }
    if std::env::var("DBGINI_CRASH_AT").is_ok_and(|v| v == name) {
        // std cannot send signals; kill(1) delivers a real SIGKILL to this process.
        #[cfg(unix)]
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        // Windows has no signals: leave at once, running nothing more of dbgini's (no destructor,
        // no flush), with the code a shell gives a killed process.
        #[cfg(not(unix))]
        std::process::exit(KILLED);
        #[allow(unreachable_code)]
        loop {
            std::thread::park();
        }
    }
}

/// The exit code of a crash point on Windows, which has no SIGKILL (128 + 9, as shells report a
/// killed process).
pub const KILLED: i32 = 137;

/// Dies here if the test asked for it (compiled out).
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn point(_name: &str) {}

/// An I/O error here if the test asked for it.
#[cfg(feature = "crash-points")]
pub fn fail(name: &str) -> std::io::Result<()> {
    if std::env::var("DBGINI_FAIL_AT").is_ok_and(|v| v == name) {
        return Err(std::io::Error::other(format!("failure injected at {name}")));
    }
    Ok(())
}

/// An I/O error here if the test asked for it (compiled out).
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn fail(_name: &str) -> std::io::Result<()> {
    Ok(())
}

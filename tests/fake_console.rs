//! A stand-in for Domino's `server -c "<console command>"`, for dbgini's live-mode tests, and for
//! the server process itself (`--idle SECONDS`). Built only for tests (`required-features =
//! ["crash-points"]`, which the integration tests turn on), on Linux and Windows alike.
//!
//! It runs in the data directory (as dbgini runs the console command) and acts on ./notes.ini the
//! way Domino does for `set config KEY=VALUE`: it rewrites the whole file, changes an existing key
//! in place keeping the key's own spelling, appends a new key at the end, and leaves `KEY=` for an
//! empty value. Every command is appended to `$FAKE_LOG`. Behaviour switches:
//!
//! - `FAKE_MODE=ok|never|fail`: write (default), accept but never write, or exit 1
//! - `FAKE_DELAY=SECONDS`: return at once and write that much later (as a running server would)
//! - `FAKE_CHURN=1`: also rewrite the file the way a server does: change an unrelated key and move
//!   the first key line to the end
//! - `FAKE_ID_LOG=PATH`: append who ran it: uid, gid, groups, HOME, working directory (Unix)
//! - `FAKE_ARGV_LOG=PATH`: append its whole command line, and `FAKE_STDOUT=TEXT`: print that: a
//!   stand-in for other programs dbgini runs (`schtasks.exe`)

// A test tool: it writes notes.ini as Domino does (a plain temp file and a rename, not dbgini's
// atomic writer), and fails loudly.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

fn append(path: &std::ffi::OsStr, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the log opens");
    writeln!(f, "{line}").expect("the log is written");
}

#[cfg(unix)]
fn who() -> String {
    let mut groups: Vec<u32> = rustix::process::getgroups()
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.as_raw())
        .collect();
    groups.sort_unstable();
    let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
    format!(
        "{} {} {}",
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
        groups.join(",")
    )
}

#[cfg(not(unix))]
fn who() -> String {
    "- - -".into()
}

/// Domino's rewrite of notes.ini for one `set config`.
fn rewrite(path: &str, key: &str, value: &str, churn: bool) {
    let data = std::fs::read(path).expect("notes.ini is read");
    let crlf = data.windows(2).filter(|w| w == b"\r\n").count() * 2
        > data.iter().filter(|&&b| b == b'\n').count();
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    for l in &mut lines {
        if l.last() == Some(&b'\r') {
            l.pop();
        }
    }
    let mut found = false;
    for line in &mut lines {
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            let k = String::from_utf8_lossy(&line[..eq]).trim().to_string();
            if k.eq_ignore_ascii_case(key) {
                *line = format!("{k}={value}").into_bytes();
                found = true;
            }
        }
    }
    if !found {
        lines.push(format!("{key}={value}").into_bytes());
    }
    if churn {
        for line in &mut lines {
            if line.to_ascii_lowercase().starts_with(b"servertasksat5=") {
                *line = b"ServerTasksAt5=Statlog,Compact".to_vec();
            }
        }
        if let Some(first) = lines.iter().position(|l| l.contains(&b'=')) {
            let l = lines.remove(first);
            lines.push(l);
        }
    }
    let mut out = lines.join(eol);
    out.extend_from_slice(eol);
    let tmp = format!("{path}.fake-tmp");
    std::fs::write(&tmp, out).expect("the temp file is written");
    std::fs::rename(&tmp, path).expect("notes.ini is replaced");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--idle") {
        let secs = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(600);
        std::thread::sleep(Duration::from_secs(secs));
        return ExitCode::SUCCESS;
    }
    let Some(cmd) = args.last().filter(|_| args.len() > 1).cloned() else {
        eprintln!("usage: fake-console [ARGS...] COMMAND | fake-console --idle SECONDS");
        return ExitCode::from(2);
    };
    // The delayed writer (see FAKE_DELAY) logs nothing: its parent did.
    let delayed = std::env::var("FAKE_DELAYED")
        .ok()
        .and_then(|d| d.parse::<f64>().ok());
    if let Some(log) = std::env::var_os("FAKE_ARGV_LOG") {
        append(&log, &args[1..].join(" "));
    }
    if let Ok(text) = std::env::var("FAKE_STDOUT") {
        println!("{text}");
    }
    if delayed.is_none() {
        if let Some(log) = std::env::var_os("FAKE_LOG") {
            append(&log, &cmd);
        }
        if let Some(ids) = std::env::var_os("FAKE_ID_LOG") {
            let cwd = std::env::current_dir().expect("a working directory");
            append(
                &ids,
                &format!(
                    "{} {} {}",
                    who(),
                    std::env::var("HOME").unwrap_or_default(),
                    cwd.display()
                ),
            );
        }
    }
    let mode = std::env::var("FAKE_MODE").unwrap_or_else(|_| "ok".into());
    if mode == "fail" {
        eprintln!("Server not responding");
        return ExitCode::from(1);
    }
    let words: Vec<&str> = cmd.splitn(3, char::is_whitespace).collect();
    let is_set = words.len() == 3
        && words[0].eq_ignore_ascii_case("set")
        && (words[1].eq_ignore_ascii_case("config") || words[1].eq_ignore_ascii_case("conf"));
    if !is_set || mode == "never" {
        return ExitCode::SUCCESS;
    }
    let (key, value) = words[2].split_once('=').unwrap_or((words[2], ""));
    let delay: f64 = std::env::var("FAKE_DELAY")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    if delayed.is_none() && delay > 0.0 {
        // Return at once, as a running server does, and write later from a copy of this program
        // (left to run on: the caller must not wait for it).
        #[allow(clippy::zombie_processes)]
        std::process::Command::new(std::env::current_exe().expect("this program"))
            .args(&args[1..])
            .env("FAKE_DELAYED", delay.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the delayed writer starts");
        return ExitCode::SUCCESS;
    }
    std::thread::sleep(Duration::from_secs_f64(delayed.unwrap_or(0.0)));
    // A server writes one change at a time.
    let lock = std::fs::File::create("notes.ini.fake-lock").expect("the lock file");
    lock.lock().expect("the lock");
    rewrite(
        "notes.ini",
        key.trim(),
        value,
        std::env::var("FAKE_CHURN").as_deref() == Ok("1"),
    );
    ExitCode::SUCCESS
}

//! Live mode: a running Domino server keeps notes.ini in memory and rewrites the file itself, so
//! dbgini changes a running server's settings through its console (`set config KEY=VALUE`) and
//! confirms them from the file the server writes.
//!
//! This module detects whether the server owning a notes.ini runs ([`detect`]), sends console
//! commands without a shell ([`Console`]), and turns a plan's key changes into console commands
//! ([`commands`]). What to change is still decided by [`crate::lease::plan`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::lease::KeyChange;

/// `--mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ModeChoice {
    /// Console when the server runs, file when it does not.
    Auto,
    /// Edit notes.ini directly (the server must be down, or `--force`).
    File,
    /// Always through the server console.
    Console,
}

/// `--console-as`: whose rights the console command runs with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleAs {
    /// The owner of notes.ini, the Domino user (`server -c`, Nash!Com's `domino cmd`).
    #[default]
    Owner,
    /// Whoever runs dbgini: for a command that itself switches to the Domino user, such as
    /// `docker exec -u notes ...` (the container runtime needs root or its group on the host).
    Caller,
}

/// How a change is applied to one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Edit the file.
    File,
    /// `set config` through the console.
    Console,
}

impl Mode {
    /// `file` or `console`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::File => "file",
            Mode::Console => "console",
        }
    }
}

/// What detection found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    /// The server process using this notes.ini runs (Linux: `server` in the data directory;
    /// Windows: `nserver.exe` with this notes.ini), with its process id.
    Running(u32),
    /// No such process.
    Stopped,
    /// Cannot tell (no /proc, no permission).
    Unknown(String),
}

/// Looks for the Domino server that uses `ini`: on Linux the `server` process whose working
/// directory is one of `data_dirs` (through `/proc`), on Windows `detect_windows` (`nserver.exe`).
pub fn detect(data_dirs: &[PathBuf], ini: &Path) -> Detected {
    #[cfg(windows)]
    return detect_windows(data_dirs, ini);
    #[cfg(not(windows))]
    {
        let _ = ini;
        detect_proc(data_dirs)
    }
}

/// How a Windows server process relates to this notes.ini: `=PATH` on its command line names the
/// notes.ini it uses; without it, the server uses the notes.ini of its program directory (or, as
/// Domino 14 appears to, of its working directory, the data directory).
pub fn windows_server_uses(
    exe: Option<&Path>,
    cwd: Option<&Path>,
    args: &[String],
    ini: &Path,
    data_dirs: &[PathBuf],
) -> bool {
    let same = |a: &Path, b: &Path| {
        let norm = |p: &Path| {
            dunce::canonicalize(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .to_string_lossy()
                .to_lowercase()
        };
        norm(a) == norm(b)
    };
    if let Some(named) = args.iter().find_map(|a| a.strip_prefix('=')) {
        return same(Path::new(named), ini);
    }
    let in_dir = |d: &Path| ini.parent().is_some_and(|p| same(p, d));
    exe.and_then(Path::parent).is_some_and(in_dir)
        || cwd.is_some_and(|c| in_dir(c) || data_dirs.iter().any(|d| same(c, d)))
}

/// Windows: a running `nserver.exe` (or the `server.exe` of an older or partitioned install)
/// that uses `ini` ([`windows_server_uses`]), from the process table (the `sysinfo` crate). A
/// server whose working directory and command line cannot be read (another user's, without
/// Administrator rights) makes the answer unknown. A process that is just starting shows neither
/// for a moment: such a process is looked at again for up to half a second before it counts as
/// unreadable (one that has ended meanwhile is not a server).
#[cfg(windows)]
fn detect_windows(data_dirs: &[PathBuf], ini: &Path) -> Detected {
    use sysinfo::{Pid, Process, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
    let Ok(mut sys) = System::new() else {
        return Detected::Unknown("cannot read the process table".into());
    };
    let what = ProcessRefreshKind::nothing()
        .with_exe(UpdateKind::Always)
        .with_cwd(UpdateKind::Always)
        .with_cmd(UpdateKind::Always);
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, what);
    // Some(whether it uses `ini`), or None when its working directory and command line are
    // both unreadable.
    let uses = |p: &Process| -> Option<bool> {
        if p.cwd().is_none() && p.cmd().is_empty() {
            return None;
        }
        let args: Vec<String> = p
            .cmd()
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        Some(windows_server_uses(p.exe(), p.cwd(), &args, ini, data_dirs))
    };
    let mut found = Vec::new();
    for (pid, p) in sys.processes() {
        let name = p.name().to_string_lossy().to_lowercase();
        if name == "nserver.exe" || name == "server.exe" {
            found.push((pid.as_u32(), uses(p)));
        }
    }
    settle(found, 10, |pids| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let pids: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, what);
        pids.iter()
            .map(|pid| (pid.as_u32(), sys.process(*pid).map(&uses)))
            .collect()
    })
}

/// What detection makes of the server processes it `found` (process id, and whether it uses this
/// notes.ini: `None` when neither its working directory nor its command line could be read):
/// running when one uses it; else, the unreadable ones are looked at again through `look` (which
/// gives each asked-for process's answer now, `None` for one that has ended) up to `tries` times,
/// since a process that is just starting shows neither for a moment; one still unreadable after
/// that makes the answer unknown (another user's process, without Administrator rights).
#[cfg_attr(not(windows), allow(dead_code))]
fn settle(
    found: Vec<(u32, Option<bool>)>,
    tries: usize,
    mut look: impl FnMut(&[u32]) -> Vec<(u32, Option<Option<bool>>)>,
) -> Detected {
    if let Some((pid, _)) = found.iter().find(|(_, uses)| *uses == Some(true)) {
        return Detected::Running(*pid);
    }
    let mut unreadable: Vec<u32> = found
        .iter()
        .filter(|(_, uses)| uses.is_none())
        .map(|(pid, _)| *pid)
        .collect();
    for _ in 0..tries {
        if unreadable.is_empty() {
            break;
        }
        let mut still = Vec::new();
        for (pid, now) in look(&unreadable) {
            match now {
                Some(Some(true)) => return Detected::Running(pid),
                Some(None) => still.push(pid),
                // Readable now and not this notes.ini's server, or ended.
                Some(Some(false)) | None => {}
            }
        }
        unreadable = still;
    }
    match unreadable.first() {
        None => Detected::Stopped,
        Some(pid) => Detected::Unknown(format!(
            "cannot see which notes.ini the Domino server process {pid} uses: run dbgini as Administrator"
        )),
    }
}

/// Linux: Domino's `server` process whose working directory is one of `data_dirs` (through
/// `/proc/PID/exe` and `/proc/PID/cwd`).
#[cfg_attr(windows, allow(dead_code))]
fn detect_proc(data_dirs: &[PathBuf]) -> Detected {
    let proc = Path::new("/proc");
    let Ok(entries) = std::fs::read_dir(proc) else {
        return Detected::Unknown("there is no /proc to look for the Domino server process".into());
    };
    let dirs: Vec<PathBuf> = data_dirs
        .iter()
        .filter_map(|d| dunce::canonicalize(d).ok())
        .collect();
    let kernel = kernel_threads();
    let mut unreadable = None;
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if kernel.binary_search(&pid).is_ok() {
            continue;
        }
        let Ok(exe) = std::fs::read_link(e.path().join("exe")) else {
            continue;
        };
        if exe.file_name().is_none_or(|n| n != "server") {
            continue;
        }
        match std::fs::read_link(e.path().join("cwd")) {
            Ok(cwd) if dirs.contains(&cwd) => return Detected::Running(pid),
            Ok(_) => {}
            Err(err) => {
                unreadable = Some(format!(
                    "cannot see the working directory of server process {pid}: {err}"
                ))
            }
        }
    }
    unreadable.map_or(Detected::Stopped, Detected::Unknown)
}

/// The kernel's own threads (pid 2, `kthreadd`, and its children), sorted: they are most of the
/// processes on a quiet server and never Domino, and a `readlink` of their `exe` costs the most.
/// Empty, so that every process is looked at, where pid 2 is not a kernel thread (in a
/// container's pid namespace it is an ordinary process, perhaps the one that started Domino) or
/// where the kernel does not list children (`CONFIG_PROC_CHILDREN`).
fn kernel_threads() -> Vec<u32> {
    if !std::fs::read_to_string("/proc/2/stat").is_ok_and(|s| is_kernel_thread(&s)) {
        return Vec::new();
    }
    let Ok(children) = std::fs::read_to_string("/proc/2/task/2/children") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = children
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    pids.push(2);
    pids.sort_unstable();
    pids
}

/// Whether a `/proc/PID/stat` line is a kernel thread's: `PF_KTHREAD` in its flags (the ninth
/// field; the second, the name in parentheses, may hold blanks and parentheses itself).
fn is_kernel_thread(stat: &str) -> bool {
    const PF_KTHREAD: u64 = 0x0020_0000;
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(6)?.parse::<u64>().ok())
        .is_some_and(|flags| flags & PF_KTHREAD != 0)
}

/// Splits a command line on white space, honouring double or single quotes (no escapes, so
/// Windows paths keep their backslashes): `"C:\Program Files\HCL\Domino\nserver.exe" -c`.
pub fn split_command(s: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err(Error::invalid(
            format!("unclosed quote in console command {s:?}"),
            "close the quote",
        ));
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "the console command is empty",
            "e.g. --console-cmd '/opt/hcl/domino/bin/server -c'",
        ));
    }
    Ok(out)
}

/// The console commands that make a server's notes.ini show `changes`.
pub fn commands(changes: &[KeyChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| format!("set config {}={}", c.key, c.after.as_deref().unwrap_or("")))
        .collect()
}

/// Refuses a change the console cannot carry: a value that is not printable ASCII (an original
/// LMBCS value, say) would reach the server garbled.
pub fn check_sendable(changes: &[KeyChange]) -> Result<()> {
    for c in changes {
        if let Some(v) = &c.after
            && v.chars().any(|ch| !(' '..='~').contains(&ch))
        {
            return Err(Error::invalid(
                format!(
                    "{} cannot be set to {v:?} through the server console: it is not plain ASCII",
                    c.key
                ),
                "stop the server and run the same command with --mode file",
            ));
        }
    }
    Ok(())
}

/// The program that passes commands to the server console.
#[derive(Clone, Debug)]
pub struct Console {
    /// Program and arguments; the console command is appended as one more argument.
    pub argv: Vec<String>,
    /// Whose rights it runs with.
    pub run_as: ConsoleAs,
    /// How long one command may take.
    pub timeout: Duration,
}

impl Console {
    /// Sends one console command, run in `cwd` (the data directory), without a shell, as the
    /// owner of notes.ini (`owner`): Domino's own tools refuse root ("Run the Domino Server as a
    /// notes user"), and a root `server -c` can leave root-owned files in the data directory. As
    /// root, the command is started from a thread that holds that user's uid, gid and groups
    /// ([`crate::safe::as_user`]; a child gets the credentials of the thread that starts it), with
    /// `HOME` the data directory. Not as root, or with [`ConsoleAs::Caller`], it runs as whoever
    /// runs dbgini.
    pub fn send(&self, command: &str, cwd: &Path, owner: crate::atomic::Perms) -> Result<String> {
        let program = &self.argv[0];
        let spawn = || {
            Command::new(program)
                .args(&self.argv[1..])
                .arg(command)
                .current_dir(cwd)
                .env("HOME", cwd)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        };
        let spawned = match self.run_as {
            ConsoleAs::Owner => crate::safe::as_user(owner.uid, owner.gid, spawn).and_then(|s| s),
            ConsoleAs::Caller => spawn(),
        };
        let mut child = spawned.map_err(|e| Error::Console {
            command: command.into(),
            msg: format!("cannot run {program}: {e}"),
        })?;
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let out = child.wait_with_output().map_err(|e| Error::Console {
                        command: command.into(),
                        msg: e.to_string(),
                    })?;
                    let text = String::from_utf8_lossy(&out.stdout).into_owned()
                        + &String::from_utf8_lossy(&out.stderr);
                    if !status.success() {
                        return Err(Error::Console {
                            command: command.into(),
                            msg: format!("{program} exited with {status}: {}", text.trim()),
                        });
                    }
                    return Ok(text);
                }
                Ok(None) if start.elapsed() < self.timeout => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::Console {
                        command: command.into(),
                        msg: format!(
                            "{program} did not finish within {}s",
                            self.timeout.as_secs()
                        ),
                    });
                }
                Err(e) => {
                    return Err(Error::Console {
                        command: command.into(),
                        msg: e.to_string(),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_server_process_that_shows_nothing_yet_is_looked_at_again() {
        use super::{Detected, settle};
        // One that uses this notes.ini wins at once; readable others are not it.
        let never = |_: &[u32]| -> Vec<(u32, Option<Option<bool>>)> { panic!("looked again") };
        assert_eq!(
            settle(vec![(7, Some(false)), (8, Some(true))], 10, never),
            Detected::Running(8)
        );
        assert_eq!(settle(vec![(7, Some(false))], 10, never), Detected::Stopped);
        assert_eq!(settle(vec![], 10, never), Detected::Stopped);
        // Starting: unreadable twice, then it is this notes.ini's server.
        let mut looks = 0;
        let starting = settle(vec![(9, None)], 10, |pids| {
            looks += 1;
            assert_eq!(pids, &[9]);
            vec![(
                9,
                if looks < 3 {
                    Some(None)
                } else {
                    Some(Some(true))
                },
            )]
        });
        assert_eq!((starting, looks), (Detected::Running(9), 3));
        // Ending: gone at the first look again.
        assert_eq!(
            settle(vec![(9, None)], 10, |_| vec![(9, None)]),
            Detected::Stopped
        );
        // Another user's: never readable, so unknown after every try, and said why.
        let mut looks = 0;
        let theirs = settle(vec![(5, Some(false)), (9, None)], 4, |pids| {
            looks += 1;
            pids.iter().map(|&p| (p, Some(None))).collect()
        });
        assert_eq!(looks, 4);
        assert!(
            matches!(&theirs, Detected::Unknown(why) if why.contains("process 9") && why.contains("as Administrator")),
            "{theirs:?}"
        );
    }

    use super::*;

    #[test]
    fn only_pf_kthread_in_the_flags_makes_a_kernel_thread() {
        let kthreadd = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 25 0 0";
        assert!(is_kernel_thread(kthreadd));
        // pid 2 in a container: an ordinary process (flags 0x400100), with a name that tries
        // to look like the fields after it.
        let shell = "2 (sh) S 1 2 2 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 25 0 0";
        assert!(!is_kernel_thread(shell));
        let tricky = "2 (x) S 0 0 0 0 -1 2129984) S 1 2 2 0 -1 4194560 0 0";
        assert!(!is_kernel_thread(tricky));
        assert!(!is_kernel_thread("2 (cut"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_threads_skipped_are_kernel_threads() {
        let skipped = kernel_threads();
        assert!(skipped.is_sorted());
        for pid in skipped {
            // A thread may end while the test runs; the ones still there must be the kernel's.
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                assert!(is_kernel_thread(&stat), "{stat}");
            }
        }
        assert!(
            !kernel_threads().contains(&std::process::id()),
            "this test's own process is never skipped"
        );
    }

    #[test]
    fn a_windows_server_is_matched_by_its_ini_argument_program_or_data_directory() {
        let ini = Path::new("C:/Program Files/HCL/Domino/notes.ini");
        let exe = Path::new("C:/Program Files/HCL/Domino/nserver.exe");
        let none: &[PathBuf] = &[];
        // The program directory's notes.ini, without =PATH.
        assert!(windows_server_uses(Some(exe), None, &[], ini, none));
        // =PATH names the notes.ini it uses, whatever the directories say (case-insensitive).
        let other = Path::new("D:/Domino/Data/notes.ini");
        let named = ["=d:/DOMINO/data/NOTES.INI".to_string()];
        assert!(windows_server_uses(Some(exe), None, &named, other, none));
        assert!(!windows_server_uses(Some(exe), None, &named, ini, none));
        // The data directory as working directory (Domino 14, or Directory= in notes.ini).
        let data = [PathBuf::from("D:/Domino/Data")];
        assert!(windows_server_uses(
            Some(exe),
            Some(Path::new("D:/Domino/Data")),
            &[],
            other,
            &data
        ));
        // Another server's program and data directories: not this notes.ini.
        assert!(!windows_server_uses(
            Some(Path::new("E:/Domino2/nserver.exe")),
            Some(Path::new("E:/Domino2/Data")),
            &[],
            other,
            &data
        ));
    }

    #[test]
    fn split_command_honours_quotes_and_keeps_backslashes() {
        assert_eq!(
            split_command("/opt/hcl/domino/bin/server -c").unwrap(),
            ["/opt/hcl/domino/bin/server", "-c"]
        );
        assert_eq!(
            split_command(r#""C:\Program Files\HCL\Domino\nserver.exe" -c"#).unwrap(),
            [r"C:\Program Files\HCL\Domino\nserver.exe", "-c"]
        );
        assert_eq!(split_command("domino cmd").unwrap(), ["domino", "cmd"]);
        assert!(split_command("\"open").is_err());
        assert!(split_command("  ").is_err());
    }

    #[test]
    fn commands_set_and_clear() {
        let changes = [
            KeyChange {
                key: "DebugRouter".into(),
                before: None,
                after: Some("3".into()),
            },
            KeyChange {
                key: "SMTPDebug".into(),
                before: Some("3".into()),
                after: None,
            },
        ];
        assert_eq!(
            commands(&changes),
            ["set config DebugRouter=3", "set config SMTPDebug="]
        );
    }
}

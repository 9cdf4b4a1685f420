//! A hermetic environment for running the dbgini binary: temp dir, cleared environment, fake HOME,
//! fixed clock.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The fixed "now" of every test.
pub const NOW: &str = "2026-11-30T12:00:00Z";

/// Built-in profile names.
pub const PROFILES: &[&str] = &[
    "router",
    "lookup",
    "smtp-inbound",
    "smtp-outbound",
    "tcp-resolver",
];

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every corpus file: (relative name, bytes).
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["real", "quirks"] {
        let dir = fixtures().join("corpus").join(sub);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "ini"))
        {
            out.push((
                format!("{sub}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    out
}

/// The ~110-line server file with `Directory=` pointing at `data_dir` (so its log directory,
/// log.nsf and free space are real).
pub fn prod_with_data_dir(data_dir: &Path) -> Vec<u8> {
    let text = String::from_utf8(corpus_file("quirks/prod-linux.ini")).unwrap();
    text.replace(
        "Directory=/local/notesdata",
        &format!("Directory={}", data_dir.display()),
    )
    .into_bytes()
}

/// Reads one corpus file.
pub fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("corpus").join(name)).unwrap()
}

/// A temp dir with a notes.ini, and a way to run dbgini on it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub ini: PathBuf,
    pub now: String,
}

impl Env {
    /// A fresh environment whose notes.ini holds `bytes`.
    pub fn new(bytes: &[u8]) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let ini = dir.path().join("data").join("notes.ini");
        std::fs::write(&ini, bytes).unwrap();
        Env {
            dir,
            ini,
            now: NOW.into(),
        }
    }

    /// The dbgini command, hermetic, with `--ini` set.
    pub fn cmd(&self) -> Command {
        let mut c = self.bare();
        c.arg("--ini").arg(&self.ini);
        c
    }

    /// The dbgini command without `--ini`.
    pub fn bare(&self) -> Command {
        self.bare_at(Path::new(env!("CARGO_BIN_EXE_dbgini")))
    }

    /// [`Env::bare`] running the dbgini at `exe` (a copy placed somewhere else).
    pub fn bare_at(&self, exe: &Path) -> Command {
        let mut c = Command::new(exe);
        let home = self.dir.path().join("home");
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            // Windows reads the known folder, not an environment variable: name it directly.
            .env("DBGINI_CONFIG_DIR", home.join(".config").join("dbgini"))
            .env("USER", "tester")
            .env("DBGINI_REGISTRY", self.dir.path().join("registry"))
            .env("DBGINI_SYSTEM_ROOT", self.dir.path().join("root"))
            .env("TZ", "UTC")
            .env("NO_COLOR", "1");
        if !self.now.is_empty() {
            // A fixed wall clock needs a fixed boot clock too (see lease::effective_now).
            c.env("DBGINI_NOW", &self.now)
                .env("DBGINI_BOOT", "test-boot:0");
        }
        c
    }

    /// The same environment at another time (`DBGINI_NOW`); an empty string is the real clock
    /// (with leases of seconds allowed).
    pub fn at(&self, now: &str) -> Command {
        let mut c = self.cmd();
        if now.is_empty() {
            // The real clock: the tests that use it wait for leases of seconds, shorter than
            // the real minimum of a minute (a knob of test builds only).
            c.env_remove("DBGINI_NOW")
                .env_remove("DBGINI_BOOT")
                .env("DBGINI_TEST_MIN_LEASE_SECS", "1");
        } else {
            c.env("DBGINI_NOW", now);
        }
        c
    }

    /// Runs dbgini at another time and asserts the exit code; returns the output.
    pub fn run_at(&self, now: &str, args: &[&str], code: i32) -> Output {
        let out = output(self.at(now).args(args));
        assert_eq!(
            out.status.code(),
            Some(code),
            "dbgini {args:?} at {now}:\n{}",
            stderr(&out)
        );
        out
    }

    /// Runs dbgini with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        output(self.cmd().args(args))
    }

    /// Runs dbgini and asserts success.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "dbgini {args:?} failed:\n{}",
            stderr(&out)
        );
        out
    }

    /// Runs dbgini with `--json`, asserts the exit code, returns the parsed object.
    pub fn json(&self, args: &[&str], code: i32) -> serde_json::Value {
        let out = output(self.cmd().arg("--json").args(args));
        assert_eq!(
            out.status.code(),
            Some(code),
            "dbgini --json {args:?}:\n{}",
            stderr(&out)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)))
    }

    /// The audit log of this notes.ini, as text.
    pub fn audit(&self) -> String {
        std::fs::read_to_string(
            self.ini
                .parent()
                .unwrap()
                .join(".dbgini/notes.ini/audit.jsonl"),
        )
        .unwrap()
    }

    /// The notes.ini bytes now.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.ini).unwrap()
    }

    /// Every file under the temp dir with its bytes: to show that nothing changed. The `lock`
    /// file is left out: it names the last holder, and is lock metadata, not state.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for p in entries.into_iter().filter(|p| !p.ends_with("lock")) {
                if p.is_dir() {
                    out.push((p.clone(), Vec::new()));
                    walk(&p, out);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }

    /// The value of `key` in notes.ini now, as the line that holds it.
    pub fn lines_for(&self, key: &str) -> Vec<(usize, String)> {
        key_lines(&self.bytes(), key)
    }
}

/// The members of a `.tar.gz` (as `bundle` writes it): `(path, bytes)` in archive order.
pub fn read_archive(path: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().replace('\\', "/");
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

/// One member of a `.tar.gz`, or empty when it is not there.
pub fn archive_member(path: &Path, name: &str) -> Vec<u8> {
    read_archive(path)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b)
        .unwrap_or_default()
}

/// The lines a running `dbgini watch` prints on stdout, as they come: a thread reads them, and the
/// channel ends when watch does.
pub fn watch_lines(watch: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = std::io::BufReader::new(watch.stdout.take().expect("watch's stdout is piped"));
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Adds lines from `rx` to `seen` until `done(seen)` holds; fails, showing them, when that takes
/// longer than `limit`. Before a watch is ended by force (Windows), so no line is lost unprinted.
#[track_caller]
pub fn read_until(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    limit: std::time::Duration,
    done: impl Fn(&[String]) -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !done(seen) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(e) => panic!("watch did not print what was awaited ({e}): {seen:#?}"),
        }
    }
}

/// Asks a running `dbgini watch` to stop: SIGTERM on Unix, which watch answers with a clean exit
/// (0, "stopped"); Windows has no SIGTERM to send another process (watch stops on Ctrl-C
/// there), so it is ended by force. The caller waits for it.
pub fn stop_watch(watch: &mut std::process::Child) {
    #[cfg(unix)]
    assert!(
        Command::new("kill")
            .args(["-TERM", &watch.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    #[cfg(not(unix))]
    watch.kill().unwrap();
}

/// Starts `c`, trying again a start that Wine fails with error 1359 (see [`output`]).
pub fn spawn(c: &mut Command) -> std::process::Child {
    let mut tries = 0;
    loop {
        match c.spawn() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 5 => tries += 1,
            r => return r.unwrap(),
        }
    }
}

/// Runs `c` to completion. Under Wine, starting a process now and then fails when many start at
/// once: with error 1359 ("internal error"), or the process ends with STATUS_DLL_INIT_FAILED
/// (0xC0000142) before the program runs a line (dbgini itself never exits so). Such a start, and
/// only that, is tried again.
pub fn output(c: &mut Command) -> Output {
    const DLL_INIT_FAILED: i32 = 0xC000_0142_u32 as i32;
    let mut tries = 0;
    loop {
        match c.output() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 5 => tries += 1,
            Ok(out)
                if cfg!(windows)
                    && out.status.code() == Some(DLL_INIT_FAILED)
                    && out.stdout.is_empty()
                    && tries < 5 =>
            {
                tries += 1
            }
            r => return r.unwrap(),
        }
    }
}

/// `(1-based line number, line)` of every `key=` line (case-insensitive, spaces around `=` allowed).
pub fn key_lines(bytes: &[u8], key: &str) -> Vec<(usize, String)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.split_once('=')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        })
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r').to_string()))
        .collect()
}

/// Lossy stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Lossy stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A tmpfs of `size`, unmounted on drop; `None` (with the reason printed) where mounting fails.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    pub fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(at.to_path_buf())),
            other => {
                let why = other.map_or_else(|e| e.to_string(), |o| stderr(&o));
                assert!(
                    std::env::var_os("CI").is_none() || !is_root(),
                    "mounting a tmpfs failed in CI as root: {why}"
                );
                eprintln!("skipped: cannot mount a tmpfs here ({})", why.trim());
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Whether the tests run as root (Unix; never elsewhere).
pub fn is_root() -> bool {
    #[cfg(unix)]
    return std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
    #[cfg(not(unix))]
    {
        false
    }
}

/// Whether dbgini died at a crash point: SIGKILL on Unix, exit code
/// [`dbgini::crash::KILLED`] elsewhere.
pub fn killed(status: &std::process::ExitStatus) -> bool {
    #[cfg(unix)]
    return std::os::unix::process::ExitStatusExt::signal(status) == Some(9);
    #[cfg(not(unix))]
    {
        status.code() == Some(dbgini::crash::KILLED)
    }
}

/// One run of dbgini, as just's `tests/test.rs`: `env.test(&[...]).status(2).stderr_has("...").run()`.
/// Assertions point at the test that failed (`#[track_caller]`), and every failure shows the
/// whole stdout and stderr.
pub struct Test<'e> {
    env: &'e Env,
    args: Vec<String>,
    now: Option<String>,
    status: i32,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    stderr_lacks: Vec<String>,
    stdout_empty: bool,
}

impl Env {
    /// A run of dbgini with `args` (expected to succeed unless `.status()` says otherwise).
    pub fn test(&self, args: &[&str]) -> Test<'_> {
        Test {
            env: self,
            args: args.iter().map(|a| a.to_string()).collect(),
            now: None,
            status: 0,
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
            stderr_lacks: Vec::new(),
            stdout_empty: false,
        }
    }
}

impl Test<'_> {
    /// At another time (`DBGINI_NOW`).
    pub fn at(mut self, now: &str) -> Self {
        self.now = Some(now.into());
        self
    }

    /// The exit code expected.
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Text stdout must contain.
    pub fn stdout_has(mut self, text: &str) -> Self {
        self.stdout_has.push(text.into());
        self
    }

    /// stdout must be empty.
    pub fn stdout_empty(mut self) -> Self {
        self.stdout_empty = true;
        self
    }

    /// Text stderr must contain.
    pub fn stderr_has(mut self, text: &str) -> Self {
        self.stderr_has.push(text.into());
        self
    }

    /// Text stderr must not contain.
    pub fn stderr_lacks(mut self, text: &str) -> Self {
        self.stderr_lacks.push(text.into());
        self
    }

    /// Runs it and checks everything asked; returns the output.
    #[track_caller]
    pub fn run(self) -> Output {
        let mut cmd = match &self.now {
            Some(now) => self.env.at(now),
            None => self.env.cmd(),
        };
        let out = output(cmd.args(&self.args));
        let (o, e) = (stdout(&out), stderr(&out));
        let show = || format!("dbgini {:?}\n--- stdout:\n{o}\n--- stderr:\n{e}", self.args);
        assert_eq!(
            out.status.code(),
            Some(self.status),
            "exit code of {}",
            show()
        );
        for t in &self.stdout_has {
            assert!(o.contains(t.as_str()), "stdout lacks {t:?}: {}", show());
        }
        for t in &self.stderr_has {
            assert!(e.contains(t.as_str()), "stderr lacks {t:?}: {}", show());
        }
        for t in &self.stderr_lacks {
            assert!(!e.contains(t.as_str()), "stderr has {t:?}: {}", show());
        }
        if self.stdout_empty {
            assert!(o.is_empty(), "stdout is not empty: {}", show());
        }
        out
    }

    /// Runs it with `--json`, checks the exit code, and returns the one JSON object on stdout
    /// (checked against docs/dbgini.schema.json).
    #[track_caller]
    pub fn json(mut self) -> serde_json::Value {
        self.args.insert(0, "--json".into());
        let out = self.run();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", stdout(&out)));
        crate::json::assert_valid(&v);
        v
    }
}

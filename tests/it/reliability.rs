//! Trying hard to break dbgini: SIGKILL at random moments, concurrent writers, a full or read-only
//! file system, a file-size limit, hostile profiles, flags and state, untrusted profile files, and
//! `doctor`.

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[cfg(unix)]
use crate::util::is_root;
use crate::util::{Env, Tmpfs, corpus_file, stderr, stdout};

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

/// xorshift64: a fixed seed makes every run kill at the same moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_the_original() {
    let original = corpus_file("quirks/no-final-newline.ini");
    let env = Env::new(&original);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ops: [&[&str]; 4] = [
        &["enable", "router"],
        &["enable", "smtp-inbound"],
        &["revert", "--all"],
        &["enable", "lookup"],
    ];
    let mut killed = 0;
    for i in 0..300 {
        // Leave some leases in place so reverts and stacked enables get killed too.
        if i % 3 == 0 {
            env.cmd()
                .args(["enable", "smtp-outbound"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
        }
        let op = ops[(rng.next() % ops.len() as u64) as usize];
        let mut child = crate::util::spawn(
            env.cmd()
                .args(op)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        std::thread::sleep(Duration::from_micros(rng.next() % 4000));
        // SIGKILL on Unix, TerminateProcess on Windows: no chance to clean up either way.
        if child.kill().is_ok() {
            killed += 1;
        }
        let _ = child.wait();
        // The next command recovers; reverting everything gives the original bytes back.
        let out = env.run(&["revert", "--all"]);
        assert!(
            out.status.success(),
            "iteration {i} ({op:?}): {}",
            stderr(&out)
        );
        assert!(
            env.bytes() == original,
            "iteration {i} ({op:?}): not byte-identical after recovery and revert"
        );
    }
    assert!(
        killed > 100,
        "only {killed} of 300 processes were still running when killed"
    );
}

#[test]
fn concurrent_writers_on_one_file_lose_nothing() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    std::thread::scope(|s| {
        for profile in ["router", "smtp-inbound", "smtp-outbound", "tcp-resolver"] {
            let env = &env;
            s.spawn(move || {
                for round in 0..8 {
                    for args in [&["enable", profile][..], &["revert", profile][..]] {
                        let out = env
                            .cmd()
                            .args(["--lock-timeout", "60"])
                            .args(args)
                            .output()
                            .unwrap();
                        assert!(
                            out.status.success(),
                            "{profile} round {round} {args:?}: {}",
                            stderr(&out)
                        );
                    }
                }
            });
        }
    });
    assert!(
        env.bytes() == original,
        "not byte-identical after concurrent enable/revert"
    );
    let v = env.json(&["history"], 0);
    let h = v["history"].as_array().unwrap();
    assert_eq!(h.len(), 64, "every change is in the audit log");
    // Each write starts from the file the previous one left: the hashes chain without a gap.
    let mut hashes: Vec<(&str, &str)> = h
        .iter()
        .map(|r| {
            (
                r["before_sha256"].as_str().unwrap(),
                r["after_sha256"].as_str().unwrap(),
            )
        })
        .collect();
    for w in hashes.windows(2) {
        assert_eq!(
            w[0].1, w[1].0,
            "a lost update: an audit record does not start where the previous ended"
        );
    }
    hashes.clear();
    assert_eq!(env.json(&["status"], 0)["leases"], serde_json::json!([]));
}

fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_leaves_the_original_intact_and_says_so() {
    let env = Env::new(b"");
    let mnt = env.dir.path().join("full");
    let Some(_fs) = Tmpfs::mount(&mnt, "512k") else {
        return;
    };
    let ini = mnt.join("notes.ini");
    let original = prod();
    std::fs::write(&ini, &original).unwrap();
    let run = |args: &[&str]| {
        env.bare()
            .arg("--ini")
            .arg(&ini)
            .args(args)
            .output()
            .unwrap()
    };
    // Once with room (the state directory exists afterwards), then with the disk full.
    assert!(run(&["enable", "router"]).status.success());
    assert!(run(&["revert"]).status.success());
    fill(&mnt);
    let out = run(&["enable", "router"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("No space left on device") && err.contains("notes.ini was not changed"),
        "{err}"
    );
    assert!(std::fs::read(&ini).unwrap() == original);
    std::fs::remove_file(mnt.join("filler")).unwrap();
    let out = run(&["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !std::fs::read_dir(&mnt)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".dbgini-tmp-"))
    );
    assert!(run(&["enable", "router"]).status.success());
    assert!(run(&["revert"]).status.success());
    assert!(std::fs::read(&ini).unwrap() == original);
}

#[test]
fn a_read_only_file_system_gives_a_clear_error() {
    let env = Env::new(b"");
    let mnt = env.dir.path().join("ro");
    let Some(_fs) = Tmpfs::mount(&mnt, "1m") else {
        return;
    };
    let ini = mnt.join("notes.ini");
    std::fs::write(&ini, prod()).unwrap();
    assert!(
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success()
    );
    let out = env
        .bare()
        .arg("--ini")
        .arg(&ini)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert!(std::fs::read(&ini).unwrap() == prod());
}

// RLIMIT_FSIZE (`ulimit -f`, SIGXFSZ) exists only on Unix.
#[cfg(unix)]
#[test]
fn a_file_size_limit_kills_nothing_that_matters() {
    let original = prod();
    let env = Env::new(&original);
    // 1 block of 512 bytes: the temp copy of notes.ini cannot be written.
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -f 1; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_dbgini"));
    let cmd = env.cmd();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.args(cmd.get_args()).args(["enable", "router"]);
    let out = c.output().unwrap();
    assert!(!out.status.success(), "the limit should stop the write");
    assert!(env.bytes() == original);
    let out = env.ok(&["status"]);
    assert!(
        stdout(&out).contains("no active leases"),
        "{}",
        stdout(&out)
    );
    env.ok(&["enable", "router"]);
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

/// A profile directory with one file.
fn profile_dir(env: &Env, name: &str, text: &str) -> PathBuf {
    let dir = env.dir.path().join("profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    dir
}

fn router_with(extra: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/router.toml")).unwrap()
        + extra
}

/// Hostile profiles, flags and state (the notes.ini cases are in `refusals.rs`): each gets its
/// exit code and a message naming the problem, and changes nothing.
#[test]
fn hostile_profiles_flags_and_state_change_nothing() {
    type Setup = fn(&Env) -> Vec<String>;
    let none: Setup = |_| Vec::new();
    let cases: Vec<(&str, Setup, Vec<&str>, i32, &str)> = vec![
        (
            "bad TOML",
            |e| {
                vec![
                    "--profiles-dir".into(),
                    profile_dir(e, "router", "name = \"router\nsummary")
                        .display()
                        .to_string(),
                ]
            },
            vec!["enable", "router"],
            2,
            "router.toml:2:8:",
        ),
        (
            "value with a newline in a profile",
            |e| {
                vec!["--profiles-dir".into(), profile_dir(e, "router", &router_with("\n[[setting]]\nkey = \"X\"\nvalue = \"1\\nServerTasks=evil\"\nrule = \"set\"\nnote = \"n\"\nsource = \"s\"\n")).display().to_string()]
            },
            vec!["enable", "router"],
            2,
            "contains a line break",
        ),
        (
            "key with = in a profile",
            |e| {
                vec!["--profiles-dir".into(), profile_dir(e, "router", &router_with("\n[[setting]]\nkey = \"A=B\"\nvalue = \"1\"\nrule = \"set\"\nnote = \"n\"\nsource = \"s\"\n")).display().to_string()]
            },
            vec!["enable", "router"],
            2,
            "not a valid notes.ini key",
        ),
        (
            "duplicate setting",
            |e| {
                vec!["--profiles-dir".into(), profile_dir(e, "router", &router_with("\n[[setting]]\nkey = \"debugrouter\"\nvalue = \"1\"\nrule = \"set\"\nnote = \"n\"\nsource = \"s\"\n")).display().to_string()]
            },
            vec!["enable", "router"],
            2,
            "appears twice",
        ),
        (
            "unknown template parameter",
            |e| {
                vec!["--profiles-dir".into(), profile_dir(e, "router", &router_with("\n[[setting]]\nkey = \"X\"\nvalue = \"{nope}\"\nrule = \"set\"\nnote = \"n\"\nsource = \"s\"\n")).display().to_string()]
            },
            vec!["enable", "router"],
            2,
            "which is not a parameter",
        ),
        (
            "bad level for at-least",
            |e| {
                vec!["--profiles-dir".into(), profile_dir(e, "router", &router_with("\n[[setting]]\nkey = \"X\"\nvalue = \"high\"\nrule = \"at-least\"\nnote = \"n\"\nsource = \"s\"\n")).display().to_string()]
            },
            vec!["enable", "router"],
            2,
            "needs a whole number",
        ),
        (
            "name does not match file",
            |e| {
                vec![
                    "--profiles-dir".into(),
                    profile_dir(
                        e,
                        "router",
                        &router_with("").replace("name = \"router\"", "name = \"other\""),
                    )
                    .display()
                    .to_string(),
                ]
            },
            vec!["enable", "router"],
            2,
            "does not match the file name",
        ),
        (
            "default longer than max",
            |e| {
                vec![
                    "--profiles-dir".into(),
                    profile_dir(
                        e,
                        "router",
                        &router_with("")
                            .replace("default-duration = \"2h\"", "default-duration = \"48h\""),
                    )
                    .display()
                    .to_string(),
                ]
            },
            vec!["enable", "router"],
            2,
            "longer than max-duration",
        ),
        (
            "bad max-growth",
            |e| {
                vec![
                    "--profiles-dir".into(),
                    profile_dir(
                        e,
                        "router",
                        &router_with("").replace("max-growth = \"1GiB\"", "max-growth = \"lots\""),
                    )
                    .display()
                    .to_string(),
                ]
            },
            vec!["enable", "router"],
            2,
            "max-growth",
        ),
        (
            "huge profile",
            |e| {
                vec![
                    "--profiles-dir".into(),
                    profile_dir(e, "router", &"x".repeat(10 << 20))
                        .display()
                        .to_string(),
                ]
            },
            vec!["enable", "router"],
            2,
            "router.toml:1:",
        ),
        (
            "snippet without =",
            |e| {
                std::fs::write(e.dir.path().join("case.txt"), "DebugRouter 3\n").unwrap();
                Vec::new()
            },
            vec!["enable", "../case.txt"],
            2,
            "is not KEY=VALUE",
        ),
        (
            "snippet with a bad value",
            |e| {
                std::fs::write(e.dir.path().join("case.txt"), b"DebugRouter=\xff\n").unwrap();
                Vec::new()
            },
            vec!["enable", "../case.txt"],
            2,
            "case.txt:1:13: not UTF-8 text",
        ),
        (
            "--param without =",
            none,
            vec!["enable", "tcp-resolver", "--param", "dns-server"],
            2,
            "has no '='",
        ),
        (
            "--param twice",
            none,
            vec![
                "enable",
                "tcp-resolver",
                "--param",
                "dns-server=192.0.2.1",
                "--param",
                "dns-server=192.0.2.2",
            ],
            2,
            "given twice",
        ),
        (
            "--set twice",
            none,
            vec!["enable", "router", "--set", "X=1", "--set", "x=2"],
            2,
            "given twice",
        ),
        (
            "--until garbage",
            none,
            vec!["enable", "router", "--until", "teatime"],
            2,
            "not a time",
        ),
        (
            "--until and --for",
            none,
            vec!["enable", "router", "--until", "13:00", "--for", "1h"],
            2,
            "cannot be used with",
        ),
        (
            "--lock-timeout not a number",
            none,
            vec!["--lock-timeout", "soon", "status"],
            2,
            "invalid value",
        ),
        (
            "--mode unknown",
            none,
            vec!["--mode", "telepathy", "status"],
            2,
            "invalid value",
        ),
        (
            "--min-free above 100%",
            none,
            vec!["enable", "router", "--min-free", "200%"],
            2,
            "between 0% and 100%",
        ),
        (
            "--max-growth not a size",
            none,
            vec!["enable", "router", "--max-growth", "lots"],
            2,
            "not a size",
        ),
        (
            "--mail-rate not a number",
            none,
            vec!["enable", "router", "--mail-rate", "fast"],
            2,
            "messages per hour",
        ),
        (
            "--reason with a newline",
            none,
            vec!["enable", "router", "--reason", "case\n1"],
            2,
            "line break",
        ),
        (
            "--console-cmd with an open quote",
            none,
            vec!["--console-cmd", "\"server -c", "status"],
            2,
            "unclosed quote",
        ),
        (
            "extend with nothing active",
            none,
            vec!["extend", "--for", "1h"],
            2,
            "no active lease",
        ),
        (
            "bundle with no lease",
            none,
            vec!["bundle", "-o", "x.tar.gz"],
            2,
            "no lease to bundle",
        ),
        (
            "truncated state",
            |e| {
                enable_then(e, |t| t[..t.len() / 2].to_string());
                Vec::new()
            },
            vec!["revert"],
            3,
            "cannot be read",
        ),
        (
            "hand-edited state",
            |e| {
                enable_then(e, |t| t.replace("rule = \"bits\"", "rule = \"sometimes\""));
                Vec::new()
            },
            vec!["revert"],
            3,
            "cannot be read",
        ),
        (
            "state from a newer dbgini",
            |e| {
                enable_then(e, |t| t.replace("version = 1", "version = 7"));
                Vec::new()
            },
            vec!["enable", "lookup"],
            3,
            "newer dbgini",
        ),
    ];
    assert!(cases.len() + 22 >= 40, "fewer than 40 hostile cases in all");
    for (name, setup, args, code, says) in cases {
        let env = Env::new(&prod());
        let extra = setup(&env);
        let before = env.snapshot();
        let out = env
            .cmd()
            .current_dir(env.ini.parent().unwrap())
            .args(&extra)
            .args(&args)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{name}: {err}");
        assert!(err.contains(says), "{name}: stderr lacks {says:?}:\n{err}");
        assert!(env.snapshot() == before, "{name}: files changed");
    }
}

/// Enables router, then rewrites the state file with `edit`.
fn enable_then(env: &Env, edit: fn(&str) -> String) {
    env.ok(&["enable", "router"]);
    let state = env
        .ini
        .parent()
        .unwrap()
        .join(".dbgini/notes.ini/state.toml");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, edit(&text)).unwrap();
}

#[cfg(unix)]
#[test]
fn as_root_profiles_others_can_write_are_refused() {
    if !is_root() {
        eprintln!("skipped: the trust check applies when dbgini runs as root (CI does)");
        return;
    }
    let env = Env::new(&prod());
    let dir = profile_dir(&env, "router", &router_with(""));
    std::fs::set_permissions(
        dir.join("router.toml"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let before = env.snapshot();
    let out = env
        .cmd()
        .arg("--profiles-dir")
        .arg(&dir)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("can be changed by users other than its owner")
            && stderr(&out).contains("chmod go-w"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == before);
    std::fs::set_permissions(
        dir.join("router.toml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = env
        .cmd()
        .arg("--profiles-dir")
        .arg(&dir)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a world-writable directory is refused too"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        env.cmd()
            .arg("--profiles-dir")
            .arg(&dir)
            .args(["enable", "router"])
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn doctor_finds_forgotten_debug_and_what_would_break() {
    let mut text = prod();
    text.extend_from_slice(b"Log_MailRouting=40\nSMTPDebugIO=3\nlog_mailrouting=40\n");
    let env = Env::new(&text);
    let before = env.snapshot();
    let v = env.json(&["doctor"], 1);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for c in [
        "forgotten-debug",
        "forgotten-content-capture",
        "duplicate-key",
        "no-enforcement",
    ] {
        assert!(codes.contains(&c), "{c} not in {codes:?}");
    }
    assert_eq!(v["worst"], "warning");
    assert!(env.snapshot() == before, "doctor changed something");

    let clean = Env::new(&prod());
    clean.ok(&["schedule", "install", "--cron"]);
    let out = clean.run(&["doctor"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    clean.ok(&["enable", "router", "--for", "1h"]);
    // Overdue: doctor reports it and, unlike other commands, does not revert it.
    let out = clean.run_at("2026-11-30T14:00:00Z", &["doctor"], 1);
    assert!(
        stdout(&out).contains("expired at 2026-11-30 13:00 UTC but is still active"),
        "{}",
        stdout(&out)
    );
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(prod());
    let broken = Env::new(&bom);
    let v = broken.json(&["doctor"], 3);
    assert_eq!(v["worst"], "error");
}

/// Whether `setpriv` (util-linux) is here to run dbgini as another user; where it is not, the
/// caller skips (saying so), except in CI, where it must be.
#[cfg(unix)]
fn have_setpriv() -> bool {
    if Command::new("setpriv").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "setpriv (util-linux) is missing in CI"
    );
    eprintln!("skipped: no setpriv (util-linux) to run dbgini as another user");
    false
}

#[cfg(unix)]
/// `args` run by user `nobody` (65534) through `setpriv` on `bin` (a copy of dbgini that user
/// can run), with `env`'s hermetic environment and the clock at `at`.
fn as_nobody(bin: &Path, env: &Env, at: &str, args: &[&str]) -> std::process::Output {
    let probe = env.bare();
    let mut c = std::process::Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin)
        .arg("--ini")
        .arg(&env.ini)
        .args(args)
        .env_clear()
        .envs(probe.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("DBGINI_NOW", at);
    // Another test thread's fork may still hold the fresh copy of the binary open for writing,
    // and exec then fails with "Text file busy" (ETXTBSY) until that child execs: retry only that.
    for _ in 0..200 {
        let out = c.output().unwrap();
        let busy = out.status.code() == Some(126)
            && String::from_utf8_lossy(&out.stderr).contains("Text file busy");
        if !busy {
            return out;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("{} stayed busy", bin.display())
}

#[cfg(unix)]
#[test]
fn another_users_state_is_shown_read_only_and_nothing_is_written() {
    if !is_root() {
        eprintln!("skipped: needs root to run dbgini as another user (CI does)");
        return;
    }
    if !have_setpriv() {
        return;
    }
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "1h"]);
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = bin_dir.path().join("dbgini");
    std::fs::copy(env!("CARGO_BIN_EXE_dbgini"), &bin).unwrap();
    for d in [env.dir.path(), env.ini.parent().unwrap(), bin_dir.path()] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let as_nobody = |at: &str, args: &[&str]| as_nobody(&bin, &env, at, args);
    let before = env.snapshot();

    let out = as_nobody("2026-11-30T12:30:00Z", &["--json", "status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["leases"][0]["profile"], "router");
    let warning = v["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.contains("you may not write dbgini's state for")
            && warning.contains("run dbgini as that user (or root) to enforce"),
        "{v}"
    );

    // Overdue: shown as such, and nothing claims it was reverted.
    let out = as_nobody("2026-11-30T14:00:00Z", &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("OVERDUE"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("reverted"), "{}", stderr(&out));
    for args in [&["diff"][..], &["history"]] {
        let out = as_nobody("2026-11-30T14:00:00Z", args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    // A command that must write still fails, and says why.
    let out = as_nobody("2026-11-30T12:30:00Z", &["revert"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    assert!(
        env.snapshot() == before,
        "a read-only look changed something"
    );
}

#[test]
fn first_time_enables_racing_each_other_all_succeed() {
    // Several dbgini processes that each find no state directory and create it at once.
    let original = corpus_file("quirks/prod-linux.ini");
    for _ in 0..10 {
        let env = Env::new(&original);
        let children: Vec<_> = ["router", "smtp-inbound", "smtp-outbound", "tcp-resolver"]
            .into_iter()
            .map(|p| {
                crate::util::spawn(
                    env.cmd()
                        .args(["--lock-timeout", "60", "enable", p])
                        .stdout(Stdio::null())
                        .stderr(Stdio::piped()),
                )
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        assert_eq!(
            env.json(&["status"], 0)["leases"].as_array().unwrap().len(),
            4
        );
    }
}

#[cfg(unix)]
#[test]
fn a_lease_the_root_timer_cannot_see_is_said_so() {
    // Someone other than root enables a lease: it goes into their own registry, which the timer
    // (root's) does not read, and enable must say so instead of implying the timer covers it.
    let env = Env::new(&prod());
    let bin_dir = tempfile::tempdir().unwrap();
    let mut c = if is_root() {
        if !have_setpriv() {
            return;
        }
        let bin = bin_dir.path().join("dbgini");
        std::fs::copy(env!("CARGO_BIN_EXE_dbgini"), &bin).unwrap();
        for d in [env.dir.path(), bin_dir.path()] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for p in [
            env.dir.path().join("home"),
            env.dir.path().join("data"),
            env.ini.clone(),
        ] {
            std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
        }
        let probe = env.bare();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .env_clear()
            .envs(probe.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("USER", "nobody");
        c
    } else {
        env.bare()
    };
    c.env_remove("DBGINI_REGISTRY")
        .env("XDG_DATA_HOME", env.dir.path().join("home/.local/share"))
        .arg("--ini")
        .arg(&env.ini)
        .args(["enable", "router", "--for", "1h"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out).replace('\n', " ");
    assert!(
        err.contains("you are not root, so this lease is listed in your own registry")
            && err.contains("home/.local/share/dbgini/targets")
            && err.contains("dbgini watch --ini"),
        "{err}"
    );
}

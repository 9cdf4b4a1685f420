//! Bad input: a clear error naming the problem and the fix, the documented exit code, and not one
//! byte changed anywhere (notes.ini and dbgini's state).

use crate::util::{Env, corpus_file, stderr};

struct Case {
    name: &'static str,
    ini: Vec<u8>,
    args: Vec<&'static str>,
    code: i32,
    /// Must all appear in stderr.
    says: &'static [&'static str],
}

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

fn with(extra: &[u8]) -> Vec<u8> {
    let mut b = prod();
    b.extend_from_slice(extra);
    b
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "bom",
            ini: corpus_file("quirks/bom.ini"),
            args: vec!["enable", "router"],
            code: 3,
            says: &["byte order mark", "help:", "EF BB BF"],
        },
        Case {
            name: "nul",
            ini: with(b"Bad=\0\n"),
            args: vec!["enable", "router"],
            code: 3,
            says: &["NUL byte on line 97", "help:"],
        },
        Case {
            name: "cr-only",
            ini: b"[Notes]\rDirectory=/d\rKitType=2\r".to_vec(),
            args: vec!["enable", "router"],
            code: 3,
            says: &["CR-only", "help:"],
        },
        Case {
            name: "no notes section",
            ini: b"Directory=/d\n".to_vec(),
            args: vec!["enable", "router"],
            code: 3,
            says: &["no [Notes] section", "help:"],
        },
        Case {
            name: "empty file",
            ini: Vec::new(),
            args: vec!["enable", "router"],
            code: 3,
            says: &["no [Notes] section"],
        },
        Case {
            name: "duplicate key to change",
            ini: corpus_file("quirks/duplicate-key.ini"),
            args: vec!["enable", "router"],
            code: 3,
            says: &[
                "Log_MailRouting occurs 2 times, on lines 89 and 91",
                "keep one Log_MailRouting",
            ],
        },
        Case {
            name: "unknown profile",
            ini: prod(),
            args: vec!["enable", "routr"],
            code: 2,
            says: &["no profile named 'routr'", "router", "smtp-inbound"],
        },
        Case {
            name: "bad duration",
            ini: prod(),
            args: vec!["enable", "router", "--for", "soon"],
            code: 2,
            says: &["'soon' is not a duration", "2h"],
        },
        Case {
            name: "zero duration",
            ini: prod(),
            args: vec!["enable", "router", "--for", "0s"],
            code: 2,
            says: &["not a positive duration"],
        },
        Case {
            name: "negative duration",
            ini: prod(),
            args: vec!["enable", "router", "--for", "-1h"],
            code: 2,
            says: &["not a positive duration"],
        },
        Case {
            name: "above the maximum",
            ini: prod(),
            args: vec!["enable", "router", "--for", "25h"],
            code: 2,
            says: &["maximum of 24h", "--for 24h or less"],
        },
        Case {
            name: "huge duration",
            ini: prod(),
            args: vec!["enable", "router", "--for", "99999d"],
            code: 2,
            says: &["longer than profile router's maximum of 24h"],
        },
        Case {
            name: "value with a newline",
            ini: prod(),
            args: vec![
                "enable",
                "router",
                "--set",
                "DNSServer=1.2.3.4\nServerTasks=x",
            ],
            code: 2,
            says: &["contains a line break", "printable ASCII"],
        },
        Case {
            name: "value with a NUL",
            ini: prod(),
            args: vec!["enable", "router", "--set", "DNSServer=1.2.3.4\u{1}"],
            code: 2,
            says: &["contains the byte 0x01"],
        },
        Case {
            name: "non-ASCII value",
            ini: prod(),
            args: vec!["enable", "router", "--set", "X=M\u{fc}ller"],
            code: 2,
            says: &["printable ASCII"],
        },
        Case {
            name: "value too long",
            ini: prod(),
            args: vec![
                "enable",
                "router",
                "--set",
                Box::leak(format!("X={}", "a".repeat(300)).into_boxed_str()),
            ],
            code: 2,
            says: &["300 bytes long", "255"],
        },
        Case {
            name: "--set without =",
            ini: prod(),
            args: vec!["enable", "router", "--set", "DebugRouter"],
            code: 2,
            says: &["has no '='"],
        },
        Case {
            name: "bad key",
            ini: prod(),
            args: vec!["enable", "router", "--set", "Bad Key=1"],
            code: 2,
            says: &["not a valid notes.ini key"],
        },
        Case {
            name: "bad ip param",
            ini: prod(),
            args: vec!["enable", "tcp-resolver", "--param", "dns-server=999.1.1.1"],
            code: 2,
            says: &["not an IP address", "dns-server"],
        },
        Case {
            name: "unknown param",
            ini: prod(),
            args: vec!["enable", "router", "--param", "x=1"],
            code: 2,
            says: &["has no parameter 'x'", "its parameters are: outfile"],
        },
        Case {
            name: "unknown flag",
            ini: prod(),
            args: vec!["enable", "router", "--forever"],
            code: 2,
            says: &["--forever"],
        },
        Case {
            name: "bare revert with nothing active",
            ini: prod(),
            args: vec!["revert"],
            code: 0,
            says: &["nothing to revert"],
        },
    ]
}

#[test]
fn refused_inputs_change_nothing() {
    for case in cases() {
        let env = Env::new(&case.ini);
        let before = env.snapshot();
        let out = env.run(&case.args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(case.code), "{}: {err}", case.name);
        for s in case.says {
            assert!(err.contains(s), "{}: stderr lacks {s:?}:\n{err}", case.name);
        }
        assert!(env.snapshot() == before, "{}: files changed", case.name);
    }
}

#[test]
fn duplicates_block_only_the_profiles_that_touch_them() {
    let original = corpus_file("quirks/duplicate-key.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "smtp-inbound"]);
    let out = env.run(&["enable", "lookup"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

#[test]
fn no_ini_says_how_to_name_one() {
    let env = Env::new(b"[Notes]\n");
    let out = env.bare().args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no notes.ini to work on")
            && err.contains("--ini PATH")
            && err.contains("DBGINI_INI"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_a_clear_failure() {
    let env = Env::new(b"[Notes]\n");
    let out = env
        .bare()
        .args(["--ini", "/nonexistent/notes.ini", "enable", "router"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("could not open /nonexistent/notes.ini"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_state_directory_that_cannot_be_created_changes_nothing() {
    let env = Env::new(&prod());
    std::fs::write(env.ini.parent().unwrap().join(".dbgini"), b"in the way").unwrap();
    let before = env.snapshot();
    let out = env.run(&["enable", "router"]);
    // Something other than dbgini's directory in its place is refused, not written through.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".dbgini is a file, not a directory"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == before);
}

#[test]
fn bad_profile_files_name_file_line_and_column() {
    let env = Env::new(&prod());
    let dir = env.dir.path().join("profiles");
    std::fs::create_dir(&dir).unwrap();
    let mut text = String::from_utf8(
        std::fs::read(crate::util::fixtures().join("../../profiles/router.toml")).unwrap(),
    )
    .unwrap();
    text.push_str("\n[[setting]]\nkey = \"X\"\nvalue = \"1\"\nrule = \"sometimes\"\nnote = \"n\"\nsource = \"s\"\n");
    std::fs::write(dir.join("router.toml"), &text).unwrap();
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["--profiles-dir"])
        .arg(&dir)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let line = text.lines().count() - 2;
    let err = stderr(&out);
    assert!(
        err.contains(&format!("router.toml:{line}:8")) && err.contains("sometimes"),
        "{err}"
    );
    assert!(env.snapshot() == before);
}

#[test]
fn a_state_from_a_newer_version_is_refused() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    let state = env
        .ini
        .parent()
        .unwrap()
        .join(".dbgini/notes.ini/state.toml");
    let text = std::fs::read_to_string(&state)
        .unwrap()
        .replace("version = 1", "version = 9");
    std::fs::write(&state, text).unwrap();
    let before = env.snapshot();
    let out = env.run(&["revert"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("newer dbgini"), "{}", stderr(&out));
    assert!(env.snapshot() == before);
}

#[test]
fn a_file_written_by_someone_else_mid_operation_is_never_overwritten() {
    let env = Env::new(&prod());
    let out = env
        .cmd()
        .args(["enable", "router"])
        .env("DBGINI_TOUCH_AT", "after-backup")
        .env("DBGINI_TOUCH_FILE", &env.ini)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("changed while dbgini was working on it; nothing was written"),
        "{err}"
    );
    assert!(err.contains("run the same dbgini command again"), "{err}");
    let mut expect = prod();
    expect.extend_from_slice(b"; written by another program\n");
    assert!(env.bytes() == expect, "the other writer's change was lost");
    assert_eq!(env.json(&["status"], 0)["leases"], serde_json::json!([]));
    for slot in ["pending.0", "pending.1"] {
        let pending = env
            .ini
            .parent()
            .unwrap()
            .join(".dbgini/notes.ini")
            .join(slot);
        assert!(
            std::fs::metadata(&pending).map_or(true, |m| m.len() == 0),
            "the pending record {slot} was not cleared"
        );
    }
}

/// Windows locks are mandatory: dbgini's lock must leave the holder line readable through other
/// handles (a waiting dbgini reads it), and still exclude every other holder, std's lock of the
/// whole file included. (Wine enforces no lock on reads and writes, so only a real Windows can
/// fail the read; the exclusion is checked under Wine too.)
#[cfg(windows)]
#[test]
fn the_windows_lock_excludes_other_holders_and_leaves_the_holder_line_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock");
    let line = "pid 1 `dbgini enable router` by alice@mail01";
    std::fs::write(&path, line).unwrap();
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap()
    };
    let (a, b) = (open(), open());
    assert!(dbgini_win::try_lock_past_end(&a).unwrap());
    assert!(
        !dbgini_win::try_lock_past_end(&b).unwrap(),
        "a second holder"
    );
    assert!(matches!(
        b.try_lock(),
        Err(std::fs::TryLockError::WouldBlock)
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), line);
    drop(a);
    assert!(
        dbgini_win::try_lock_past_end(&b).unwrap(),
        "not released with its handle"
    );
}

#[test]
fn a_held_lock_names_its_holder_and_times_out() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    let lock = env.ini.parent().unwrap().join(".dbgini/notes.ini/lock");
    // The holder runs (this test process holds the lock, as dbgini takes it).
    let holder = format!(
        "pid {} `dbgini enable smtp-inbound` by alice@mail01",
        std::process::id()
    );
    std::fs::write(&lock, &holder).unwrap();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
        .unwrap();
    #[cfg(windows)]
    assert!(dbgini_win::try_lock_past_end(&file).unwrap());
    #[cfg(not(windows))]
    file.lock().unwrap();
    let before = env.snapshot();
    let out = env.run(&["--lock-timeout", "0", "revert"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "another dbgini is working on this notes.ini ({holder})"
        )),
        "{err}"
    );
    assert!(err.contains("--lock-timeout"), "{err}");
    assert!(env.snapshot() == before);
    // The line names a process that no longer runs: the lock is someone else's (known on Linux,
    // through /proc; elsewhere the line is shown as it is).
    std::fs::write(&lock, "pid 99999999 `dbgini enable router` by bob@mail01").unwrap();
    let err = stderr(&env.run(&["--lock-timeout", "0", "revert"]));
    if cfg!(target_os = "linux") {
        assert!(
            err.contains("names pid 99999999 `dbgini enable router` by bob@mail01, but that process no longer runs here"),
            "{err}"
        );
    } else {
        assert!(
            err.contains("(pid 99999999 `dbgini enable router` by bob@mail01)"),
            "{err}"
        );
    }
    drop(file);
    env.ok(&["revert"]);
    assert!(env.bytes() == prod());
}

#[test]
fn backups_are_bounded() {
    let env = Env::new(&prod());
    for _ in 0..7 {
        env.ok(&["enable", "router"]);
        env.ok(&["revert"]);
    }
    let backups = std::fs::read_dir(env.ini.parent().unwrap().join(".dbgini/notes.ini/backups"))
        .unwrap()
        .count();
    assert_eq!(backups, 10);
}

#[cfg(unix)]
#[test]
fn state_belongs_to_the_owner_of_notes_ini() {
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        != 0
    {
        eprintln!("skipped: changing owners needs root (CI runs as root)");
        return;
    }
    let env = Env::new(&prod());
    std::os::unix::fs::chown(&env.ini, Some(4321), Some(4322)).unwrap();
    env.ok(&["enable", "router"]);
    let data = env.ini.parent().unwrap();
    for p in [
        env.ini.clone(),
        data.join(".dbgini"),
        data.join(".dbgini/notes.ini"),
        data.join(".dbgini/notes.ini/state.toml"),
        data.join(".dbgini/notes.ini/audit.jsonl"),
        data.join(".dbgini/notes.ini/lock"),
    ] {
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!((m.uid(), m.gid()), (4321, 4322), "{}", p.display());
    }
}

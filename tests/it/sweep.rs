//! The correctness sweep: defects found by trying dbgini as a hostile and as a hurried admin
//! would. Each test is named after what broke, and failed before its fix.

#[cfg(unix)]
use std::path::Path;
use std::process::Command;

use crate::util::{Env, corpus_file, stderr, stdout};

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

fn leases(env: &Env) -> Vec<String> {
    env.json(&["status"], 0)["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_snippet_lease_is_reverted_extended_and_bundled_by_the_path_it_was_enabled_with() {
    let env = Env::new(&prod());
    let snippet = env.dir.path().join("case-4711.txt");
    std::fs::write(&snippet, b"SMTPClientDebug=1\n").unwrap();
    let path = snippet.to_str().unwrap();
    env.ok(&["enable", path, "--for", "1h"]);
    env.ok(&["extend", path, "--for", "2h"]);
    let archive = env.dir.path().join("b.tar.gz");
    env.ok(&["bundle", path, "-o", archive.to_str().unwrap()]);
    let out = env.ok(&["revert", path]);
    assert!(
        stderr(&out).contains("reverted case-4711-"),
        "{}",
        stderr(&out)
    );
    assert!(leases(&env).is_empty());
    assert!(env.bytes() == prod());
}

#[test]
fn expire_all_targets_keeps_a_target_whose_notes_ini_is_briefly_missing() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "1h"]);
    let away = env.dir.path().join("notes.ini.maintenance");
    std::fs::rename(&env.ini, &away).unwrap();
    let later = "2026-11-30T14:00:00Z";
    for args in [
        &["expire", "--all-targets", "--dry-run"][..],
        &["expire", "--all-targets"],
    ] {
        let out = env.run_at(later, args, 3);
        assert!(
            stderr(&out).contains("kept in the registry, because its state is still at"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // Back from maintenance: the timer still knows it and reverts the expired lease.
    std::fs::rename(&away, &env.ini).unwrap();
    let out = env.run_at(later, &["expire", "--all-targets"], 0);
    assert!(
        stderr(&out).contains("reverted 1 expired lease"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == prod());

    // Gone for good, state and all: dropped (and a dry run only says it would be).
    env.ok(&["enable", "router", "--for", "1h"]);
    std::fs::remove_dir_all(env.ini.parent().unwrap()).unwrap();
    let out = env.run_at(later, &["expire", "--all-targets", "--dry-run"], 0);
    assert!(
        stderr(&out).contains("would be dropped from the registry"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(env.dir.path().join("registry"))
            .unwrap()
            .count(),
        1
    );
    let out = env.run_at(later, &["expire", "--all-targets"], 0);
    assert!(
        stderr(&out).contains("dropped from the registry"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(env.dir.path().join("registry"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_reboot_with_the_clock_behind_does_not_keep_a_lease_alive() {
    let env = Env::new(&prod());
    let out = env
        .cmd()
        .env("DBGINI_BOOT", "boot-1:600")
        .args(["enable", "router", "--for", "1h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A reboot later: the wall clock is 3h behind, the new boot has run for 2h. The boot came
    // after dbgini's last action, so at least 2h have passed: the 1h lease is over.
    let out = env
        .at("2026-11-30T09:00:00Z")
        .env("DBGINI_BOOT", "boot-2:7200")
        .args(["--json", "status"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["expired"][0]["profile"], "router", "{v}");
    assert!(env.bytes() == prod());
    for bad in ["x:notnum", "x", ":5", "x:-5"] {
        let out = env
            .cmd()
            .env("DBGINI_BOOT", bad)
            .arg("status")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("DBGINI_BOOT"), "{}", stderr(&out));
    }
}

#[test]
fn enable_applies_a_lease_again_whose_key_was_deleted_by_hand() {
    let original = prod();
    let env = Env::new(&original);
    env.ok(&["enable", "router", "--for", "1h"]);
    let text = String::from_utf8(env.bytes()).unwrap();
    let deleted: String = text
        .lines()
        .filter(|l| !l.starts_with("DebugRouter="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&env.ini, &deleted).unwrap();
    let out = env.ok(&["enable", "router"]);
    let err = stderr(&out);
    assert!(
        err.contains("is no longer in effect: DebugRouter changed by hand since it was enabled"),
        "{err}"
    );
    assert_eq!(env.lines_for("DebugRouter").len(), 1, "{err}");
    assert_eq!(leases(&env).len(), 1);
    env.ok(&["revert"]);
    assert!(env.bytes() == original);

    // A new duration for a lease in effect is not silently dropped.
    env.ok(&["enable", "router", "--for", "1h"]);
    let out = env.ok(&["enable", "router", "--for", "5m"]);
    assert!(
        stderr(&out).contains("the lease keeps its expiry (`dbgini extend router-"),
        "{}",
        stderr(&out)
    );
    let v = env.json(&["status"], 0);
    assert_eq!(v["leases"][0]["expires_at"], "2026-11-30T13:00:00Z");
}

#[test]
fn extend_refuses_to_shorten_a_lease_unless_asked() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "2h"]);
    let before = env.snapshot();
    let out = env.run(&["extend", "--for", "1h"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("runs until 2026-11-30 14:00 UTC (in 2h); the new expiry, 2026-11-30 13:00 UTC, would shorten it")
            && stderr(&out).contains("--allow-shorter"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == before);
    env.ok(&["extend", "--for", "1h", "--allow-shorter"]);
    assert_eq!(
        env.json(&["status"], 0)["leases"][0]["expires_at"],
        "2026-11-30T13:00:00Z"
    );
    // The history shows whole seconds, not nanoseconds.
    let out = env.ok(&["history"]);
    assert!(
        stdout(&out).contains("extended from 2026-11-30T14:00:00Z to 2026-11-30T13:00:00Z"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn leases_shorter_than_a_minute_are_refused() {
    let env = Env::new(&prod());
    let before = env.snapshot();
    for d in ["1ns", "1ms", "59s", "0.0001h"] {
        let out = env.run(&["enable", "router", "--for", d]);
        assert_eq!(out.status.code(), Some(2), "{d}: {}", stderr(&out));
        assert!(env.snapshot() == before, "{d} changed something");
    }
    let out = env.run(&["enable", "router", "--for", "30s"]);
    assert!(
        stderr(&out).contains("30s is shorter than the shortest lease, 1m"),
        "{}",
        stderr(&out)
    );
    env.ok(&["enable", "router", "--for", "1m"]);
}

#[test]
fn one_broken_profile_file_does_not_hide_the_others() {
    let env = Env::new(&prod());
    let dir = env.dir.path().join("profiles");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("broken.toml"),
        b"name = \"broken\"\nthis is not toml\n",
    )
    .unwrap();
    let good = std::fs::read_to_string(crate::util::fixtures().join("../../profiles/router.toml"))
        .unwrap()
        .replace("name = \"router\"", "name = \"mine\"");
    std::fs::write(dir.join("mine.toml"), good).unwrap();
    let d = dir.to_str().unwrap();
    let out = env.run(&["--profiles-dir", d, "profiles"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let listed = stdout(&out);
    for name in ["router", "lookup", "smtp-inbound", "mine"] {
        assert!(
            listed.lines().any(|l| l.starts_with(name)),
            "{name}:\n{listed}"
        );
    }
    assert!(
        listed.lines().any(|l| l.starts_with("broken ")
            && l.contains("BROKEN: ")
            && l.contains("broken.toml:2:")),
        "{listed}"
    );
    assert!(
        stderr(&out).contains("profile broken cannot be used"),
        "{}",
        stderr(&out)
    );
    env.ok(&["--profiles-dir", d, "enable", "mine"]);
    for bad in [env.dir.path().join("nope"), env.ini.clone()] {
        let out = env
            .cmd()
            .arg("--profiles-dir")
            .arg(&bad)
            .arg("profiles")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("--profiles-dir"), "{}", stderr(&out));
    }
}

#[test]
fn an_absurdly_large_snippet_is_refused() {
    let env = Env::new(&prod());
    let snippet = env.dir.path().join("huge.txt");
    let text: String = (0..10_001).map(|i| format!("DebugKey{i:05}=1\n")).collect();
    std::fs::write(&snippet, text).unwrap();
    let before = env.snapshot();
    let out = env.run(&["enable", snippet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("huge.txt:10001:1: more than 10000 settings"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == before);
}

#[test]
fn the_dry_run_shows_the_lease_id_the_real_run_creates() {
    let env = Env::new(&prod());
    let dry = env.json(&["enable", "smtp-inbound", "--dry-run"], 0);
    let real = env.json(&["enable", "smtp-inbound"], 0);
    assert_eq!(dry["lease"]["id"], real["lease"]["id"]);
    let dry = env.json(&["enable", "router", "--dry-run"], 0);
    let real = env.json(&["enable", "router"], 0);
    assert_eq!(dry["lease"]["id"], real["lease"]["id"]);
    assert_ne!(
        real["lease"]["id"],
        env.json(&["status"], 0)["leases"][0]["id"]
    );
}

#[test]
fn snippet_mistakes_are_named_plainly() {
    let env = Env::new(&prod());
    let snippet = env.dir.path().join("case.txt");
    std::fs::write(&snippet, b"\xEF\xBB\xBFDebugRouter=3\n").unwrap();
    let out = env.run(&["enable", snippet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("case.txt:1:1: the file starts with a byte order mark"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        &snippet,
        b"; from support\nDebugRouter=3\nSMTPDebug=1\ndebugrouter=7\n",
    )
    .unwrap();
    let out = env.run(&["enable", snippet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("case.txt:4:1: debugrouter appears twice (first on line 2)"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["enable", "router", "--set", "SMTPDebug"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("write --set KEY=VALUE, e.g. --set SMTPDebug=2"),
        "{}",
        stderr(&out)
    );
    // Router debug with nothing that captures the console in a file.
    std::fs::write(&snippet, b"DebugRouter=3\n").unwrap();
    let bare = Env::new(b"[Notes]\nDirectory=/local/notesdata\n");
    let out = bare.ok(&["enable", snippet.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("DebugRouter writes debug output to the server console, but nothing captures it in a file"),
        "{}",
        stderr(&out)
    );
    // prod-linux.ini has Console_Log_Enabled=1: captured, no warning.
    let out = env.ok(&["enable", snippet.to_str().unwrap()]);
    assert!(
        !stderr(&out).contains("nothing captures it"),
        "{}",
        stderr(&out)
    );
}

// FIFOs and /dev/null exist only on Unix.
#[cfg(unix)]
#[test]
fn the_ini_argument_that_is_not_a_regular_file_says_so() {
    let env = Env::new(&prod());
    let fifo = env.dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for p in [fifo.as_path(), Path::new("/dev/null")] {
        let out = env
            .bare()
            .arg("--ini")
            .arg(p)
            .arg("status")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a regular file")
                && !stderr(&out).contains("not its directory"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn reason_errors_speak_of_the_reason() {
    let env = Env::new(&prod());
    let out = env.run(&["enable", "router", "--reason", "case\u{7}1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--reason") && err.contains("control character"),
        "{err}"
    );
    assert!(!err.contains("notes.ini") && !err.contains("255"), "{err}");
    // Any language is fine.
    env.ok(&[
        "enable",
        "router",
        "--reason",
        "Fall 4711: Zustellung hängt",
    ]);
}

#[test]
fn an_empty_state_file_is_called_empty() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    let state = env
        .ini
        .parent()
        .unwrap()
        .join(".dbgini/notes.ini/state.toml");
    std::fs::remove_file(&state).unwrap();
    std::fs::write(&state, b"").unwrap();
    let out = env.run(&["status"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("it is empty (a crash or a full disk may have cut it short)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn history_n_zero_is_a_usage_error() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    let out = env.run(&["history", "-n", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = env.ok(&["history", "-n", "1"]);
    assert!(stdout(&out).contains("enable router"), "{}", stdout(&out));
}

#[test]
fn bundle_into_a_missing_directory_names_that_directory() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    let dest = env.dir.path().join("no/such/dir/b.tar.gz");
    let out = env.run(&["bundle", "-o", dest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the directory for the bundle") && !stderr(&out).contains("--ini"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn revert_force_says_nothing_about_a_server_that_does_not_run() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    let out = env.ok(&["revert", "--force"]);
    assert!(
        !stderr(&out).contains("no Domino server process runs"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == prod());
}

#[test]
fn an_immutable_notes_ini_is_called_immutable_when_root_is_refused() {
    if !crate::util::is_root() {
        eprintln!("skipped: needs root (chattr)");
        return;
    }
    let env = Env::new(&prod());
    let set = Command::new("chattr").arg("+i").arg(&env.ini).output();
    if !set.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: this file system has no immutable flag (chattr +i failed)");
        return;
    }
    let out = env.run(&["enable", "router"]);
    let _ = Command::new("chattr").arg("-i").arg(&env.ini).status();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("is immutable"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("run dbgini as the owner"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == prod());
}

#[test]
fn reverting_a_lease_never_joins_the_last_line_to_a_line_another_lease_added() {
    // The last line has no ending; router changes it (and adds lines after it, giving it one),
    // smtp-inbound adds more. Reverting router put the line back without its ending, in front
    // of smtp-inbound's lines: `DebugRouter=1SMTPDebug=3`.
    let original = b"[Notes]\nDirectory=/local/notesdata\nDebugRouter=1".to_vec();
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    env.ok(&["enable", "smtp-inbound"]);
    env.ok(&["revert", "router"]);
    let text = String::from_utf8(env.bytes()).unwrap();
    assert!(
        text.lines().any(|l| l == "DebugRouter=1") && text.lines().any(|l| l == "SMTPDebug=3"),
        "{text:?}"
    );
    env.ok(&["revert"]);
    assert_eq!(
        String::from_utf8(env.bytes()).unwrap(),
        String::from_utf8(original).unwrap()
    );
}

#[test]
fn a_missing_final_newline_comes_back_when_a_later_lease_managed_the_last_line() {
    // The first snippet adds a line after the last one (giving it an ending); the second then
    // took that line as its baseline, ending and all, and put the ending back on revert.
    let original = b"[Notes]\nDirectory=/local/notesdata\nSMTPDebug=0".to_vec();
    for order in [["adds", "changes"], ["changes", "adds"]] {
        let env = Env::new(&original);
        let adds = env.dir.path().join("adds.txt");
        let changes = env.dir.path().join("changes.txt");
        std::fs::write(&adds, b"SMTPClientDebug=1\n").unwrap();
        std::fs::write(&changes, b"SMTPDebug=1\n").unwrap();
        env.ok(&["enable", adds.to_str().unwrap()]);
        env.ok(&["enable", changes.to_str().unwrap()]);
        env.ok(&["revert", order[0]]);
        env.ok(&["revert", order[1]]);
        assert_eq!(
            String::from_utf8(env.bytes()).unwrap(),
            String::from_utf8(original.clone()).unwrap(),
            "reverted {order:?}"
        );
    }
}

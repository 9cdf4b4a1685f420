//! SIGKILL at every named crash point of enable and revert: notes.ini is always the whole old or
//! the whole new file, the next command recovers, the state agrees with the file, and a final
//! revert gives back the original bytes.

use dbgini::crash::POINTS;

use crate::util::{Env, NOW, corpus_file, killed, stderr};

/// Runs `args` (at `at`) in a twin environment to learn what notes.ini looks like after them.
fn result_of(setup: &[&[&str]], args: &[&str], at: &str, original: &[u8]) -> Vec<u8> {
    let twin = Env::new(original);
    for s in setup {
        twin.ok(s);
    }
    twin.run_at(at, args, 0);
    twin.bytes()
}

fn leases(env: &Env) -> Vec<String> {
    let status = env.json(&["status"], 0);
    status["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["profile"].as_str().unwrap().to_string())
        .collect()
}

/// A command to kill mid-way: what runs before it, and which profiles are active afterwards if it
/// did not happen and if it did.
struct Scenario {
    name: &'static str,
    /// The clock of the killed command.
    at: &'static str,
    setup: &'static [&'static [&'static str]],
    args: &'static [&'static str],
    not_done: &'static [&'static str],
    done: &'static [&'static str],
}

#[test]
fn sigkill_at_every_crash_point_leaves_a_whole_file_and_recovers() {
    let original = corpus_file("quirks/no-final-newline.ini");
    let scenarios = [
        Scenario {
            name: "enable",
            at: NOW,
            setup: &[],
            args: &["enable", "router"],
            not_done: &[],
            done: &["router"],
        },
        Scenario {
            name: "stacked enable",
            at: NOW,
            setup: &[&["enable", "router"]],
            args: &["enable", "smtp-inbound"],
            not_done: &["router"],
            done: &["router", "smtp-inbound"],
        },
        Scenario {
            name: "revert",
            at: NOW,
            setup: &[&["enable", "router"], &["enable", "smtp-inbound"]],
            args: &["revert", "router"],
            not_done: &["router", "smtp-inbound"],
            done: &["smtp-inbound"],
        },
        Scenario {
            name: "expire",
            at: "2026-11-30T14:00:00Z",
            setup: &[
                &["enable", "router", "--for", "1h"],
                &["enable", "smtp-inbound", "--for", "3h"],
            ],
            args: &["expire"],
            not_done: &["router", "smtp-inbound"],
            done: &["smtp-inbound"],
        },
    ];
    for Scenario {
        name,
        at,
        setup,
        args,
        not_done,
        done,
    } in scenarios
    {
        let after = result_of(setup, args, at, &original);
        for point in POINTS {
            let env = Env::new(&original);
            for s in setup {
                env.ok(s);
            }
            let before = env.bytes();
            let out = env
                .at(at)
                .args(args)
                .env("DBGINI_CRASH_AT", point)
                .output()
                .unwrap();
            assert!(
                killed(&out.status),
                "{name} at {point}: not killed: {}",
                stderr(&out)
            );

            let now = env.bytes();
            assert!(
                now == before || now == after,
                "{name} at {point}: notes.ini is neither old nor new"
            );
            let active = leases(&env);
            let expect: &[&str] = if now == after { done } else { not_done };
            assert_eq!(
                active, expect,
                "{name} at {point}: state disagrees with the file"
            );
            let leftovers: Vec<_> = std::fs::read_dir(env.ini.parent().unwrap())
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".dbgini-tmp-"))
                .collect();
            assert!(
                leftovers.is_empty(),
                "{name} at {point}: temp files left: {leftovers:?}"
            );

            env.ok(&["revert", "--all"]);
            assert!(
                env.bytes() == original,
                "{name} at {point}: final revert is not byte-identical"
            );
        }
    }
}

#[test]
fn a_crash_after_the_rename_is_finished_by_the_next_command() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let out = env
        .cmd()
        .args(["enable", "router"])
        .env("DBGINI_CRASH_AT", "after-rename")
        .output()
        .unwrap();
    assert!(killed(&out.status), "{}", stderr(&out));
    let out = env.ok(&["status"]);
    assert!(
        stderr(&out).contains("was interrupted after it had written notes.ini"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leases(&env), vec!["router"]);
}

#[test]
fn a_file_changed_after_an_interrupted_write_stops_with_an_explanation() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let out = env
        .cmd()
        .args(["enable", "router"])
        .env("DBGINI_CRASH_AT", "after-pending")
        .output()
        .unwrap();
    assert!(killed(&out.status), "{}", stderr(&out));
    let mut edited = original.clone();
    edited.extend_from_slice(b"HandEdit=1\n");
    std::fs::write(&env.ini, &edited).unwrap();
    let before = env.snapshot();
    let out = env.run(&["enable", "router"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out).replace('\\', "/");
    assert!(
        err.contains("was interrupted")
            && err.contains(".dbgini/notes.ini/pending")
            && err.contains("backup"),
        "{err}"
    );
    assert!(env.snapshot() == before);
}

#[test]
fn a_torn_pending_record_is_discarded_with_a_note() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    let enabled = env.bytes();
    // A crash while the next record was being written (into the other slot than the enable's)
    // leaves a record whose checksum fails.
    let dir = env.ini.parent().unwrap().join(".dbgini/notes.ini");
    let kept = std::fs::read(dir.join("pending.1")).unwrap();
    let pending = dir.join("pending.0");
    std::fs::write(
        &pending,
        "dbgini-pending 2 2 999 0123\nop = \"enable\"\nstar",
    )
    .unwrap();
    let out = env.ok(&["status"]);
    assert!(
        stderr(&out).contains("the record was discarded"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::metadata(&pending).unwrap().len(), 0);
    assert!(std::fs::read(dir.join("pending.1")).unwrap() == kept);
    assert!(env.bytes() == enabled);
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

/// The state directory of `env`'s notes.ini.
fn state_dir(env: &Env) -> std::path::PathBuf {
    env.ini.parent().unwrap().join(".dbgini/notes.ini")
}

#[test]
fn a_state_lost_after_the_file_changed_is_taken_from_the_pending_record() {
    // The state is written without fsync after notes.ini is replaced: a power cut may lose it.
    // The pending record, synced before the replace, still holds it.
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    let state = state_dir(&env).join("state.toml");
    let older = std::fs::read(&state).unwrap();
    env.ok(&["enable", "smtp-inbound"]);
    let both = env.bytes();
    std::fs::write(&state, &older).unwrap();

    let out = env.ok(&["status"]);
    assert!(
        stderr(&out).contains("`dbgini enable` was interrupted after it had written notes.ini"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leases(&env), ["router", "smtp-inbound"]);
    // Resolved once: the record is now as old as the state.
    let out = env.ok(&["status"]);
    assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(env.bytes() == both);
    env.ok(&["revert", "--all"]);
    assert!(env.bytes() == original);
}

#[test]
fn a_newer_record_that_never_reached_the_file_falls_back_to_the_older_one() {
    // Power cut during the second enable, before its replace, with the first enable's state
    // lost too: the second record is dropped, the first one (in the other slot) finishes.
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    let router = env.bytes();
    env.ok(&["enable", "smtp-inbound"]);
    std::fs::write(&env.ini, &router).unwrap();
    std::fs::remove_file(state_dir(&env).join("state.toml")).unwrap();

    let out = env.ok(&["status"]);
    let err = stderr(&out);
    assert!(
        err.contains("interrupted before it changed notes.ini")
            && err.contains("interrupted after it had written notes.ini"),
        "{err}"
    );
    assert_eq!(leases(&env), ["router"]);
    assert_eq!(
        std::fs::metadata(state_dir(&env).join("pending.0"))
            .unwrap()
            .len(),
        0,
        "the dropped record was emptied"
    );
    env.ok(&["revert", "--all"]);
    assert!(env.bytes() == original);
}

#[test]
fn doctor_reports_an_unresolved_record_and_not_a_resolved_one() {
    let codes = |env: &Env| -> Vec<String> {
        let out = env.cmd().args(["--json", "doctor"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    env.ok(&["enable", "router"]);
    // The enable's record stays on disk, but is not newer than the state: not a finding.
    assert!(
        std::fs::metadata(state_dir(&env).join("pending.1"))
            .unwrap()
            .len()
            > 0
    );
    assert!(!codes(&env).contains(&"pending".to_string()));
    let out = env
        .cmd()
        .args(["enable", "smtp-inbound"])
        .env("DBGINI_CRASH_AT", "after-pending")
        .output()
        .unwrap();
    assert!(killed(&out.status), "{}", stderr(&out));
    assert!(codes(&env).contains(&"pending".to_string()));
    env.ok(&["status"]);
    assert!(!codes(&env).contains(&"pending".to_string()));
}

#[test]
fn temp_files_a_killed_write_left_in_the_state_directory_are_removed() {
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    env.ok(&["enable", "router"]);
    let stale = [
        state_dir(&env).join(".dbgini-tmp-ended.jsonl.Xy12Ab"),
        state_dir(&env).join("backups/.dbgini-tmp-notes.ini.Zz98Qq"),
    ];
    for s in &stale {
        std::fs::write(s, "half").unwrap();
    }
    env.ok(&["status"]);
    for s in &stale {
        assert!(!s.exists(), "{} is still there", s.display());
    }
}

#[test]
fn a_write_that_fails_after_the_rename_keeps_its_record_and_is_finished() {
    // The rename happened, then syncing the directory failed: notes.ini has changed, so the
    // record must survive the error for the next command to finish the operation.
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let out = env
        .cmd()
        .args(["enable", "router"])
        .env("DBGINI_FAIL_AT", "after-rename")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("was changed, but making it durable failed")
            && err.contains("caused by: failure injected at after-rename")
            && err.contains("run `dbgini status`"),
        "{err}"
    );
    assert!(env.bytes() != original, "the rename had happened");
    let out = env.ok(&["status"]);
    assert!(
        stderr(&out).contains("was interrupted after it had written notes.ini"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leases(&env), ["router"]);
    env.ok(&["revert"]);
    assert!(env.bytes() == original);

    // Failing before the rename: nothing changed, and the record is void.
    let out = env
        .cmd()
        .args(["enable", "router"])
        .env("DBGINI_FAIL_AT", "after-temp-write")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(env.bytes() == original);
    let out = env.ok(&["status"]);
    assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_eq!(leases(&env), Vec::<String>::new());
}

#[test]
fn a_state_or_log_that_cannot_be_written_after_the_file_changed_says_so_and_recovers() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    // Writing the state fails after notes.ini changed.
    let out = env
        .cmd()
        .env("DBGINI_FAIL_AT", "write-state")
        .args(["enable", "smtp-inbound"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("was changed, but recording its lease state failed")
            && err.contains("run `dbgini status`"),
        "{err}"
    );
    let out = env.ok(&["status"]);
    assert!(
        stderr(&out).contains("was interrupted after it had written notes.ini"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leases(&env), ["router", "smtp-inbound"]);

    // The audit log cannot be appended to: the change and the lease stand, and the error says so.
    let out = env
        .cmd()
        .env("DBGINI_FAIL_AT", "audit.jsonl")
        .args(["revert", "smtp-inbound"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was changed, but writing the audit log failed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leases(&env), ["router"]);
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

#[test]
fn a_directory_where_a_state_file_belongs_is_refused_before_notes_ini_changes() {
    let original = corpus_file("quirks/prod-linux.ini");
    for name in ["state.toml.b", "audit.jsonl", "pending.0", "ended.jsonl"] {
        let env = Env::new(&original);
        env.ok(&["enable", "router"]);
        let planted = state_dir(&env).join(name);
        let _ = std::fs::remove_file(&planted);
        std::fs::create_dir(&planted).unwrap();
        let before = env.snapshot();
        let out = env.run(&["enable", "smtp-inbound"]);
        assert_eq!(out.status.code(), Some(3), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{name} is a directory, not a regular file")),
            "{name}: {}",
            stderr(&out)
        );
        assert!(env.snapshot() == before, "{name}: something changed");
    }
}

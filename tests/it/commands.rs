//! The command layer: arguments checked before anything is opened, messages that reach the user
//! on every path, `-q`, names that match nothing, and the one exit-code table (README, "Exit
//! codes"). Each defect of issue 13 has a test here that fails on the code before it.

use std::path::Path;

use crate::util::{Env, corpus_file, stderr, stdout};

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

const LATER: &str = "2026-11-30T14:00:00Z";

/// An environment with a router lease that has expired by [`LATER`].
fn expired_router() -> Env {
    let env = Env::new(&prod());
    env.test(&["enable", "router", "--for", "1h"]).run();
    env
}

#[test]
fn a_bad_argument_after_an_expired_lease_changes_nothing() {
    let env = expired_router();
    let before = env.snapshot();
    for args in [
        &["enable", "smtp-inbound", "--for", "soon"][..],
        &["enable", "smtp-inbound", "--until", "25:99"],
        &["enable", "router", "--min-free", "200%"],
        &["enable", "router", "--max-growth", "lots"],
        &["enable", "router", "--mail-rate", "fast"],
        &["enable", "tcp-resolver", "--param", "dns-server"],
        &["enable", "router", "--set", "DebugRouter"],
        &["enable", "router", "--set", "A=1", "--set", "a=2"],
        &["enable", "tcp-resolver", "--param", "nosuch=1"],
        &["extend", "--for", "soon"],
    ] {
        env.test(args).at(LATER).status(2).run();
        assert!(
            env.snapshot() == before,
            "{args:?} changed something: the expired lease must stay until a valid command runs"
        );
    }
    // A valid command then reverts it.
    env.test(&["status"])
        .at(LATER)
        .stderr_has("expired at")
        .run();
}

#[test]
fn what_happened_before_a_failure_is_told_on_stderr_and_in_the_json() {
    let env = expired_router();
    // The run reverts the expired lease, then has nothing to extend: notes.ini changed, then the
    // command failed (exit 4), and the revert is not lost.
    let out = env
        .test(&["extend", "router", "--for", "1h"])
        .at(LATER)
        .status(4)
        .stderr_has("(router) expired at")
        .stderr_has("error: lease 'router' had expired, and was reverted just now")
        .run();
    assert!(stdout(&out).is_empty());
    let env = expired_router();
    let v = env
        .test(&["extend", "router", "--for", "1h"])
        .at(LATER)
        .status(4)
        .json();
    assert_eq!(v["failed"], true);
    assert_eq!(v["changed"], true);
    assert_eq!(v["command"], "extend");
    assert!(
        v["notes"][0].as_str().unwrap().contains("expired at"),
        "{v}"
    );
}

#[test]
fn quiet_prints_only_warnings_and_errors() {
    let env = Env::new(&prod());
    let out = env
        .test(&["-q", "enable", "router"])
        .stdout_empty()
        .stderr_lacks("to undo")
        .run();
    let err = stderr(&out);
    assert!(!err.is_empty());
    for line in err.lines() {
        assert!(
            line.starts_with("warning:"),
            "not a warning under -q: {line}"
        );
    }
    // Data asked for is still printed.
    env.test(&["-q", "status"])
        .stdout_has("lease router-")
        .run();
}

#[test]
fn a_name_that_matches_no_lease_is_an_error_while_leases_are_active() {
    let env = Env::new(&prod());
    env.test(&["enable", "router"]).run();
    let before = env.snapshot();
    env.test(&["revert", "routr"])
        .status(2)
        .stderr_has("error: no active lease matches 'routr'")
        .stderr_has("(router) until")
        .run();
    env.test(&["extend", "routr", "--for", "1h"])
        .status(2)
        .stderr_has("error: no active lease matches 'routr'")
        .run();
    env.test(&["bundle", "routr", "-o", "/dev/null"])
        .status(2)
        .run();
    assert!(env.snapshot() == before);
    // A profile dbgini knows that is not active was reverted already: idempotent, exit 0.
    env.test(&["revert", "lookup"])
        .stderr_has("nothing to revert")
        .run();
    env.test(&["revert", "router"]).run();
    env.test(&["revert", "router"])
        .stderr_has("nothing to revert")
        .run();
    // With nothing active at all there is nothing a typo could leave on.
    env.test(&["revert", "routr"])
        .stderr_has("nothing to revert")
        .run();
}

#[test]
fn tidy_on_a_running_server_is_a_refusal() {
    let env = Env::new(&prod());
    let before = env.snapshot();
    env.test(&["--mode", "console", "tidy"])
        .status(3)
        .stderr_has("tidy edits notes.ini directly")
        .run();
    assert!(env.snapshot() == before);
}

#[test]
fn a_revert_with_nothing_to_do_still_names_its_mode() {
    let env = Env::new(&prod());
    let v = env.test(&["revert"]).json();
    assert_eq!(v["mode"], "file", "{v}");
    assert_eq!(v["changed"], false, "{v}");
    let v = env.test(&["enable", "router"]).json();
    assert_eq!(v["mode"], "file");
    let v = env.test(&["enable", "router"]).json();
    assert_eq!(
        (v["already"].clone(), v["mode"].clone()),
        (true.into(), "file".into())
    );
}

/// File, set-up commands, the command, its time (empty: the fixed test time), its exit code.
type Case<'a> = (&'a [u8], Vec<&'a [&'a str]>, &'a [&'a str], &'a str, i32);

/// Every command in each situation it knows: the exit code says what happened (README, "Exit
/// codes"): 0 done or already so, 1 findings, 2 bad usage, 3 refused or failed, 4 changed then
/// failed. Nothing changes for 2 and 3.
#[test]
fn the_exit_code_table_holds_for_every_command() {
    let prod = prod();
    let bom = [b"\xEF\xBB\xBF".as_slice(), &prod].concat();
    // (file, set-up commands, command, time, exit code)
    let cases: Vec<Case> = vec![
        (&prod, vec![], &["profiles"], "", 0),
        (&prod, vec![], &["show", "router"], "", 0),
        (&prod, vec![], &["show", "routr"], "", 2),
        (&prod, vec![], &["enable", "router"], "", 0),
        (
            &prod,
            vec![&["enable", "router"]],
            &["enable", "router"],
            "",
            0,
        ),
        (&prod, vec![], &["enable", "router", "--for", "99h"], "", 2),
        (
            &prod,
            vec![],
            &["enable", "smtp-inbound", "--set", "SMTPDebugIO=3"],
            "",
            3,
        ),
        (
            &prod,
            vec![],
            &["enable", "router", "--set", "ServerTasks=x"],
            "",
            3,
        ),
        (&bom, vec![], &["enable", "router"], "", 3),
        // The lease is recorded as unconfirmed before the first console command: a partial change.
        (
            &prod,
            vec![],
            &[
                "--mode",
                "console",
                "--console-cmd",
                "false",
                "enable",
                "router",
            ],
            "",
            4,
        ),
        (&prod, vec![], &["revert"], "", 0),
        (&prod, vec![&["enable", "router"]], &["revert"], "", 0),
        (
            &prod,
            vec![&["enable", "router"], &["enable", "lookup"]],
            &["revert"],
            "",
            2,
        ),
        (
            &prod,
            vec![&["enable", "router"]],
            &["revert", "nosuch"],
            "",
            2,
        ),
        (
            &prod,
            vec![&["enable", "router"]],
            &["extend", "--for", "3h"],
            "",
            0,
        ),
        (&prod, vec![], &["extend", "--for", "3h"], "", 2),
        (
            &prod,
            vec![&["enable", "router", "--for", "1h"]],
            &["extend", "--for", "3h"],
            LATER,
            4,
        ),
        (
            &prod,
            vec![&["enable", "router", "--for", "1h"]],
            &["expire"],
            LATER,
            0,
        ),
        (&prod, vec![], &["expire", "--all-targets"], "", 0),
        (&prod, vec![], &["status"], "", 0),
        (&bom, vec![], &["status"], "", 0),
        (&prod, vec![], &["diff"], "", 0),
        (&prod, vec![], &["history"], "", 0),
        (&prod, vec![], &["doctor"], "", 0),
        (&prod, vec![&["enable", "router"]], &["doctor"], "", 1),
        (&bom, vec![], &["doctor"], "", 3),
        (&prod, vec![], &["--mode", "file", "tidy"], "", 0),
        (&prod, vec![], &["--mode", "console", "tidy"], "", 3),
        (&prod, vec![], &["bundle", "-o", "/dev/null"], "", 2),
        (
            &prod,
            vec![],
            &["schedule", "install", "--cron", "--dry-run"],
            "",
            0,
        ),
        (&prod, vec![], &["schedule", "status", "--cron"], "", 1),
        (&prod, vec![], &["completions", "bash"], "", 0),
        (&prod, vec![], &["man"], "", 0),
        (&prod, vec![], &["nosuch"], "", 2),
    ];
    for (file, setup, args, now, code) in cases {
        let env = Env::new(file);
        for s in setup {
            env.test(s).run();
        }
        let before = env.snapshot();
        let mut t = env.test(args).status(code);
        if !now.is_empty() {
            t = t.at(now);
        }
        let out = t.run();
        if code == 2 || code == 3 {
            assert!(
                env.snapshot() == before,
                "{args:?} exited {code} but changed something: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn the_audit_log_and_the_lease_name_the_human_behind_sudo() {
    let env = Env::new(&prod());
    let out = env
        .cmd()
        .env("USER", "root")
        .env("SUDO_USER", "alice")
        .args(["--json", "enable", "router"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lease"]["user"], "alice (sudo as root)");
    let audit = env.audit();
    assert!(
        audit.contains("\"user\":\"alice (sudo as root)\""),
        "{audit}"
    );
}

#[test]
fn schedule_warns_about_a_temporary_binary_and_uninstall_removes_both_kinds() {
    let env = Env::new(&prod());
    let root = env.dir.path().join("sysroot");
    std::fs::create_dir_all(&root).unwrap();
    let root = root.to_str().unwrap();
    // The test binary lives in cargo's target directory: the units would call a build artefact.
    env.test(&["schedule", "install", "--cron", "--root", root])
        .stderr_has("which looks temporary")
        .run();
    env.test(&["schedule", "install", "--systemd", "--root", root])
        .run();
    for f in [
        "etc/cron.d/dbgini-expire",
        "etc/systemd/system/dbgini-expire.timer",
        "etc/systemd/system/dbgini-expire.service",
    ] {
        assert!(Path::new(root).join(f).is_file(), "{f} was not installed");
    }
    // Without --cron or --systemd, uninstall removes what either kind of install made.
    env.test(&["schedule", "uninstall", "--root", root]).run();
    for f in [
        "etc/cron.d/dbgini-expire",
        "etc/systemd/system/dbgini-expire.timer",
        "etc/systemd/system/dbgini-expire.service",
        "etc/systemd/system/domino.service.d/dbgini-expire.conf",
    ] {
        assert!(!Path::new(root).join(f).exists(), "{f} is still there");
    }
    env.test(&["schedule", "status", "--cron", "--root", root])
        .status(1)
        .run();
    // Status without a kind reads what is installed, whichever kind (the test root has no
    // /run/systemd/system, so a guess would say cron).
    env.test(&["schedule", "status", "--root", root])
        .status(1)
        .stderr_has("not (fully) installed")
        .run();
    env.test(&["schedule", "install", "--systemd", "--root", root])
        .run();
    let v = env.test(&["schedule", "status", "--root", root]).json();
    assert_eq!(v["kind"], "systemd", "{v}");
    assert_eq!(v["exit_code"], 0, "{v}");
    env.test(&["schedule", "uninstall", "--root", root]).run();
    env.test(&["schedule", "install", "--cron", "--root", root])
        .run();
    let v = env.test(&["schedule", "status", "--root", root]).json();
    assert_eq!(v["kind"], "cron", "{v}");
    assert_eq!(v["exit_code"], 0, "{v}");
}

#[test]
fn status_peek_changes_nothing_even_with_an_expired_lease() {
    let env = expired_router();
    let before = env.snapshot();
    env.test(&["status", "--peek"])
        .at(LATER)
        .stdout_has("OVERDUE")
        .stderr_lacks("reverted")
        .run();
    let v = env.test(&["status", "--peek"]).at(LATER).json();
    assert_eq!(v["changed"], false, "{v}");
    assert_eq!(v["overdue"].as_array().unwrap().len(), 1, "{v}");
    assert!(env.snapshot() == before, "status --peek wrote something");
    // Without --peek, status enforces expiry as every command does.
    env.test(&["status"]).at(LATER).stderr_has("reverted").run();
    assert!(env.snapshot() != before);
}

/// The live Task Scheduler path (Windows): `schedule install`, `status` and `uninstall` without
/// `--root` write `%ProgramData%\dbgini\dbgini-expire.xml` and run `schtasks`, here a stand-in
/// beside a copy of dbgini (Windows looks in the directory of the program that starts another
/// before System32) that logs its command line. Wine's own schtasks can hang in a fresh prefix.
/// It writes to the system's %ProgramData%, so it runs only under Wine (a prefix of its own).
#[cfg(windows)]
#[test]
fn schedule_registers_queries_and_deletes_the_task_through_schtasks() {
    if std::env::var_os("WINEPREFIX").is_none() {
        eprintln!("skipped: writes %ProgramData%\\dbgini; runs under Wine only");
        return;
    }
    let env = Env::new(&prod());
    let bin = env.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let exe = bin.join("dbgini.exe");
    std::fs::copy(env!("CARGO_BIN_EXE_dbgini"), &exe).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_fake-console"), bin.join("schtasks.exe")).unwrap();
    let log = env.dir.path().join("schtasks.log");
    let run = |args: &[&str]| {
        let mut c = env.bare_at(&exe);
        c.env_remove("DBGINI_SYSTEM_ROOT")
            .env("FAKE_ARGV_LOG", &log)
            .env("FAKE_STDOUT", r"\dbgini\dbgini-expire  N/A  Ready")
            .args(args);
        let out = crate::util::output(&mut c);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    };
    let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
    let xml = Path::new(&format!("{drive}\\")).join(r"ProgramData\dbgini\dbgini-expire.xml");
    if xml.exists() {
        eprintln!(
            "skipped: {} exists (dbgini's task is installed here)",
            xml.display()
        );
        return;
    }
    let out = run(&["schedule", "install"]);
    assert!(
        stderr(&out).contains(r"registered the scheduled task \dbgini\dbgini-expire (as SYSTEM)"),
        "{}",
        stderr(&out)
    );
    assert!(xml.is_file());
    let out = run(&["--json", "schedule", "status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "task-scheduler", "{v}");
    assert_eq!(v["timer"], r"\dbgini\dbgini-expire  N/A  Ready", "{v}");
    run(&["schedule", "uninstall"]);
    assert!(!xml.exists());
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "/Create /TN \\dbgini\\dbgini-expire /XML {} /F\n/Query /TN \\dbgini\\dbgini-expire\n/Delete /TN \\dbgini\\dbgini-expire /F\n",
            xml.display()
        )
    );
}

#[test]
fn schedule_stages_a_task_scheduler_definition_below_a_root() {
    let env = Env::new(&prod());
    let root = env.dir.path().join("winroot");
    std::fs::create_dir_all(&root).unwrap();
    let root_s = root.to_str().unwrap();
    // --dry-run prints the definition.
    env.test(&["schedule", "install", "--task-scheduler", "--dry-run"])
        .stdout_has("<Interval>PT1M</Interval>")
        .stdout_has("<UserId>S-1-5-18</UserId>")
        .run();
    // --root writes it, as UTF-16 with a byte order mark, once.
    let v = env
        .test(&["schedule", "install", "--task-scheduler", "--root", root_s])
        .json();
    assert_eq!(v["changed"], true, "{v}");
    let xml = root.join("ProgramData/dbgini/dbgini-expire.xml");
    let bytes = std::fs::read(&xml).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(
        text.contains(&format!(
            "<Command>{}</Command>",
            std::fs::canonicalize(env!("CARGO_BIN_EXE_dbgini"))
                .unwrap()
                .display()
                .to_string()
                .trim_start_matches(r"\\?\")
        )),
        "{text}"
    );
    let v = env
        .test(&["schedule", "install", "--task-scheduler", "--root", root_s])
        .json();
    assert_eq!(
        v["changed"], false,
        "a second install rewrote the task: {v}"
    );
    // Status finds it without being told the kind; uninstall removes it.
    let v = env.test(&["schedule", "status", "--root", root_s]).json();
    assert_eq!(v["kind"], "task-scheduler", "{v}");
    assert_eq!(v["exit_code"], 0, "{v}");
    env.test(&["schedule", "uninstall", "--root", root_s]).run();
    assert!(!xml.exists());
    // Another account instead of SYSTEM, on the task's kind only.
    let out = env
        .test(&[
            "schedule",
            "install",
            "--task-scheduler",
            "--task-user",
            r"CORP\svc-domino",
            "--dry-run",
        ])
        .stdout_has(r"<UserId>CORP\svc-domino</UserId>")
        .stdout_has("<LogonType>S4U</LogonType>")
        .run();
    assert!(!stdout(&out).contains("S-1-5-18"), "{}", stdout(&out));
    env.test(&[
        "schedule",
        "install",
        "--cron",
        "--task-user",
        "svc",
        "--dry-run",
    ])
    .status(2)
    .stderr_has("cannot be used with")
    .run();
    env.test(&[
        "schedule",
        "install",
        "--task-scheduler",
        "--task-user",
        "a/b",
        "--dry-run",
    ])
    .status(2)
    .stderr_has("cannot be part of a Windows account name")
    .run();
    if cfg!(unix) {
        env.test(&["schedule", "install", "--task-user", "svc", "--dry-run"])
            .status(2)
            .stderr_has("leave out --task-user, or add --task-scheduler")
            .run();
    }
}

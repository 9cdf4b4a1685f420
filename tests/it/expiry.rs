//! Every lease expires: `expire`, lazy enforcement by any command, `extend`, `--until`, the
//! maximums, a clock that jumps, the timer units, a simulated reboot and `watch`.

use std::time::{Duration, Instant};

use crate::util::{Env, NOW, corpus_file, read_until, stderr, stdout, stop_watch, watch_lines};

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

#[test]
fn expire_reverts_an_expired_lease_and_then_has_nothing_to_do() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router", "--for", "3m"]);
    let early = json(&env.run_at("2026-11-30T12:02:00Z", &["--json", "expire"], 0));
    assert_eq!(early["changed"], false);
    assert!(env.bytes() != original);

    let later = "2026-11-30T12:04:00Z";
    let out = env.run_at(later, &["--json", "expire"], 0);
    let v = json(&out);
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["targets"][0]["expired"][0]["profile"], "router");
    assert!(env.bytes() == original, "not byte-identical after expiry");
    let out = env.run_at(later, &["expire"], 0);
    assert!(
        stderr(&out).contains("nothing has expired"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        json(&env.run_at(later, &["--json", "expire"], 0))["changed"],
        false
    );
}

#[test]
fn expire_says_what_it_reverted() {
    let env = Env::new(&prod());
    env.ok(&["enable", "smtp-outbound", "--for", "10m"]);
    let out = env.run_at("2026-11-30T12:11:00Z", &["expire"], 0);
    let err = stderr(&out);
    assert!(
        err.contains("(smtp-outbound) expired at 2026-11-30 12:10 UTC (1m ago): reverted"),
        "{err}"
    );
    assert!(err.contains("-SMTPClientDebug=1"), "{err}");
    assert!(err.contains("reverted 1 expired lease"), "{err}");
}

#[test]
fn the_shorter_of_two_stacked_leases_expires_alone() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router", "--for", "1h"]);
    env.ok(&["enable", "smtp-inbound", "--for", "2h"]);
    env.run_at("2026-11-30T13:30:00Z", &["expire"], 0);
    let only_longer = Env::new(&original);
    only_longer.ok(&["enable", "smtp-inbound", "--for", "2h"]);
    assert_eq!(
        String::from_utf8_lossy(&env.bytes()),
        String::from_utf8_lossy(&only_longer.bytes())
    );
    env.run_at("2026-11-30T14:00:00Z", &["expire"], 0);
    assert!(env.bytes() == original);
}

#[test]
fn any_command_first_reverts_expired_leases() {
    let original = prod();
    let env = Env::new(&original);
    env.ok(&["enable", "router", "--for", "1h"]);
    let out = env.run_at("2026-11-30T14:00:00Z", &["status"], 0);
    assert!(
        stderr(&out).contains("expired at 2026-11-30 13:00 UTC (1h ago): reverted"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("no active leases"));
    assert!(env.bytes() == original);
    let h = json(&env.run_at("2026-11-30T14:00:00Z", &["--json", "history"], 0));
    assert!(
        h["history"][1]["reason"]
            .as_str()
            .unwrap()
            .ends_with(": expired"),
        "{h}"
    );
}

#[test]
fn a_dry_run_does_not_enforce_expiry() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "1h"]);
    let enabled = env.snapshot();
    let out = env.run_at(
        "2026-11-30T14:00:00Z",
        &["enable", "lookup", "--dry-run"],
        0,
    );
    assert!(
        stderr(&out).contains("would be reverted"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == enabled);
    let v = json(&env.run_at(
        "2026-11-30T14:00:00Z",
        &["--json", "expire", "--dry-run"],
        0,
    ));
    assert_eq!(v["changed"], true);
    assert!(env.snapshot() == enabled);
}

#[test]
fn status_shows_time_left_in_words_and_marks_overdue_leases() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "72m"]);
    let out = env.run_at("2026-11-30T12:00:00Z", &["status"], 0);
    assert!(
        stdout(&out).contains("expires in 1h 12m, at 2026-11-30 13:12 UTC"),
        "{}",
        stdout(&out)
    );
    // A BOM added by hand makes the file uneditable: the lease cannot be reverted, so it shows OVERDUE.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(env.bytes());
    std::fs::write(&env.ini, &bom).unwrap();
    let out = env.run_at("2026-11-30T13:20:00Z", &["status"], 0);
    assert!(
        stdout(&out).contains("OVERDUE: expired 8m ago at 2026-11-30 13:12 UTC"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("warning: expired leases could not be reverted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn extend_sets_a_new_expiry_from_now_within_the_maximum() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "1h"]);
    let v = json(&env.run_at(
        "2026-11-30T12:30:00Z",
        &["--json", "extend", "router", "--for", "3h"],
        0,
    ));
    assert_eq!(v["lease"]["expires_at"], "2026-11-30T15:30:00Z");
    assert_eq!(v["lease"]["extensions"], 1);
    let out = env.run_at("2026-11-30T12:30:00Z", &["extend", "--for", "25h"], 2);
    assert!(stderr(&out).contains("maximum of 24h"), "{}", stderr(&out));
    // The expired lease was reverted by this very run: notes.ini changed, then extend failed (4).
    let out = env.run_at("2026-11-30T16:00:00Z", &["extend", "--for", "1h"], 4);
    assert!(
        stderr(&out).contains("had expired, and was reverted just now"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == prod());
}

#[test]
fn until_names_the_end_instead_of_a_duration() {
    let env = Env::new(&prod());
    let v = env.json(&["enable", "router", "--until", "13:15"], 0);
    assert_eq!(v["lease"]["expires_at"], "2026-11-30T13:15:00Z");
    let v = env.json(
        &["enable", "lookup", "--until", "2026-11-30T14:00:00+01:00"],
        0,
    );
    assert_eq!(v["lease"]["expires_at"], "2026-11-30T13:00:00Z");
    // 11:00 has passed today: the next 11:00 is tomorrow, beyond smtp-inbound's 8h maximum.
    let out = env.run(&["enable", "smtp-inbound", "--until", "11:00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--until 23h is longer than profile smtp-inbound's maximum of 8h"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["enable", "smtp-inbound", "--until", "2026-11-30T11:00:00Z"]);
    assert!(
        stderr(&out).contains("is not in the future"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_global_maximum_from_the_config_file_applies() {
    let env = Env::new(&prod());
    let config = env.dir.path().join("home/.config/dbgini");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "max_duration = \"1h\"\n").unwrap();
    let before = env.snapshot();
    let out = env.run(&["enable", "router", "--for", "2h"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("longer than the global maximum (config max_duration) of 1h"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == before);
    // The profile default (2h) is over the global maximum too: it is refused, not silently cut.
    assert_eq!(env.run(&["enable", "router"]).status.code(), Some(2));
}

#[test]
fn a_clock_that_jumps_backwards_does_not_keep_a_lease_alive() {
    let original = prod();
    let env = Env::new(&original);
    env.cmd()
        .env("DBGINI_BOOT", "boot-a:1000")
        .args(["enable", "router", "--for", "1h"])
        .output()
        .unwrap();
    // 30 minutes later by the boot clock, but the wall clock now says 10:00 (jumped back 2.5h).
    let out = env
        .at("2026-11-30T10:00:00Z")
        .env("DBGINI_BOOT", "boot-a:2800")
        .args(["--json", "expire"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["changed"], false);
    // 61 minutes later by the boot clock: expired, whatever the wall clock says.
    let out = env
        .at("2026-11-30T10:31:00Z")
        .env("DBGINI_BOOT", "boot-a:4660")
        .args(["--json", "expire"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["changed"], true, "{}", stderr(&out));
    assert!(env.bytes() == original);
}

#[test]
fn expire_all_targets_uses_the_registry_and_targets_drop_out() {
    let a = Env::new(&prod());
    let b_path = a.dir.path().join("data2/notes.ini");
    std::fs::create_dir(b_path.parent().unwrap()).unwrap();
    std::fs::write(&b_path, corpus_file("quirks/prod-windows-crlf.ini")).unwrap();
    a.ok(&["enable", "router", "--for", "1h"]);
    a.bare()
        .arg("--ini")
        .arg(&b_path)
        .args(["enable", "lookup", "--for", "2h"])
        .output()
        .unwrap();
    let registry = a.dir.path().join("registry");
    assert_eq!(std::fs::read_dir(&registry).unwrap().count(), 2);

    let v = json(&a.run_at(
        "2026-11-30T13:30:00Z",
        &["--json", "expire", "--all-targets"],
        0,
    ));
    assert_eq!(v["targets"].as_array().unwrap().len(), 2, "{v}");
    assert!(a.bytes() == prod());
    assert_eq!(
        std::fs::read_dir(&registry).unwrap().count(),
        1,
        "a target without leases drops out"
    );
    a.run_at("2026-11-30T14:30:00Z", &["expire", "--all-targets"], 0);
    assert!(std::fs::read(&b_path).unwrap() == corpus_file("quirks/prod-windows-crlf.ini"));
    assert_eq!(std::fs::read_dir(&registry).unwrap().count(), 0);
}

#[cfg(unix)]
fn exec_start_pre(env: &Env, root: &std::path::Path) -> Vec<String> {
    let dropin = std::fs::read_to_string(
        root.join("etc/systemd/system/domino.service.d/dbgini-expire.conf"),
    )
    .unwrap();
    let line = dropin
        .lines()
        .find_map(|l| l.strip_prefix("ExecStartPre="))
        .expect("ExecStartPre line");
    let _ = env;
    line.trim_start_matches(['-', '+', '@', ':', '!'])
        .split_whitespace()
        .map(String::from)
        .collect()
}

// systemd units: Linux only (on Windows, the scheduled task of schedule_stages_a_task_scheduler_definition_below_a_root).
#[cfg(unix)]
#[test]
fn after_a_simulated_reboot_the_domino_units_exec_start_pre_restores_the_file() {
    let original = corpus_file("quirks/no-final-newline.ini");
    let env = Env::new(&original);
    let root = env.dir.path().join("root");
    env.ok(&["schedule", "install", "--systemd"]);
    let out = env.ok(&["enable", "router", "--for", "1h"]);
    assert!(
        !stderr(&out).contains("dbgini schedule install"),
        "enforcement is installed: no warning expected"
    );

    // The machine was down past the expiry; it boots, and systemd runs ExecStartPre before Domino.
    let argv = exec_start_pre(&env, &root);
    assert!(argv[0].ends_with("dbgini"), "{argv:?}");
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DBGINI_REGISTRY", env.dir.path().join("registry"))
        .env("DBGINI_NOW", "2026-11-30T15:00:00Z")
        .env("DBGINI_BOOT", "after-reboot:20")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        env.bytes() == original,
        "ExecStartPre did not restore notes.ini"
    );
}

#[test]
fn enable_warns_when_no_enforcement_is_installed() {
    let env = Env::new(&prod());
    let out = env.ok(&["enable", "router"]);
    assert!(stderr(&out).contains("this lease will only expire when dbgini next runs on this server; run `dbgini schedule install`"), "{}", stderr(&out));
}

// systemd units, checked with systemd-analyze: Linux only (Windows: the task definition's test).
#[cfg(unix)]
#[test]
fn schedule_dry_run_prints_units_that_systemd_accepts() {
    let env = Env::new(&prod());
    let before = env.snapshot();
    let out = env.ok(&["schedule", "install", "--systemd", "--dry-run"]);
    let text = stdout(&out);
    assert!(
        text.contains("# /etc/systemd/system/dbgini-expire.timer")
            && text.contains("Persistent=true"),
        "{text}"
    );
    assert!(
        text.contains("ExecStartPre=-+") && text.contains("expire --all-targets"),
        "{text}"
    );
    assert!(env.snapshot() == before, "dry run wrote files");
    let cron = stdout(&env.ok(&["schedule", "install", "--cron", "--dry-run"]));
    assert!(
        cron.contains("* * * * * root ") && cron.contains("@reboot root "),
        "{cron}"
    );

    let Ok(found) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "systemd-analyze is missing in CI: .ci/run must install systemd"
        );
        eprintln!("skipped the systemd-analyze part: not installed here");
        return;
    };
    assert!(found.status.success());
    let root = env.dir.path().join("units");
    env.ok(&[
        "schedule",
        "install",
        "--systemd",
        "--root",
        root.to_str().unwrap(),
    ]);
    let dir = root.join("etc/systemd/system");
    std::fs::write(
        dir.join("domino.service"),
        "[Unit]\nDescription=Domino stand-in\n\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(dir.join("dbgini-expire.service"))
        .arg(dir.join("dbgini-expire.timer"))
        .arg(dir.join("domino.service"))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn schedule_install_is_idempotent_and_uninstall_removes_it() {
    let env = Env::new(&prod());
    let v = env.json(&["schedule", "install", "--cron"], 0);
    assert_eq!(v["changed"], true);
    let cron = env.dir.path().join("root/etc/cron.d/dbgini-expire");
    assert!(
        std::fs::read_to_string(&cron)
            .unwrap()
            .contains("expire --all-targets")
    );
    assert_eq!(
        env.json(&["schedule", "install", "--cron"], 0)["changed"],
        false
    );
    let s = env.ok(&["schedule", "status", "--cron"]);
    assert!(
        stderr(&s).contains("expiry enforcement is installed (cron)"),
        "{}",
        stderr(&s)
    );
    assert_eq!(
        env.json(&["schedule", "uninstall", "--cron"], 0)["changed"],
        true
    );
    assert!(!cron.exists());
}

/// Waits for `cond`, checking every 50 ms, for at most `limit`.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

#[test]
fn a_real_short_lease_expires_on_the_real_clock() {
    let original = prod();
    let env = Env::new(&original);
    env.run_at("", &["enable", "router", "--for", "2s"], 0);
    let enabled_at = Instant::now();
    assert!(env.bytes() != original);
    let reverted = wait_for(Duration::from_secs(10), || {
        json(&env.run_at("", &["--json", "expire"], 0))["changed"] == true
    });
    assert!(reverted, "the lease never expired");
    assert!(
        enabled_at.elapsed() >= Duration::from_millis(1500),
        "reverted before its time"
    );
    assert!(env.bytes() == original);
}

#[test]
fn watch_reverts_a_lease_soon_after_expiry_and_exits_cleanly_on_sigterm() {
    let original = corpus_file("quirks/prod-windows-crlf.ini");
    let env = Env::new(&original);
    let mut watch = crate::util::spawn(
        env.at("")
            .args(["watch", "--poll", "1"])
            .stdout(std::process::Stdio::piped()),
    );
    let rx = watch_lines(&mut watch);
    env.run_at("", &["enable", "smtp-outbound", "--for", "2s"], 0);
    let enabled_at = Instant::now();
    let restored = wait_for(Duration::from_secs(10), || env.bytes() == original);
    assert!(restored, "watch did not revert the lease");
    let took = enabled_at.elapsed();
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(5),
        "reverted after {took:?}"
    );

    // watch writes notes.ini, then prints: on Windows, where it is ended by force, a line not
    // yet printed would be lost.
    let mut lines = Vec::new();
    read_until(&rx, &mut lines, Duration::from_secs(10), |lines| {
        lines.iter().any(|l| l.contains(": reverted"))
    });
    stop_watch(&mut watch);
    let ended = watch.wait().unwrap();
    lines.extend(rx.iter());
    let log = lines.join("\n");
    assert!(
        log.contains("(smtp-outbound) expired at") && log.contains(": reverted"),
        "{log}"
    );
    if cfg!(unix) {
        assert_eq!(ended.code(), Some(0), "watch did not exit cleanly");
        assert!(log.trim_end().ends_with("stopped"), "{log}");
    }
    let _ = NOW;
}

#[test]
fn a_lazy_revert_that_fails_is_not_reported_as_done() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--for", "1h"]);
    // The console command fails: the lease cannot be reverted through it.
    let out = env.run_at(
        "2026-11-30T13:20:00Z",
        &["--mode", "console", "--console-cmd", "false", "status"],
        0,
    );
    let err = stderr(&out);
    assert!(
        err.contains("warning: expired leases could not be reverted"),
        "{err}"
    );
    assert!(!err.contains("): reverted"), "{err}");
    assert!(stdout(&out).contains("OVERDUE"), "{}", stdout(&out));
}

// The .deb and .rpm install /usr/bin/dbgini: Linux only (Windows has no package yet).
#[cfg(unix)]
#[test]
fn schedule_points_the_units_at_the_packaged_binary_when_it_is_installed() {
    let env = Env::new(&prod());
    let root = env.dir.path().join("root");
    let out = stdout(&env.ok(&["schedule", "install", "--systemd", "--dry-run"]));
    assert!(!out.contains("ExecStart=/usr/bin/dbgini "), "{out}");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(root.join("usr/bin/dbgini"), b"the packaged binary").unwrap();
    for kind in ["--systemd", "--cron"] {
        let out = stdout(&env.ok(&["schedule", "install", kind, "--dry-run"]));
        assert!(
            out.contains("/usr/bin/dbgini --quiet expire --all-targets"),
            "{kind}: {out}"
        );
    }
}

#[test]
fn version_names_the_commit_and_speaks_json() {
    let env = Env::new(&prod());
    let text = stdout(&env.ok(&["--version"]));
    let v: serde_json::Value =
        serde_json::from_slice(&env.ok(&["--version", "--json"]).stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"), "{v}");
    assert_eq!(v["schema"], 1);
    match v["commit"].as_str() {
        // Built from a git checkout (CI is one): the text names the same commit.
        Some(commit) => {
            assert_eq!(commit.len(), 12, "{v}");
            assert_eq!(
                text.trim(),
                format!("dbgini {} (commit {commit})", env!("CARGO_PKG_VERSION"))
            );
        }
        None => assert_eq!(text.trim(), format!("dbgini {}", env!("CARGO_PKG_VERSION"))),
    }
}

// The hook is a POSIX sh script for HCL's Linux container; there is no Windows container.
#[cfg(unix)]
#[test]
fn the_container_hook_reverts_expired_leases_before_the_server_starts() {
    let original = prod();
    let env = Env::new(&original);
    env.ok(&["enable", "router", "--for", "1h"]);
    let hook = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib/container/before_server_start.sh");
    let run = |now: &str, dbgini: &std::path::Path| {
        let mut c = std::process::Command::new("sh");
        c.arg(&hook)
            .env_clear()
            .envs(env.bare().get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("DBGINI_NOW", now)
            .env("DBGINI", dbgini)
            .env("DBGINI_INI", &env.ini);
        c.output().unwrap()
    };
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_dbgini"));
    // Before the expiry: nothing changes, and the server may start.
    let out = run("2026-11-30T12:30:00Z", bin);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.bytes() != original);
    // After it (a restart the next morning): reverted before Domino reads the file.
    let out = run("2026-11-30T14:00:00Z", bin);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.bytes() == original);
    // No dbgini: the server still starts, and the hook says why nothing was reverted.
    let out = run(
        "2026-11-30T14:00:00Z",
        std::path::Path::new("/nonexistent/dbgini"),
    );
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("dbgini not found"),
        "{}",
        stderr(&out)
    );
}

//! Live mode against a fake Domino console (`tests/fake_console.rs`, the `fake-console` test
//! binary) and a stand-in server process (a copy of it named `server`, `nserver.exe` on Windows,
//! idling in the data directory).

use std::path::PathBuf;
use std::process::{Child, Command};

use crate::util::{Env, corpus_file, stderr, stdout};

/// A process named as Domino's server (`server`, or `nserver.exe` on Windows) whose working
/// directory is the data directory, killed on drop.
struct StandIn(Child);

impl StandIn {
    fn start(env: &Env) -> StandIn {
        let bin = env.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let server = bin.join(if cfg!(windows) {
            "nserver.exe"
        } else {
            "server"
        });
        std::fs::copy(env!("CARGO_BIN_EXE_fake-console"), &server).unwrap();
        // Another test thread's fork may still hold the fresh copy open for writing, and exec
        // then fails with "text file busy" (ETXTBSY) until that child execs: retry that error only.
        for _ in 0..200 {
            match Command::new(&server)
                .args(["--idle", "600"])
                .current_dir(env.ini.parent().unwrap())
                .spawn()
            {
                Ok(child) => return StandIn(child),
                // (Under Wine, a start that fails with error 1359 is tried again likewise.)
                Err(e)
                    if e.raw_os_error() == Some(26)
                        || (cfg!(windows) && e.raw_os_error() == Some(1359)) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                Err(e) => panic!("cannot start the stand-in server: {e}"),
            }
        }
        panic!("the stand-in server stayed busy")
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fake() -> String {
    format!("\"{}\"", env!("CARGO_BIN_EXE_fake-console"))
}

fn log_path(env: &Env) -> PathBuf {
    env.dir.path().join("console.log")
}

fn console_log(env: &Env) -> Vec<String> {
    std::fs::read_to_string(log_path(env))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// dbgini with the fake console.
fn live(env: &Env, args: &[&str]) -> std::process::Output {
    env.cmd()
        .env("DBGINI_CONSOLE_CMD", fake())
        .env("FAKE_LOG", log_path(env))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(out), stderr(out)))
}

#[test]
fn enable_and_revert_through_the_console_on_a_running_server() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let server = StandIn::start(&env);

    let status = env.ok(&["status"]);
    assert!(
        stdout(&status).contains(&format!(
            "mode: console (the Domino server (process {}) runs in",
            server.0.id()
        )),
        "{}",
        stdout(&status)
    );

    let out = live(&env, &["--json", "enable", "router", "--for", "1h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["mode"], "console");
    // The file's console log is on already: the profile adds nothing to capture it.
    let sets = ["set config DebugRouter=3", "set config Log_MailRouting=40"];
    let mut expected: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    expected.push("tell router update config".into());
    assert_eq!(v["console_commands"], serde_json::json!(expected));
    assert_eq!(
        console_log(&env),
        expected,
        "the fake console got other commands"
    );
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");

    let out = live(&env, &["revert"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = console_log(&env);
    assert_eq!(
        &log[3..5],
        ["set config DebugRouter=", "set config Log_MailRouting="]
    );
    assert_eq!(log[5], "tell router update config");
    // Every managed key is at its baseline: absent before, so now empty, and listed as residue.
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=");
    let s = env.json(&["status"], 0);
    assert_eq!(
        s["residue"],
        serde_json::json!(["DebugRouter", "Log_MailRouting"])
    );
    assert_eq!(s["leases"], serde_json::json!([]));

    // With the server down, the next file-mode run removes the residue: the original bytes are back.
    drop(server);
    let out = env.ok(&["tidy"]);
    assert!(
        stderr(&out).contains("removed 2 empty lines"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == original, "not byte-identical after tidy");
}

#[test]
fn existing_keys_are_restored_to_their_values_through_the_console() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    assert!(live(&env, &["enable", "smtp-inbound"]).status.success());
    assert_eq!(
        env.lines_for("smtpdebugio")[0].1,
        "smtpdebugio=1",
        "the server keeps the key's own spelling"
    );
    assert!(live(&env, &["revert"]).status.success());
    assert_eq!(env.lines_for("smtpdebugio")[0].1, "smtpdebugio=0");
    assert_eq!(env.lines_for("SMTPDebug")[0].1, "SMTPDebug=");
}

#[test]
fn a_server_that_writes_late_is_waited_for() {
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    let _server = StandIn::start(&env);
    let out = live(&env, &["enable", "smtp-outbound"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", fake())
        .env("FAKE_DELAY", "0.5")
        .args(["revert"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.lines_for("SMTPClientDebug")[0].1, "SMTPClientDebug=");
}

#[test]
fn a_server_that_never_confirms_fails_in_time_and_revert_still_works() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    let before = std::time::Instant::now();
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", fake())
        .env("FAKE_MODE", "never")
        .args(["--confirm-timeout", "1", "enable", "router"])
        .output()
        .unwrap();
    // The server was told to change notes.ini and did not confirm: a partial change (4).
    assert_eq!(out.status.code(), Some(4));
    assert!(before.elapsed() < std::time::Duration::from_secs(10));
    let err = stderr(&out);
    assert!(
        err.contains("the server did not confirm DebugRouter, Log_MailRouting within 1s"),
        "{err}"
    );
    assert!(
        err.contains("the lease is kept, marked unconfirmed"),
        "{err}"
    );
    assert!(env.bytes() == original);
    // Nothing landed: no hand change is reported, the lease is marked unconfirmed, and revert
    // has nothing to send.
    let s = env.json(&["status"], 0);
    assert_eq!(s["drift"], serde_json::json!([]), "{s}");
    assert_eq!(s["leases"][0]["profile"], "router");
    assert_eq!(
        s["leases"][0]["unconfirmed"],
        serde_json::json!(["DebugRouter", "Log_MailRouting"]),
        "{s}"
    );
    let text = stdout(&env.ok(&["status"]));
    assert!(
        text.contains("UNCONFIRMED: the server has not written DebugRouter, Log_MailRouting yet"),
        "{text}"
    );
    let out = live(&env, &["--json", "revert"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["console_commands"], serde_json::json!([]));
    assert!(env.bytes() == original);
    assert_eq!(env.json(&["status"], 0)["leases"], serde_json::json!([]));
}

#[test]
fn a_failing_console_is_an_error_and_changes_nothing_in_the_file() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", fake())
        .env("FAKE_MODE", "fail")
        .args(["enable", "router"])
        .output()
        .unwrap();
    // notes.ini is untouched, but the lease is recorded as unconfirmed: a partial change (4).
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("`set config DebugRouter=3` failed")
            && stderr(&out).contains("Server not responding"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == original);
}

#[test]
fn unrelated_rewrites_by_the_server_cause_no_false_drift() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    assert!(live(&env, &["enable", "router"]).status.success());
    // The server rewrites the whole file for an unrelated change and moves lines around.
    let out = Command::new(env!("CARGO_BIN_EXE_fake-console"))
        .arg("set config ServerTasksAt2=UpdAll,Compact")
        .current_dir(env.ini.parent().unwrap())
        .env("FAKE_CHURN", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = env.json(&["status"], 0);
    assert_eq!(s["drift"], serde_json::json!([]), "{s}");
    let out = live(&env, &["revert"]);
    assert!(
        out.status.success() && !stderr(&out).contains("changed by hand"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.lines_for("debugrouter")[0].1, "debugrouter=1");
    assert_eq!(env.lines_for("log_mailrouting")[0].1, "log_mailrouting=30");
    assert_eq!(
        env.lines_for("ServerTasksAt2")[0].1,
        "ServerTasksAt2=UpdAll,Compact"
    );
}

#[test]
fn file_mode_on_a_running_server_needs_force() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    let before = env.snapshot();
    let out = env.run(&["--mode", "file", "enable", "router"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("is running") && err.contains("--mode console"),
        "{err}"
    );
    assert!(env.snapshot() == before);
    let out = env.run(&["--mode", "file", "enable", "router", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: --mode file --force, although the Domino server"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
}

#[test]
fn dry_run_in_console_mode_lists_the_commands_and_sends_nothing() {
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    let _server = StandIn::start(&env);
    let before = env.snapshot();
    let out = live(
        &env,
        &[
            "--json",
            "enable",
            "tcp-resolver",
            "--param",
            "dns-server=192.0.2.53",
            "--dry-run",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert!(
        v["console_commands"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("set config DNSServer=192.0.2.53")),
        "{v}"
    );
    assert!(console_log(&env).is_empty(), "a dry run sent commands");
    assert!(env.snapshot() == before);
    let text = stdout(&live(&env, &["enable", "router", "--dry-run"]));
    assert!(text.contains("console> set config DebugRouter=3"), "{text}");
}

#[test]
fn expiry_on_a_running_server_goes_through_the_console() {
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    let _server = StandIn::start(&env);
    assert!(
        live(&env, &["enable", "smtp-outbound", "--for", "1h"])
            .status
            .success()
    );
    let out = env
        .at("2026-11-30T13:30:00Z")
        .env("DBGINI_CONSOLE_CMD", fake())
        .env("FAKE_LOG", log_path(&env))
        .args(["expire"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        console_log(&env).contains(&"set config SMTPClientDebug=".to_string()),
        "{:?}",
        console_log(&env)
    );
    assert_eq!(env.lines_for("SMTPClientDebug")[0].1, "SMTPClientDebug=");
}

#[cfg(unix)]
#[test]
fn the_console_command_runs_as_the_owner_of_notes_ini_never_as_root() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !crate::util::is_root() {
        eprintln!("skipped: needs root to run the console as another user (CI runs as root)");
        return;
    }
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    let data = env.ini.parent().unwrap().to_path_buf();
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for p in [&data, &env.ini] {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
    // The stand-in console and its logs where that user may reach them.
    let tools = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tools.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let script = tools.path().join("fake-console");
    std::fs::copy(env!("CARGO_BIN_EXE_fake-console"), &script).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ids = tools.path().join("ids");
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", format!("\"{}\"", script.display()))
        .env("FAKE_LOG", tools.path().join("commands"))
        .env("FAKE_ID_LOG", &ids)
        .args(["--mode", "console", "enable", "router"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let runs = std::fs::read_to_string(&ids).unwrap();
    // One run a setting, and the profile's refresh command.
    assert!(runs.lines().count() >= 3, "{runs}");
    for line in runs.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!((f[0], f[1]), ("65534", "65534"), "{line}");
        assert!(!f[2].split(',').any(|g| g == "0"), "root's group: {line}");
        assert_eq!(f[3], data.display().to_string(), "HOME: {line}");
        assert_eq!(f[4], data.display().to_string(), "cwd: {line}");
    }
    assert_eq!(env.lines_for("DebugRouter").len(), 1);
    // Nothing in the data directory belongs to root.
    for e in std::fs::read_dir(&data).unwrap().flatten() {
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        assert_eq!(
            m.uid(),
            65534,
            "{} belongs to uid {}",
            e.path().display(),
            m.uid()
        );
    }
    // A command that switches user itself (docker exec -u notes) runs as the caller when asked.
    // (This stand-in writes notes.ini itself, which a real server does as its own user: here it
    // only records who ran it.)
    std::fs::remove_file(&ids).unwrap();
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", format!("\"{}\"", script.display()))
        .env("FAKE_ID_LOG", &ids)
        .env("FAKE_MODE", "never")
        .args([
            "--mode",
            "console",
            "--console-as",
            "caller",
            "--confirm-timeout",
            "1",
            "revert",
        ])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("did not confirm"), "{}", stderr(&out));
    let runs = std::fs::read_to_string(&ids).unwrap();
    assert!(runs.lines().all(|l| l.starts_with("0 0 ")), "{runs}");
}

#[test]
fn turning_the_console_log_on_through_the_console_starts_it_for_the_running_server() {
    let env = Env::new(b"[Notes]\nDirectory=/local/notesdata\nServerTasks=Router\n");
    let _server = StandIn::start(&env);
    let out = live(&env, &["--json", "enable", "router"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["console_commands"],
        serde_json::json!([
            "set config DebugRouter=3",
            "set config Log_MailRouting=40",
            "set config Console_Log_Enabled=1",
            "start consolelog",
            "tell router update config"
        ])
    );
}

#[test]
fn the_start_script_preset_confirms_from_the_file_though_the_command_returns_at_once() {
    // Nash!Com's `domino cmd "..."` queues the command, returns 0 at once and the server writes
    // later: dbgini's confirmation from the file is what says it landed.
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", format!("{} cmd", fake()))
        .env("FAKE_DELAY", "0.3")
        .env("FAKE_LOG", log_path(&env))
        .args(["--json", "enable", "router"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["mode"], "console");
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
    assert_eq!(console_log(&env)[0], "set config DebugRouter=3");
}

#[cfg(unix)]
#[test]
fn the_container_preset_passes_its_arguments_without_a_shell() {
    // A stand-in for `docker`: `docker exec -u USER -w DIR CONTAINER CMD...` runs CMD... in DIR
    // (the real one would run it inside the container as USER). It records its own arguments.
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let _server = StandIn::start(&env);
    let data = env.ini.parent().unwrap();
    let docker = env.dir.path().join("docker");
    std::fs::write(
        &docker,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" >> \"$DOCKER_ARGS\"\n[ \"$1\" = exec ] || exit 2\nshift\nwhile [ \"$1\" = -u ] || [ \"$1\" = -w ]; do [ \"$1\" = -w ] && cd \"$2\"; shift 2; done\nshift\nexec \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&docker, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let args = env.dir.path().join("docker-args");
    let preset = format!(
        "{} exec -u notes -w {} domino-ctr \"{}\"",
        docker.display(),
        data.display(),
        env!("CARGO_BIN_EXE_fake-console")
    );
    let out = env
        .cmd()
        .env("DBGINI_CONSOLE_CMD", &preset)
        .env("DOCKER_ARGS", &args)
        .args([
            "--mode",
            "console",
            "--console-as",
            "caller",
            "enable",
            "router",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
    // The console command arrived as one argument, spaces and all, after the preset's own.
    let seen = std::fs::read_to_string(&args).unwrap();
    assert!(
        seen.lines().any(|l| l == "set config DebugRouter=3"),
        "{seen}"
    );
    assert!(seen.starts_with("exec\n-u\nnotes\n-w\n"), "{seen}");
}

//! The `--json` contract: every object dbgini prints (success, failure, usage error, `watch`
//! lines) validates against the checked-in `docs/dbgini.schema.json`, which a unit test keeps equal
//! to what the output types generate.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::util::{Env, corpus_file, read_until, stdout, stop_watch, watch_lines};

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dbgini.schema.json");
        let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

/// Asserts that `v` is one of the objects the schema describes, with `schema` and `command`.
#[track_caller]
pub fn assert_valid(v: &Value) {
    let errors: Vec<String> = validator().iter_errors(v).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{v}\ndoes not match the schema: {errors:#?}"
    );
    assert_eq!(v["schema"], 1, "{v}");
    assert!(v.get("command").is_some(), "no command: {v}");
}

#[test]
fn the_schema_rejects_what_dbgini_never_prints() {
    // A check that cannot fail proves nothing: these are not outputs.
    for bad in [
        serde_json::json!({}),
        serde_json::json!({"schema": 1, "command": "enable"}),
        serde_json::json!({"schema": 1, "command": "status", "changed": "yes", "exit_code": 0, "warnings": [], "notes": []}),
        serde_json::json!({"schema": 1, "failed": true, "error": 3}),
    ] {
        assert!(!validator().is_valid(&bad), "the schema accepts {bad}");
    }
}

#[test]
fn every_command_prints_one_object_that_matches_the_schema() {
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    let root = env.dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let archive = env.dir.path().join("case.tar.gz");
    let archive = archive.to_str().unwrap();
    let root = root.to_str().unwrap();
    let later = "2026-11-30T13:30:00Z";
    // (arguments, time, exit code, command)
    let runs: Vec<(Vec<&str>, &str, i32, &str)> = vec![
        (vec!["profiles"], "", 0, "profiles"),
        (vec!["show", "router"], "", 0, "show"),
        (vec!["enable", "router", "--dry-run"], "", 0, "enable"),
        (vec!["enable", "router", "--for", "1h"], "", 0, "enable"),
        (vec!["enable", "router", "--for", "1h"], "", 0, "enable"),
        (vec!["enable", "lookup", "--for", "3h"], "", 0, "enable"),
        (vec!["status"], "", 0, "status"),
        (vec!["diff"], "", 0, "diff"),
        (vec!["history", "-n", "2"], "", 0, "history"),
        (vec!["extend", "lookup", "--for", "4h"], "", 0, "extend"),
        (vec!["extend", "nosuch", "--for", "4h"], "", 2, "extend"),
        (vec!["bundle", "lookup", "-o", archive], "", 0, "bundle"),
        (vec!["doctor"], "", 1, "doctor"),
        (vec!["expire", "--dry-run"], later, 0, "expire"),
        (vec!["expire"], later, 0, "expire"),
        (vec!["expire", "--all-targets"], later, 0, "expire"),
        (vec!["revert", "routr"], later, 2, "revert"),
        (vec!["revert", "--all"], later, 0, "revert"),
        (vec!["revert"], later, 0, "revert"),
        (vec!["--mode", "file", "tidy"], later, 0, "tidy"),
        (vec!["--mode", "console", "tidy"], later, 3, "tidy"),
        (
            vec!["schedule", "status", "--cron", "--root", root],
            "",
            1,
            "schedule",
        ),
        (
            vec!["schedule", "install", "--cron", "--dry-run", "--root", root],
            "",
            0,
            "schedule",
        ),
        (vec!["enable", "nosuch"], "", 2, "enable"),
    ];
    for (args, now, code, command) in runs {
        let mut t = env.test(&args).status(code);
        if !now.is_empty() {
            t = t.at(now);
        }
        let v = t.json();
        assert_eq!(v["command"], command, "{args:?}: {v}");
        assert_eq!(v["exit_code"], code, "{args:?}: {v}");
    }
}

#[test]
fn usage_errors_and_the_version_are_objects_of_the_schema_too() {
    let env = Env::new(&corpus_file("quirks/prod-linux.ini"));
    for (args, code) in [
        (&["--json", "enable"][..], 2),
        (&["--json", "enable", "router", "--for", "soon"], 2),
        (&["--json", "--nosuch-flag", "status"], 2),
        (&["--json", "--version"], 0),
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stdout(&out)));
        assert_valid(&v);
        assert_eq!(v["exit_code"], code, "{args:?}: {v}");
    }
}

#[test]
fn watch_json_prints_json_lines_each_an_object_of_the_schema() {
    let original = corpus_file("quirks/prod-windows-crlf.ini");
    let env = Env::new(&original);
    let mut watch = crate::util::spawn(
        env.at("")
            .args(["--json", "watch", "--poll", "1"])
            .stdout(std::process::Stdio::piped()),
    );
    let rx = watch_lines(&mut watch);
    env.run_at("", &["enable", "smtp-outbound", "--for", "2s"], 0);
    // Every line until the revert is logged, its diff too (on Windows watch is ended by force,
    // and a line not yet printed would be lost), then SIGTERM, then the rest.
    let mut lines = Vec::new();
    read_until(&rx, &mut lines, Duration::from_secs(20), |lines| {
        lines.iter().any(|l| l.contains("expired at"))
            && lines
                .iter()
                .any(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v["kind"] == "diff"))
    });
    stop_watch(&mut watch);
    let ended = watch.wait().unwrap();
    if cfg!(unix) {
        assert_eq!(
            ended.code(),
            Some(0),
            "watch did not stop cleanly on SIGTERM"
        );
    }
    lines.extend(rx.iter());
    let seen: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for v in &seen {
        assert_valid(v);
        assert_eq!(v["command"], "watch", "{v}");
    }
    // A diff of the revert is a message of its own kind, and the last line is the outcome.
    assert!(seen.iter().any(|v| v["kind"] == "diff"), "{seen:?}");
    // The outcome line comes from a clean stop (SIGTERM), which only Unix sends here.
    if cfg!(unix) {
        let last = seen.last().unwrap();
        assert_eq!(last["msg"], "stopped", "{last}");
        assert_eq!(last["exit_code"], 0, "{last}");
    }
    assert!(env.bytes() == original);
}

//! The Ansible module, driven by real `ansible-playbook` against localhost (`connection: local`):
//! idempotency, check mode, diff mode, state=absent and failures. `.ci/run` installs ansible-core;
//! in CI a missing ansible-playbook fails the test instead of skipping it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{Env, NOW, corpus_file, stdout};

fn ansible_playbook() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DBGINI_ANSIBLE_PLAYBOOK") {
        return Some(PathBuf::from(p));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("ansible-playbook"))
        .find(|p| p.is_file())
}

fn playbook(env: &Env, bin: &Path, extra: &[&str], vars: &[(&str, &str)]) -> Output {
    let vars: serde_json::Map<String, serde_json::Value> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    playbook_json(env, bin, extra, serde_json::Value::Object(vars))
}

/// Extra variables as one JSON object (`-e KEY=VALUE` would split a value at its spaces).
fn playbook_json(env: &Env, bin: &Path, extra: &[&str], vars: serde_json::Value) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path().join("home"))
        .env("ANSIBLE_COLLECTIONS_PATH", root.join("contrib/ansible"))
        .env("ANSIBLE_LOCAL_TEMP", env.dir.path().join("ansible-local"))
        .env("ANSIBLE_REMOTE_TEMP", env.dir.path().join("ansible-remote"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "False")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
        .env("DBGINI_NOW", NOW)
        .env("DBGINI_BOOT", "test-boot:0")
        .env("DBGINI_REGISTRY", env.dir.path().join("registry"))
        .env("DBGINI_SYSTEM_ROOT", env.dir.path().join("root"))
        .env("TZ", "UTC")
        .arg("-i")
        .arg("localhost,")
        .arg(root.join("tests/ansible/dbgini.yml"))
        .args(extra)
        .arg("-e")
        .arg(format!("ini={}", env.ini.display()))
        .arg("-e")
        .arg(format!("dbgini_bin={}", env!("CARGO_BIN_EXE_dbgini")))
        .arg("-e")
        .arg("ansible_python_interpreter={{ ansible_playbook_python }}");
    c.arg("-e").arg(vars.to_string());
    c.output().unwrap()
}

/// `changed=N` and `failed=N` from the play recap.
fn recap(out: &Output) -> (u32, u32) {
    let text = stdout(out);
    let line = text
        .lines()
        .find(|l| l.starts_with("localhost") && l.contains("changed="))
        .unwrap_or_else(|| panic!("no recap:\n{text}"));
    let field = |name: &str| -> u32 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    (field("changed"), field("failed"))
}

#[test]
fn the_ansible_module_is_idempotent_and_supports_check_and_diff_mode() {
    let Some(bin) = ansible_playbook() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "ansible-playbook is missing in CI: .ci/run must install ansible-core"
        );
        eprintln!("skipped: ansible-playbook not installed here (.ci/run installs it)");
        return;
    };
    let original = corpus_file("quirks/prod-windows-crlf.ini");
    let env = Env::new(&original);
    let router = [
        ("profile", "router"),
        ("duration", "2h"),
        ("reason", "case TS012345"),
    ];

    let out = playbook(&env, &bin, &["--check"], &router);
    assert_eq!(
        recap(&out),
        (1, 0),
        "--check should report the change:\n{}",
        stdout(&out)
    );
    assert!(env.bytes() == original, "--check changed notes.ini");

    let out = playbook(&env, &bin, &["--diff"], &router);
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("+DebugRouter=3"),
        "--diff should show the change:\n{}",
        stdout(&out)
    );
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
    // The reason arrives whole, spaces and all, in the audit log.
    let audit = env.audit();
    assert!(audit.contains("\"reason\":\"case TS012345\""), "{audit}");
    // No deprecated `warnings` passed to exit_json (ansible-core 2.23 removes it).
    assert!(!stdout(&out).contains("deprecat"), "{}", stdout(&out));

    let out = playbook(&env, &bin, &[], &router);
    assert_eq!(
        recap(&out),
        (0, 0),
        "the second run should change nothing:\n{}",
        stdout(&out)
    );

    let out = playbook(
        &env,
        &bin,
        &["--diff"],
        &[("profile", "router"), ("state", "absent")],
    );
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert!(stdout(&out).contains("-DebugRouter=3"), "{}", stdout(&out));
    assert!(
        env.bytes() == original,
        "state=absent did not restore the original bytes"
    );
    let out = playbook(
        &env,
        &bin,
        &[],
        &[("profile", "router"), ("state", "absent")],
    );
    assert_eq!(recap(&out), (0, 0), "{}", stdout(&out));

    let out = playbook(&env, &bin, &[], &[("profile", "nosuch")]);
    assert_eq!(recap(&out).1, 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("no profile named 'nosuch'")
            && stdout(&out).contains("known profiles"),
        "{}",
        stdout(&out)
    );
    assert!(env.bytes() == original);

    // Booleans and numbers become what notes.ini holds.
    let out = playbook_json(
        &env,
        &bin,
        &[],
        serde_json::json!({"profile": "smtp-outbound", "settings": {"SMTPClientDebug": true, "Log_MailRouting": 30}}),
    );
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert_eq!(env.lines_for("SMTPClientDebug")[0].1, "SMTPClientDebug=1");
    assert_eq!(env.lines_for("Log_MailRouting")[0].1, "Log_MailRouting=30");
    let out = playbook(&env, &bin, &[], &[("state", "absent")]);
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert!(env.bytes() == original);

    // A binary that is not there is said so, not as a Python error.
    let out = playbook_json(
        &env,
        &bin,
        &[],
        serde_json::json!({"profile": "router", "dbgini_bin": "/nonexistent/dbgini"}),
    );
    assert_eq!(recap(&out).1, 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("no dbgini at /nonexistent/dbgini"),
        "{}",
        stdout(&out)
    );
}

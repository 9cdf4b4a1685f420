//! The Ansible module, driven by real `ansible-playbook` against localhost (`connection: local`):
//! idempotency, check mode, diff mode, state=absent and failures. `.ci/run` installs ansible-core;
//! in CI a missing ansible-playbook fails the test instead of skipping it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{Env, NOW, corpus_file, stdout};

/// ansible-playbook (`DBGINI_ANSIBLE_PLAYBOOK`, else from `PATH`); `None`, with a note, where it is
/// not installed, which fails the test in CI (`.ci/run` installs ansible-core).
fn ansible_playbook() -> Option<PathBuf> {
    let found = std::env::var_os("DBGINI_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("ansible-playbook"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "ansible-playbook is missing in CI: .ci/run must install ansible-core"
        );
        eprintln!("skipped: ansible-playbook not installed here (.ci/run installs it)");
    }
    found
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
    playbook_at(env, bin, extra, vars, NOW)
}

/// [`playbook_json`] with dbgini's clock at `now`.
fn playbook_at(
    env: &Env,
    bin: &Path,
    extra: &[&str],
    vars: serde_json::Value,
    now: &str,
) -> Output {
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
        .env("DBGINI_NOW", now)
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

#[test]
fn the_module_reads_status_extends_and_allows_keys_as_asked() {
    let Some(bin) = ansible_playbook() else {
        return;
    };
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    let out = playbook(
        &env,
        &bin,
        &[],
        &[("profile", "router"), ("duration", "2h")],
    );
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    let enabled = env.bytes();

    // state=status three hours later: the lease is overdue, reported and left alone (also in
    // check mode).
    for extra in [&[][..], &["--check"][..]] {
        let out = playbook_at(
            &env,
            &bin,
            extra,
            serde_json::json!({"state": "status"}),
            "2026-11-30T15:00:00Z",
        );
        assert_eq!(recap(&out), (0, 0), "{}", stdout(&out));
        assert!(stdout(&out).contains("overdue=router-"), "{}", stdout(&out));
        assert!(env.bytes() == enabled, "state=status changed notes.ini");
    }

    // extend: true gives the active lease a new expiry from now (a change), not a second lease.
    let out = playbook_at(
        &env,
        &bin,
        &[],
        serde_json::json!({"profile": "router", "duration": "2h", "extend": true}),
        "2026-11-30T13:00:00Z",
    );
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("expires_at=2026-11-30T15:00:00Z"),
        "{}",
        stdout(&out)
    );
    assert!(env.bytes() == enabled);

    // A key that defines the server is refused, with the fix named as the module option ...
    let server_tasks =
        serde_json::json!({"profile": "smtp-outbound", "settings": {"ServerTasks": "Router"}});
    let out = playbook_json(&env, &bin, &[], server_tasks.clone());
    assert_eq!(recap(&out).1, 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("set allow_key: [ServerTasks]"),
        "{}",
        stdout(&out)
    );
    assert!(env.bytes() == enabled);
    // ... and allowed with it.
    let mut allowed = server_tasks;
    allowed["allow_key"] = serde_json::json!(["ServerTasks"]);
    let out = playbook_json(&env, &bin, &[], allowed);
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert_eq!(env.lines_for("ServerTasks")[0].1, "ServerTasks=Router");
    let out = playbook(&env, &bin, &[], &[("state", "absent")]);
    assert_eq!(recap(&out), (1, 0), "{}", stdout(&out));
    assert!(
        env.bytes() == original,
        "state=absent did not restore the original bytes"
    );
}

/// One host of the fleet test: its name, notes.ini and the bytes it started with.
struct Host {
    name: &'static str,
    ini: PathBuf,
    original: Vec<u8>,
}

impl Host {
    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.ini).unwrap()
    }
}

/// A shipped playbook (`contrib/ansible/playbooks/NAME.yml`) over the fleet's inventory.
fn fleet_playbook(
    env: &Env,
    bin: &Path,
    name: &str,
    extra: &[&str],
    vars: serde_json::Value,
) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path().join("home"))
        .env("USER", "svc-ansible")
        .env("ANSIBLE_CONFIG", root.join("contrib/ansible/ansible.cfg"))
        .env("ANSIBLE_COLLECTIONS_PATH", root.join("contrib/ansible"))
        .env("ANSIBLE_LOCAL_TEMP", env.dir.path().join("ansible-local"))
        .env("ANSIBLE_REMOTE_TEMP", env.dir.path().join("ansible-remote"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("DBGINI_NOW", NOW)
        .env("DBGINI_BOOT", "test-boot:0")
        .env("DBGINI_REGISTRY", env.dir.path().join("registry"))
        .env("DBGINI_SYSTEM_ROOT", env.dir.path().join("root"))
        .env("TZ", "UTC")
        .arg("-i")
        .arg(env.dir.path().join("inventory/hosts.ini"))
        .arg(
            root.join("contrib/ansible/playbooks")
                .join(format!("{name}.yml")),
        )
        .args(extra)
        // The playbooks become root; the test runs as whoever runs it, on local connections.
        .arg("-e")
        .arg(serde_json::json!({"ansible_become": false}).to_string())
        .arg("-e")
        .arg(vars.to_string());
    c.output().unwrap()
}

/// Every host's `(changed, failed)` from the play recap (unreachable hosts count as failed).
fn recaps(out: &Output) -> std::collections::BTreeMap<String, (u32, u32)> {
    let text = stdout(out);
    let start = text
        .find("PLAY RECAP")
        .unwrap_or_else(|| panic!("no recap:\n{text}\n{}", crate::util::stderr(out)));
    text[start..]
        .lines()
        .skip(1)
        .filter(|l| l.contains("changed="))
        .map(|l| {
            let field = |name: &str| -> u32 {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{name}=")))
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            let host = l.split_whitespace().next().unwrap().to_string();
            (
                host,
                (field("changed"), field("failed") + field("unreachable")),
            )
        })
        .collect()
}

fn expect(pairs: &[(&str, (u32, u32))]) -> std::collections::BTreeMap<String, (u32, u32)> {
    pairs.iter().map(|(h, r)| (h.to_string(), *r)).collect()
}

#[test]
fn the_shipped_playbooks_roll_a_profile_out_to_a_fleet_and_back() {
    let Some(bin) = ansible_playbook() else {
        return;
    };
    let env = Env::new(b"");
    // Four servers, each with its own data directory: CRLF, LF, LF (to be changed by hand), and
    // one that dbgini refuses (a BOM). Listed first, so it is in the first batch.
    let spec = [
        ("bom", "quirks/bom.ini", "srv/bom/notesdata"),
        (
            "mail01",
            "quirks/prod-windows-crlf.ini",
            "srv/mail01/notesdata",
        ),
        ("mail02", "quirks/prod-linux.ini", "local/notesdata2"),
        ("mail03", "real/openntf-ci-env.ini", "srv/mail03/data"),
    ];
    let mut hosts = Vec::new();
    let inventory = env.dir.path().join("inventory");
    std::fs::create_dir_all(inventory.join("host_vars")).unwrap();
    std::fs::create_dir_all(inventory.join("group_vars")).unwrap();
    let mut list = String::from("[domino_servers]\n");
    for (name, corpus, dir) in spec {
        let data = env.dir.path().join(dir);
        std::fs::create_dir_all(&data).unwrap();
        let ini = data.join("notes.ini");
        let original = corpus_file(corpus);
        std::fs::write(&ini, &original).unwrap();
        std::fs::write(
            inventory.join("host_vars").join(format!("{name}.yml")),
            format!("notes_ini: {}\n", ini.display()),
        )
        .unwrap();
        list.push_str(&format!("{name}\n"));
        hosts.push(Host {
            name,
            ini,
            original,
        });
    }
    std::fs::write(inventory.join("hosts.ini"), list).unwrap();
    std::fs::write(
        inventory.join("group_vars/all.yml"),
        format!(
            "ansible_connection: local\nansible_python_interpreter: \"{{{{ ansible_playbook_python }}}}\"\ndbgini_bin: {}\n",
            env!("CARGO_BIN_EXE_dbgini")
        ),
    )
    .unwrap();
    let host = |n: &str| hosts.iter().find(|h| h.name == n).unwrap();
    let untouched = |names: &[&str]| {
        for n in names {
            assert!(
                host(n).bytes() == host(n).original,
                "{n}: notes.ini changed"
            );
        }
    };
    let router = serde_json::json!({
        "profile": "router", "duration": "2h", "reason": "case TS012345 (mail stuck)",
        "batch": "100%", "max_fail": 30, "dbgini_actor": "jdoe",
    });

    // Check mode on every playbook: nothing changes, nothing fails but the refused host.
    let out = fleet_playbook(&env, &bin, "enable", &["--check", "--diff"], router.clone());
    assert_eq!(
        recaps(&out),
        expect(&[
            ("bom", (0, 1)),
            ("mail01", (1, 0)),
            ("mail02", (1, 0)),
            ("mail03", (1, 0))
        ]),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("+DebugRouter=3"), "{}", stdout(&out));
    assert!(stdout(&out).contains("byte order mark"), "{}", stdout(&out));
    untouched(&["bom", "mail01", "mail02", "mail03"]);
    for name in ["status", "revert", "install-timer"] {
        let out = fleet_playbook(&env, &bin, name, &["--check"], serde_json::json!({}));
        let r = recaps(&out);
        for h in ["mail01", "mail02", "mail03"] {
            assert_eq!(r[h].1, 0, "{name} --check failed on {h}:\n{}", stdout(&out));
        }
        untouched(&["bom", "mail01", "mail02", "mail03"]);
    }
    assert!(
        !env.dir.path().join("root").exists(),
        "install-timer --check wrote"
    );

    // A batch with more failures than max_fail allows stops the rollout there.
    let out = fleet_playbook(
        &env,
        &bin,
        "enable",
        &[],
        serde_json::json!({"profile": "router", "batch": 2, "max_fail": 0}),
    );
    let r = recaps(&out);
    assert_eq!(r["bom"], (0, 1), "{}", stdout(&out));
    assert!(
        !r.contains_key("mail02") || r["mail02"] == (0, 0),
        "{}",
        stdout(&out)
    );
    untouched(&["bom", "mail02", "mail03"]);
    assert!(host("mail01").bytes() != host("mail01").original);
    let out = fleet_playbook(
        &env,
        &bin,
        "revert",
        &[],
        serde_json::json!({"batch": "100%"}),
    );
    assert_eq!(recaps(&out)["mail01"], (1, 0), "{}", stdout(&out));
    untouched(&["mail01"]);

    // The rollout: every host but the refused one, within max_fail_percentage.
    let out = fleet_playbook(&env, &bin, "enable", &[], router.clone());
    assert_eq!(
        recaps(&out),
        expect(&[
            ("bom", (0, 1)),
            ("mail01", (1, 0)),
            ("mail02", (1, 0)),
            ("mail03", (1, 0))
        ]),
        "{}",
        stdout(&out)
    );
    untouched(&["bom"]);
    for h in ["mail01", "mail02", "mail03"] {
        let lines = crate::util::key_lines(&host(h).bytes(), "DebugRouter");
        assert_eq!(lines.len(), 1, "{h}");
        assert!(lines[0].1.ends_with("DebugRouter=3"), "{h}: {lines:?}");
        let audit = std::fs::read_to_string(
            host(h)
                .ini
                .parent()
                .unwrap()
                .join(".dbgini/notes.ini/audit.jsonl"),
        )
        .unwrap();
        assert!(
            audit.contains("\"reason\":\"case TS012345 (mail stuck)\""),
            "{h}: {audit}"
        );
        assert!(
            audit.contains("\"user\":\"jdoe via svc-ansible\""),
            "{h}: {audit}"
        );
    }
    // CRLF stays CRLF.
    assert!(host("mail01").bytes().windows(2).any(|w| w == b"\r\n"));

    // Idempotent: the second run changes nothing.
    let out = fleet_playbook(&env, &bin, "enable", &[], router.clone());
    assert_eq!(
        recaps(&out),
        expect(&[
            ("bom", (0, 1)),
            ("mail01", (0, 0)),
            ("mail02", (0, 0)),
            ("mail03", (0, 0))
        ]),
        "{}",
        stdout(&out)
    );

    // A hand change on mail03 is in the result of the next enable (which, asked for the same
    // lease, applies it again), ...
    let hand_change = |from: &str, to: &str| {
        let text = String::from_utf8(host("mail03").bytes()).unwrap();
        assert!(text.contains(from), "{from}: {text}");
        std::fs::write(&host("mail03").ini, text.replace(from, to)).unwrap();
    };
    hand_change("DebugRouter=3", "DebugRouter=5");
    let out = fleet_playbook(&env, &bin, "enable", &["-v"], router.clone());
    let r = recaps(&out);
    assert_eq!(
        (r["mail01"], r["mail03"]),
        ((0, 0), (1, 0)),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("DebugRouter was changed by hand")
            && stdout(&out).contains(
                "\"drift\": [{\"expected\": \"3\", \"found\": \"5\", \"key\": \"DebugRouter\""
            )
            && stdout(&out).contains("a revert puts back '5'"),
        "no drift in the result:\n{}",
        stdout(&out)
    );
    // (DebugRouter is a bit mask: the lease adds its bits to the 5 found.)
    assert_eq!(
        crate::util::key_lines(&host("mail03").bytes(), "DebugRouter")[0].1,
        "DebugRouter=7"
    );
    // ... and in the fleet report, which changes nothing.
    hand_change("DebugRouter=7", "DebugRouter=5");
    let hand_changed = host("mail03").bytes();
    let out = fleet_playbook(&env, &bin, "status", &[], serde_json::json!({}));
    let r = recaps(&out);
    for h in ["bom", "mail01", "mail02", "mail03"] {
        assert_eq!(
            r[h],
            (0, 0),
            "status changed or failed on {h}:\n{}",
            stdout(&out)
        );
    }
    let report = stdout(&out);
    assert!(
        report.contains("\"mail01: router until 2026-11-30T14:00:00Z\""),
        "{report}"
    );
    assert!(
        report.contains(
            "\"mail03: router until 2026-11-30T14:00:00Z; changed by hand: DebugRouter\""
        ),
        "{report}"
    );
    assert!(report.contains("\"bom: no leases\""), "{report}");
    assert!(host("mail03").bytes() == hand_changed);

    // Back: byte-identical where nobody changed anything, the hand change kept on mail03.
    let out = fleet_playbook(
        &env,
        &bin,
        "revert",
        &["--diff"],
        serde_json::json!({"profile": "router"}),
    );
    let r = recaps(&out);
    for h in ["mail01", "mail02", "mail03"] {
        assert_eq!(r[h], (1, 0), "{h}:\n{}", stdout(&out));
    }
    untouched(&["bom", "mail01", "mail02"]);
    let kept = crate::util::key_lines(&host("mail03").bytes(), "DebugRouter");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].1.ends_with("DebugRouter=5"), "{kept:?}");
    // dbgini's warning is an Ansible warning (on stderr).
    let warned = crate::util::stderr(&out).replace('\n', " ");
    assert!(
        warned.contains("DebugRouter was changed by hand")
            && warned.contains("no revert will change it"),
        "{warned}"
    );
    let out = fleet_playbook(
        &env,
        &bin,
        "revert",
        &[],
        serde_json::json!({"profile": "router"}),
    );
    let r = recaps(&out);
    for h in ["mail01", "mail02", "mail03"] {
        assert_eq!(r[h], (0, 0), "{h}:\n{}", stdout(&out));
    }
}

//! The command line as an admin meets it: help, profiles, show, dry run, idempotency, JSON, the
//! ways of naming notes.ini, and what `enable` prints.

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

use crate::util::{Env, corpus_file, stderr, stdout};

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let env = Env::new(b"");
    let out = env.bare().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    for cmd in [
        "profiles",
        "show",
        "enable",
        "revert",
        "status",
        "diff",
        "history",
        "Exit codes: 0 done",
        "4 notes.ini or dbgini's record of it changed",
    ] {
        assert!(text.contains(cmd), "--help lacks {cmd}:\n{text}");
    }
}

#[test]
fn profiles_lists_the_built_in_ones_and_says_what_a_user_profile_overrides() {
    let env = Env::new(&prod());
    let out = env.ok(&["profiles"]);
    insta::assert_snapshot!("profiles", stdout(&out));

    let dir = env.dir.path().join("home/.config/dbgini/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/router.toml"))
            .unwrap();
    std::fs::write(
        dir.join("router.toml"),
        text.replace("value = \"3\"", "value = \"1\""),
    )
    .unwrap();
    let out = env.ok(&["profiles"]);
    assert!(
        stdout(&out)
            .replace('\\', "/")
            .contains("dbgini/profiles/router.toml, overriding built-in"),
        "{}",
        stdout(&out)
    );
    env.ok(&["enable", "router"]);
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=1");
}

/// The site's profiles (`/etc/dbgini/profiles`, `%ProgramData%\dbgini\profiles` on Windows) are
/// found, the user's win over them, and the completion offers them.
#[test]
fn site_profiles_are_found_below_the_site_directory_and_the_users_win() {
    let env = Env::new(&prod());
    let program_data = env.dir.path().join("programdata");
    let site = if cfg!(windows) {
        program_data.join("dbgini/profiles")
    } else {
        env.dir.path().join("root/etc/dbgini/profiles")
    };
    std::fs::create_dir_all(&site).unwrap();
    let router =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/router.toml"))
            .unwrap();
    let site_router = router
        .replace("name = \"router\"", "name = \"site-router\"")
        .replace("value = \"3\"", "value = \"2\"");
    assert_ne!(site_router, router);
    std::fs::write(site.join("site-router.toml"), &site_router).unwrap();
    let run = |args: &[&str]| {
        let mut c = env.cmd();
        c.env("ProgramData", &program_data).args(args);
        let out = crate::util::output(&mut c);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    };
    let listed = stdout(&run(&["profiles"])).replace('\\', "/");
    assert!(
        listed.contains("site-router") && listed.contains("dbgini/profiles/site-router.toml"),
        "{listed}"
    );
    run(&["enable", "site-router"]);
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=2");
    run(&["revert"]);
    let offered = crate::util::output(
        env.bare()
            .env("ProgramData", &program_data)
            .env("COMPLETE", "fish")
            .args(["--", "dbgini", "enable", "site"]),
    );
    assert!(
        stdout(&offered).starts_with("site-router\t"),
        "{}",
        stdout(&offered)
    );
    // The user's profile of the same name wins.
    let user = env.dir.path().join("home/.config/dbgini/profiles");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("site-router.toml"),
        site_router.replace("value = \"2\"", "value = \"1\""),
    )
    .unwrap();
    run(&["enable", "site-router"]);
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=1");
}

#[test]
fn show_prints_every_setting_with_its_source() {
    let env = Env::new(&prod());
    let out = env.ok(&["show", "tcp-resolver"]);
    insta::assert_snapshot!("show-tcp-resolver", stdout(&out));
}

#[test]
fn enable_prints_the_diff_and_a_summary() {
    let env = Env::new(&prod());
    let out = env.ok(&[
        "enable",
        "smtp-inbound",
        "--for",
        "90m",
        "--reason",
        "case TS012345",
    ]);
    // Paths as on Unix, so one snapshot serves Windows too (it has no other backslash).
    let shown = stdout(&out)
        .replace(&env.dir.path().display().to_string(), "[TMP]")
        .replace('\\', "/");
    insta::assert_snapshot!("enable-smtp-inbound-stdout", shown);
    let err = stderr(&out);
    assert!(
        err.contains("enabled smtp-inbound for 1h 30m: lease smtp-inbound-"),
        "{err}"
    );
    assert!(
        err.contains("until 2026-11-30 13:30 UTC (in 1h 30m); 2 settings changed"),
        "{err}"
    );
    assert!(err.contains("revert smtp-inbound-"), "{err}");
}

#[test]
fn dry_run_prints_the_same_and_writes_nothing() {
    let env = Env::new(&prod());
    let before = env.snapshot();
    let out = env.ok(&["enable", "router", "--dry-run"]);
    assert!(stdout(&out).contains("+DebugRouter=3"));
    assert!(
        stderr(&out).contains("would enable router")
            && stderr(&out).contains("nothing was written")
    );
    assert!(env.snapshot() == before, "dry run wrote something");

    env.ok(&["enable", "router"]);
    let before = env.snapshot();
    let out = env.ok(&["revert", "--dry-run"]);
    assert!(stdout(&out).contains("-DebugRouter=3"));
    assert!(env.snapshot() == before, "dry-run revert wrote something");
}

#[test]
fn enable_is_idempotent() {
    let env = Env::new(&prod());
    let first = env.json(&["enable", "router", "--for", "1h"], 0);
    assert_eq!(first["changed"], true);
    let after = env.bytes();
    let second = env.json(&["enable", "router", "--for", "1h"], 0);
    assert_eq!(second["changed"], false);
    assert_eq!(second["lease"]["id"], first["lease"]["id"]);
    assert!(second["msg"].as_str().unwrap().contains("already enabled"));
    assert!(env.bytes() == after);
    assert_eq!(env.json(&["revert", "router"], 0)["changed"], true);
    assert_eq!(env.json(&["revert", "router"], 0)["changed"], false);
}

#[test]
fn json_has_the_documented_shape() {
    let env = Env::new(&prod());
    let v = env.json(&["enable", "router", "--reason", "case 1"], 0);
    for key in [
        "command", "changed", "dry_run", "ini", "lease", "leases", "changes", "drift", "diff",
        "warnings", "msg",
    ] {
        assert!(v.get(key).is_some(), "enable --json lacks {key}: {v}");
    }
    assert_eq!(v["leases"][0]["profile"], "router");
    assert_eq!(v["leases"][0]["expires_at"], "2026-11-30T14:00:00Z");
    assert!(
        v["diff"]["unified"]
            .as_str()
            .unwrap()
            .contains("+DebugRouter=3")
    );
    assert!(
        v["diff"]["after"]
            .as_str()
            .unwrap()
            .contains("DebugRouter=3")
    );
    assert!(
        !v["diff"]["before"]
            .as_str()
            .unwrap()
            .contains("DebugRouter=3")
    );

    let s = env.json(&["status"], 0);
    assert_eq!(s["managed"][0]["key"], "DebugRouter");
    assert_eq!(s["managed"][0]["baseline"], serde_json::Value::Null);
    assert_eq!(s["managed"][0]["current"], "3");

    let e = env.json(&["enable", "nope"], 2);
    assert_eq!(e["failed"], true);
    assert_eq!(e["exit_code"], 2);
    assert!(e["help"].as_str().unwrap().contains("known profiles"));
}

#[test]
fn bare_revert_with_two_leases_lists_them() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router"]);
    env.ok(&["enable", "smtp-outbound"]);
    let before = env.snapshot();
    let out = env.run(&["revert"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("2 leases are active")
            && err.contains("(router)")
            && err.contains("(smtp-outbound)")
            && err.contains("--all"),
        "{err}"
    );
    assert!(env.snapshot() == before);
}

#[test]
fn a_snippet_from_support_becomes_an_ad_hoc_profile() {
    let env = Env::new(&prod());
    let snippet = env.dir.path().join("case-4711.txt");
    std::fs::write(
        &snippet,
        "; please add these lines\r\nDebugRouter=1\r\nRouterDebugQueues = 2\r\n",
    )
    .unwrap();
    let out = env.cmd().arg("enable").arg(&snippet).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.lines_for("RouterDebugQueues")[0].1,
        "RouterDebugQueues=2"
    );
    let s = env.json(&["status"], 0);
    assert_eq!(s["leases"][0]["profile"], "case-4711");
    env.ok(&["revert"]);
    assert!(env.bytes() == prod());
}

#[test]
fn tcp_resolver_with_a_dns_server_warns() {
    let env = Env::new(&prod());
    let out = env.ok(&["enable", "tcp-resolver", "--param", "dns-server=192.0.2.53"]);
    assert_eq!(env.lines_for("DNSServer")[0].1, "DNSServer=192.0.2.53");
    assert!(
        stderr(&out).contains("warning: DNSServer: a workaround, not a debug level"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn diff_shows_baseline_against_now() {
    let env = Env::new(&corpus_file("quirks/lowercase-debug-keys.ini"));
    env.ok(&["enable", "router"]);
    let out = env.ok(&["diff"]);
    let text = stdout(&out);
    assert!(
        text.contains("\n-debugrouter=1\n") && text.contains("\n+debugrouter=3\n"),
        "{text}"
    );
    env.ok(&["revert"]);
    let out = env.ok(&["diff"]);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("no difference"));
}

#[test]
fn the_ini_comes_from_the_flag_the_variable_or_the_config_file() {
    let env = Env::new(&prod());
    let out = env
        .bare()
        .env("DBGINI_INI", &env.ini)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let config = env.dir.path().join("home/.config/dbgini");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("ini = {:?}\n", env.ini.display().to_string()),
    )
    .unwrap();
    let out = env.bare().args(["--json", "status"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["leases"][0]["profile"], "router");
}

/// The Windows counterpart of keeping notes.ini's mode: the file that replaces notes.ini gets the
/// ACL notes.ini had, not the one the directory would give a new file.
#[cfg(windows)]
#[test]
fn an_acl_set_on_notes_ini_itself_is_kept_by_enable_and_revert() {
    let env = Env::new(&prod());
    let inherited = dbgini_win::dacl_sddl(&env.ini).unwrap();
    // Inheritance blocked; SYSTEM, Administrators and the user running the test full control
    // (the account with full control in the inherited ACL), Users read, and nothing for
    // Everyone: what an admin might set with icacls. Wine keeps a file's ACL as its Unix mode
    // (owner and Everyone), so under Wine this takes Everyone's read access away.
    let me = inherited
        .split('(')
        .find(|ace| ace.starts_with("A;") && ace.contains(";FA;") && ace.contains(";S-1-5-21-"))
        .and_then(|ace| ace.trim_end_matches(')').rsplit(';').next())
        .map(|sid| format!("(A;;FA;;;{sid})"))
        .unwrap_or_default();
    let own = format!("D:P(A;;FA;;;SY)(A;;FA;;;BA){me}(A;;FR;;;BU)");
    dbgini_win::set_dacl_sddl(&env.ini, &own).unwrap();
    let before = dbgini_win::dacl_sddl(&env.ini).unwrap();
    // A new file beside it gets another ACL: the one dbgini must not leave on notes.ini.
    let fresh = env.dir.path().join("fresh.ini");
    std::fs::write(&fresh, "x").unwrap();
    assert_ne!(
        dbgini_win::dacl_sddl(&fresh).unwrap(),
        before,
        "the test's ACL {own} was not set ({inherited} before)"
    );
    env.ok(&["enable", "router"]);
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
    assert_eq!(dbgini_win::dacl_sddl(&env.ini).unwrap(), before);
    env.ok(&["revert"]);
    assert!(env.bytes() == prod());
    assert_eq!(dbgini_win::dacl_sddl(&env.ini).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn a_symlinked_notes_ini_is_edited_through_the_link_and_keeps_its_mode() {
    let env = Env::new(&prod());
    std::fs::set_permissions(&env.ini, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = env.dir.path().join("notes-link.ini");
    std::os::unix::fs::symlink(&env.ini, &link).unwrap();
    let out = env
        .bare()
        .arg("--ini")
        .arg(&link)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
    assert_eq!(
        std::fs::metadata(&env.ini).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let state = env
        .ini
        .parent()
        .unwrap()
        .join(".dbgini/notes.ini/state.toml");
    assert_eq!(
        std::fs::metadata(state).unwrap().permissions().mode() & 0o777,
        0o640
    );
    env.ok(&["revert"]);
    assert!(env.bytes() == prod());
}

#[test]
fn history_records_who_what_and_why() {
    let env = Env::new(&prod());
    env.ok(&["enable", "router", "--reason", "case TS0001"]);
    env.ok(&["revert"]);
    let v = env.json(&["history"], 0);
    let h = v["history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["user"], "tester");
    assert_eq!(h[0]["reason"], "case TS0001");
    assert_eq!(h[0]["changes"][0]["key"], "DebugRouter");
    assert_eq!(h[1]["changes"][0]["after"], serde_json::Value::Null);
    assert_eq!(h[0]["after_sha256"], h[1]["before_sha256"]);
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definitions() {
    let env = Env::new(b"");
    let run = |args: &[&str]| {
        let out = env.bare().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let bash = run(&["completions", "bash"]);
    assert!(
        bash.contains("_dbgini()") && bash.contains("schedule") && bash.contains("--console-cmd"),
        "{bash}"
    );
    assert!(run(&["completions", "zsh"]).starts_with("#compdef dbgini"));
    assert!(run(&["completions", "fish"]).contains("complete -c dbgini"));
    assert!(run(&["completions", "powershell"]).contains("Register-ArgumentCompleter"));
    let man = run(&["man"]);
    for part in [
        ".TH dbgini 1",
        "DBGINI ENABLE",
        "DBGINI SCHEDULE",
        "EXIT STATUS",
        "\\-\\-confirm\\-timeout",
    ] {
        assert!(man.contains(part), "man page lacks {part:?}");
    }
}

#[test]
fn usage_errors_under_json_are_one_json_object_on_stdout() {
    let env = Env::new(&prod());
    for (args, says) in [
        (&["--json", "enable"][..], "<PROFILE>"),
        (&["--json", "enable", "router", "--forr", "1h"], "'--forr'"),
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stdout(&out)));
        assert_eq!(v["exit_code"], 2);
        assert_eq!(v["failed"], true);
        let text = format!("{} {}", v["error"], v["help"]);
        assert!(text.contains(says), "{args:?}: {v}");
    }
    // Without --json, stdout stays empty; --help is no error.
    assert!(env.run(&["enable"]).stdout.is_empty());
    assert!(env.ok(&["--json", "--help"]).stdout.starts_with(b"Switch"));
}

#[cfg(unix)]
#[test]
fn the_site_config_is_read_under_the_users_and_must_be_root_only() {
    let env = Env::new(&prod());
    let site = env.dir.path().join("root/etc/dbgini");
    std::fs::create_dir_all(&site).unwrap();
    let site_file = site.join("config.toml");
    std::fs::write(
        &site_file,
        format!(
            "ini = {:?}\nmax_duration = \"1h\"\n",
            env.ini.display().to_string()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&site_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    // The site's notes.ini and maximum apply without --ini ...
    env.bare()
        .args(["enable", "router", "--for", "2h"])
        .output()
        .map(|o| {
            assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
            assert!(
                stderr(&o).contains("global maximum (config max_duration) of 1h"),
                "{}",
                stderr(&o)
            );
        })
        .unwrap();
    // ... and the user's config wins where it says something.
    let user = env.dir.path().join("home/.config/dbgini");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("config.toml"), "max_duration = \"3h\"\n").unwrap();
    let out = env
        .bare()
        .args(["enable", "router", "--for", "2h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");

    // A site config others may write could name the console command root runs: refused.
    std::fs::set_permissions(&site_file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let before = env.bytes();
    let out = env.bare().args(["revert"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("only root may write it") && stderr(&out).contains("chmod go-w"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == before);
}

#[test]
fn dynamic_completion_offers_profiles_and_active_lease_ids() {
    let env = Env::new(&prod());
    let complete = |words: &[&str]| {
        let out = env
            .bare()
            .env("COMPLETE", "fish")
            .env("DBGINI_INI", &env.ini)
            .arg("--")
            .arg("dbgini")
            .args(words)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    // The script the shell sources.
    let script = env.bare().env("COMPLETE", "bash").output().unwrap();
    assert!(
        stdout(&script).contains("_clap_complete_dbgini"),
        "{}",
        stdout(&script)
    );

    let profiles = complete(&["enable", ""]);
    for p in crate::util::PROFILES {
        assert!(
            profiles.lines().any(|l| l.starts_with(&format!("{p}\t"))),
            "{p}: {profiles}"
        );
    }
    // No lease yet: nothing but flags for revert.
    assert!(
        complete(&["revert", ""])
            .lines()
            .all(|l| l.starts_with("--"))
    );
    let v = env.json(&["enable", "router"], 0);
    let id = v["lease"]["id"].as_str().unwrap().to_string();
    let leases = complete(&["revert", ""]);
    assert!(
        leases.contains(&format!("{id}\trouter until 2026-11-30T14:00:00Z")),
        "{leases}"
    );
    assert!(
        leases.contains("router\tevery active lease of this profile"),
        "{leases}"
    );
    let extend = complete(&["extend", "rou"]);
    assert!(extend.contains(&id), "{extend}");
}

#[cfg(unix)]
#[test]
fn as_root_a_config_reached_through_a_link_is_refused() {
    // The user's config directory is the user's: a link there to a root-owned file (or a second
    // name of one) must not make root act on that file.
    if !crate::util::is_root() {
        eprintln!("skipped: needs root (CI runs as root)");
        return;
    }
    let env = Env::new(&prod());
    let roots = env.dir.path().join("roots.toml");
    std::fs::write(&roots, "max_duration = \"1h\"\n").unwrap();
    let file = env.dir.path().join("home/.config/dbgini/config.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let before = env.bytes();
    let enable = ["enable", "router", "--for", "2h"];
    std::os::unix::fs::symlink(&roots, &file).unwrap();
    env.test(&enable)
        .status(2)
        .stderr_has("a symbolic link, not followed")
        .stderr_has("never through a link")
        .run();
    std::fs::remove_file(&file).unwrap();
    std::fs::hard_link(&roots, &file).unwrap();
    env.test(&enable)
        .status(2)
        .stderr_has("and 2 name(s)")
        .stderr_has("no other name")
        .run();
    assert!(env.bytes() == before);
    // The same file with one name is read.
    std::fs::remove_file(&roots).unwrap();
    env.test(&enable)
        .status(2)
        .stderr_has("global maximum (config max_duration) of 1h")
        .run();
}

#[cfg(unix)]
#[test]
fn as_root_a_user_config_another_user_owns_is_refused() {
    // sudo may keep the invoking user's HOME: root must not run the console command that user's
    // config names.
    if !crate::util::is_root() {
        eprintln!("skipped: needs root (CI runs as root)");
        return;
    }
    let env = Env::new(&prod());
    let config = env.dir.path().join("home/.config/dbgini");
    std::fs::create_dir_all(&config).unwrap();
    let file = config.join("config.toml");
    std::fs::write(&file, "console_cmd = \"/tmp/evil -c\"\n").unwrap();
    std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    let before = env.bytes();
    let out = env.run(&["--mode", "console", "enable", "router"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("belongs to uid 65534")
            && stderr(&out).contains("only when it belongs to root"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == before);
    // Root's own file is read.
    std::os::unix::fs::chown(&file, Some(0), Some(0)).unwrap();
    std::fs::write(&file, "max_duration = \"1h\"\n").unwrap();
    let out = env.run(&["enable", "router", "--for", "2h"]);
    assert!(
        stderr(&out).contains("global maximum (config max_duration) of 1h"),
        "{}",
        stderr(&out)
    );
}

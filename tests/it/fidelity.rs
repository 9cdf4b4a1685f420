//! Domino fidelity (issue 14, first part): values read as Domino reads them, and keys that
//! define the server refused unless named.

use crate::util::{Env, corpus_file, stderr};

fn prod() -> Vec<u8> {
    corpus_file("quirks/prod-linux.ini")
}

#[test]
fn content_capture_levels_written_as_domino_reads_them_need_consent_and_the_short_cap() {
    let env = Env::new(&prod());
    let before = env.snapshot();
    for v in ["03", "004", "+3", "3;all data"] {
        let set = format!("SMTPDebugIO={v}");
        let out = env.run(&["enable", "smtp-inbound", "--set", &set]);
        assert_eq!(out.status.code(), Some(3), "{v}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("would log the contents of mail messages"),
            "{v}: {}",
            stderr(&out)
        );
        assert!(env.snapshot() == before, "{v} changed something");
        // With consent, the content-capture cap of an hour holds.
        let out = env.run(&[
            "enable",
            "smtp-inbound",
            "--set",
            &set,
            "--allow-content-capture",
            "--for",
            "2h",
        ]);
        assert_eq!(out.status.code(), Some(2), "{v}: {}", stderr(&out));
        assert!(stderr(&out).contains("1h"), "{v}: {}", stderr(&out));
    }
}

#[test]
fn a_level_with_a_comment_is_combined_as_the_number_domino_reads() {
    let original = b"[Notes]\nDirectory=/local/notesdata\nDebugRouter=4;routing tables\nConsole_Log_Enabled=1\n";
    let env = Env::new(original);
    env.ok(&["enable", "router"]);
    // 4 | 3: both levels, as a bit set.
    assert_eq!(
        env.lines_for("DebugRouter"),
        [(3, "DebugRouter=7".to_string())]
    );
    env.ok(&["revert"]);
    assert_eq!(env.bytes(), original);
    // A level the router profile already includes is left as written.
    let env = Env::new(b"[Notes]\nDirectory=/local/notesdata\nDebugRouter=07\n");
    env.ok(&["enable", "router"]);
    assert_eq!(
        env.lines_for("DebugRouter"),
        [(3, "DebugRouter=07".to_string())]
    );
}

#[test]
fn a_level_that_is_no_number_gets_a_warning() {
    let env = Env::new(b"[Notes]\nDirectory=/local/notesdata\nDebugRouter=on\n");
    let out = env.ok(&["enable", "router"]);
    assert!(
        stderr(&out)
            .contains("DebugRouter=on is not a number: Domino reads it as 0, so dbgini set 3"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn keys_that_define_the_server_are_refused_unless_named() {
    let env = Env::new(&prod());
    let snippet = env.dir.path().join("pasted.txt");
    std::fs::write(&snippet, b"DebugRouter=3\nservertasks=Replica,Router\n").unwrap();
    let before = env.snapshot();
    let cases: Vec<Vec<&str>> = vec![
        vec!["enable", "router", "--set", "Directory=/tmp"],
        vec!["enable", "router", "--set", "ServerTasksAt1=Catalog"],
        vec![
            "enable",
            "router",
            "--set",
            "TCPIP_TcpIpAddress=0,10.0.0.1:1352",
        ],
        vec!["enable", snippet.to_str().unwrap()],
    ];
    for args in cases {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("defines the server") && stderr(&out).contains("--allow-key"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(env.snapshot() == before, "{args:?} changed something");
    }
    let out = env.run(&[
        "enable",
        snippet.to_str().unwrap(),
        "--allow-key",
        "ServerTasks",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.lines_for("ServerTasks").len(), 1);
    // debug keys that merely start alike are debug keys.
    env.ok(&["enable", "router", "--set", "debug_tcp_session=1"]);
}

#[test]
fn bundle_redacts_smtp_auth_credentials_unless_told_not_to() {
    let env = Env::new(b"");
    let data = env.ini.parent().unwrap().to_path_buf();
    std::fs::write(&env.ini, crate::util::prod_with_data_dir(&data)).unwrap();
    std::fs::create_dir(data.join("IBM_TECHNICAL_SUPPORT")).unwrap();
    env.ok(&["enable", "smtp-inbound"]);
    let outfile = data.join("IBM_TECHNICAL_SUPPORT/console.log");
    let log = "[0D2C:000A-0E1F] 01.12.2026 10:00:02   SMTP Server: Received \"AUTH PLAIN AGFsaWNlAHMzY3JldA==\"\n\
[0D2C:000A-0E1F] 01.12.2026 10:00:02   SMTP Server: Sent \"235 2.7.0 Authentication successful\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Received \"AUTH LOGIN\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Sent \"334 VXNlcm5hbWU6\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Received \"Ym9i\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Sent \"334 UGFzc3dvcmQ6\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:01   SMTP Server: Received \"aHVudGVyMg==\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:01   SMTP Server: Sent \"235 2.7.0 Authentication successful\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:02   SMTP Server: Received \"MAIL FROM:<bob@example.com>\"\n";
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&outfile)
            .unwrap();
        f.write_all(log.as_bytes()).unwrap();
    }
    let packed = |extra: &[&str]| {
        let archive = env.dir.path().join("b.tar.gz");
        let _ = std::fs::remove_file(&archive);
        let mut args = vec!["bundle", "-o", archive.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = env.ok(&args);
        let x = crate::util::archive_member(&archive, "dbgini-bundle/files/console.log");
        (String::from_utf8(x).unwrap(), stderr(&out))
    };
    let (text, said) = packed(&[]);
    for secret in ["AGFsaWNlAHMzY3JldA==", "Ym9i", "aHVudGVyMg=="] {
        assert!(!text.contains(secret), "{secret} was packed:\n{text}");
    }
    assert!(text.contains("MAIL FROM:<bob@example.com>"), "{text}");
    assert_eq!(text.lines().count(), log.lines().count());
    assert!(said.contains("redacted 3 SMTP AUTH credentials"), "{said}");
    let (text, _) = packed(&["--no-redact"]);
    assert_eq!(text, log);
}

#[test]
fn dns_server_takes_addresses_host_names_and_lists() {
    let env = Env::new(&prod());
    env.ok(&[
        "enable",
        "tcp-resolver",
        "--param",
        "dns-server=192.0.2.53, dns2.example.com",
    ]);
    assert_eq!(
        env.lines_for("DNSServer")[0].1,
        "DNSServer=192.0.2.53, dns2.example.com"
    );
    let out = env.run(&[
        "enable",
        "tcp-resolver",
        "--param",
        "dns-server=dns_2.example.com",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn the_console_log_is_turned_on_only_where_nothing_captures_the_console() {
    let base = "[Notes]\nDirectory=/local/notesdata\n";
    // Nothing captures: console logging on for the lease, back off after; stacked profiles keep
    // it on until the last of them ends.
    let env = Env::new(base.as_bytes());
    let out = env.ok(&["enable", "router"]);
    assert_eq!(
        env.lines_for("Console_Log_Enabled")[0].1,
        "Console_Log_Enabled=1"
    );
    // (A Unix data directory on Windows is joined with Windows separators.)
    assert!(
        stderr(&out)
            .replace('\\', "/")
            .contains("console.log    /local/notesdata/IBM_TECHNICAL_SUPPORT/console.log"),
        "{}",
        stderr(&out)
    );
    env.ok(&["enable", "smtp-inbound"]);
    env.ok(&["revert", "router"]);
    assert_eq!(
        env.lines_for("Console_Log_Enabled")[0].1,
        "Console_Log_Enabled=1"
    );
    env.ok(&["revert"]);
    assert_eq!(env.bytes(), base.as_bytes());
    // An admin's relative debug_outfile captures: it is watched where Domino puts it.
    let own = format!("{base}debug_outfile=case.txt\n");
    let env = Env::new(own.as_bytes());
    let out = env.ok(&["enable", "router"]);
    assert!(env.lines_for("Console_Log_Enabled").is_empty());
    assert!(
        stderr(&out)
            .replace('\\', "/")
            .contains("debug_outfile  /local/notesdata/IBM_TECHNICAL_SUPPORT/case.txt"),
        "{}",
        stderr(&out)
    );
    // A separate file when support asks for one: debug_outfile, and no console log switch.
    let env = Env::new(base.as_bytes());
    env.ok(&[
        "enable",
        "router",
        "--param",
        "outfile=/local/notesdata/router-case.txt",
    ]);
    assert_eq!(
        env.lines_for("debug_outfile")[0].1,
        "debug_outfile=/local/notesdata/router-case.txt"
    );
    assert!(env.lines_for("Console_Log_Enabled").is_empty());
    env.ok(&["revert"]);
    assert_eq!(env.bytes(), base.as_bytes());
}

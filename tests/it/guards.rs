//! Log growth and privacy guards: pre-flight, growth caps that revert early, content-capture
//! consent, `status` with measurements, `bundle`, and (as root, where mounting works) a real
//! free-space floor on a small tmpfs.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util::{Env, Tmpfs, prod_with_data_dir, stderr, stdout};

/// A server notes.ini whose `Directory=` is the test's own data directory, with its log directory.
fn server(support_dir: bool) -> (Env, Vec<u8>, PathBuf) {
    let env = Env::new(b"");
    let data = env.ini.parent().unwrap().to_path_buf();
    let bytes = prod_with_data_dir(&data);
    std::fs::write(&env.ini, &bytes).unwrap();
    if support_dir {
        std::fs::create_dir(data.join("IBM_TECHNICAL_SUPPORT")).unwrap();
    }
    let outfile = data.join("IBM_TECHNICAL_SUPPORT/console.log");
    (env, bytes, outfile)
}

fn append(path: &Path, n: usize) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(&vec![b'x'; n]).unwrap();
}

#[test]
fn enable_shows_the_files_that_will_grow_their_sizes_and_free_space() {
    let (env, _, outfile) = server(true);
    std::fs::write(
        outfile.parent().unwrap().parent().unwrap().join("log.nsf"),
        vec![0u8; 4096],
    )
    .unwrap();
    let out = env.ok(&["enable", "smtp-inbound", "--mail-rate", "300/h"]);
    // Paths compared with one separator (Windows prints its own).
    let err = stderr(&out).replace('\\', "/");
    assert!(err.contains("files that will grow:"), "{err}");
    assert!(
        err.contains(&format!(
            "console.log    {}  does not exist yet; free space",
            outfile.display().to_string().replace('\\', "/")
        )),
        "{err}"
    );
    assert!(
        err.contains("growth cap 512.00 MiB (--max-growth), free-space floor"),
        "{err}"
    );
    assert!(
        err.contains(
            "warning: SMTPDebug=3 is high volume (every inbound SMTP command and response)"
        ),
        "{err}"
    );
    assert!(err.contains("estimate, not a measurement (bytes per message of each verbose setting x 300 messages/h): about 585.94 KiB an hour"), "{err}");
    let out = env.ok(&["enable", "router"]);
    assert!(
        stderr(&out).contains("log.nsf") && stderr(&out).contains("4.00 KiB"),
        "{}",
        stderr(&out)
    );
}

/// A notes.ini copied from a server whose data directory is on a drive this machine lacks: its
/// free space is unknown, and said so (not the largest number there is). Only Windows has a
/// path whose every parent may be missing; on Unix `/` is always there.
#[cfg(windows)]
#[test]
fn free_space_on_a_drive_this_machine_lacks_is_unknown() {
    let text = String::from_utf8(crate::util::corpus_file("quirks/prod-windows-crlf.ini"))
        .unwrap()
        .replace(
            r"Directory=C:\Program Files\HCL\Domino\Data",
            r"Directory=Q:\Domino\Data",
        );
    assert!(text.contains(r"Directory=Q:\"));
    let env = Env::new(text.as_bytes());
    let out = env.ok(&["enable", "router", "--dry-run"]);
    let err = stderr(&out);
    assert!(
        err.contains(
            r"log.nsf        Q:\Domino\Data\log.nsf  does not exist yet; free space unknown"
        ),
        "{err}"
    );
    assert!(
        err.contains("free-space floor unknown (--min-free 5%)"),
        "{err}"
    );
    assert!(!err.contains("TiB"), "{err}");
}

#[test]
fn growth_past_the_cap_reverts_the_lease_early() {
    let (env, original, outfile) = server(true);
    env.ok(&["enable", "router", "--max-growth", "1KiB"]);
    append(&outfile, 2048);
    let out = env.ok(&["expire"]);
    assert!(
        stderr(&out).contains("reverted early: console.log grew 2.00 KiB, cap 1.00 KiB"),
        "{}",
        stderr(&out)
    );
    assert!(
        env.bytes() == original,
        "not byte-identical after the early revert"
    );
    let status = env.ok(&["status"]);
    assert!(
        stdout(&status).contains("reverted early: console.log grew 2.00 KiB, cap 1.00 KiB"),
        "{}",
        stdout(&status)
    );
    let history = stdout(&env.ok(&["history"]));
    assert!(
        history.contains("reverted early: console.log grew 2.00 KiB, cap 1.00 KiB"),
        "{history}"
    );
}

#[test]
fn status_shows_measurements_and_a_sparkline() {
    let (env, _, outfile) = server(true);
    std::fs::write(&outfile, vec![b'a'; 1000]).unwrap();
    env.ok(&["enable", "router", "--for", "2h"]);
    append(&outfile, 3600);
    env.run_at("2026-11-30T12:30:00Z", &["status"], 0);
    append(&outfile, 3600);
    let out = env.run_at("2026-11-30T13:00:00Z", &["status"], 0);
    let text = stdout(&out);
    assert!(text.contains("grown 7.03 KiB so far"), "{text}");
    assert!(
        text.contains("console.log    1000 B -> 8.01 KiB (7.03 KiB/h, about 15.04 KiB at expiry)"),
        "{text}"
    );
    assert!(text.contains("growth ▁▅█"), "{text}");
}

#[test]
fn content_capture_needs_consent() {
    let (env, original, _) = server(true);
    let before = env.snapshot();
    let out = env.run(&["enable", "smtp-inbound", "--set", "SMTPDebugIO=3"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("SMTPDebugIO=3 would log the contents of mail messages")
            && err.contains("--allow-content-capture"),
        "{err}"
    );
    assert!(env.snapshot() == before);
    // SMTPSaveImportErrors keeps whole messages, from a profile or a snippet alike.
    let out = env.run(&["enable", "router", "--set", "SMTPSaveImportErrors=2"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    let out = env.run(&[
        "enable",
        "smtp-inbound",
        "--set",
        "SMTPDebugIO=3",
        "--allow-content-capture",
        "--for",
        "2h",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("longer than a content-capturing lease's maximum of 1h"),
        "{}",
        stderr(&out)
    );
    let v = env.json(
        &[
            "enable",
            "smtp-inbound",
            "--set",
            "SMTPDebugIO=3",
            "--allow-content-capture",
        ],
        0,
    );
    assert_eq!(v["lease"]["content_capture"], true);
    assert_eq!(v["lease"]["expires_at"], "2026-11-30T13:00:00Z");
    assert!(stdout(&env.ok(&["status"])).contains("CAPTURES MESSAGE CONTENT"));
    assert_eq!(
        env.json(&["history"], 0)["history"][0]["content_capture"],
        true
    );
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

#[test]
fn a_missing_log_directory_is_created_only_when_asked() {
    let (env, _, outfile) = server(false);
    let before = env.snapshot();
    let out = env.run(&["enable", "router"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does not exist: the debug output would go nowhere")
            && stderr(&out).contains("--create-dirs"),
        "{}",
        stderr(&out)
    );
    assert!(env.snapshot() == before);
    let out = env.ok(&["enable", "router", "--create-dirs"]);
    assert!(stderr(&out).contains("created"), "{}", stderr(&out));
    assert!(outfile.parent().unwrap().is_dir());
}

#[test]
fn bundle_packs_the_debug_output_written_during_the_lease() {
    let (env, _, outfile) = server(true);
    std::fs::write(&outfile, b"old output from before the lease\n").unwrap();
    env.ok(&["enable", "router", "--reason", "case TS4711"]);
    append(&outfile, 10);
    let archive = env.dir.path().join("case.tar.gz");
    let out = env
        .cmd()
        .args(["bundle", "-o"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("files/console.log  10 B"),
        "{}",
        stderr(&out)
    );
    let names = crate::util::read_archive(&archive)
        .into_iter()
        .map(|(n, _)| n)
        .collect::<Vec<_>>()
        .join("\n");
    for n in [
        "dbgini-bundle/README.txt",
        "dbgini-bundle/lease.toml",
        "dbgini-bundle/notes.ini.diff",
        "dbgini-bundle/status.txt",
        "dbgini-bundle/version.txt",
        "dbgini-bundle/files/console.log",
    ] {
        assert!(names.lines().any(|l| l == n), "{n} not in:\n{names}");
    }
    let x = crate::util::archive_member(&archive, "dbgini-bundle/files/console.log");
    assert_eq!(x, b"xxxxxxxxxx", "only what was written since enable");
    let diff = crate::util::archive_member(&archive, "dbgini-bundle/notes.ini.diff");
    assert!(String::from_utf8_lossy(&diff).contains("+DebugRouter=3"));
    // After the revert the lease is still there to bundle, from the recently ended ones.
    env.ok(&["revert"]);
    let again = env.dir.path().join("again.tar.gz");
    assert!(
        env.cmd()
            .args(["bundle", "router", "-o"])
            .arg(&again)
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn bundle_refuses_captured_content_without_consent() {
    let (env, _, _) = server(true);
    env.ok(&[
        "enable",
        "smtp-inbound",
        "--set",
        "SMTPDebugIO=4",
        "--allow-content-capture",
    ]);
    let archive = env.dir.path().join("x.tar.gz");
    let out = env
        .cmd()
        .args(["bundle", "-o"])
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("captured message contents")
            && stderr(&out).contains("--allow-content-capture"),
        "{}",
        stderr(&out)
    );
    assert!(!archive.exists());
    let out = env
        .cmd()
        .args(["bundle", "--allow-content-capture", "-o"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(out.status.success() && archive.exists(), "{}", stderr(&out));
}

#[test]
fn a_full_file_system_reverts_the_lease_early_on_a_real_tmpfs() {
    let env = Env::new(b"");
    let mnt = env.dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_fs) = Tmpfs::mount(&mnt, "1m") else {
        return;
    };
    std::fs::create_dir(mnt.join("IBM_TECHNICAL_SUPPORT")).unwrap();
    let ini = mnt.join("notes.ini");
    let original = prod_with_data_dir(&mnt);
    std::fs::write(&ini, &original).unwrap();
    let run = |args: &[&str]| {
        env.bare()
            .arg("--ini")
            .arg(&ini)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["enable", "router", "--min-free", "50%"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(mnt.join("filler"), vec![0u8; 700 * 1024]).unwrap();
    let out = run(&["expire"]);
    assert!(
        stderr(&out).contains("reverted early: free space fell to"),
        "{}",
        stderr(&out)
    );
    assert!(std::fs::read(&ini).unwrap() == original);
}

#[test]
fn a_console_log_that_wraps_still_counts_toward_the_cap() {
    let (env, original, outfile) = server(true);
    env.ok(&["enable", "router", "--max-growth", "4KiB"]);
    append(&outfile, 3000);
    env.run_at("2026-11-30T12:10:00Z", &["status"], 0);
    // The circular log starts over from the top, and writes on.
    std::fs::write(&outfile, b"").unwrap();
    append(&outfile, 2000);
    let out = env.run_at("2026-11-30T12:20:00Z", &["expire"], 0);
    assert!(
        stderr(&out).contains("reverted early: console.log grew 4.88 KiB, cap 4.00 KiB"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == original);
}

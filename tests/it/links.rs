//! Links planted in the state folder are never followed, on every platform. On Unix,
//! `security.rs` plants them as another user against a root dbgini; this is the part that holds
//! on Windows too (there, a file and directory symbolic link, which the account running Domino may
//! be allowed to make; Wine 8 makes none, so under Wine the test says it skipped): dbgini refuses with exit 3 and names the link, before it writes anything,
//! and what the link points at keeps its bytes (or is not created).

use std::path::Path;

use crate::util::{Env, corpus_file, stderr};

/// Makes a symbolic link to `to` at `at` (a directory link when `dir`). False, saying why, where
/// this system makes none: Windows without the privilege to make links (error 1314), or Wine 8,
/// whose CreateSymbolicLinkW reports success and makes nothing.
fn link(to: &Path, at: &Path, dir: bool) -> bool {
    #[cfg(unix)]
    let made = {
        let _ = dir;
        std::os::unix::fs::symlink(to, at)
    };
    #[cfg(windows)]
    let made = if dir {
        std::os::windows::fs::symlink_dir(to, at)
    } else {
        std::os::windows::fs::symlink_file(to, at)
    };
    match made {
        Ok(()) if std::fs::symlink_metadata(at).is_ok_and(|m| m.file_type().is_symlink()) => true,
        r => {
            if cfg!(unix) {
                panic!("no link made at {}: {r:?}", at.display());
            }
            eprintln!(
                "skipped: this Windows (or Wine) made no symbolic link at {} ({r:?})",
                at.display()
            );
            false
        }
    }
}

#[test]
fn links_in_the_state_folder_are_refused_and_never_followed() {
    let original = corpus_file("quirks/prod-windows-crlf.ini");
    for name in ["state.toml", "audit.jsonl", "lock", "backups"] {
        for dangling in [false, true] {
            let env = Env::new(&original);
            env.ok(&["enable", "router", "--for", "1h"]);
            let state = env.ini.parent().unwrap().join(".dbgini").join("notes.ini");
            let planted = state.join(name);
            let victim = env.dir.path().join("victim");
            let is_dir = name == "backups";
            if !dangling {
                if is_dir {
                    std::fs::create_dir(&victim).unwrap();
                    std::fs::write(victim.join("keep"), "victim\n").unwrap();
                } else {
                    std::fs::write(&victim, "victim\n").unwrap();
                }
            }
            if planted.is_dir() {
                std::fs::remove_dir_all(&planted).unwrap();
            } else if planted.exists() {
                std::fs::remove_file(&planted).unwrap();
            }
            if !link(&victim, &planted, is_dir) {
                return;
            }
            let ini = env.bytes();
            let attack = format!("{name} -> victim (dangling: {dangling})");
            for args in [
                &["enable", "smtp-inbound", "--for", "1h"][..],
                &["revert"],
                &["extend", "--for", "2h"],
            ] {
                let out = env.run(args);
                assert_eq!(
                    out.status.code(),
                    Some(3),
                    "{attack}: {args:?}: {}",
                    stderr(&out)
                );
                let err = stderr(&out).replace('\\', "/");
                assert!(
                    err.contains("symbolic link")
                        && err.contains(&planted.display().to_string().replace('\\', "/")),
                    "{attack}: {args:?}: {err}"
                );
            }
            assert!(env.bytes() == ini, "{attack}: notes.ini changed");
            let kept = if is_dir {
                std::fs::read_dir(&victim).map(|d| d.count()).unwrap_or(0) == usize::from(!dangling)
                    && (dangling || std::fs::read(victim.join("keep")).unwrap() == b"victim\n")
            } else if dangling {
                !victim.exists()
            } else {
                std::fs::read(&victim).unwrap() == b"victim\n"
            };
            assert!(kept, "{attack}: what the link points at was touched");
        }
    }
}

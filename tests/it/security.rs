//! The trust boundary (docs/reliability.md, "Trust model"): dbgini runs as root over a data
//! directory that the Domino user owns. Each test plants an attack as that user (`nobody`, through
//! `setpriv`), runs the root commands against it, and checks that root did nothing the user could
//! not have done: the victim files keep their bytes, owner and mode, nothing new appears outside
//! the target's own folders, and dbgini refuses with exit 3 and a message naming the path.
//!
//! They need root and setpriv (CI has both); elsewhere they say why they skipped.

use std::io::BufRead;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::util::{Env, is_root, prod_with_data_dir, stderr, stdout};

const NOBODY: u32 = 65534;

/// A notes-owned server data directory (owned by `nobody`), managed by root, with a root-owned
/// directory of victims beside it that `nobody` may look into but not change.
struct Server {
    env: Env,
    data: PathBuf,
    original: Vec<u8>,
    victims: PathBuf,
    secret: PathBuf,
}

impl Server {
    /// `None` (with the reason printed) where the tests cannot run.
    fn new() -> Option<Server> {
        if !is_root() {
            eprintln!("skipped: needs root to act as another user (CI runs as root)");
            return None;
        }
        if Command::new("setpriv").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "setpriv (util-linux) is missing in CI"
            );
            eprintln!("skipped: no setpriv (util-linux) to act as another user");
            return None;
        }
        let env = Env::new(b"");
        let data = env.ini.parent().unwrap().to_path_buf();
        let original = prod_with_data_dir(&data);
        std::fs::write(&env.ini, &original).unwrap();
        std::fs::create_dir(data.join("IBM_TECHNICAL_SUPPORT")).unwrap();
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        for p in [
            data.clone(),
            data.join("notes.ini"),
            data.join("IBM_TECHNICAL_SUPPORT"),
        ] {
            std::os::unix::fs::chown(&p, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let victims = env.dir.path().join("victims");
        std::fs::create_dir(&victims).unwrap();
        std::fs::set_permissions(&victims, std::fs::Permissions::from_mode(0o755)).unwrap();
        let secret = victims.join("secret");
        std::fs::write(&secret, b"TOP SECRET root data\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(victims.join("public"), b"[Notes]\nroot's own file\n").unwrap();
        Some(Server {
            env,
            data,
            original,
            victims,
            secret,
        })
    }

    /// The state folder.
    fn state(&self) -> PathBuf {
        self.data.join(".dbgini/notes.ini")
    }

    /// Runs a command as `nobody` and asserts it worked (the attacker's own actions).
    fn as_nobody(&self, program: &str, args: &[&str]) {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", program])
            .args(args)
            .current_dir(&self.data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "as nobody: {program} {args:?}: {}",
            stderr(&out)
        );
    }

    /// Replaces `path` (as nobody) with a symbolic link to `to`.
    fn plant_link(&self, path: &Path, to: &Path) {
        self.as_nobody("rm", &["-rf", path.to_str().unwrap()]);
        self.as_nobody("ln", &["-s", to.to_str().unwrap(), path.to_str().unwrap()]);
    }

    /// Every victim: name, bytes, owner, group, mode; and the names in the victims' directory.
    fn victims(&self) -> Vec<(String, Vec<u8>, u32, u32, u32)> {
        let mut out: Vec<_> = std::fs::read_dir(&self.victims)
            .unwrap()
            .flatten()
            .map(|e| {
                let m = std::fs::symlink_metadata(e.path()).unwrap();
                let bytes = if m.is_file() {
                    std::fs::read(e.path()).unwrap()
                } else {
                    Vec::new()
                };
                (
                    e.file_name().to_string_lossy().into_owned(),
                    bytes,
                    m.uid(),
                    m.gid(),
                    m.mode(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// dbgini as root at `at`.
    fn root(&self, at: &str, args: &[&str]) -> Output {
        self.env.at(at).args(args).output().unwrap()
    }
}

const T0: &str = "2026-11-30T12:00:00Z";
const LATER: &str = "2026-11-30T12:30:00Z";
/// After the 1h lease of the setup has expired.
const EXPIRED: &str = "2026-11-30T14:00:00Z";

/// Runs `watch` until it has logged a line about the target, then stops it: one pass.
fn watch_one_pass(s: &Server) -> String {
    let mut child = s
        .env
        .at(LATER)
        .args(["watch", "--poll", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The first line announces what is watched; the pass's own lines follow.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    let found = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("error:") => break Some(line),
            Ok(line) => seen.push(line),
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    found.unwrap_or_else(|| panic!("watch logged no error within a minute: {seen:?}"))
}

/// Every root command a planted state folder could steer, each asserted to refuse (exit 3, the
/// path named) and to leave the victims as they were.
fn assert_root_refuses(s: &Server, attack: &str, planted: &Path, what: &str) {
    let before = s.victims();
    let bundle = s.env.dir.path().join(format!("{attack}.tar.gz"));
    let runs: Vec<(&str, Vec<&str>, &str)> = vec![
        ("status", vec!["status"], LATER),
        ("enable", vec!["enable", "smtp-inbound"], LATER),
        ("revert", vec!["revert"], LATER),
        (
            "expire --all-targets",
            vec!["expire", "--all-targets"],
            EXPIRED,
        ),
        ("doctor", vec!["doctor"], LATER),
        (
            "bundle",
            vec!["bundle", "-o", bundle.to_str().unwrap()],
            LATER,
        ),
    ];
    for (name, args, at) in runs {
        let out = s.root(at, &args);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{attack}: root `{name}` did not refuse:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            said.contains(&planted.display().to_string()) && said.contains(what),
            "{attack}: root `{name}` did not name {} as {what}:\n{said}",
            planted.display()
        );
        assert!(
            s.victims() == before,
            "{attack}: root `{name}` touched a victim"
        );
        assert!(!bundle.exists(), "{attack}: root `{name}` wrote a bundle");
    }
    let line = watch_one_pass(s);
    assert!(
        line.contains("error:") && line.contains(&planted.display().to_string()),
        "{attack}: watch: {line}"
    );
    assert!(s.victims() == before, "{attack}: watch touched a victim");
}

#[test]
fn links_planted_in_the_state_folder_are_never_followed_by_root() {
    let Some(probe) = Server::new() else { return };
    drop(probe);
    let files = [
        "lock",
        "state.toml",
        "state.toml.a",
        "state.toml.b",
        "pending.0",
        "pending.1",
        "audit.jsonl",
        "ended.jsonl",
    ];
    for name in files {
        for dangling in [false, true] {
            let s = Server::new().unwrap();
            assert!(
                s.root(T0, &["enable", "router", "--for", "1h"])
                    .status
                    .success()
            );
            let planted = s.state().join(name);
            // An existing root file, or one root would create (owned by nobody, in a root tree).
            let to = if dangling {
                s.victims.join("created-by-root")
            } else {
                s.secret.clone()
            };
            s.plant_link(&planted, &to);
            let attack = format!("{name} -> {}", to.display());
            assert_root_refuses(&s, &attack, &planted, "is a symbolic link");
            assert!(!s.victims.join("created-by-root").exists(), "{attack}");
            // The server's file is as dbgini left it: only the lease's own change.
            assert!(
                String::from_utf8_lossy(&std::fs::read(&s.env.ini).unwrap())
                    .contains("DebugRouter=3"),
                "{attack}"
            );
        }
    }
}

#[test]
fn linked_directories_in_the_state_folder_are_never_followed_by_root() {
    let Some(probe) = Server::new() else { return };
    drop(probe);
    for which in [".dbgini", ".dbgini/notes.ini", ".dbgini/notes.ini/backups"] {
        let s = Server::new().unwrap();
        assert!(
            s.root(T0, &["enable", "router", "--for", "1h"])
                .status
                .success()
        );
        let planted = s.data.join(which);
        s.plant_link(&planted, &s.victims);
        assert_root_refuses(&s, which, &planted, "is a symbolic link");
    }
}

#[test]
fn a_hard_link_to_a_root_file_in_the_state_folder_is_refused() {
    // The kernel's fs.protected_hardlinks stops nobody from linking a root file here; on a system
    // without it they could, so root plants the link in their stead.
    let Some(s) = Server::new() else { return };
    assert!(
        s.root(T0, &["enable", "router", "--for", "1h"])
            .status
            .success()
    );
    let planted = s.state().join("audit.jsonl");
    std::fs::remove_file(&planted).unwrap();
    std::fs::hard_link(&s.secret, &planted).unwrap();
    assert_root_refuses(
        &s,
        "hard link",
        &planted,
        "belongs to uid 0, but everything dbgini keeps for this notes.ini belongs to its owner, uid 65534",
    );
}

#[test]
fn bundle_packs_nothing_the_domino_user_could_not_read_and_keeps_the_archive_for_root() {
    let Some(s) = Server::new() else { return };
    assert!(
        s.root(T0, &["enable", "router", "--for", "1h"])
            .status
            .success()
    );
    // The debug output is a link to a secret.
    let outfile = s.data.join("IBM_TECHNICAL_SUPPORT/console.log");
    s.plant_link(&outfile, &s.secret);
    // A folder nobody owns, where they asked for the archive.
    let drop_box = s.env.dir.path().join("dropbox");
    std::fs::create_dir(&drop_box).unwrap();
    std::os::unix::fs::chown(&drop_box, Some(NOBODY), Some(NOBODY)).unwrap();
    let archive = drop_box.join("case.tar.gz");
    let out = s.root(LATER, &["bundle", "-o", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{} was not packed", outfile.display())),
        "{}",
        stderr(&out)
    );
    let unpacked = Command::new("tar")
        .arg("-xOzf")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&unpacked.stdout).contains("TOP SECRET"));
    let m = std::fs::metadata(&archive).unwrap();
    assert_eq!(
        (m.uid(), m.mode() & 0o777),
        (0, 0o600),
        "the archive was given away"
    );

    // A guard path edited into the state names the secret directly: root may read it, nobody may not.
    std::fs::remove_file(&archive).unwrap();
    let state = s.state().join("state.toml");
    let text = std::fs::read_to_string(&state).unwrap();
    let edited = text.replace(
        &outfile.display().to_string(),
        &s.secret.display().to_string(),
    );
    assert_ne!(text, edited, "the state names no guard path");
    let script = format!(
        "printf '%s' \"$1\" > {}.new && mv {}.new {}",
        state.display(),
        state.display(),
        state.display()
    );
    s.as_nobody("sh", &["-c", &script, "sh", &edited]);
    let before = s.victims();
    let out = s.root(LATER, &["bundle", "-o", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("that user may not read it"),
        "{}",
        stderr(&out)
    );
    let unpacked = Command::new("tar")
        .arg("-xOzf")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&unpacked.stdout).contains("TOP SECRET"));
    assert!(s.victims() == before);
}

#[test]
fn bundle_never_replaces_a_link_or_device_and_writes_to_stdout_with_a_dash() {
    let Some(s) = Server::new() else { return };
    assert!(
        s.root(T0, &["enable", "router", "--for", "1h"])
            .status
            .success()
    );
    let link = s.data.join("bundle.tar.gz");
    s.plant_link(&link, &s.secret);
    let before = s.victims();
    for dest in [link.as_path(), Path::new("/dev/null")] {
        let out = s.root(LATER, &["bundle", "-o", dest.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(
            stderr(&out)
                .contains("dbgini writes only regular files and never replaces anything else"),
            "{}",
            stderr(&out)
        );
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device_like()
    );
    assert!(s.victims() == before);
    let out = s.root(LATER, &["bundle", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout[..2], [0x1f, 0x8b], "not a gzip stream on stdout");
    let out = s.root(LATER, &["--json", "bundle", "-o", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// `FileType::is_char_device` through a small extension, so the assertion reads plainly.
trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_char_device(self)
    }
}

#[test]
fn create_dirs_never_creates_inside_a_root_owned_tree() {
    let Some(s) = Server::new() else { return };
    // The Domino user points the console log into root's tree (they may edit notes.ini).
    let wanted = s.victims.join("new/sub/out.txt");
    let mut text = String::from_utf8(s.original.clone()).unwrap();
    text.push_str(&format!("debug_outfile={}\n", wanted.display()));
    let script = format!("printf '%s' \"$1\" > {}", s.env.ini.display());
    s.as_nobody("sh", &["-c", &script, "sh", &text]);
    let file = std::fs::read(&s.env.ini).unwrap();
    let before = s.victims();
    let out = s.root(T0, &["enable", "router", "--create-dirs"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the owner of notes.ini (uid 65534) may not create"),
        "{}",
        stderr(&out)
    );
    assert!(
        s.victims() == before,
        "a directory was created in root's tree"
    );
    assert_eq!(std::fs::read(&s.env.ini).unwrap(), file);

    // Where that user may create it, it is created, and belongs to them.
    let mut text = String::from_utf8(s.original.clone()).unwrap();
    let own = s.data.join("debug/sub/out.txt");
    text.push_str(&format!("debug_outfile={}\n", own.display()));
    s.as_nobody("sh", &["-c", &script, "sh", &text]);
    let out = s.root(T0, &["enable", "router", "--create-dirs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for d in [s.data.join("debug"), s.data.join("debug/sub")] {
        assert_eq!(
            std::fs::metadata(&d).unwrap().uid(),
            NOBODY,
            "{}",
            d.display()
        );
    }
}

#[test]
fn a_notes_ini_link_is_followed_only_when_root_or_the_files_owner_made_it() {
    let Some(s) = Server::new() else { return };
    // nobody links a notes.ini of their own to root's file.
    let link = s.data.join("other.ini");
    s.plant_link(&link, &s.victims.join("public"));
    let before = s.victims();
    let out = s
        .env
        .bare()
        .arg("--ini")
        .arg(&link)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symbolic link made by uid 65534, who does not own"),
        "{}",
        stderr(&out)
    );
    assert!(s.victims() == before);
    assert!(!s.victims.join(".dbgini").exists());

    // Their link to their own file, in their own directory, is followed.
    s.plant_link(&link, &s.env.ini);
    let out = s
        .env
        .bare()
        .arg("--ini")
        .arg(&link)
        .args(["enable", "router"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&std::fs::read(&s.env.ini).unwrap()).contains("DebugRouter=3"));
}

#[test]
fn domino_unit_names_cannot_leave_the_unit_directory() {
    let env = Env::new(b"[Notes]\n");
    let root = env.dir.path().join("sysroot");
    for bad in ["../../../../x", "", "a/b", "domino.timer"] {
        let out = env
            .bare()
            .args([
                "schedule",
                "install",
                "--systemd",
                "--domino-unit",
                bad,
                "--root",
            ])
            .arg(&root)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(!root.exists(), "{bad:?} wrote something");
    }
    // A name without a suffix becomes a service; a unit that is not installed gets a warning.
    let out = env
        .bare()
        .args([
            "schedule",
            "install",
            "--systemd",
            "--domino-unit",
            "domino",
            "--root",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        root.join("etc/systemd/system/domino.service.d/dbgini-expire.conf")
            .is_file()
    );
    assert!(
        stderr(&out).contains("no unit domino.service was found"),
        "{}",
        stderr(&out)
    );
    std::fs::create_dir_all(root.join("usr/lib/systemd/system")).unwrap();
    std::fs::write(
        root.join("usr/lib/systemd/system/domino.service"),
        b"[Service]\n",
    )
    .unwrap();
    let out = env
        .bare()
        .args(["schedule", "install", "--systemd", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("no unit"), "{}", stderr(&out));
}

#[test]
fn schedule_never_replaces_a_link_where_a_unit_goes() {
    let env = Env::new(b"[Notes]\n");
    let root = env.dir.path().join("sysroot");
    let dir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    let target = env.dir.path().join("elsewhere");
    std::fs::write(&target, b"keep\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("dbgini-expire.timer")).unwrap();
    let out = env
        .bare()
        .args(["schedule", "install", "--systemd", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(dir.join("dbgini-expire.timer"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep\n");
}

#[test]
fn root_manages_a_notes_owned_server_and_every_file_stays_the_domino_users() {
    let Some(s) = Server::new() else { return };
    let out = s.root(
        T0,
        &["enable", "router", "--for", "1h", "--reason", "case 1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = s.root(T0, &["enable", "smtp-inbound", "--for", "2h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Domino (nobody) writes debug output.
    let outfile = s.data.join("IBM_TECHNICAL_SUPPORT/console.log");
    let script = format!("printf 'router said hello\\n' >> {}", outfile.display());
    s.as_nobody("sh", &["-c", &script]);
    let archive = s.env.dir.path().join("case.tar.gz");
    let out = s.root(
        LATER,
        &["bundle", "router", "-o", archive.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let unpacked = Command::new("tar")
        .arg("-xOzf")
        .arg(&archive)
        .arg("dbgini-bundle/files/console.log")
        .output()
        .unwrap();
    assert_eq!(unpacked.stdout, b"router said hello\n");
    // The timer, after the first lease expired, then after the second.
    let out = s.root("2026-11-30T13:30:00Z", &["expire", "--all-targets"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("reverted 1 expired lease"),
        "{}",
        stderr(&out)
    );
    let out = s.root("2026-11-30T15:00:00Z", &["expire", "--all-targets"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&s.env.ini).unwrap(), s.original);
    // Everything dbgini made beside notes.ini belongs to the Domino user, as notes.ini does.
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            out.push(e.path());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            }
        }
    }
    let mut all = Vec::new();
    walk(&s.data, &mut all);
    assert!(all.iter().any(|p| p.ends_with("state.toml")));
    assert!(
        all.iter()
            .any(|p| p.to_string_lossy().contains("/backups/"))
    );
    for p in all {
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert_eq!((m.uid(), m.gid()), (NOBODY, NOBODY), "{}", p.display());
        assert_eq!(m.mode() & 0o022, 0, "{} is writable by others", p.display());
    }
}

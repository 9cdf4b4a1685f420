//! `dbgini schedule install|uninstall|status`: the enforcement that makes every lease expire even
//! when nobody runs dbgini again.
//!
//! systemd: `dbgini-expire.service` + `dbgini-expire.timer` (every minute, `Persistent=true`, so a
//! run missed while the machine was off happens at boot) and a drop-in for the Domino unit whose
//! `ExecStartPre=` runs `dbgini expire --all-targets`, so an expired setting is reverted before
//! Domino reads notes.ini. Without systemd: `/etc/cron.d/dbgini-expire` (every minute and
//! `@reboot`). The same texts are shipped in `contrib/`.

use std::path::{Path, PathBuf};

use super::Context;
use crate::atomic::{self, Perms};
use crate::cli::ScheduleAction;
use crate::error::{Error, Result};
use crate::outcome::{Schedule, ScheduleFile};

/// What `schedule` is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Install, uninstall or status.
    pub action: ScheduleAction,
    /// `--systemd` or `--cron`; else whichever this machine runs.
    pub kind: Option<Kind>,
    /// `--domino-unit`, a checked service unit name.
    pub domino_unit: String,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--root`.
    pub root: Option<PathBuf>,
}

/// Where the timer unit goes.
pub const TIMER: &str = "etc/systemd/system/dbgini-expire.timer";
/// Where the service unit goes.
pub const SERVICE: &str = "etc/systemd/system/dbgini-expire.service";
/// Where the cron entry goes.
pub const CRON: &str = "etc/cron.d/dbgini-expire";

/// Which mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// systemd timer.
    Systemd,
    /// cron.d entry.
    Cron,
}

/// The systemd files (paths relative to the root), calling dbgini at `exe`.
pub fn systemd_files(exe: &str, domino_unit: &str) -> Vec<(PathBuf, String)> {
    let service = format!(
        "# Installed by `dbgini schedule install`. Reverts expired dbgini leases in notes.ini files.\n\
[Unit]\n\
Description=Revert expired dbgini debug leases in Domino notes.ini files\n\
After=local-fs.target\n\
\n\
[Service]\n\
Type=oneshot\n\
ExecStart={exe} --quiet expire --all-targets\n"
    );
    let timer = "# Installed by `dbgini schedule install`. Persistent=true catches up on a run missed while the machine was off.\n\
[Unit]\n\
Description=Revert expired dbgini debug leases every minute\n\
\n\
[Timer]\n\
OnCalendar=minutely\n\
AccuracySec=5s\n\
Persistent=true\n\
\n\
[Install]\n\
WantedBy=timers.target\n"
        .to_string();
    let dropin = format!(
        "# Installed by `dbgini schedule install`: revert expired debug settings before Domino reads notes.ini.\n\
# '-' lets Domino start even if dbgini fails; '+' runs it with full privileges whatever User= says.\n\
[Service]\n\
ExecStartPre=-+{exe} --quiet expire --all-targets\n"
    );
    vec![
        (PathBuf::from(SERVICE), service),
        (PathBuf::from(TIMER), timer),
        (dropin_path(domino_unit), dropin),
    ]
}

/// The drop-in for the Domino unit.
pub fn dropin_path(domino_unit: &str) -> PathBuf {
    PathBuf::from(format!(
        "etc/systemd/system/{domino_unit}.d/dbgini-expire.conf"
    ))
}

/// The cron file, calling dbgini at `exe`.
pub fn cron_files(exe: &str) -> Vec<(PathBuf, String)> {
    let text = format!(
        "# Installed by `dbgini schedule install --cron`: revert expired dbgini leases every minute and at boot.\n\
# @reboot runs when cron starts, which may be after Domino: prefer the systemd timer where there is one.\n\
SHELL=/bin/sh\n\
PATH=/usr/sbin:/usr/bin:/sbin:/bin\n\
* * * * * root {exe} --quiet expire --all-targets\n\
@reboot root {exe} --quiet expire --all-targets\n"
    );
    vec![(PathBuf::from(CRON), text)]
}

/// Whether a timer or cron entry is installed on this system.
pub fn enforcement_installed(ctx: &Context) -> bool {
    [TIMER, CRON]
        .iter()
        .any(|p| ctx.system_root.join(p).exists())
}

fn kind(asked: Option<Kind>, root: &Path) -> Kind {
    match asked {
        Some(k) => k,
        None if root.join("run/systemd/system").is_dir() => Kind::Systemd,
        None => Kind::Cron,
    }
}

/// Where a package installs dbgini: units and cron entries call it there when it exists, whichever
/// copy runs `schedule install` (a newer one being tried from /tmp must not become the timer's).
pub const PACKAGED: &str = "usr/bin/dbgini";

fn exe_text(ctx: &Context) -> Result<String> {
    let packaged = ctx.system_root.join(PACKAGED);
    let exe = if packaged.is_file() {
        Path::new("/").join(PACKAGED).display().to_string()
    } else {
        ctx.exe.display().to_string()
    };
    if !Path::new(&exe).is_absolute() || exe.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(Error::invalid(
            format!("dbgini runs from {exe}, which a unit file or crontab cannot name safely"),
            "install dbgini to a path without spaces, e.g. /usr/local/bin/dbgini, and run it from there",
        ));
    }
    Ok(exe)
}

/// The path of dbgini the files call, when it looks temporary: a cargo build directory, or a
/// temp directory.
fn temporary(files: &[(PathBuf, String)]) -> Option<String> {
    let exe = files
        .iter()
        .flat_map(|(_, text)| text.split_whitespace())
        .find(|w| w.starts_with('/') && w.ends_with("/dbgini"))?;
    let temp = ["/tmp/", "/var/tmp/", "/dev/shm/"]
        .iter()
        .any(|t| exe.starts_with(t))
        || exe.contains("/target/debug/")
        || exe.contains("/target/release/");
    temp.then(|| exe.to_string())
}

/// Runs a program without a shell; a failure is an error naming the command.
fn run_cmd(program: &str, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| Error::io("run", program, e))?;
    if !out.status.success() {
        return Err(Error::invalid(
            format!(
                "`{program} {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            "fix what it says, then run `dbgini schedule install` again",
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn owner_of(dir: &Path) -> Perms {
    let mut d = dir;
    while !d.exists() {
        d = d.parent().unwrap_or(Path::new("/"));
    }
    std::fs::metadata(d).map_or(
        Perms {
            mode: 0o644,
            uid: 0,
            gid: 0,
        },
        |m| Perms {
            mode: 0o644,
            ..Perms::of(&m)
        },
    )
}

/// Whether a unit file named `unit` is installed below `root` (where systemd looks for units).
fn unit_exists(root: &Path, unit: &str) -> bool {
    [
        "etc/systemd/system",
        "run/systemd/system",
        "usr/lib/systemd/system",
        "lib/systemd/system",
    ]
    .iter()
    .any(|d| root.join(d).join(unit).exists())
}

/// The kind of enforcement installed below `root`: systemd when its timer is there, else cron when
/// its entry is, else none.
fn installed_kind(ctx: &Context, root: &Path, domino_unit: &str) -> Result<Option<Kind>> {
    let exe = exe_text(ctx)?;
    let all_there =
        |files: Vec<(PathBuf, String)>| files.iter().all(|(rel, _)| root.join(rel).exists());
    Ok(
        if root.join(TIMER).exists() || all_there(systemd_files(&exe, domino_unit)) {
            Some(Kind::Systemd)
        } else if all_there(cron_files(&exe)) {
            Some(Kind::Cron)
        } else {
            None
        },
    )
}

/// Runs `schedule`.
pub fn schedule(ctx: &Context, args: &Options) -> Result<Schedule> {
    let root = args.root.clone().unwrap_or_else(|| ctx.system_root.clone());
    let live = args.root.is_none() && ctx.system_root == Path::new("/");
    let kind = match (args.action, args.kind) {
        // Status reads what is there, of either kind, before guessing what this machine would use.
        (ScheduleAction::Status, None) => {
            installed_kind(ctx, &root, &args.domino_unit)?.unwrap_or_else(|| kind(None, &root))
        }
        (_, asked) => kind(asked, &root),
    };
    let files = match kind {
        Kind::Systemd => systemd_files(&exe_text(ctx)?, &args.domino_unit),
        Kind::Cron => cron_files(&exe_text(ctx)?),
    };
    let kind_name = if kind == Kind::Systemd {
        "systemd"
    } else {
        "cron"
    };
    let mut changed = false;
    let mut timer = None;
    let msg = match args.action {
        ScheduleAction::Install => {
            for (rel, text) in &files {
                let path = root.join(rel);
                if args.dry_run || std::fs::read_to_string(&path).is_ok_and(|t| &t == text) {
                    continue;
                }
                let dir = path.parent().unwrap_or(Path::new("/"));
                let perms = owner_of(dir);
                std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
                atomic::write(&path, text.as_bytes(), perms)?;
                ctx.ui.status(format!("wrote {}", path.display()));
                changed = true;
            }
            if let Some(exe) = temporary(&files) {
                ctx.ui.warning(format!(
                    "the {kind_name} files call dbgini at {exe}, which looks temporary (a build directory or a temp directory): when it is gone, nothing reverts expired leases; install dbgini (the package, or /usr/local/bin/dbgini) and run schedule install again from there"
                ));
            }
            if kind == Kind::Systemd && !unit_exists(&root, &args.domino_unit) {
                ctx.ui.warning(format!(
                    "no unit {unit} was found under {}: the drop-in takes effect only if Domino is started by a unit of that name; find it with `systemctl list-unit-files '*domino*'` and pass --domino-unit NAME",
                    root.join("etc/systemd/system").display(),
                    unit = args.domino_unit
                ));
            }
            if live && kind == Kind::Systemd && !args.dry_run {
                run_cmd("systemctl", &["daemon-reload"])?;
                run_cmd("systemctl", &["enable", "--now", "dbgini-expire.timer"])?;
                ctx.ui.status("enabled and started dbgini-expire.timer");
            }
            if args.dry_run {
                format!("dry run: these {kind_name} files would be written; nothing was written")
            } else if changed {
                format!(
                    "expiry enforcement installed ({kind_name}): expired leases are reverted every minute and at boot"
                )
            } else {
                format!("expiry enforcement was already installed ({kind_name}); nothing changed")
            }
        }
        ScheduleAction::Uninstall => {
            if live && !args.dry_run && root.join(TIMER).exists() {
                run_cmd("systemctl", &["disable", "--now", "dbgini-expire.timer"])?;
            }
            // What either kind of install made, whichever kind this machine would use now.
            let exe = exe_text(ctx)?;
            let made: Vec<PathBuf> = systemd_files(&exe, &args.domino_unit)
                .into_iter()
                .chain(cron_files(&exe))
                .map(|(rel, _)| rel)
                .collect();
            for rel in &made {
                let path = root.join(rel);
                if path.exists() {
                    if !args.dry_run {
                        std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
                    }
                    ctx.ui.status(format!(
                        "{} {}",
                        if args.dry_run {
                            "would remove"
                        } else {
                            "removed"
                        },
                        path.display()
                    ));
                    changed = true;
                }
            }
            if live && !args.dry_run && changed && root.join("run/systemd/system").is_dir() {
                run_cmd("systemctl", &["daemon-reload"])?;
            }
            ctx.ui.warning(
                "without enforcement, leases expire only when dbgini next runs on this server",
            );
            if changed {
                format!("{kind_name} expiry enforcement removed")
            } else {
                format!("no {kind_name} expiry enforcement was installed; nothing changed")
            }
        }
        ScheduleAction::Status => {
            if live && kind == Kind::Systemd {
                timer = Some(
                    std::process::Command::new("systemctl")
                        .args(["is-active", "dbgini-expire.timer"])
                        .output()
                        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                        .unwrap_or_else(|e| format!("unknown ({e})")),
                );
            }
            if files.iter().all(|(rel, _)| root.join(rel).exists()) {
                format!("expiry enforcement is installed ({kind_name})")
            } else {
                format!(
                    "expiry enforcement is not (fully) installed ({kind_name}); run `dbgini schedule install`"
                )
            }
        }
    };
    if changed && !args.dry_run {
        ctx.ui.file_changed();
    }
    ctx.ui.status(msg.clone());
    Ok(Schedule {
        action: match args.action {
            ScheduleAction::Install => "install",
            ScheduleAction::Uninstall => "uninstall",
            ScheduleAction::Status => "status",
        }
        .into(),
        dry_run: args.dry_run,
        kind: kind_name.into(),
        files: files
            .into_iter()
            .map(|(rel, content)| ScheduleFile {
                present: root.join(&rel).exists(),
                path: root.join(&rel),
                system_path: Path::new("/").join(&rel),
                content,
            })
            .collect(),
        timer,
        msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrib_files_are_what_schedule_writes() {
        let exe = "/usr/local/bin/dbgini";
        let shipped = [
            ("contrib/systemd/dbgini-expire.service", SERVICE),
            ("contrib/systemd/dbgini-expire.timer", TIMER),
            (
                "contrib/systemd/domino.service.d/dbgini-expire.conf",
                "etc/systemd/system/domino.service.d/dbgini-expire.conf",
            ),
            ("contrib/cron/dbgini-expire", CRON),
        ];
        let generated: Vec<_> = systemd_files(exe, "domino.service")
            .into_iter()
            .chain(cron_files(exe))
            .collect();
        for (file, rel) in shipped {
            let text =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
            let (_, want) = generated.iter().find(|(p, _)| p == Path::new(rel)).unwrap();
            assert_eq!(
                &text, want,
                "{file} differs from what `dbgini schedule install` writes"
            );
        }
    }
}

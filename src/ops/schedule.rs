//! `dbgini schedule install|uninstall|status`: the enforcement that makes every lease expire even
//! when nobody runs dbgini again.
//!
//! systemd: `dbgini-expire.service` + `dbgini-expire.timer` (every minute, `Persistent=true`, so a
//! run missed while the machine was off happens at boot) and a drop-in for the Domino unit whose
//! `ExecStartPre=` runs `dbgini expire --all-targets`, so an expired setting is reverted before
//! Domino reads notes.ini. Without systemd: `/etc/cron.d/dbgini-expire` (every minute and
//! `@reboot`). The same texts are shipped in `contrib/`.
//!
//! Windows: a Task Scheduler task, `\dbgini\dbgini-expire` (every minute, at start-up, missed runs
//! caught up, as SYSTEM or the account `--task-user` names), registered with `schtasks /Create /XML` from a generated task definition
//! kept in `%ProgramData%\dbgini\dbgini-expire.xml` (UTF-16, as Task Scheduler exports it).

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
    /// `--task-user`: the account the scheduled task runs as, instead of SYSTEM.
    pub task_user: Option<String>,
}

/// Where the timer unit goes.
pub const TIMER: &str = "etc/systemd/system/dbgini-expire.timer";
/// Where the service unit goes.
pub const SERVICE: &str = "etc/systemd/system/dbgini-expire.service";
/// Where the cron entry goes.
pub const CRON: &str = "etc/cron.d/dbgini-expire";
/// Where the Task Scheduler definition goes (below the system drive on Windows).
pub const TASK_XML: &str = "ProgramData/dbgini/dbgini-expire.xml";
/// The Task Scheduler task's name (path).
pub const TASK_NAME: &str = r"\dbgini\dbgini-expire";

/// Which mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// systemd timer.
    Systemd,
    /// cron.d entry.
    Cron,
    /// Windows Task Scheduler task.
    TaskScheduler,
}

impl Kind {
    /// `systemd`, `cron` or `task-scheduler`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Systemd => "systemd",
            Kind::Cron => "cron",
            Kind::TaskScheduler => "task-scheduler",
        }
    }
}

/// Who may install enforcement on this system, as messages say it: `as root`, `as Administrator`.
pub const AS_ADMIN: &str = if cfg!(windows) {
    "as Administrator"
} else {
    "as root"
};

/// What enforcement is called on this system: a timer (systemd or cron), a scheduled task.
pub const ENFORCER: &str = if cfg!(windows) {
    "a scheduled task"
} else {
    "a timer"
};

/// `rel` (written with `/`) below `root`, with this system's separators.
fn under(root: &Path, rel: impl AsRef<Path>) -> PathBuf {
    root.join(rel.as_ref().iter().collect::<PathBuf>())
}

/// Escapes text for XML element content.
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Task Scheduler definition (path relative to the root), calling dbgini at `exe` (a path that
/// may hold spaces: `Command` holds it alone, unquoted). Every minute from a fixed start, at
/// start-up, and as soon as possible after a missed run; as SYSTEM (S-1-5-18), or as `user`
/// (a checked [`task_user`]) with the S4U logon: it runs whether or not that user is logged on
/// and Windows keeps no password (the task needs no network share); one instance at a time;
/// stopped after 10 minutes.
pub fn task_files(exe: &str, user: Option<&str>) -> Vec<(PathBuf, String)> {
    let principal = match user {
        None => "<UserId>S-1-5-18</UserId>".to_string(),
        Some(user) => format!(
            "<UserId>{}</UserId>\n      <LogonType>S4U</LogonType>",
            xml_text(user)
        ),
    };
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Author>dbgini</Author>
    <Description>Reverts expired dbgini debug leases in HCL Domino notes.ini files, every minute and at start-up.</Description>
    <URI>{name}</URI>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Enabled>true</Enabled>
    </BootTrigger>
    <TimeTrigger>
      <Repetition>
        <Interval>PT1M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
      <StartBoundary>2000-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="Enforcer">
      {principal}
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT10M</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Enforcer">
    <Exec>
      <Command>{exe}</Command>
      <Arguments>--quiet expire --all-targets</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
        name = xml_text(TASK_NAME),
        exe = xml_text(exe)
    );
    vec![(PathBuf::from(TASK_XML), text)]
}

/// A file's bytes as written: the task definition in UTF-16LE with a byte order mark (what
/// `schtasks /XML` reads and Task Scheduler exports), everything else as it is.
pub fn encoded(rel: &Path, text: &str) -> Vec<u8> {
    if rel.extension().is_some_and(|e| e == "xml") {
        let mut out = vec![0xFF, 0xFE];
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    } else {
        text.as_bytes().to_vec()
    }
}

/// Checks the account `--task-user` names (`NAME`, `DOMAIN\\NAME` or `NAME@DOMAIN`): one line
/// of printable characters, without the characters Windows refuses in account names.
pub fn task_user(s: &str) -> std::result::Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 256 {
        return Err("an account name is 1 to 256 characters".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() || "\"/[]:;|=,+*?<>".contains(*c))
    {
        return Err(format!(
            "{c:?} cannot be part of a Windows account name; give NAME, DOMAIN\\NAME or NAME@DOMAIN"
        ));
    }
    Ok(s.to_string())
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
    [TIMER, CRON, TASK_XML]
        .iter()
        .any(|p| system_root(ctx).join(p).exists())
}

/// The root the files go below: `/` (the system drive on Windows), or `DBGINI_SYSTEM_ROOT`.
fn system_root(ctx: &Context) -> PathBuf {
    if cfg!(windows) && ctx.system_root == Path::new("/") {
        let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
        PathBuf::from(format!("{drive}\\"))
    } else {
        ctx.system_root.clone()
    }
}

fn kind(asked: Option<Kind>, root: &Path) -> Kind {
    match asked {
        Some(k) => k,
        None if cfg!(windows) => Kind::TaskScheduler,
        None if root.join("run/systemd/system").is_dir() => Kind::Systemd,
        None => Kind::Cron,
    }
}

/// The path of dbgini that enforcement of `kind` calls: [`exe_text`], or for Task Scheduler
/// [`task_exe`].
fn exe_for(ctx: &Context, kind: Kind) -> Result<String> {
    match kind {
        Kind::Systemd | Kind::Cron => exe_text(ctx),
        Kind::TaskScheduler => task_exe(ctx),
    }
}

/// The files of `kind`, calling dbgini at [`exe_for`].
fn files_of(ctx: &Context, kind: Kind, args: &Options) -> Result<Vec<(PathBuf, String)>> {
    let exe = exe_for(ctx, kind)?;
    Ok(match kind {
        Kind::Systemd => systemd_files(&exe, &args.domino_unit),
        Kind::Cron => cron_files(&exe),
        Kind::TaskScheduler => task_files(&exe, args.task_user.as_deref()),
    })
}

/// dbgini's path for a Task Scheduler action: absolute; spaces are fine (the XML holds it alone),
/// control characters and quotes are not.
fn task_exe(ctx: &Context) -> Result<String> {
    let exe = ctx.exe.display().to_string();
    if !ctx.exe.is_absolute() || exe.chars().any(|c| c.is_control() || c == '"') {
        return Err(Error::invalid(
            format!("dbgini runs from {exe}, which a scheduled task cannot name safely"),
            r"install dbgini to a plain path, e.g. C:\Program Files\dbgini\dbgini.exe, and run it from there",
        ));
    }
    Ok(exe)
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

/// Whether the path of dbgini that enforcement would call looks temporary: a cargo build
/// directory, or a temp directory (Unix or Windows).
fn temporary(exe: &str) -> bool {
    // One separator, one case, no drive letter (Wine's Z: is the Unix root).
    let norm = |s: &str| {
        let s = s.replace('\\', "/").to_ascii_lowercase();
        match s.as_bytes() {
            [_, b':', b'/', ..] => s[2..].to_string(),
            _ => s,
        }
    };
    let p = norm(exe);
    ["/tmp/", "/var/tmp/", "/dev/shm/"]
        .iter()
        .any(|t| p.starts_with(t))
        // cargo's target directory, also of a cross build (target/<triple>/debug/).
        || (p.contains("/target/") && (p.contains("/debug/") || p.contains("/release/")))
        || ["/appdata/local/temp/", "/windows/temp/"]
            .iter()
            .any(|t| p.contains(t))
        || std::env::temp_dir()
            .to_str()
            .is_some_and(|t| p.starts_with(&format!("{}/", norm(t).trim_end_matches('/'))))
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
/// its entry is, else Task Scheduler when its definition is, else none.
fn installed_kind(root: &Path) -> Option<Kind> {
    [
        (TIMER, Kind::Systemd),
        (CRON, Kind::Cron),
        (TASK_XML, Kind::TaskScheduler),
    ]
    .into_iter()
    .find(|(rel, _)| under(root, rel).exists())
    .map(|(_, k)| k)
}

/// Writes `files` below `root` where they differ; whether any was written.
fn write_files(ctx: &Context, root: &Path, files: &[(PathBuf, String)]) -> Result<bool> {
    let mut changed = false;
    for (rel, text) in files {
        let path = under(root, rel);
        let bytes = encoded(rel, text);
        if std::fs::read(&path).is_ok_and(|b| b == bytes) {
            continue;
        }
        let dir = path.parent().unwrap_or(Path::new("/"));
        let perms = owner_of(dir);
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        atomic::write(&path, &bytes, perms)?;
        ctx.ui.status(format!("wrote {}", path.display()));
        changed = true;
    }
    Ok(changed)
}

/// What `run_cmd` is asked to run to activate, remove or query each kind (live only).
fn install_live(ctx: &Context, kind: Kind, root: &Path, task_user: Option<&str>) -> Result<()> {
    match kind {
        Kind::Systemd => {
            run_cmd("systemctl", &["daemon-reload"])?;
            run_cmd("systemctl", &["enable", "--now", "dbgini-expire.timer"])?;
            ctx.ui.status("enabled and started dbgini-expire.timer");
        }
        Kind::TaskScheduler => {
            let xml = under(root, TASK_XML);
            let xml = xml.display().to_string();
            run_cmd(
                "schtasks",
                &["/Create", "/TN", TASK_NAME, "/XML", &xml, "/F"],
            )?;
            ctx.ui.status(format!(
                "registered the scheduled task {TASK_NAME} (as {})",
                task_user.unwrap_or("SYSTEM")
            ));
        }
        Kind::Cron => {}
    }
    Ok(())
}

/// Runs `schedule`.
pub fn schedule(ctx: &Context, args: &Options) -> Result<Schedule> {
    let root = args.root.clone().unwrap_or_else(|| system_root(ctx));
    let live = args.root.is_none() && ctx.system_root == Path::new("/");
    let kind = match (args.action, args.kind) {
        // Status reads what is there, of any kind, before guessing what this machine would use.
        (ScheduleAction::Status, None) => {
            installed_kind(&root).unwrap_or_else(|| kind(None, &root))
        }
        (_, asked) => kind(asked, &root),
    };
    let native = match kind {
        Kind::TaskScheduler => cfg!(windows),
        Kind::Systemd | Kind::Cron => cfg!(unix),
    };
    if live && !native && !args.dry_run && args.action != ScheduleAction::Status {
        return Err(Error::invalid(
            format!(
                "{} enforcement is not this system's: installing it here would do nothing",
                kind.name()
            ),
            "use --dry-run to see its files, or --root DIR to stage them for another machine",
        ));
    }
    if args.task_user.is_some() && kind != Kind::TaskScheduler {
        return Err(Error::invalid(
            format!(
                "--task-user names the account of a Task Scheduler task, and this is {} enforcement (which runs as root)",
                kind.name()
            ),
            "leave out --task-user, or add --task-scheduler",
        ));
    }
    let files = files_of(ctx, kind, args)?;
    let kind_name = kind.name();
    let admin = AS_ADMIN;
    let mut changed = false;
    let mut timer = None;
    let msg = match args.action {
        ScheduleAction::Install => {
            if !args.dry_run {
                changed = write_files(ctx, &root, &files)?;
            }
            let exe = exe_for(ctx, kind)?;
            if temporary(&exe) {
                ctx.ui.warning(format!(
                    "the {kind_name} files call dbgini at {exe}, which looks temporary (a build directory or a temp directory): when it is gone, nothing reverts expired leases; install dbgini ({}) and run schedule install again from there",
                    if cfg!(windows) {
                        r"e.g. to C:\Program Files\dbgini\dbgini.exe"
                    } else {
                        "the package, or /usr/local/bin/dbgini"
                    }
                ));
            }
            if kind == Kind::Systemd && !unit_exists(&root, &args.domino_unit) {
                ctx.ui.warning(format!(
                    "no unit {unit} was found under {}: the drop-in takes effect only if Domino is started by a unit of that name; find it with `systemctl list-unit-files '*domino*'` and pass --domino-unit NAME",
                    root.join("etc/systemd/system").display(),
                    unit = args.domino_unit
                ));
            }
            if kind == Kind::TaskScheduler {
                ctx.ui.status(
                    "at start-up the task and the Domino service start side by side: set the Domino service to \"Automatic (Delayed Start)\" so expired settings are reverted before Domino reads notes.ini",
                );
            }
            if live && !args.dry_run {
                install_live(ctx, kind, &root, args.task_user.as_deref())?;
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
            if live && !args.dry_run && under(&root, TIMER).exists() {
                run_cmd("systemctl", &["disable", "--now", "dbgini-expire.timer"])?;
            }
            if live && !args.dry_run && under(&root, TASK_XML).exists() {
                run_cmd("schtasks", &["/Delete", "/TN", TASK_NAME, "/F"])?;
            }
            // What any kind of install made, whichever kind this machine would use now.
            let made: Vec<PathBuf> = [Kind::Systemd, Kind::Cron, Kind::TaskScheduler]
                .into_iter()
                .map(|k| files_of(ctx, k, args))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .map(|(rel, _)| rel)
                .collect();
            for rel in &made {
                let path = under(&root, rel);
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
                timer = Some(query("systemctl", &["is-active", "dbgini-expire.timer"]));
            }
            if live && kind == Kind::TaskScheduler {
                timer = Some(query("schtasks", &["/Query", "/TN", TASK_NAME]));
            }
            if files.iter().all(|(rel, _)| under(&root, rel).exists()) {
                format!("expiry enforcement is installed ({kind_name})")
            } else {
                format!(
                    "expiry enforcement is not (fully) installed ({kind_name}); run `dbgini schedule install` ({admin})"
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
                present: under(&root, &rel).exists(),
                path: under(&root, &rel),
                system_path: Path::new("/").join(&rel),
                content,
            })
            .collect(),
        timer,
        msg,
    })
}

/// What a status command prints (its first line), or why it could not run.
fn query(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .lines()
                .last()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_paths_are_told_on_both_platforms() {
        assert!(temporary("/home/me/dbgini/target/debug/dbgini"));
        assert!(temporary(
            r"Z:\tmp\wintarget\x86_64-pc-windows-gnu\debug\dbgini.exe"
        ));
        assert!(temporary(
            r"C:\src\dbgini\target\x86_64-pc-windows-gnu\release\dbgini.exe"
        ));
        assert!(temporary(r"C:\Users\admin\AppData\Local\Temp\dbgini.exe"));
        assert!(!temporary("/usr/local/bin/dbgini"));
        assert!(!temporary("/usr/bin/dbgini"));
        assert!(!temporary(r"C:\Program Files\dbgini\dbgini.exe"));
    }

    #[test]
    fn the_task_definition_is_well_formed_and_complete() {
        let exe = r"C:\Program Files\dbgini & co\dbgini.exe";
        let files = task_files(exe, None);
        assert_eq!(files.len(), 1);
        let (rel, text) = &files[0];
        assert_eq!(rel, Path::new(TASK_XML));
        let doc = roxmltree::Document::parse(text).expect("well-formed XML");
        let ns = "http://schemas.microsoft.com/windows/2004/02/mit/task";
        let task = doc.root_element();
        assert_eq!(task.tag_name().name(), "Task");
        assert_eq!(task.tag_name().namespace(), Some(ns));
        assert_eq!(task.attribute("version"), Some("1.2"));
        let path = |names: &[&str]| -> Option<roxmltree::Node<'_, '_>> {
            let mut node = task;
            for n in names {
                node = node.children().find(|c| c.has_tag_name((ns, *n)))?;
            }
            Some(node)
        };
        let text_at = |names: &[&str]| path(names).and_then(|n| n.text()).map(str::to_string);
        // What the schema requires, and what makes it enforcement: the action, every minute,
        // at start-up, missed runs caught up, as SYSTEM.
        assert_eq!(
            text_at(&["Actions", "Exec", "Command"]).as_deref(),
            Some(exe)
        );
        assert_eq!(
            text_at(&["Actions", "Exec", "Arguments"]).as_deref(),
            Some("--quiet expire --all-targets")
        );
        assert!(path(&["Triggers", "BootTrigger"]).is_some());
        assert_eq!(
            text_at(&["Triggers", "TimeTrigger", "Repetition", "Interval"]).as_deref(),
            Some("PT1M")
        );
        assert!(text_at(&["Triggers", "TimeTrigger", "StartBoundary"]).is_some());
        assert_eq!(
            text_at(&["Principals", "Principal", "UserId"]).as_deref(),
            Some("S-1-5-18")
        );
        let principal = path(&["Principals", "Principal"]).unwrap().attribute("id");
        assert_eq!(
            path(&["Actions"]).unwrap().attribute("Context"),
            principal,
            "the action must run as the principal defined"
        );
        assert_eq!(
            text_at(&["Settings", "StartWhenAvailable"]).as_deref(),
            Some("true")
        );
        assert_eq!(
            text_at(&["Settings", "MultipleInstancesPolicy"]).as_deref(),
            Some("IgnoreNew")
        );
        assert_eq!(
            text_at(&["RegistrationInfo", "URI"]).as_deref(),
            Some(TASK_NAME)
        );

        // Written as UTF-16LE with a byte order mark, as the declaration says.
        let bytes = encoded(rel, text);
        assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(&String::from_utf16(&units).unwrap(), text);
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-16\"?>"));
        // Other files are written as they are.
        assert_eq!(encoded(Path::new(CRON), "x\n"), b"x\n");
    }

    #[test]
    fn the_task_runs_as_the_account_asked_for_without_a_stored_password() {
        let user = task_user(r" CORP\svc-domino&dbgini ").unwrap();
        assert_eq!(user, r"CORP\svc-domino&dbgini");
        let files = task_files(r"C:\Program Files\dbgini\dbgini.exe", Some(&user));
        let doc = roxmltree::Document::parse(&files[0].1).expect("well-formed XML");
        let principal = doc
            .descendants()
            .find(|n| n.has_tag_name("Principal"))
            .unwrap();
        let child = |name: &str| {
            principal
                .children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
        };
        assert_eq!(child("UserId"), Some(user.as_str()));
        assert_eq!(child("LogonType"), Some("S4U"));
        assert_eq!(child("RunLevel"), Some("HighestAvailable"));
        let actions = doc
            .descendants()
            .find(|n| n.has_tag_name("Actions"))
            .unwrap();
        assert_eq!(actions.attribute("Context"), principal.attribute("id"));
        for bad in ["", "  ", "a/b", "a\nb", "x:y", "n<a>", "\"q\""] {
            assert!(task_user(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            task_user("admin@corp.example").unwrap(),
            "admin@corp.example"
        );
    }

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

//! The command line as clap parses it. Only parsing: `cmd::*` validates.

use clap_complete::ArgValueCandidates;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::SignedDuration;

pub use crate::live::ModeChoice;

/// Switch Domino notes.ini debug settings on for a while, safely, and always back off again.
#[derive(Debug, Parser)]
#[command(name = "dbgini", version = VERSION, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 done (or already so), 1 done with findings (doctor warnings, a broken \
profile, enforcement missing), 2 bad usage or input (nothing changed), 3 refused or failed (nothing \
changed), 4 notes.ini or dbgini's record of it changed, then a later step failed (see the message)."
)]
pub struct Cli {
    /// The notes.ini to work on [default: $DBGINI_INI, else `ini` in the config file, else
    /// /local/notesdata/notes.ini when it exists (Windows: C:\Program Files\HCL\Domino\notes.ini,
    /// else its Data\notes.ini)]
    #[arg(long, global = true, value_name = "PATH")]
    pub ini: Option<PathBuf>,

    /// Print one JSON object on stdout instead of text (watch: one per line); its shape is in
    /// docs/dbgini.schema.json
    #[arg(long, global = true)]
    pub json: bool,

    /// When to use colour (NO_COLOR is honoured with auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Print only warnings and errors: no notes, and no diff after a change (what status, diff,
    /// history, show, profiles and doctor are asked for is still printed)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Look for profiles in DIR first (before the user and site profile directories)
    #[arg(long, global = true, value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,

    /// Seconds to wait for another dbgini working on the same notes.ini
    #[arg(long, global = true, default_value_t = 10, value_name = "SECS")]
    pub lock_timeout: u64,

    /// How changes reach a server: console when it runs, file when it does not (auto), or forced
    /// [default: `mode` in the config file, else auto]
    #[arg(long, global = true, value_enum, value_name = "MODE")]
    pub mode: Option<ModeChoice>,

    /// The program that passes one command to the server console; the command is appended as its
    /// last argument [default: $DBGINI_CONSOLE_CMD, else `console_cmd` in the config file, else
    /// "/opt/hcl/domino/bin/server -c" (Windows: "C:\Program Files\HCL\Domino\nserver.exe" -c)]
    #[arg(long, global = true, value_name = "COMMAND")]
    pub console_cmd: Option<String>,

    /// Whose rights the console command runs with: the owner of notes.ini (the Domino user), or
    /// the caller (for `docker exec -u notes ...`, which switches user itself) [default:
    /// $DBGINI_CONSOLE_AS, else `console_as` in the config file, else owner]
    #[arg(long, global = true, value_enum, value_name = "WHO")]
    pub console_as: Option<crate::live::ConsoleAs>,

    /// Seconds to wait for the server to write what was set through its console
    #[arg(long, global = true, default_value_t = 30, value_name = "SECS")]
    pub confirm_timeout: u64,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// List the profiles and where each comes from
    Profiles,
    /// Print a profile: its scenario, durations, parameters and every setting with its source
    Show(ShowArgs),
    /// Switch a profile's debug settings on for a while (a lease)
    Enable(EnableArgs),
    /// Put back what was there before: one lease, a profile's leases, or all
    Revert(RevertArgs),
    /// Give a lease a new expiry, counted from now
    Extend(ExtendArgs),
    /// Revert every lease whose time is up (what the timer runs)
    Expire(ExpireArgs),
    /// Install, remove or check the timer that runs `dbgini expire` (systemd, cron or Task Scheduler)
    Schedule(ScheduleArgs),
    /// Stay in the foreground and revert leases as they expire (servers without systemd or cron)
    Watch(WatchArgs),
    /// Active leases, their expiry, the keys dbgini manages and any hand changes
    Status(StatusArgs),
    /// Unified diff of notes.ini before dbgini (baseline) and now
    Diff,
    /// Check notes.ini and dbgini's state for problems and forgotten debug settings (changes nothing)
    Doctor,
    /// Remove the empty `KEY=` lines a server console left behind (server down)
    Tidy(TidyArgs),
    /// The audit log: every change dbgini made to this notes.ini
    History(HistoryArgs),
    /// Pack what support needs from a lease into a .tar.gz: debug output, lease, diff, status
    Bundle(BundleArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

impl Command {
    /// The subcommand's name, as in `command` of the JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Profiles => "profiles",
            Command::Show(_) => "show",
            Command::Enable(_) => "enable",
            Command::Revert(_) => "revert",
            Command::Extend(_) => "extend",
            Command::Expire(_) => "expire",
            Command::Schedule(_) => "schedule",
            Command::Watch(_) => "watch",
            Command::Status(_) => "status",
            Command::Diff => "diff",
            Command::Doctor => "doctor",
            Command::Tidy(_) => "tidy",
            Command::History(_) => "history",
            Command::Bundle(_) => "bundle",
            Command::Completions(_) => "completions",
            Command::Man => "man",
        }
    }
}

/// `status`.
#[derive(Clone, Debug, Args)]
pub struct StatusArgs {
    /// Only look: revert no expired lease and finish no interrupted write (expired leases show as
    /// OVERDUE, for the timer or the next dbgini run to revert); for monitoring and check mode
    #[arg(long)]
    pub peek: bool,
}

/// `show`.
#[derive(Clone, Debug, Args)]
pub struct ShowArgs {
    /// Profile name, or path to a .toml profile or a KEY=VALUE snippet
    #[arg(add = ArgValueCandidates::new(crate::complete::profiles))]
    pub profile: String,
}

/// `enable`.
#[derive(Clone, Debug, Args)]
pub struct EnableArgs {
    /// Profile name (see `dbgini profiles`), or path to a .toml profile or a KEY=VALUE snippet
    #[arg(add = ArgValueCandidates::new(crate::complete::profiles))]
    pub profile: String,

    /// How long the lease lasts, e.g. 2h, 90m, 1h30m [default: the profile's default]
    #[arg(long = "for", value_name = "DURATION", allow_hyphen_values = true, value_parser = duration)]
    pub duration: Option<SignedDuration>,

    /// When the lease ends instead: HH:MM (local time) or e.g. 2026-11-30T18:00:00Z
    #[arg(long, value_name = "TIME", conflicts_with = "duration", value_parser = until)]
    pub until: Option<Until>,

    /// A profile parameter, e.g. --param dns-server=192.0.2.53 (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<Assignment>,

    /// Set or override one notes.ini setting, e.g. --set SMTPDebug=2 (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = set)]
    pub overrides: Vec<Assignment>,

    /// Why, e.g. a support case number; recorded in the lease and the audit log
    #[arg(long, value_name = "TEXT", value_parser = reason)]
    pub reason: Option<String>,

    /// Show what would change and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// With --mode file: edit notes.ini even though the server runs (it will not see the change)
    #[arg(long)]
    pub force: bool,

    /// End the lease early when the files its settings write grow by more than SIZE in total
    /// (e.g. 500MiB) [default: the profile's, 1GiB; never more than half the free space]
    #[arg(long, value_name = "SIZE", value_parser = crate::guard::parse_size)]
    pub max_growth: Option<u64>,

    /// End the lease early when free space falls below SIZE or PCT of the file system
    #[arg(long, default_value = "5%", value_name = "SIZE|PCT", value_parser = crate::guard::MinFree::parse)]
    pub min_free: crate::guard::MinFree,

    /// Create the debug_outfile directory if it is missing (with the data directory's owner)
    #[arg(long)]
    pub create_dirs: bool,

    /// Consent to settings that log message contents (SMTPDebugIO 3 or 4, SMTPSaveImportErrors)
    #[arg(long)]
    pub allow_content_capture: bool,

    /// Allow a key that defines the server rather than debugs it (Directory, ServerTasks, ...) in
    /// --set, a snippet or a profile (repeatable)
    #[arg(long = "allow-key", value_name = "KEY")]
    pub allow_keys: Vec<String>,

    /// Messages per hour, for a labelled estimate of log growth (e.g. 300/h)
    #[arg(long, value_name = "N/h", value_parser = mail_rate)]
    pub mail_rate: Option<u64>,
}

/// `revert`.
#[derive(Clone, Debug, Args)]
pub struct RevertArgs {
    /// A lease id or a profile name [default: the only active lease]
    #[arg(conflicts_with = "all", add = ArgValueCandidates::new(crate::complete::leases))]
    pub lease: Option<String>,

    /// Revert every active lease
    #[arg(long)]
    pub all: bool,

    /// Also put back keys that were changed by hand since dbgini set them; with --mode file, edit
    /// notes.ini even though the server runs
    #[arg(long)]
    pub force: bool,

    /// Show what would change and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `tidy`.
#[derive(Clone, Debug, Args)]
pub struct TidyArgs {
    /// With --mode file: tidy even though the server runs
    #[arg(long)]
    pub force: bool,

    /// Show what would change and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `bundle`.
#[derive(Clone, Debug, Args)]
pub struct BundleArgs {
    /// A lease id or profile name, active or recently ended [default: the only active lease, else
    /// the one that ended last]
    #[arg(add = ArgValueCandidates::new(crate::complete::leases))]
    pub lease: Option<String>,

    /// The archive to write, or - for standard output
    #[arg(short, long, value_name = "FILE.tar.gz")]
    pub output: PathBuf,

    /// Pack the output of a lease that captured message contents
    #[arg(long)]
    pub allow_content_capture: bool,

    /// Keep SMTP AUTH credentials in the debug output (they are redacted by default)
    #[arg(long)]
    pub no_redact: bool,
}

/// `completions`.
#[derive(Clone, Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `history`.
#[derive(Clone, Debug, Args)]
pub struct HistoryArgs {
    /// Show only the last N entries (at least 1)
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// `extend`.
#[derive(Clone, Debug, Args)]
pub struct ExtendArgs {
    /// A lease id or a profile name [default: the only active lease]
    #[arg(add = ArgValueCandidates::new(crate::complete::leases))]
    pub lease: Option<String>,

    /// The new lease time, counted from now, e.g. 1h
    #[arg(
        long = "for",
        value_name = "DURATION",
        allow_hyphen_values = true,
        required_unless_present = "until",
        value_parser = duration
    )]
    pub duration: Option<SignedDuration>,

    /// The new end instead: HH:MM (local time) or e.g. 2026-11-30T18:00:00Z
    #[arg(long, value_name = "TIME", conflicts_with = "duration", value_parser = until)]
    pub until: Option<Until>,

    /// Allow the new expiry to be earlier than the current one
    #[arg(long)]
    pub allow_shorter: bool,
}

/// `expire`.
#[derive(Clone, Debug, Args)]
pub struct ExpireArgs {
    /// Every notes.ini in the registry of targets with leases, instead of --ini
    #[arg(long)]
    pub all_targets: bool,

    /// Show what would be reverted and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `schedule`.
#[derive(Clone, Debug, Args)]
pub struct ScheduleArgs {
    /// What to do
    #[arg(value_enum)]
    pub action: ScheduleAction,

    /// Use a systemd timer [default: when systemd runs this machine]
    #[arg(long, conflicts_with_all = ["cron", "task_scheduler"])]
    pub systemd: bool,

    /// Use a cron entry in /etc/cron.d [default: on Linux without systemd]
    #[arg(long, conflicts_with = "task_scheduler")]
    pub cron: bool,

    /// Use a Windows Task Scheduler task (every minute and at start-up, as SYSTEM) [default: on
    /// Windows]; elsewhere with --dry-run or --root, to see or stage its definition
    #[arg(long)]
    pub task_scheduler: bool,

    /// Run the scheduled task as this Windows account (NAME, DOMAIN\NAME or NAME@DOMAIN)
    /// instead of SYSTEM: it runs whether or not the account is logged on, and no password is
    /// stored; the account must be allowed to write notes.ini, its data directory and
    /// %ProgramData%\dbgini
    #[arg(long, value_name = "ACCOUNT", value_parser = crate::ops::schedule::task_user, conflicts_with_all = ["systemd", "cron"])]
    pub task_user: Option<String>,

    /// The Domino service unit that gets an ExecStartPre drop-in (systemd); `.service` is added
    /// when missing
    #[arg(long, default_value = "domino.service", value_name = "UNIT", value_parser = service_unit)]
    pub domino_unit: String,

    /// Print the files instead of writing them
    #[arg(long)]
    pub dry_run: bool,

    /// Write below DIR instead of / and run no systemctl (for images and tests)
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// `schedule` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleAction {
    /// Write the timer (and the Domino drop-in) or the cron entry, and activate it
    Install,
    /// Remove them
    Uninstall,
    /// Say what is installed
    Status,
}

/// `watch`.
#[derive(Clone, Debug, Args)]
pub struct WatchArgs {
    /// Every notes.ini in the registry, instead of --ini
    #[arg(long)]
    pub all_targets: bool,

    /// Longest sleep between checks, in seconds (new leases are noticed within it)
    #[arg(long, default_value_t = 2, value_name = "SECS")]
    pub poll: u64,
}

/// `--for`: a duration such as `2h`, `90m`, `1h30m` (its bounds depend on the profile and are
/// checked before anything is opened).
pub fn duration(s: &str) -> Result<SignedDuration, String> {
    crate::profile::parse_duration(s)
}

/// `--until`: a full time, or a time of day (the next such time in the local time zone, worked
/// out against the clock when the command starts).
#[derive(Clone, Debug, PartialEq)]
pub enum Until {
    /// An RFC 3339 time (`2026-11-30T18:00:00Z`, `...+01:00`).
    At(jiff::Timestamp),
    /// `HH:MM`.
    TimeOfDay(jiff::civil::Time),
}

/// Parses `--until`.
pub fn until(s: &str) -> Result<Until, String> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(Until::At(t));
    }
    s.parse::<jiff::civil::Time>()
        .map(Until::TimeOfDay)
        .map_err(|_| {
            "not a time; use HH:MM (local time) or a full time such as 2026-11-30T18:00:00Z".into()
        })
}

impl Until {
    /// The moment this names, seen at `now` in `tz`: a time of day that has passed today is
    /// tomorrow's.
    pub fn resolve(
        &self,
        now: jiff::Timestamp,
        tz: &jiff::tz::TimeZone,
    ) -> Option<jiff::Timestamp> {
        match self {
            Until::At(t) => Some(*t),
            Until::TimeOfDay(time) => {
                let today = now
                    .to_zoned_datetime(tz.clone())
                    .date()
                    .to_datetime(*time)
                    .to_zoned_datetime(tz.clone())
                    .ok()?;
                if today.timestamp() > now {
                    Some(today.timestamp())
                } else {
                    Some(
                        today
                            .checked_add(SignedDuration::from_hours(24))
                            .ok()?
                            .timestamp(),
                    )
                }
            }
        }
    }
}

/// `NAME=VALUE` from `--param` or `--set`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The name or key (`--set` keys trimmed).
    pub name: String,
    /// The value, as given.
    pub value: String,
}

/// Parses `--param NAME=VALUE`.
pub fn param(s: &str) -> Result<Assignment, String> {
    assignment(s, "--param NAME=VALUE, e.g. --param dns-server=192.0.2.53")
}

/// Parses `--set KEY=VALUE`.
pub fn set(s: &str) -> Result<Assignment, String> {
    assignment(s, "--set KEY=VALUE, e.g. --set SMTPDebug=2")
}

fn assignment(s: &str, example: &str) -> Result<Assignment, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("it has no '='; write {example}"))?;
    Ok(Assignment {
        name: name.trim().to_string(),
        value: value.to_string(),
    })
}

/// `--mail-rate`: messages per hour, `300` or `300/h`.
pub fn mail_rate(s: &str) -> Result<u64, String> {
    s.trim()
        .trim_end_matches("/h")
        .parse::<u64>()
        .map_err(|_| "not a number of messages per hour; e.g. --mail-rate 300/h".into())
}

/// `dbgini --version`: the version, and the commit it was built from when known.
pub const VERSION: &str = if COMMIT.is_empty() {
    env!("CARGO_PKG_VERSION")
} else {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        env!("DBGINI_COMMIT"),
        ")"
    )
};

/// The commit dbgini was built from (empty when not built from a git checkout).
pub const COMMIT: &str = env!("DBGINI_COMMIT");

/// The longest `--reason`, in characters.
pub const MAX_REASON: usize = 500;

/// `--reason`: one line of text (any language) for the lease and the audit log, never written to
/// notes.ini; control characters are refused (they would break the log line they land in).
pub fn reason(s: &str) -> Result<String, String> {
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        let what = match c {
            '\n' | '\r' => "a line break".to_string(),
            '\0' => "a NUL character".to_string(),
            c => format!("the control character U+{:04X}", c as u32),
        };
        return Err(format!(
            "it contains {what}; give the reason as one line of text"
        ));
    }
    let n = s.chars().count();
    if n > MAX_REASON {
        return Err(format!(
            "it is {n} characters long; keep it under {MAX_REASON} (a case number and a few words)"
        ));
    }
    if s.trim().is_empty() {
        return Err("it is empty; say why, e.g. --reason \"case TS012345\"".into());
    }
    Ok(s.to_string())
}

/// A systemd service unit name (`--domino-unit`): the characters systemd allows in unit names
/// (`A-Z a-z 0-9 : _ . - @ \\`), `.service` added when no suffix is given. Anything else could
/// name a path outside the unit directory (`../x`) or a unit of another kind.
pub fn service_unit(s: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ":_.-@\\".contains(c);
    if s.is_empty()
        || s.len() > 255
        || !s.chars().all(allowed)
        || s.starts_with('.')
        || s.contains("..")
    {
        return Err(format!(
            "'{s}' is not a systemd unit name (letters, digits and : _ . - @ \\ only, e.g. domino.service)"
        ));
    }
    let suffixes = [
        ".socket",
        ".timer",
        ".target",
        ".mount",
        ".path",
        ".slice",
        ".scope",
        ".device",
        ".swap",
        ".automount",
    ];
    if suffixes.iter().any(|x| s.ends_with(x)) {
        return Err(format!(
            "'{s}' is not a service unit; name the unit that starts Domino, e.g. domino.service"
        ));
    }
    Ok(if s.ends_with(".service") {
        s.to_string()
    } else {
        format!("{s}.service")
    })
}

#[cfg(test)]
mod tests {
    use super::service_unit;

    #[test]
    fn unit_names_are_checked_and_completed() {
        assert_eq!(service_unit("domino").unwrap(), "domino.service");
        assert_eq!(
            service_unit("domino@srv1.service").unwrap(),
            "domino@srv1.service"
        );
        for bad in [
            "",
            "../../../../x",
            "a/b",
            ".d",
            "x..service",
            "dom ino",
            "domino.timer",
        ] {
            assert!(service_unit(bad).is_err(), "{bad:?} was accepted");
        }
    }
}

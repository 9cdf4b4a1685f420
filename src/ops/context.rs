//! Building the [`Context`] of a run from the command line and the environment (what `main`
//! does before it runs a command).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Context;
use crate::cli::Cli;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::profile::Catalog;
use crate::registry::Registry;
use crate::store::Caller;
use crate::ui::Ui;

impl Context {
    /// The context of a run: the config files (the site's, checked to be root's only, under the
    /// user's), the notes.ini (`--ini`, `DBGINI_INI`, the config, the platform's default), the
    /// profile directories, the clocks (`DBGINI_NOW`, `DBGINI_BOOT` for tests), who runs it
    /// (`SUDO_USER`, `DBGINI_ACTOR`), the registry, the console command and the modes.
    pub fn from_cli(cli: &Cli, ui: Ui) -> Result<Context> {
        let system_root = config::system_root();
        let config_dir = config::user_dir();
        let config_file = config_dir.as_ref().map(|d| d.join("config.toml"));
        // The site's settings first, the user's over them.
        let site = Config::load_trusted(&config::site_dir(&system_root).join("config.toml"))?;
        let config = match &config_file {
            // As root, the user config may be another user's (sudo can keep HOME): trusted only.
            Some(f) if crate::safe::is_root() => site.under(Config::load_trusted(f)?),
            Some(f) => site.under(Config::load(f)?),
            None => site,
        };
        let flag = cli.ini.clone().or_else(|| {
            std::env::var_os("DBGINI_INI")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let ini = config::resolve_ini(flag, &config, config::default_ini());
        if let Some(d) = &cli.profiles_dir
            && !d.is_dir()
        {
            return Err(Error::invalid(
                format!(
                    "--profiles-dir {}: {}",
                    d.display(),
                    if d.exists() {
                        "not a directory"
                    } else {
                        "no such directory"
                    }
                ),
                "name the directory that holds your profile files (NAME.toml)",
            ));
        }
        let dirs = config::profile_dirs(cli.profiles_dir.clone(), &system_root);
        // DBGINI_NOW fixes the clock for tests and reproductions.
        let now = match std::env::var("DBGINI_NOW") {
            Ok(t) => t.parse().map_err(|e| {
                Error::invalid(
                    format!("DBGINI_NOW={t}: {e}"),
                    "use an RFC 3339 time such as 2026-11-30T12:00:00Z, or unset it",
                )
            })?,
            Err(_) => jiff::Timestamp::now(),
        };
        let user = ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| {
                if cfg!(unix) {
                    format!("uid {}", crate::safe::me().0)
                } else {
                    "unknown".into()
                }
            });
        // The human behind sudo, for the lease and the audit log (not only "root").
        let user = match std::env::var("SUDO_USER") {
            Ok(human) if !human.is_empty() && human != user => format!("{human} (sudo as {user})"),
            _ => user,
        };
        // The person behind automation (the Ansible module's `actor`), named with the account it ran
        // as: a label for the record, never a permission.
        let user = match std::env::var("DBGINI_ACTOR") {
            Ok(actor)
                if !actor.trim().is_empty()
                    && actor.trim() != user
                    && !actor.contains(['\n', '\r', '\0']) =>
            {
                format!("{} via {user}", actor.trim())
            }
            _ => user,
        };
        let command = std::iter::once("dbgini".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        // DBGINI_BOOT=<id>:<seconds> fixes the boot clock for tests, like DBGINI_NOW.
        let boot = match std::env::var("DBGINI_BOOT") {
            Ok(b) => {
                let bad = || {
                    Error::invalid(
                        format!("DBGINI_BOOT={b}: not <boot id>:<seconds since boot>"),
                        "use e.g. DBGINI_BOOT=test-boot:3600, or unset it to read the system's boot clock",
                    )
                };
                let (id, secs) = b.split_once(':').ok_or_else(bad)?;
                let secs: u64 = secs.parse().map_err(|_| bad())?;
                if id.is_empty() {
                    return Err(bad());
                }
                Some((
                    id.to_string(),
                    jiff::SignedDuration::from_secs(i64::try_from(secs).map_err(|_| bad())?),
                ))
            }
            Err(_) => crate::store::boot_clock(),
        };
        // Root's registry is system-wide, so the timer (running as root) sees every target.
        let (registry, per_user) =
            match std::env::var_os("DBGINI_REGISTRY").filter(|v| !v.is_empty()) {
                Some(dir) => (PathBuf::from(dir), false),
                None if crate::safe::is_root() => (PathBuf::from("/var/lib/dbgini/targets"), false),
                // Windows: one registry for the machine, which the scheduled task (SYSTEM) reads.
                None if cfg!(windows) => (config::site_dir(&system_root).join("targets"), false),
                None => (
                    dirs::data_dir()
                        .unwrap_or_else(std::env::temp_dir)
                        .join("dbgini/targets"),
                    cfg!(unix),
                ),
            };
        let exe = std::env::current_exe()
            .and_then(dunce::canonicalize)
            .unwrap_or_else(|_| PathBuf::from("/usr/local/bin/dbgini"));
        let console_cmd = cli
            .console_cmd
            .clone()
            .or_else(|| {
                std::env::var("DBGINI_CONSOLE_CMD")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| config.console_cmd.clone())
            .unwrap_or_else(|| config::default_console_cmd().into());
        Ok(Context {
            ini,
            config_file,
            catalog: Catalog {
                dirs,
                trusted_only: crate::safe::is_root(),
            },
            caller: Caller {
                user,
                host: gethostname::gethostname().to_string_lossy().into_owned(),
                command,
                now,
                boot,
                lock_timeout: Duration::from_secs(cli.lock_timeout),
            },
            registry: Registry {
                dir: registry,
                per_user,
            },
            max_duration: config.max_duration()?,
            tz: local_time_zone(),
            exe,
            mode: cli
                .mode
                .or(config.mode)
                .unwrap_or(crate::live::ModeChoice::Auto),
            console: crate::live::Console {
                argv: crate::live::split_command(&console_cmd)?,
                run_as: match cli.console_as {
                    Some(who) => who,
                    None => match std::env::var("DBGINI_CONSOLE_AS")
                        .ok()
                        .filter(|s| !s.is_empty())
                    {
                        Some(v) => <crate::live::ConsoleAs as clap::ValueEnum>::from_str(&v, true)
                            .map_err(|_| {
                                Error::invalid(
                                    format!("DBGINI_CONSOLE_AS={v}: not owner or caller"),
                                    "set it to owner (the default) or caller, or unset it",
                                )
                            })?,
                        None => config.console_as.unwrap_or_default(),
                    },
                },
                timeout: Duration::from_secs(cli.confirm_timeout.max(1)),
            },
            confirm_timeout: Duration::from_secs(cli.confirm_timeout),
            temp_dir: std::env::temp_dir(),
            json: cli.json,
            ui,
            interactive: {
                use std::io::IsTerminal;
                !cli.json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
            },
            system_root,
        })
    }
}

/// The local time zone, from `TZ` or `/etc/localtime`, read as TZif data directly: jiff's
/// `TimeZone::system()` walks the whole zoneinfo tree to name the zone, which cost half of a
/// dbgini run. Falls back to UTC.
fn local_time_zone() -> jiff::tz::TimeZone {
    use jiff::tz::TimeZone;
    let tzif = |path: &Path, name: &str| {
        std::fs::read(path)
            .ok()
            .and_then(|d| TimeZone::tzif(name, &d).ok())
    };
    match std::env::var("TZ") {
        Ok(tz) if tz.is_empty() || tz == "UTC" || tz == "UTC0" || tz == ":UTC" => TimeZone::UTC,
        Ok(tz) => {
            let name = tz.trim_start_matches(':');
            let path = if name.starts_with('/') {
                PathBuf::from(name)
            } else {
                Path::new("/usr/share/zoneinfo").join(name)
            };
            tzif(&path, name)
                .or_else(|| TimeZone::get(name).ok())
                .unwrap_or(TimeZone::UTC)
        }
        Err(_) => tzif(Path::new("/etc/localtime"), "Local").unwrap_or(TimeZone::UTC),
    }
}

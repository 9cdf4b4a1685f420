//! The `dbgini` binary: parse, gather the environment, run, print, exit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use dbgini::cli::{Cli, ColorWhen, Command};
use dbgini::cmd;
use dbgini::config::{self, Config};
use dbgini::error::{Error, ExitCode};
use dbgini::ops::Context;
use dbgini::outcome::{self, Outcome};
use dbgini::profile::Catalog;
use dbgini::registry::Registry;
use dbgini::store::Caller;
use dbgini::ui::{Kind, Style, Ui};

fn main() -> std::process::ExitCode {
    // `COMPLETE=bash dbgini` prints the dynamic completion script; the shell then calls dbgini
    // with COMPLETE set for each completion (profile names, lease ids) and this exits there.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    // `--version --json` (clap prints `--version` alone, and stops before other flags).
    if json && args.iter().any(|a| a == "--version" || a == "-V") {
        let version = Outcome::Version(outcome::Version {
            version: env!("CARGO_PKG_VERSION").into(),
            commit: (!dbgini::cli::COMMIT.is_empty()).then(|| dbgini::cli::COMMIT.into()),
        });
        return finish(Ok(version), None, &Ui::new(Style::Json), true, false, None);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A usage error under --json is also one JSON object on stdout, so automation that reads
        // stdout sees why (clap prints its message and exits as usual; --help is not an error).
        Err(e) => {
            if e.use_stderr() && json {
                let text = e.render().to_string();
                let mut lines = text.lines();
                let first = lines.next().unwrap_or_default();
                let rest: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
                print_json(&outcome::Failure {
                    schema: outcome::SCHEMA,
                    command: None,
                    failed: true,
                    changed: false,
                    error: first.strip_prefix("error: ").unwrap_or(first).to_string(),
                    caused_by: Vec::new(),
                    help: rest.join("; "),
                    exit_code: ExitCode::Usage as u8,
                    warnings: Vec::new(),
                    notes: Vec::new(),
                });
            }
            e.exit()
        }
    };
    let choice = match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    // Completions and the man page need no notes.ini, config or clock.
    match &cli.command {
        Command::Completions(args) => return emit(Ok(dbgini::docs::completions(args.shell))),
        Command::Man => return emit(dbgini::docs::man_page()),
        _ => {}
    }
    let ui = Ui::new(match (&cli.command, cli.json) {
        (Command::Watch(_), json) => Style::Log { json },
        (_, true) => Style::Json,
        (_, false) => Style::Terminal { quiet: cli.quiet },
    });
    let ctx = context(&cli, ui.clone());
    let tz = ctx
        .as_ref()
        .map_or(jiff::tz::TimeZone::UTC, |c| c.tz.clone());
    let result = ctx.and_then(|ctx| cmd::run(&cli.command, &ctx));
    finish(
        result,
        Some(cli.command.name()),
        &ui,
        cli.json,
        cli.quiet,
        Some(&tz),
    )
}

/// Prints what the command did (or why it failed) and works out the exit code: a command that
/// changed notes.ini before it was refused or failed exits [`ExitCode::Partial`].
fn finish(
    result: Result<Outcome, Error>,
    command: Option<&str>,
    ui: &Ui,
    json: bool,
    quiet: bool,
    tz: Option<&jiff::tz::TimeZone>,
) -> std::process::ExitCode {
    let code = |c: ExitCode| match c {
        ExitCode::Usage | ExitCode::Refused if ui.changed() => ExitCode::Partial,
        c => c,
    };
    match result {
        Ok(outcome) => {
            let exit = code(outcome.exit_code());
            if json {
                print_json(&outcome::Output {
                    schema: outcome::SCHEMA,
                    outcome: &outcome,
                    changed: ui.changed_or_would(),
                    exit_code: exit as u8,
                    warnings: warnings(ui),
                    notes: notes(ui),
                });
            } else {
                let text = outcome.text(tz.unwrap_or(&jiff::tz::TimeZone::UTC), quiet);
                let _ = anstream::stdout().write_all(text.as_bytes());
            }
            std::process::ExitCode::from(exit as u8)
        }
        Err(e) => {
            let exit = code(e.exit_code());
            let mut causes = Vec::new();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                causes.push(s.to_string());
                source = s.source();
            }
            if json {
                print_json(&outcome::Failure {
                    schema: outcome::SCHEMA,
                    command: command.map(str::to_string),
                    failed: true,
                    changed: ui.changed(),
                    error: e.to_string(),
                    caused_by: causes.clone(),
                    help: e.help(),
                    exit_code: exit as u8,
                    warnings: warnings(ui),
                    notes: notes(ui),
                });
            }
            let mut err = anstream::stderr();
            let red = anstyle::AnsiColor::Red.on_default().bold();
            let cyan = anstyle::AnsiColor::Cyan.on_default().bold();
            let _ = writeln!(err, "{red}error:{red:#} {e}");
            for c in causes {
                let _ = writeln!(err, "caused by: {c}");
            }
            let _ = writeln!(err, "{cyan}help:{cyan:#} {}", e.help());
            std::process::ExitCode::from(exit as u8)
        }
    }
}

/// Warnings and errors of single targets, in order.
fn warnings(ui: &Ui) -> Vec<String> {
    texts(ui, |k| matches!(k, Kind::Warning | Kind::Error))
}

/// Status notes and hints, in order.
fn notes(ui: &Ui) -> Vec<String> {
    texts(ui, |k| matches!(k, Kind::Status | Kind::Hint))
}

fn texts(ui: &Ui, kinds: impl Fn(Kind) -> bool) -> Vec<String> {
    ui.messages()
        .into_iter()
        .filter(|m| kinds(m.kind))
        .map(|m| match m.ini {
            Some(ini) => format!("{ini}: {}", m.text),
            None => m.text,
        })
        .collect()
}

fn print_json(value: &impl serde::Serialize) {
    let _ = writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string(value).unwrap_or_default()
    );
}

fn emit(bytes: std::io::Result<Vec<u8>>) -> std::process::ExitCode {
    match bytes.and_then(|b| std::io::stdout().write_all(&b)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Everything from outside the process: environment, config, clock, user and host.
fn context(cli: &Cli, ui: Ui) -> Result<Context, Error> {
    let system_root =
        std::env::var_os("DBGINI_SYSTEM_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    let config_dir = config::user_dir();
    let config_file = config_dir.as_ref().map(|d| d.join("config.toml"));
    // The site's settings first, the user's over them.
    let site = Config::load_trusted(&site_config(&system_root))?;
    let config = match &config_file {
        // As root, the user config may be another user's (sudo can keep HOME): trusted only.
        Some(f) if uid() == Some(0) => site.under(Config::load_trusted(f)?),
        Some(f) => site.under(Config::load(f)?),
        None => site,
    };
    let flag = cli.ini.clone().or_else(|| {
        std::env::var_os("DBGINI_INI")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let ini = config::resolve_ini(flag, &config, config::default_ini());
    let mut dirs = Vec::new();
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
    dirs.extend(cli.profiles_dir.clone());
    dirs.extend(config_dir.map(|d| d.join("profiles")));
    dirs.push(PathBuf::from("/etc/dbgini/profiles"));
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
        .unwrap_or_else(|| uid().map_or("unknown".into(), |u| format!("uid {u}")));
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
        Err(_) => dbgini::store::boot_clock(),
    };
    // Root's registry is system-wide, so the timer (running as root) sees every target.
    let (registry, per_user) = match std::env::var_os("DBGINI_REGISTRY").filter(|v| !v.is_empty()) {
        Some(dir) => (PathBuf::from(dir), false),
        None if uid() == Some(0) => (PathBuf::from("/var/lib/dbgini/targets"), false),
        // Windows: one registry for the machine, which the scheduled task (SYSTEM) reads.
        None if cfg!(windows) => (
            std::env::var_os("ProgramData")
                .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from)
                .join("dbgini")
                .join("targets"),
            false,
        ),
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
            trusted_only: uid() == Some(0),
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
            .unwrap_or(dbgini::live::ModeChoice::Auto),
        console: dbgini::live::Console {
            argv: dbgini::live::split_command(&console_cmd)?,
            run_as: match cli.console_as {
                Some(who) => who,
                None => match std::env::var("DBGINI_CONSOLE_AS")
                    .ok()
                    .filter(|s| !s.is_empty())
                {
                    Some(v) => <dbgini::live::ConsoleAs as clap::ValueEnum>::from_str(&v, true)
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

/// The site-wide config file: `/etc/dbgini/config.toml` (below `DBGINI_SYSTEM_ROOT` in tests), or
/// `%ProgramData%\dbgini\config.toml` on Windows.
fn site_config(system_root: &Path) -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("ProgramData")
            .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from)
            .join("dbgini")
            .join("config.toml")
    } else {
        system_root.join("etc/dbgini/config.toml")
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

/// The user id (Unix).
fn uid() -> Option<u32> {
    #[cfg(unix)]
    return std::fs::metadata("/proc/self")
        .ok()
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    #[cfg(not(unix))]
    None
}

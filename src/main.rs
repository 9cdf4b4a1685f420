//! The `dbgini` binary: parse, gather the environment, run, print, exit.

use std::io::Write;

use clap::Parser;
use dbgini::cli::{Cli, ColorWhen, Command};
use dbgini::cmd;
use dbgini::error::{Error, ExitCode};
use dbgini::ops::Context;
use dbgini::outcome::{self, Outcome};
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
    let ctx = Context::from_cli(&cli, ui.clone());
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

//! The subcommands, one file each. Each takes its parsed arguments and the [`Context`], does its
//! work through the library, and returns a [`Report`] for `main` to print.

use std::path::PathBuf;

use serde_json::json;

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::ini::{Document, IniError};
use crate::lease::{Drift, Lease};
use crate::output::{Report, relative, utc};
use crate::profile::Catalog;
use crate::store::{Caller, Session, Target};

pub mod diff;
pub mod enable;
pub mod history;
pub mod profiles;
pub mod revert;
pub mod show;
pub mod status;

/// Everything a command needs from outside: gathered once by `main`.
#[derive(Clone, Debug)]
pub struct Context {
    /// The notes.ini, when one was named or found.
    pub ini: Option<PathBuf>,
    /// The config file that could name it (for the error message).
    pub config_file: Option<PathBuf>,
    /// Where profiles are looked up.
    pub catalog: Catalog,
    /// Who runs dbgini, and when.
    pub caller: Caller,
}

impl Context {
    /// The target, or the error that says how to name one.
    pub fn target(&self) -> Result<Target> {
        let ini = self.ini.as_ref().ok_or_else(|| Error::NoIni {
            config: self.config_file.clone(),
        })?;
        Target::resolve(ini)
    }

    /// Opens the target for a command; the notes returned say what recovery did, if anything.
    pub fn open(&self) -> Result<(Session, Vec<String>)> {
        let session = Session::open(self.target()?, &self.caller)?;
        let notes = session.recovery.iter().map(|r| r.message()).collect();
        Ok((session, notes))
    }
}

/// Runs a subcommand.
pub fn run(command: Command, ctx: &Context) -> Result<Report> {
    match command {
        Command::Profiles => profiles::run(ctx),
        Command::Show(args) => show::run(args, ctx),
        Command::Enable(args) => enable::run(args, ctx),
        Command::Revert(args) => revert::run(args, ctx),
        Command::Status => status::run(ctx),
        Command::Diff => diff::run(ctx),
        Command::History(args) => history::run(args, ctx),
    }
}

/// Refuses a document dbgini must not edit.
pub fn check_editable(doc: &Document, session: &Session) -> Result<()> {
    doc.check_editable().map_err(|e| refused(session, e))
}

/// Wraps an [`IniError`] as a refusal for this target.
pub fn refused(session: &Session, source: IniError) -> Error {
    Error::Refused {
        path: session.target.ini.clone(),
        source,
    }
}

/// A lease as JSON.
pub fn lease_json(lease: &Lease) -> serde_json::Value {
    json!({
        "id": lease.id,
        "profile": lease.profile,
        "created_at": lease.created.to_string(),
        "expires_at": lease.expires.to_string(),
        "reason": lease.reason,
        "params": lease.params,
        "overrides": lease.overrides,
        "settings": lease.settings,
        "user": lease.user,
        "host": lease.host,
        "released": lease.released,
    })
}

/// `router-7f3a until 2026-11-30 13:15 UTC (in 2h)`.
pub fn lease_line(lease: &Lease, ctx: &Context) -> String {
    format!(
        "{} ({}) until {} ({})",
        lease.id,
        lease.profile,
        utc(lease.expires),
        relative(lease.expires, ctx.caller.now)
    )
}

/// The warning for a key changed by hand.
pub fn drift_warning(d: &Drift) -> String {
    let found = d
        .found
        .as_deref()
        .map_or("no line at all".to_string(), |f| format!("'{f}'"));
    if d.overridden {
        format!(
            "{} had been changed by hand (dbgini wrote '{}', found {found}); --force overwrote it",
            d.key, d.expected
        )
    } else {
        format!(
            "{} was changed by hand since dbgini set it (dbgini wrote '{}', found {found}): left as it is, and dbgini no longer manages it; `dbgini revert --force` would put the original back",
            d.key, d.expected
        )
    }
}

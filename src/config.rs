//! The config file (`<config dir>/dbgini/config.toml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Where notes.ini usually is on a Linux Domino server.
pub const DEFAULT_INI: &str = "/local/notesdata/notes.ini";

/// The settings the config file may hold.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The notes.ini to use when `--ini` and `DBGINI_INI` are not given.
    pub ini: Option<PathBuf>,
    /// The longest lease any profile may have, e.g. "24h" (the default).
    pub max_duration: Option<String>,
    /// `auto`, `file` or `console`.
    pub mode: Option<crate::live::ModeChoice>,
    /// The console command line, e.g. "/opt/nashcom/startscript/rc_domino_script cmd".
    pub console_cmd: Option<String>,
    /// `owner` or `caller`: whose rights the console command runs with.
    pub console_as: Option<crate::live::ConsoleAs>,
}

impl Config {
    /// The global maximum lease duration.
    pub fn max_duration(&self) -> Result<jiff::SignedDuration> {
        match &self.max_duration {
            None => Ok(jiff::SignedDuration::from_hours(24)),
            Some(s) => crate::profile::parse_duration(s).map_err(|msg| {
                Error::invalid(
                    format!("config max_duration: {msg}"),
                    "e.g. max_duration = \"24h\"",
                )
            }),
        }
    }
}

impl Config {
    /// Reads the config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        toml::from_str(&text).map_err(|e| {
            Error::invalid(
                format!("{}: {}", path.display(), e.message()),
                "fix the config file; it may hold `ini = \"/path/to/notes.ini\"`",
            )
        })
    }
}

/// The notes.ini to use: the flag (or `DBGINI_INI`), else the config, else [`DEFAULT_INI`] when
/// `default_exists`.
pub fn resolve_ini(
    flag: Option<PathBuf>,
    config: &Config,
    default_exists: bool,
) -> Option<PathBuf> {
    flag.or_else(|| config.ini.clone())
        .or_else(|| default_exists.then(|| PathBuf::from(DEFAULT_INI)))
}

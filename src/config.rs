//! The config files: the site's (`/etc/dbgini/config.toml`, `%ProgramData%\dbgini\config.toml` on
//! Windows), then the user's (`<config dir>/dbgini/config.toml`), each setting of the user's
//! winning over the site's; and the directories they and the profiles are in.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The user's dbgini config directory (its `config.toml` and `profiles/`): `DBGINI_CONFIG_DIR`,
/// else `dbgini` in the platform's config directory (`~/.config`, `%APPDATA%`).
pub fn user_dir() -> Option<PathBuf> {
    std::env::var_os("DBGINI_CONFIG_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("dbgini")))
}

/// The root that system paths are below: `/`, or `DBGINI_SYSTEM_ROOT` (tests, images).
pub fn system_root() -> PathBuf {
    std::env::var_os("DBGINI_SYSTEM_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// The site-wide directory, with `config.toml` and `profiles/`: `/etc/dbgini` below
/// `system_root`, or `%ProgramData%\dbgini` on Windows.
pub fn site_dir(system_root: &Path) -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("ProgramData")
            .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from)
            .join("dbgini")
    } else {
        system_root.join("etc/dbgini")
    }
}

/// Where profile files are looked for, the first that has a name winning: `flag`
/// (`--profiles-dir`), the user's `profiles/` ([`user_dir`]), the site's ([`site_dir`]).
pub fn profile_dirs(flag: Option<PathBuf>, system_root: &Path) -> Vec<PathBuf> {
    flag.into_iter()
        .chain(user_dir().map(|d| d.join("profiles")))
        .chain([site_dir(system_root).join("profiles")])
        .collect()
}

/// Where notes.ini usually is on a Linux Domino server.
pub const DEFAULT_INI: &str = "/local/notesdata/notes.ini";

/// Where notes.ini usually is on a Windows Domino server: the program directory (where the
/// installer puts it, unless the server is started with `=path`), then the data directory below it
/// (where Domino 14 appears to keep it; see docs/domino.md).
pub const DEFAULT_INI_WINDOWS: [&str; 2] = [
    r"C:\Program Files\HCL\Domino\notes.ini",
    r"C:\Program Files\HCL\Domino\Data\notes.ini",
];

/// The default notes.ini of this platform that exists, if one does.
pub fn default_ini() -> Option<PathBuf> {
    let candidates: &[&str] = if cfg!(windows) {
        &DEFAULT_INI_WINDOWS
    } else {
        &[DEFAULT_INI]
    };
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The console command when none is configured: HCL's `server -c` on Linux, `nserver -c` in the
/// default program directory on Windows.
pub fn default_console_cmd() -> &'static str {
    if cfg!(windows) {
        r#""C:\Program Files\HCL\Domino\nserver.exe" -c"#
    } else {
        "/opt/hcl/domino/bin/server -c"
    }
}

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
    /// `self` with every setting `over` has replaced by `over`'s.
    pub fn under(self, over: Config) -> Config {
        Config {
            ini: over.ini.or(self.ini),
            max_duration: over.max_duration.or(self.max_duration),
            mode: over.mode.or(self.mode),
            console_cmd: over.console_cmd.or(self.console_cmd),
            console_as: over.console_as.or(self.console_as),
        }
    }

    /// Reads a config file that root will act on (the site's, or the user's when dbgini runs as
    /// root, where sudo may have kept another user's HOME): it may name the console command root
    /// runs, so on Unix it is opened without following a link, and read only when it is a
    /// regular file with one name that belongs to root (or the caller) and that nobody else may
    /// write. The checks are made on the open file, so a name swapped after them is not read.
    pub fn load_trusted(path: &Path) -> Result<Config> {
        #[cfg(unix)]
        {
            use std::io::Read;
            use std::os::unix::fs::MetadataExt;
            let mut file = match crate::safe::open_regular(path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Config::default());
                }
                Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                    return Err(Error::invalid(
                        format!(
                            "{}: {e}; dbgini reads a config file it acts on as root only from a regular file, never through a link",
                            path.display()
                        ),
                        format!(
                            "put the file itself there: cp --remove-destination \"$(readlink -f {0})\" {0}",
                            path.display()
                        ),
                    ));
                }
                Err(e) => return Err(Error::io("read", path, e)),
            };
            let m = file.metadata().map_err(|e| Error::io("read", path, e))?;
            let me = rustix::process::geteuid().as_raw();
            if (m.uid() != 0 && m.uid() != me) || m.mode() & 0o022 != 0 || m.nlink() > 1 {
                return Err(Error::invalid(
                    format!(
                        "{}: belongs to uid {} with mode {:o} and {} name(s); dbgini reads a config file it acts on as root only when it belongs to root, only root may write it and it has no other name (hard link)",
                        path.display(),
                        m.uid(),
                        m.mode() & 0o7777,
                        m.nlink()
                    ),
                    if m.nlink() > 1 {
                        format!(
                            "give it a name of its own: cp {0} {0}.new && chown root: {0}.new && chmod 644 {0}.new && mv {0}.new {0}",
                            path.display()
                        )
                    } else {
                        format!("chown root: {0} && chmod go-w {0}", path.display())
                    },
                ));
            }
            let mut text = String::new();
            file.read_to_string(&mut text)
                .map_err(|e| Error::io("read", path, e))?;
            Config::parse(path, &text)
        }
        #[cfg(not(unix))]
        Config::load(path)
    }

    /// Reads the config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        Config::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| {
            Error::invalid(
                format!("{}: {}", path.display(), e.message()),
                "fix the config file; it may hold `ini = \"/path/to/notes.ini\"`",
            )
        })
    }
}

/// The notes.ini to use: the flag (or `DBGINI_INI`), else the config, else `default` (the
/// platform's default notes.ini that exists, [`default_ini`]).
pub fn resolve_ini(
    flag: Option<PathBuf>,
    config: &Config,
    default: Option<PathBuf>,
) -> Option<PathBuf> {
    flag.or_else(|| config.ini.clone()).or(default)
}

//! Errors, their exit codes and the `help:` line that names the fix.

use std::path::PathBuf;

use crate::ini::IniError;

/// The documented exit codes, one table for every command (README, "Exit codes"; the man page).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, schemars::JsonSchema)]
pub enum ExitCode {
    /// Done, or already so (enabling what is enabled, reverting what is reverted).
    #[default]
    Ok = 0,
    /// Done, with findings a script must see: `doctor` found warnings, `profiles` lists a broken
    /// profile, `schedule status` finds no enforcement installed.
    Findings = 1,
    /// Bad usage or input; nothing changed.
    Usage = 2,
    /// Refused by a safety check, or failed; nothing changed.
    Refused = 3,
    /// notes.ini (or dbgini's record of it) was changed, and a step after that failed: the
    /// message says what is in place and what to run.
    Partial = 4,
}

impl ExitCode {
    /// Every code, for the man page.
    pub const ALL: [ExitCode; 5] = [
        ExitCode::Ok,
        ExitCode::Findings,
        ExitCode::Usage,
        ExitCode::Refused,
        ExitCode::Partial,
    ];

    /// What the code means, in a sentence (the man page's EXIT STATUS).
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => {
                "Done, or already so (enabling what is enabled, reverting what was reverted)."
            }
            ExitCode::Findings => {
                "Done, with findings a script must see: doctor found warnings, profiles lists a broken profile, schedule status finds enforcement missing."
            }
            ExitCode::Usage => {
                "Bad usage or input, including a lease or profile that matches no active lease while others are active; nothing was changed."
            }
            ExitCode::Refused => "Refused by a safety check, or failed; nothing was changed.",
            ExitCode::Partial => {
                "notes.ini (or dbgini's record of it) was changed, and a later step failed; the messages say what is in place, `dbgini status` shows it and `dbgini revert` undoes it."
            }
        }
    }

    /// The graver of two outcomes (a partial change over a refusal over a usage error).
    pub fn worst(self, other: ExitCode) -> ExitCode {
        let rank = |c: ExitCode| match c {
            ExitCode::Ok => 0,
            ExitCode::Findings => 1,
            ExitCode::Usage => 2,
            ExitCode::Refused => 3,
            ExitCode::Partial => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// Everything that can go wrong, in the words an admin needs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No notes.ini was named and none was found.
    #[error("no notes.ini to work on")]
    NoIni {
        /// The config file that could name it.
        config: Option<PathBuf>,
    },
    /// Bad input from the command line or a profile.
    #[error("{msg}")]
    Invalid {
        /// What is wrong.
        msg: String,
        /// How to fix it.
        help: String,
    },
    /// The notes.ini cannot be edited safely.
    #[error("refusing to change {}", path.display())]
    Refused {
        /// The notes.ini.
        path: PathBuf,
        /// Why.
        #[source]
        source: IniError,
    },
    /// A profile name that no profile directory has.
    #[error("no profile named '{name}'")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
    /// A lease id or profile name that matches no active lease while others are active (a typo
    /// must not look like success).
    #[error("no active lease matches '{wanted}'")]
    UnknownLease {
        /// What was asked for.
        wanted: String,
        /// The active leases, one line each.
        active: Vec<String>,
        /// The active lease ids and profile names, for a suggestion.
        names: Vec<String>,
    },
    /// A profile file that does not parse or validate.
    #[error("{}:{line}:{column}: {msg}", path.display())]
    ProfileSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        msg: String,
    },
    /// A file system operation failed.
    #[error("could not {action} {}", path.display())]
    Io {
        /// What dbgini was doing, as a verb phrase ("read", "replace").
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Another dbgini holds the lock.
    #[error("another dbgini is working on this notes.ini ({holder}); gave up after {waited_secs}s")]
    Locked {
        /// What the lock file says about the holder.
        holder: String,
        /// How long dbgini waited.
        waited_secs: u64,
    },
    /// notes.ini was replaced, but a step after it failed: the change is in place, and its
    /// pending record stays for the next command to finish.
    #[error("{} was changed, but {step} failed", path.display())]
    Unfinished {
        /// The notes.ini.
        path: PathBuf,
        /// The step that failed.
        step: &'static str,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The file changed between dbgini's read and its replace.
    #[error("{} changed while dbgini was working on it; nothing was written", path.display())]
    ChangedUnderneath {
        /// The notes.ini.
        path: PathBuf,
    },
    /// Another dbgini wrote the target first while this one planned without the lock (first use of
    /// a target): the command starts over (see `cmd::run`).
    #[error("another dbgini changed this notes.ini first, and it kept changing")]
    StartOver,
    /// An interrupted operation whose outcome cannot be decided.
    #[error(
        "an earlier dbgini {op} was interrupted, and {} now matches neither the file before it nor the file after it",
        path.display()
    )]
    Interrupted {
        /// The interrupted command.
        op: String,
        /// The notes.ini.
        path: PathBuf,
        /// The pending record.
        pending: PathBuf,
        /// The newest backup.
        backup: Option<PathBuf>,
    },
    /// A console command failed.
    #[error("the server console command `{command}` failed: {msg}")]
    Console {
        /// The console command.
        command: String,
        /// What went wrong.
        msg: String,
    },
    /// The server did not write the values dbgini set through its console in time.
    #[error("the server did not confirm {} within {secs}s (notes.ini does not show it yet)", keys.join(", "))]
    Unconfirmed {
        /// Keys whose value the file does not show.
        keys: Vec<String>,
        /// How long dbgini waited.
        secs: u64,
        /// `enable`: the lease is kept; `revert`: the leases stay active.
        kept: String,
    },
    /// The server runs and file mode was asked for.
    #[error(
        "the Domino server (process {pid}) is running, and edits to the file of a running server are not seen and may be overwritten"
    )]
    ServerRunning {
        /// Its process id.
        pid: u32,
    },
    /// Auto mode cannot tell whether the server runs.
    #[error("cannot tell whether the Domino server for this notes.ini is running: {reason}")]
    ModeUnknown {
        /// Why.
        reason: String,
    },
    /// A guard refuses: content capture without consent, free space already below the floor.
    #[error("{msg}")]
    Unsafe {
        /// What is wrong.
        msg: String,
        /// What to do.
        help: String,
    },
    /// A file or directory that another user controls is not what dbgini may use (a link, the
    /// wrong owner, writable by others): dbgini stopped before using it.
    #[error("{} {what}", path.display())]
    Untrusted {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// The state is unreadable.
    #[error("dbgini's state at {} cannot be read: {msg}", path.display())]
    BadState {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>, help: impl Into<String>) -> Error {
        Error::Invalid {
            msg: msg.into(),
            help: help.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The exit code for this error, when nothing changed before it (see [`ExitCode::Partial`]
    /// for the case where something did).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::NoIni { .. }
            | Error::Invalid { .. }
            | Error::UnknownProfile { .. }
            | Error::ProfileSyntax { .. }
            | Error::UnknownLease { .. }
            | Error::ModeUnknown { .. } => ExitCode::Usage,
            Error::Refused { .. }
            | Error::Interrupted { .. }
            | Error::BadState { .. }
            | Error::ServerRunning { .. }
            | Error::Unsafe { .. }
            | Error::Untrusted { .. }
            | Error::Io { .. }
            | Error::Locked { .. }
            | Error::ChangedUnderneath { .. }
            | Error::StartOver
            | Error::Console { .. } => ExitCode::Refused,
            Error::Unfinished { .. } | Error::Unconfirmed { .. } => ExitCode::Partial,
        }
    }

    /// The `help:` line: what to do next.
    pub fn help(&self) -> String {
        match self {
            Error::NoIni { config } => format!(
                "pass --ini PATH, set DBGINI_INI, or put ini = \"/path/to/notes.ini\" in {}",
                config.as_ref().map_or("the dbgini config file".into(), |c| c.display().to_string())
            ),
            Error::Invalid { help, .. } => help.clone(),
            Error::Refused { source, .. } => match source {
                IniError::Bom => "remove the first three bytes (EF BB BF), e.g. with `sed -i '1s/^\\xEF\\xBB\\xBF//' notes.ini`, then run dbgini again".into(),
                IniError::Nul { .. } => "the file may be damaged or UTF-16: restore it from a backup or save it as plain text".into(),
                IniError::CrOnly => "convert the line endings to CRLF (Windows) or LF (Linux), then run dbgini again".into(),
                IniError::NoNotesSection => "check that --ini names the server's notes.ini; it must contain a [Notes] line".into(),
                IniError::Duplicate { key, .. } => format!(
                    "keep one {key} line (Domino's choice between duplicates is not documented), then run dbgini again"
                ),
            },
            Error::UnknownProfile { name, known } => format!(
                "{}known profiles: {}; `dbgini profiles` lists them, or pass a path to a .toml profile or a KEY=VALUE snippet",
                closest(name, known).map_or(String::new(), |k| format!("did you mean `{k}`? ")),
                known.join(", ")
            ),
            Error::UnknownLease { wanted, active, names } => format!(
                "{}the active leases are: {}; name one of them (`dbgini status` shows them)",
                closest(wanted, names).map_or(String::new(), |k| format!("did you mean `{k}`? ")),
                active.join("; ")
            ),
            Error::ProfileSyntax { .. } => "fix the profile file; `dbgini show router` prints a complete example".into(),
            // Windows: a running server (or an editor) that holds notes.ini open without
            // FILE_SHARE_DELETE makes the replace fail (ERROR_ACCESS_DENIED, or
            // ERROR_SHARING_VIOLATION); the rename failed before anything changed.
            Error::Io { source, path, action }
                if cfg!(windows)
                    && (source.raw_os_error() == Some(32)
                        || (*action == "replace"
                            && source.kind() == std::io::ErrorKind::PermissionDenied)) =>
            {
                format!(
                    "another program may hold {} open and not let it be replaced (a running Domino server, or an editor), or you may not change it; notes.ini and dbgini's record were not changed: use --mode console while the server runs, or stop the server and close the file (as Administrator), then run dbgini again",
                    path.display()
                )
            }
            Error::Io { source, path, .. } if cfg!(windows) && source.kind() == std::io::ErrorKind::PermissionDenied => format!(
                "run dbgini as Administrator, or as a user allowed to change {} and its folder; notes.ini was not changed",
                path.display()
            ),
            Error::Io { source, path, .. } => match source.kind() {
                // Root is refused only by the system itself: an immutable file, a read-only or
                // protected mount, a security module.
                std::io::ErrorKind::PermissionDenied if crate::safe::is_root() => format!(
                    "dbgini runs as root, so the system itself refused: check whether {} is immutable (`lsattr`; `chattr -i` to undo) or on a read-only mount; notes.ini was not changed",
                    path.display()
                ),
                std::io::ErrorKind::PermissionDenied => format!(
                    "run dbgini as the owner of {} (often root or the notes user)",
                    path.display()
                ),
                std::io::ErrorKind::NotFound => "check the path; `--ini` must name an existing notes.ini".into(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded | std::io::ErrorKind::FileTooLarge => {
                    "free some disk space on that file system, then run dbgini again; notes.ini was not changed".into()
                }
                _ => "check the path and the disk, then run dbgini again; notes.ini was not changed".into(),
            },
            Error::Locked { .. } => "wait for the other dbgini to finish, or raise --lock-timeout".into(),
            Error::ChangedUnderneath { .. } => "another program (Domino itself or an editor) wrote notes.ini; run the same dbgini command again".into(),
            Error::Unfinished { .. } => "check the disk (free space, dmesg), then run `dbgini status`: it records the change and its lease from the pending record if they are missing, and `dbgini revert` undoes it".into(),
            Error::Interrupted { pending, backup, .. } => format!(
                "compare notes.ini with the backup {}; when notes.ini is right as it is, delete {} and run dbgini again",
                backup.as_ref().map_or("(none kept)".into(), |b| b.display().to_string()),
                pending.display()
            ),
            Error::Console { .. } => "check --console-cmd (or DBGINI_CONSOLE_CMD, or console_cmd in the config file) and that the server is up; nothing further was sent, and `dbgini status` shows what is recorded as unconfirmed (`dbgini revert` undoes whatever did land)".into(),
            Error::Unconfirmed { kept, .. } => format!(
                "{kept}; check at the console with `show config KEY`, then run the command again (or raise --confirm-timeout)"
            ),
            Error::Unsafe { help, .. } => help.clone(),
            Error::Untrusted { path, .. } => format!(
                "nothing was changed; find out who put {} there (it may be an attack on the account that runs dbgini), remove or fix it, then run dbgini again",
                path.display()
            ),
            Error::StartOver => "run the same command again".into(),
            Error::ServerRunning { .. } => "use --mode console (the default auto mode does this), or stop the server first; `--mode file --force` edits the file anyway".into(),
            Error::ModeUnknown { .. } => "pass --mode file when the server is down, or --mode console when it runs".into(),
            Error::BadState { path, .. } => format!(
                "fix {} by hand, or move the directory {} aside to start afresh (dbgini then forgets its leases: compare notes.ini with the copies in its backups/); notes.ini was not changed",
                path.display(),
                path.parent().unwrap_or(path).display()
            ),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The name in `known` that `name` is most likely a typo of, if any is close (the same measure
/// and threshold as clap's suggestions).
fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro(name, k), k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_of_a_profile_name_gets_a_suggestion_and_a_stranger_none() {
        let known: Vec<String> = ["lookup", "router", "smtp-inbound", "smtp-outbound"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest("routr", &known), Some("router"));
        assert_eq!(closest("smtp-inbond", &known), Some("smtp-inbound"));
        assert_eq!(closest("smtp-out", &known), Some("smtp-outbound"));
        assert_eq!(closest("kerberos", &known), None);
        let e = Error::UnknownProfile {
            name: "routr".into(),
            known,
        };
        assert!(
            e.help()
                .starts_with("did you mean `router`? known profiles: lookup, router")
        );
    }
}

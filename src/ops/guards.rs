//! The I/O side of the guards (see [`crate::guard`]): which files a lease's settings make grow,
//! their sizes and the free space around them, the pre-flight report at `enable`, and sampling.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::Context;
use crate::atomic::Perms;
use crate::error::{Error, Result};
use crate::guard::{self, Guard, Output, Sample, Volume, Watched, format_size};
use crate::ini::Document;
use crate::profile::{ResolvedSetting, Setting};

/// The files the given outputs write to, once each: `(output, path)`.
///
/// Console output (what `DebugRouter`, `SMTPDebug` and the like write) lands in the console log:
/// the file `debug_outfile` names (a bare name in the log directory, a relative path below the
/// data directory), else, with console logging on, `console.log` in the log directory
/// (`LOGFILE_DIR`, else `IBM_TECHNICAL_SUPPORT` below the data directory). With neither, it is
/// kept nowhere and no file is watched.
pub fn files(
    outputs: &[Output],
    doc_after: &Document,
    data_dir: &str,
    temp_dir: &Path,
) -> Vec<(Output, PathBuf)> {
    let data = Path::new(data_dir);
    let value = |key: &str| {
        doc_after
            .get(key)
            .ok()
            .flatten()
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let absolute = |v: &str| Path::new(v).is_absolute() || v.as_bytes().get(1) == Some(&b':');
    let logs = match value("LOGFILE_DIR") {
        Some(d) if absolute(&d) => PathBuf::from(d),
        Some(d) => data.join(d),
        None => data.join("IBM_TECHNICAL_SUPPORT"),
    };
    // (what it is called in messages, where it is)
    let console_log = value("debug_outfile")
        .map(|v| {
            let path = match (v.contains(['/', '\\']), absolute(&v)) {
                (_, true) => PathBuf::from(v),
                (true, false) => data.join(v),
                (false, false) => logs.join(v),
            };
            (Output::DebugOutfile, path)
        })
        .or_else(|| {
            value("Console_Log_Enabled")
                .filter(|v| crate::profile::domino_number(v.as_bytes()).value >= 1)
                .map(|_| (Output::ConsoleLog, logs.join("console.log")))
        });
    let mut out: Vec<(Output, PathBuf)> = Vec::new();
    for &o in outputs {
        let (o, path) = match o {
            Output::DebugOutfile | Output::ConsoleLog => match &console_log {
                Some(c) => c.clone(),
                None => continue,
            },
            Output::LogNsf => (o, data.join("log.nsf")),
            Output::TempDir => (o, temp_dir.to_path_buf()),
            Output::None => continue,
        };
        // One file, however many outputs lead to it.
        if !out.iter().any(|(_, p)| *p == path) {
            out.push((o, path));
        }
    }
    out
}

/// The size of what an output wrote: the file, or for the temp directory the `ST*.TMP` files in
/// it. Links are not followed and only regular files count: the paths come from notes.ini and
/// the state, which the owner of notes.ini controls.
pub fn size_of(output: Output, path: &Path) -> u64 {
    if output == Output::TempDir {
        let Ok(entries) = std::fs::read_dir(path) else {
            return 0;
        };
        return entries
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().to_ascii_uppercase();
                n.starts_with("ST") && n.ends_with(".TMP")
            })
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
    }
    std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map_or(0, |m| m.len())
}

/// The sizes of `files`, measured with the rights of the owner of notes.ini alone (see
/// [`crate::safe::as_user`]), so that root learns nothing about a file that user could not
/// look at. Where the rights cannot be given up, measured as is (sizes only, links not
/// followed).
pub fn sizes_as(owner: Perms, files: &[(Output, &Path)]) -> Vec<u64> {
    let measure = || files.iter().map(|(o, p)| size_of(*o, p)).collect();
    crate::safe::as_user(owner.uid, owner.gid, measure).unwrap_or_else(|_| measure())
}

/// Free and total bytes of the file system holding `path` (or its nearest existing ancestor).
pub fn space(path: &Path) -> Option<(u64, u64)> {
    let mut p = path;
    while !p.exists() {
        p = p.parent()?;
    }
    Some((fs4::available_space(p).ok()?, fs4::total_space(p).ok()?))
}

/// Measures a guard's files now, as `owner` (see [`sizes_as`]).
pub fn sample(g: &Guard, now: Timestamp, owner: Perms) -> Sample {
    let files: Vec<(Output, &Path)> = g
        .files
        .iter()
        .map(|f| (f.output, Path::new(&f.path)))
        .collect();
    let sizes = sizes_as(owner, &files);
    let free = g
        .files
        .first()
        .and_then(|f| space(Path::new(&f.path)))
        .map_or(u64::MAX, |s| s.0);
    Sample {
        time: now,
        sizes,
        free,
    }
}

/// What `enable` works out before it changes anything.
pub struct Preflight {
    /// The guard for the new lease (`None` when its settings write nothing that grows).
    pub guard: Option<Guard>,
    /// Directories to create (`--create-dirs`).
    pub create: Vec<PathBuf>,
}

/// Options of the pre-flight.
pub struct PreflightArgs {
    /// `--max-growth`, else the profile's.
    pub max_growth: u64,
    /// `--min-free`.
    pub min_free: guard::MinFree,
    /// `--create-dirs`.
    pub create_dirs: bool,
    /// `--mail-rate`, messages per hour.
    pub mail_rate: Option<u64>,
    /// The lease's length, for the estimate.
    pub duration: jiff::SignedDuration,
    /// The owner of notes.ini, whose rights measure the files.
    pub owner: Perms,
}

/// Resolves the files that will grow, checks the debug_outfile directory, measures sizes and free
/// space, and builds the guard.
pub fn preflight(
    ctx: &Context,
    settings: &[ResolvedSetting],
    doc_after: &Document,
    data_dir: &str,
    args: &PreflightArgs,
    now: Timestamp,
) -> Result<Preflight> {
    let outputs: Vec<Output> = settings.iter().map(|r| r.info.output).collect();
    let watched = files(&outputs, doc_after, data_dir, &ctx.temp_dir);
    let mut pf = Preflight {
        guard: None,
        create: Vec::new(),
    };

    for ResolvedSetting {
        setting: Setting { key, value, .. },
        info: i,
    } in settings
    {
        if i.volume != Volume::Low {
            ctx.ui.warning(format!(
                "{key}={value} is {} volume ({}); it writes to {}",
                i.volume.name(),
                i.note,
                i.output.destination()
            ));
        }
    }
    // Console debug output that nothing writes to a file is lost (a snippet from support that
    // sets DebugRouter alone, say).
    let to_console: Vec<&str> = settings
        .iter()
        .filter(|r| r.info.output == Output::DebugOutfile)
        .map(|r| r.setting.key.as_str())
        .collect();
    let console_log_on = doc_after
        .get("Console_Log_Enabled")
        .ok()
        .flatten()
        .is_some_and(|v| v.trim_ascii() == b"1");
    if !to_console.is_empty()
        && !console_log_on
        && !watched
            .iter()
            .any(|(o, _)| matches!(o, Output::DebugOutfile | Output::ConsoleLog))
    {
        ctx.ui.warning(format!(
            "{} write{} debug output to the server console, but nothing captures it in a file (neither debug_outfile nor Console_Log_Enabled=1 is set): add --set Console_Log_Enabled=1 (the console log, IBM_TECHNICAL_SUPPORT/console.log) or --set debug_outfile=PATH",
            to_console.join(", "),
            if to_console.len() == 1 { "s" } else { "" }
        ));
    }
    if watched.is_empty() {
        return Ok(pf);
    }

    let data_here = Path::new(data_dir).is_dir();
    if !data_here {
        ctx.ui.warning(format!(
            "the data directory {data_dir} (Directory= in notes.ini) is not on this machine: is this a copy of a server's notes.ini? Sizes and free space are measured where the paths lead"
        ));
    }
    let console_log = watched
        .iter()
        .find(|(o, _)| matches!(o, Output::DebugOutfile | Output::ConsoleLog));
    if let Some((_, out)) = console_log
        && let Some(dir) = out.parent()
        && data_here
    {
        if !dir.is_dir() {
            if !args.create_dirs {
                return Err(Error::invalid(
                    format!(
                        "the directory for the console log ({}), {}, does not exist: the debug output would go nowhere",
                        out.display(),
                        dir.display()
                    ),
                    "create it, or pass --create-dirs (dbgini creates it with the rights of notes.ini's owner)",
                ));
            }
            pf.create.push(dir.to_path_buf());
        } else if std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly()) {
            return Err(Error::invalid(
                format!(
                    "the directory for the console log, {}, is read-only",
                    dir.display()
                ),
                "make it writable for the user Domino runs as",
            ));
        }
    }

    // A circular console log (HCL: console log mirroring, about 100 MB by default) overwrites its
    // oldest lines past its cap: the start of the debug output can be lost. (The guard counts a
    // wrap that starts the file over; one that overwrites in place keeps the size at the cap,
    // which bounds the disk use anyway: see `Watched::written`.)
    if console_log.is_some()
        && let Ok(Some(kb)) = doc_after.get("Console_Log_Max_Kbytes")
    {
        let kb = crate::profile::domino_number(kb).value;
        if kb > 0 {
            ctx.ui.warning(format!(
                "the console log is circular (Console_Log_Max_Kbytes={kb}): past {} its oldest lines are overwritten, so the earliest debug output may be gone before you bundle it; for a longer record add --set Console_Log_Max_Kbytes=N for the lease (room allowing). On disk it stays within that size",
                format_size(kb.saturating_mul(1024))
            ));
        }
    }
    let (free, total) = space(&watched[0].1).unwrap_or((u64::MAX, u64::MAX));
    let min_free = args.min_free.of(total);
    if free < min_free {
        return Err(Error::Unsafe {
            msg: format!(
                "free space on the file system of {} is {}, already below the floor of {}",
                watched[0].1.display(),
                format_size(free),
                format_size(min_free)
            ),
            help: "free some space first, or lower the floor with --min-free".into(),
        });
    }
    let max_growth = guard::cap(args.max_growth, free);
    let sizes = sizes_as(
        args.owner,
        &watched
            .iter()
            .map(|(o, p)| (*o, p.as_path()))
            .collect::<Vec<_>>(),
    );
    let files: Vec<Watched> = watched
        .iter()
        .zip(sizes)
        .map(|((o, p), size)| Watched::new(*o, p.display().to_string(), size))
        .collect();

    ctx.ui.status("files that will grow:");
    for (f, (_, p)) in files.iter().zip(&watched) {
        let size = if p.exists() {
            format_size(f.size_at_enable)
        } else {
            "does not exist yet".into()
        };
        // Unknown where no directory on the way exists on this machine yet (u64::MAX).
        let room = match space(p).unwrap_or((free, total)) {
            (u64::MAX, _) => "free space unknown".to_string(),
            (fr, tot) => format!("free space {} of {}", format_size(fr), format_size(tot)),
        };
        ctx.ui.status(format!(
            "  {:<14} {}  {size}; {room}",
            f.output.name(),
            p.display(),
        ));
    }
    for d in &pf.create {
        ctx.ui.status(format!("  will create {}", d.display()));
    }
    let capped = if max_growth < args.max_growth {
        " (half the free space)"
    } else {
        ""
    };
    let floor = if total == u64::MAX {
        "unknown".to_string()
    } else {
        format_size(min_free)
    };
    ctx.ui.status(format!(
        "growth cap {}{capped} (--max-growth), free-space floor {floor} (--min-free {}): past either, dbgini reverts this lease early",
        format_size(max_growth),
        args.min_free
    ));
    if let Some(rate) = args.mail_rate {
        let pairs: Vec<(String, String)> = settings
            .iter()
            .map(|r| (r.setting.key.clone(), r.setting.value.clone()))
            .collect();
        let per_hour = guard::estimate_per_hour(&pairs, rate);
        let hours = args.duration.as_secs_f64() / 3600.0;
        ctx.ui.status(format!(
            "estimate, not a measurement (bytes per message of each verbose setting x {rate} messages/h): about {} an hour, {} over the lease",
            format_size(per_hour),
            format_size((per_hour as f64 * hours) as u64)
        ));
    }
    let mut g = Guard {
        files,
        max_growth,
        min_free,
        samples: Vec::new(),
    };
    let first = Sample {
        time: now,
        sizes: g.files.iter().map(|f| f.size_at_enable).collect(),
        free,
    };
    g.record(first);
    pf.guard = Some(g);
    Ok(pf)
}

//! `dbgini bundle [LEASE] -o FILE.tar.gz`: what support needs from a debug session, in one archive.
//!
//! The debug output written during the lease (for a file that existed before, only the part written
//! since enable), the lease record, the notes.ini diff, the status, and dbgini's version. Output of
//! a content-capturing lease is packed only with `--allow-content-capture`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde_json::json;

use super::{Context, Enforce, find_leases};
use crate::cli::BundleArgs;
use crate::error::{Error, Result};
use crate::guard::{Output, format_size};
use crate::lease::Lease;
use crate::output::{Report, unified_diff};

/// One member of the archive: its name and where its bytes come from.
enum Member {
    Text(String, Vec<u8>),
    /// A file from `offset` on.
    Tail(String, std::path::PathBuf, u64),
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `bundle`.
pub fn run(args: BundleArgs, ctx: &Context) -> Result<Report> {
    let opened = ctx.open(Enforce::Lenient)?;
    let session = &opened.session;
    let state = &session.state;
    let ended_log = crate::store::read_ended(&session.target);
    let ended: Vec<&Lease> = ended_log.iter().rev().map(|e| &e.lease).collect();
    let lease: Lease = match &args.lease {
        Some(w) => find_leases(&state.leases, w)
            .first()
            .copied()
            .or_else(|| {
                ended
                    .iter()
                    .copied()
                    .find(|l| &l.id == w || &l.profile == w)
            })
            .cloned()
            .ok_or_else(|| {
                Error::invalid(
                    format!("no lease '{w}', active or recently ended"),
                    "`dbgini status` lists both",
                )
            })?,
        None => match state.leases.as_slice() {
            [one] => one.clone(),
            [] => ended.first().copied().cloned().ok_or_else(|| {
                Error::invalid(
                    "there is no lease to bundle",
                    "enable a profile first, or name a lease",
                )
            })?,
            _ => {
                return Err(Error::invalid(
                    "several leases are active",
                    "name one: dbgini bundle LEASE-ID -o FILE.tar.gz",
                ));
            }
        },
    };
    if lease.content_capture && !args.allow_content_capture {
        return Err(Error::Unsafe {
            msg: format!(
                "lease {} captured message contents; its output holds personal data",
                lease.id
            ),
            help: "pass --allow-content-capture if you are entitled to hand it over".into(),
        });
    }

    let name = session.target.ini.display().to_string();
    let diff = unified_diff(&super::diff::baseline(session)?, &session.bytes, &name);
    let mut members = vec![
        Member::Text(
            "lease.toml".into(),
            toml::to_string_pretty(&lease)
                .unwrap_or_default()
                .into_bytes(),
        ),
        Member::Text("notes.ini.diff".into(), diff.into_bytes()),
        Member::Text(
            "version.txt".into(),
            format!("dbgini {}\n", env!("CARGO_PKG_VERSION")).into_bytes(),
        ),
    ];
    let mut skipped = Vec::new();
    for f in lease.guard.iter().flat_map(|g| &g.files) {
        let path = Path::new(&f.path);
        match f.output {
            Output::DebugOutfile | Output::ConsoleLog if path.is_file() => {
                let len = std::fs::metadata(path).map_or(0, |m| m.len());
                // A file that shrank was rotated: all of it is new.
                let from = if len >= f.size_at_enable { f.size_at_enable } else { 0 };
                let base = path.file_name().map_or("output".into(), |n| n.to_string_lossy().into_owned());
                members.push(Member::Tail(format!("files/{base}"), path.to_path_buf(), from));
            }
            Output::LogNsf => skipped.push(format!("{} is a Notes database: open it in a Notes client (Miscellaneous Events, Mail Routing Events)", f.path)),
            _ => skipped.push(format!("{} ({}): nothing to pack", f.path, f.output.name())),
        }
    }
    let status = super::status::render(ctx, opened)?;
    members.push(Member::Text(
        "status.txt".into(),
        strip_ansi(&status.data).into_bytes(),
    ));
    let mut readme = format!(
        "dbgini support bundle for lease {} ({}) on {}\n\nlease.toml      the lease: settings, times, who and why\nnotes.ini.diff  notes.ini before dbgini against now\nstatus.txt      `dbgini status` when the bundle was made\nversion.txt     dbgini's version\nfiles/          debug output written during the lease (for files that existed before, only what was written since enable)\n",
        lease.id, lease.profile, name
    );
    for s in &skipped {
        readme.push_str(&format!("not packed: {s}\n"));
    }
    members.insert(0, Member::Text("README.txt".into(), readme.into_bytes()));

    let listing = write_archive(&args.output, &members, ctx.caller.now.as_second())?;
    let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    let mut notes = vec![format!(
        "wrote {} ({}):",
        args.output.display(),
        format_size(size)
    )];
    notes.extend(
        listing
            .iter()
            .map(|(n, s)| format!("  {n}  {}", format_size(*s))),
    );
    notes.extend(skipped.iter().map(|s| format!("not packed: {s}")));
    Ok(Report {
        json: json!({
            "command": "bundle", "changed": false, "ini": name, "lease": lease.id, "archive": args.output,
            "size": size, "contents": listing.iter().map(|(n, s)| json!({"name": n, "size": s})).collect::<Vec<_>>(),
            "warnings": [],
        }),
        notes,
        ..Report::default()
    })
}

/// Writes the archive beside its destination and renames it into place; mode 0600 (support data).
fn write_archive(dest: &Path, members: &[Member], mtime: i64) -> Result<Vec<(String, u64)>> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |e: std::io::Error| Error::io("write the bundle", dest, e);
    let tmp = tempfile::Builder::new()
        .prefix(".dbgini-bundle-")
        .tempfile_in(dir)
        .map_err(io)?;
    let gz = flate2::write::GzEncoder::new(tmp.as_file(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut listing = Vec::new();
    for m in members {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o600);
        header.set_mtime(mtime.max(0) as u64);
        match m {
            Member::Text(name, bytes) => {
                header.set_size(bytes.len() as u64);
                header.set_cksum();
                tar.append_data(
                    &mut header,
                    format!("dbgini-bundle/{name}"),
                    bytes.as_slice(),
                )
                .map_err(io)?;
                listing.push((name.clone(), bytes.len() as u64));
            }
            Member::Tail(name, path, from) => {
                let mut f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
                let len = f.metadata().map_err(io)?.len().saturating_sub(*from);
                f.seek(SeekFrom::Start(*from)).map_err(io)?;
                header.set_size(len);
                header.set_cksum();
                tar.append_data(&mut header, format!("dbgini-bundle/{name}"), f.take(len))
                    .map_err(io)?;
                listing.push((name.clone(), len));
            }
        }
    }
    let mut gz = tar.into_inner().map_err(io)?;
    gz.flush().map_err(io)?;
    gz.finish().map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    crate::atomic::set_perms(
        tmp.path(),
        crate::atomic::Perms {
            mode: 0o600,
            ..owner(dir)
        },
    )
    .map_err(io)?;
    tmp.persist(dest).map_err(|e| io(e.error))?;
    Ok(listing)
}

fn owner(dir: &Path) -> crate::atomic::Perms {
    std::fs::metadata(dir).map_or(
        crate::atomic::Perms {
            mode: 0o600,
            uid: 0,
            gid: 0,
        },
        |m| crate::atomic::Perms::of(&m),
    )
}

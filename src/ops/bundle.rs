//! `dbgini bundle [LEASE] -o FILE.tar.gz`: what support needs from a debug session, in one archive.
//!
//! The debug output written during the lease (for a file that existed before, only the part written
//! since enable), the lease record, the notes.ini diff, the status, and dbgini's version. Output of
//! a content-capturing lease is packed only with `--allow-content-capture`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::select::{self, Which};
use super::{Context, Enforce};
use crate::error::{Error, Result};
use crate::guard::{Output, format_size};
use crate::lease::Lease;
use crate::outcome::{self, Bundle};
use crate::output::unified_diff;

/// What `bundle` is asked to do.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// A lease id or profile (active or recently ended), or the only one.
    pub which: Which<'a>,
    /// `-o`: the archive, or `-` for standard output.
    pub output: &'a Path,
    /// `--allow-content-capture`.
    pub allow_content_capture: bool,
    /// `--no-redact`.
    pub no_redact: bool,
}

/// One member of the archive: its name and where its bytes come from.
enum Member {
    Text(String, Vec<u8>),
    /// An open file from `offset` on.
    Tail(String, std::fs::File, u64),
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
pub fn bundle(ctx: &Context, args: &Options<'_>) -> Result<Bundle> {
    if ctx.json && args.output == Path::new("-") {
        return Err(Error::invalid(
            "--json and -o - would both write to standard output",
            "name a file with -o, or leave out --json",
        ));
    }
    let opened = ctx.open(Enforce::Lenient)?;
    let session = &opened.session;
    let state = &session.state;
    let now = ctx.now(session);
    let ended_log = crate::store::read_ended(&session.target)?;
    let ended: Vec<Lease> = ended_log.iter().rev().map(|e| e.lease.clone()).collect();
    // An active lease first, else one that ended (the newest).
    let active = select::choose(&state.leases, args.which, &ctx.tz, now)?;
    let lease: Lease = match (active.first(), args.which) {
        (Some(l), _) => (*l).clone(),
        (None, Which::Named(w)) => select::matching(&ended, w)
            .first()
            .copied()
            .cloned()
            .ok_or_else(|| {
                Error::invalid(
                    format!("no lease '{w}', active or recently ended"),
                    "`dbgini status` lists both",
                )
            })?,
        (None, _) => ended.first().cloned().ok_or_else(|| {
            Error::invalid(
                "there is no lease to bundle",
                "enable a profile first, or name a lease",
            )
        })?,
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
    let mut redactions = 0;
    let owner = session.target.perms;
    for f in lease.guard.iter().flat_map(|g| &g.files) {
        let path = Path::new(&f.path);
        match f.output {
            Output::DebugOutfile | Output::ConsoleLog => {
                // The paths come from notes.ini and the state, which the owner of notes.ini
                // controls: read each with that user's rights alone, never through a link.
                let file = match crate::safe::open_as_user(path, owner.uid, owner.gid) {
                    Ok(file) => file,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        skipped.push(format!("{}: does not exist", f.path));
                        continue;
                    }
                    Err(e) => {
                        ctx.ui.warning(format!(
                            "{} was not packed: {} (dbgini packs only regular files that the owner of notes.ini, uid {}, may read, reached without a link)",
                            f.path,
                            if e.kind() == std::io::ErrorKind::PermissionDenied { "that user may not read it".to_string() } else { e.to_string() },
                            owner.uid
                        ));
                        continue;
                    }
                };
                let len = file.metadata().map_or(0, |m| m.len());
                // A file that shrank, or started over since enable (rotated, or a circular
                // console log that wrapped), is all new.
                let from = if len >= f.size_at_enable && f.restarts == 0 { f.size_at_enable } else { 0 };
                let base = path.file_name().map_or("output".into(), |n| n.to_string_lossy().into_owned());
                if args.no_redact {
                    members.push(Member::Tail(format!("files/{base}"), file, from));
                } else {
                    let (copy, n) = redacted(file, from).map_err(|e| Error::io("read", path, e))?;
                    redactions += n;
                    members.push(Member::Tail(format!("files/{base}"), copy, 0));
                }
            }
            Output::LogNsf => skipped.push(format!("{} is a Notes database: open it in a Notes client (Miscellaneous Events, Mail Routing Events)", f.path)),
            _ => skipped.push(format!("{} ({}): nothing to pack", f.path, f.output.name())),
        }
    }
    let status = outcome::Outcome::Status(super::status::of(ctx, opened)?);
    members.push(Member::Text(
        "status.txt".into(),
        strip_ansi(&status.text(&ctx.tz, false)).into_bytes(),
    ));
    let mut readme = format!(
        "dbgini support bundle for lease {} ({}) on {}\n\nlease.toml      the lease: settings, times, who and why\nnotes.ini.diff  notes.ini before dbgini against now\nstatus.txt      `dbgini status` when the bundle was made\nversion.txt     dbgini's version\nfiles/          debug output written during the lease (for files that existed before, only what was written since enable)\n",
        lease.id, lease.profile, name
    );
    for s in &skipped {
        readme.push_str(&format!("not packed: {s}\n"));
    }
    members.insert(0, Member::Text("README.txt".into(), readme.into_bytes()));

    let (listing, size) = write_archive(args.output, &members, ctx.caller.now.as_second())?;
    ctx.ui.status(format!(
        "wrote {} ({}):",
        if args.output == Path::new("-") {
            "the bundle to standard output".to_string()
        } else {
            args.output.display().to_string()
        },
        format_size(size)
    ));
    for (n, s) in &listing {
        ctx.ui.status(format!("  {n}  {}", format_size(*s)));
    }
    for s in &skipped {
        ctx.ui.status(format!("not packed: {s}"));
    }
    if redactions > 0 {
        ctx.ui.status(format!(
            "redacted {redactions} SMTP AUTH credential{} in the debug output (--no-redact keeps them)",
            if redactions == 1 { "" } else { "s" }
        ));
    }
    Ok(Bundle {
        ini: name,
        lease: lease.id,
        archive: args.output.to_path_buf(),
        size,
        contents: listing
            .into_iter()
            .map(|(name, size)| outcome::Member { name, size })
            .collect(),
        skipped,
        redacted: redactions,
    })
}

/// Writes the archive to standard output (`-`), or beside its destination and renames it into
/// place: mode 0600 (support data), owned by whoever runs dbgini. The destination is replaced
/// only when it is a regular file or missing, never a link, a device or a directory (a link
/// planted where the archive is asked for must not be replaced, nor followed). Returns the
/// listing and the archive's size.
fn write_archive(dest: &Path, members: &[Member], mtime: i64) -> Result<(Vec<(String, u64)>, u64)> {
    let io = |e: std::io::Error| Error::io("write the bundle", dest, e);
    if dest == Path::new("-") {
        let mut out = Counter(std::io::stdout().lock(), 0);
        let listing = pack(&mut out, members, mtime).map_err(io)?;
        out.flush().map_err(io)?;
        return Ok((listing, out.1));
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::invalid(
            format!("-o {}: name a file for the bundle", dest.display()),
            "e.g. -o /tmp/case-TS012345.tar.gz, or -o - for standard output",
        )
    })?;
    let (uid, gid) = crate::safe::me();
    let perms = crate::atomic::Perms {
        mode: 0o600,
        uid,
        gid,
    };
    let dir = match crate::safe::Dir::anchor(parent, perms) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::invalid(
                format!(
                    "the directory for the bundle, {}, does not exist",
                    parent.display()
                ),
                "create it first, or name another file with -o (or -o - for standard output)",
            ));
        }
        other => other?,
    };
    dir.ensure_replaceable(name)?;
    let tmp = crate::safe::random_name(".dbgini-bundle-");
    let file = dir.create_new(&tmp, perms)?;
    let written = (|| {
        let mut out = Counter(&file, 0);
        let listing = pack(&mut out, members, mtime)?;
        file.sync_all()?;
        dir.rename(&tmp, name)?;
        Ok((listing, out.1))
    })();
    if written.is_err() {
        let _ = dir.remove(&tmp);
    }
    written.map_err(io)
}

/// `file` from `from` on with SMTP AUTH credentials redacted (see [`crate::guard::redact_auth`]),
/// a line at a time into an unnamed temp file (a console log can be large); and how many.
fn redacted(mut file: std::fs::File, from: u64) -> std::io::Result<(std::fs::File, usize)> {
    use std::io::BufRead;
    file.seek(SeekFrom::Start(from))?;
    let mut reader = std::io::BufReader::new(file);
    let mut out = std::io::BufWriter::new(tempfile::tempfile()?);
    let mut r = crate::guard::AuthRedactor::default();
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        out.write_all(&r.line(&line))?;
        line.clear();
    }
    let mut copy = out.into_inner().map_err(|e| e.into_error())?;
    copy.rewind()?;
    Ok((copy, r.count))
}

/// Counts what passes through.
struct Counter<W>(W, u64);

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Writes the members as a gzipped tar to `out`.
fn pack(
    out: &mut impl Write,
    members: &[Member],
    mtime: i64,
) -> std::io::Result<Vec<(String, u64)>> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
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
                )?;
                listing.push((name.clone(), bytes.len() as u64));
            }
            Member::Tail(name, file, from) => {
                let mut f = file;
                let len = f.metadata()?.len().saturating_sub(*from);
                f.seek(SeekFrom::Start(*from))?;
                header.set_size(len);
                header.set_cksum();
                tar.append_data(&mut header, format!("dbgini-bundle/{name}"), f.take(len))?;
                listing.push((name.clone(), len));
            }
        }
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()?;
    Ok(listing)
}

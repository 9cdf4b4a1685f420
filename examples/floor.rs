//! The floor for `benches/compare.sh`: the least any tool must do to change one notes.ini line
//! safely. Read the file, change the first `KEY=` line (or append one), write a temp file in the
//! same directory, fsync it, rename it over the file, fsync the directory.
//!
//! `cargo run --release --example floor -- notes.ini KEY=VALUE`

// The floor is the reference dbgini is measured against: it must not use dbgini's own writer.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

use std::io::Write;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (path, assignment) = (std::path::Path::new(&args[1]), &args[2]);
    let key = assignment.split('=').next().unwrap_or_default();
    let text = std::fs::read(path)?;
    let mut out = Vec::with_capacity(text.len() + assignment.len() + 1);
    let mut done = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if !done
            && line.len() > key.len()
            && line[..key.len()].eq_ignore_ascii_case(key.as_bytes())
            && line[key.len()] == b'='
        {
            out.extend_from_slice(assignment.as_bytes());
            out.push(b'\n');
            done = true;
        } else {
            out.extend_from_slice(line);
        }
    }
    if !done {
        out.extend_from_slice(assignment.as_bytes());
        out.push(b'\n');
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(".floor-tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&out)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

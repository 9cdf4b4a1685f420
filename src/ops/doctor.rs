//! `dbgini doctor`: lints a notes.ini and dbgini's state without changing anything (no lock, no
//! recovery, no expiry enforcement): what would make Domino or dbgini fail, and debug settings that
//! someone forgot to switch off.

use std::collections::BTreeMap;
use std::path::Path;

use super::Context;
use crate::error::Result;
use crate::guard::{self, Volume};
use crate::ini::{Document, Kind};
use crate::lease::effective_now;
use crate::outcome::{Doctor, Finding, Severity};
use crate::output::at;
use crate::profile::MAX_VALUE_LEN;
use crate::store::{Target, peek_state};

fn finding(
    severity: Severity,
    code: &'static str,
    message: String,
    fix: impl Into<String>,
) -> Finding {
    Finding {
        severity,
        code: code.to_string(),
        message,
        fix: fix.into(),
    }
}

/// The findings for a notes.ini (pure: takes the document and what the state says).
pub fn lint_document(doc: &Document, managed: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Err(e) = doc.check_editable() {
        out.push(finding(
            Severity::Error,
            "unreadable",
            e.to_string(),
            crate::error::Error::Refused {
                path: "notes.ini".into(),
                source: e,
            }
            .help(),
        ));
    }
    let mut in_notes = false;
    let mut keys: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, line) in doc.lines().enumerate() {
        if !line.content.is_ascii() {
            out.push(finding(
                Severity::Info,
                "non-ascii",
                format!("line {} has bytes outside ASCII (LMBCS)", i + 1),
                "nothing to do: dbgini keeps such lines byte for byte and writes only ASCII values",
            ));
        }
        match line.kind() {
            Kind::Section(name) => in_notes = name.eq_ignore_ascii_case(b"Notes"),
            Kind::Key { key, value } if in_notes => {
                let k = String::from_utf8_lossy(key).into_owned();
                keys.entry(k.to_ascii_lowercase()).or_default().push(i + 1);
                if value.len() > MAX_VALUE_LEN {
                    out.push(finding(
                        Severity::Warning,
                        "value-too-long",
                        format!(
                            "{k} on line {} is {} bytes long; Domino reads at most {MAX_VALUE_LEN}",
                            i + 1,
                            value.len()
                        ),
                        "shorten the value",
                    ));
                }
                let v = String::from_utf8_lossy(value);
                let (_, volume) = guard::describe(&k, &v);
                let unmanaged = !managed.iter().any(|m| m.eq_ignore_ascii_case(&k));
                if unmanaged && guard::captures(&k, &v) {
                    out.push(finding(Severity::Warning, "forgotten-content-capture", format!("{k}={v} (line {}) logs the contents of mail messages, and no dbgini lease manages it", i + 1), format!("switch it off: `set config {k}=0` at the console, or remove the line while the server is down")));
                } else if unmanaged && volume != Volume::Low {
                    out.push(finding(Severity::Warning, "forgotten-debug", format!("{k}={v} (line {}) is a verbose debug setting that no dbgini lease manages: forgotten debug?", i + 1), format!("if nobody needs it any more: `set config {k}=0` at the console (or the normal level), or remove the line while the server is down")));
                }
            }
            _ => {}
        }
    }
    for (_, lines) in keys.iter().filter(|(_, l)| l.len() > 1) {
        let first = doc.line(lines[0] - 1);
        let name = String::from_utf8_lossy(first.key().unwrap_or_default()).into_owned();
        let list = lines
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        out.push(finding(
            Severity::Warning,
            "duplicate-key",
            format!("{name} occurs on lines {list}; which one Domino uses is not documented"),
            format!("keep one {name} line"),
        ));
    }
    out
}

/// Runs `doctor`.
pub fn doctor(ctx: &Context) -> Result<Doctor> {
    let target = ctx.target()?;
    let bytes = target.read_ini()?;
    let doc = Document::parse(&bytes);
    let mut findings = Vec::new();
    let state = match peek_state(&target) {
        Ok(s) => Some(s),
        Err(e) => {
            findings.push(finding(
                Severity::Error,
                "bad-state",
                e.to_string(),
                e.help(),
            ));
            None
        }
    };
    let managed: Vec<String> = state
        .iter()
        .flat_map(|s| s.managed.iter().map(|m| m.key.clone()))
        .collect();
    findings.extend(lint_document(&doc, &managed));
    check_outfile(&doc, &target, &mut findings);
    if crate::store::has_pending(&target, state.as_ref().map_or(0, |s| s.serial)) {
        findings.push(finding(
            Severity::Warning,
            "pending",
            "an earlier dbgini operation was interrupted".into(),
            "run `dbgini status`: it finishes or discards the operation, or explains what to check",
        ));
    }
    if let Some(s) = &state {
        let now = effective_now(s.clock.as_ref(), &ctx.caller.clock());
        for l in s.leases.iter().filter(|l| l.expires <= now) {
            findings.push(finding(
                Severity::Warning,
                "overdue",
                format!(
                    "lease {} ({}) expired at {} but is still active",
                    l.id,
                    l.profile,
                    at(l.expires, &ctx.tz)
                ),
                "run `dbgini expire`, and `dbgini schedule install` so it happens by itself",
            ));
        }
        if !s.residue.is_empty() {
            findings.push(finding(
                Severity::Info,
                "residue",
                format!(
                    "empty lines left by the server console: {}",
                    s.residue.join(", ")
                ),
                "`dbgini tidy` while the server is down",
            ));
        }
        if !s.leases.is_empty() && !super::schedule::enforcement_installed(ctx) {
            findings.push(finding(
                Severity::Warning,
                "no-enforcement",
                "leases are active but no timer, cron entry or scheduled task enforces their expiry"
                    .into(),
                format!(
                    "`dbgini schedule install` ({}), or keep `dbgini watch` running",
                    super::schedule::AS_ADMIN
                ),
            ));
        }
    }
    if !super::schedule::enforcement_installed(ctx)
        && state.as_ref().is_none_or(|s| s.leases.is_empty())
    {
        findings.push(finding(
            Severity::Info,
            "no-enforcement",
            "no expiry enforcement (timer or cron) is installed".into(),
            "`dbgini schedule install` before the next debugging session",
        ));
    }
    check_state_permissions(&target, &mut findings);

    let worst = findings.iter().map(|f| f.severity).max();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let msg = match worst {
        None => "no problems found".to_string(),
        Some(_) => format!(
            "{} error(s), {} warning(s), {} note(s)",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        ),
    };
    ctx.ui.status(msg.clone());
    Ok(Doctor {
        ini: target.ini,
        findings,
        worst,
        msg,
    })
}

fn check_outfile(doc: &Document, target: &Target, findings: &mut Vec<Finding>) {
    let Ok(Some(v)) = doc.get("debug_outfile") else {
        return;
    };
    let data = super::enable::data_dir(doc, &target.real);
    if !Path::new(&data).is_dir() {
        return;
    }
    let files = super::guards::files(
        &[guard::Output::DebugOutfile],
        doc,
        &data,
        Path::new("/tmp"),
    );
    if let Some((_, path)) = files.first()
        && let Some(dir) = path.parent()
        && !dir.is_dir()
    {
        findings.push(finding(
            Severity::Warning,
            "outfile-dir-missing",
            format!(
                "debug_outfile={} points into {}, which does not exist: debug output goes nowhere",
                String::from_utf8_lossy(v),
                dir.display()
            ),
            format!("create {}", dir.display()),
        ));
    }
}

#[cfg(unix)]
fn check_state_permissions(target: &Target, findings: &mut Vec<Finding>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(ini) = std::fs::metadata(&target.real) else {
        return;
    };
    let allowed = ini.permissions().mode() & 0o044;
    let Ok(entries) = std::fs::read_dir(&target.state_dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(m) = e.metadata() else { continue };
        if m.is_file() && m.permissions().mode() & 0o044 & !allowed != 0 {
            findings.push(finding(
                Severity::Warning,
                "state-readable",
                format!(
                    "{} is readable by more users than notes.ini is",
                    e.path().display()
                ),
                format!("chmod go-r {}", e.path().display()),
            ));
        }
    }
}

#[cfg(not(unix))]
fn check_state_permissions(_target: &Target, _findings: &mut Vec<Finding>) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str, managed: &[&str]) -> Vec<String> {
        let m: Vec<String> = managed.iter().map(|s| s.to_string()).collect();
        lint_document(&Document::parse(text.as_bytes()), &m)
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn forgotten_debug_is_found_unless_managed() {
        assert_eq!(
            codes("[Notes]\nLog_MailRouting=40\nDebugRouter=0\n", &[]),
            ["forgotten-debug"]
        );
        assert!(codes("[Notes]\nLog_MailRouting=40\n", &["log_mailrouting"]).is_empty());
        assert_eq!(
            codes("[Notes]\nSMTPDebugIO=4\n", &[]),
            ["forgotten-content-capture"]
        );
        assert!(codes("[Notes]\nLog_MailRouting=20\n", &[]).is_empty());
    }

    #[test]
    fn file_problems() {
        assert_eq!(codes("\u{feff}[Notes]\n", &[]), ["unreadable", "non-ascii"]);
        assert_eq!(codes("[Notes]\nA=1\na=2\n", &[]), ["duplicate-key"]);
        let long = format!("[Notes]\nA={}\n", "x".repeat(300));
        assert_eq!(codes(&long, &[]), ["value-too-long"]);
        assert_eq!(
            lint_document(&Document::parse(b"[Notes]\nName=M\xfcller\n"), &[])[0].severity,
            Severity::Info
        );
    }
}

//! `dbgini enable PROFILE`: switch a profile's settings on for a while.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::apply::{OnTimeout, apply};
use super::guards::{PreflightArgs, preflight};
use super::{
    Context, Enforce, check_editable, console_lines, drift_warning, lease_json, lease_line,
    mode_name, refused,
};
use crate::cli::EnableArgs;
use crate::error::{Error, Result};
use crate::ini::Document;
use crate::lease::{self, Change, Lease};
use crate::live::Mode;
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};
use crate::profile::{RenderContext, Rule, format_duration, split_assignment};

/// Validated `enable` options (the duration is checked by [`Context::duration`]).
struct Options {
    params: BTreeMap<String, String>,
    overrides: Vec<(String, String)>,
    max_growth: Option<u64>,
    mail_rate: Option<u64>,
}

fn validate(args: &EnableArgs) -> Result<Options> {
    let mut params = BTreeMap::new();
    for p in &args.params {
        let (name, value) = split_assignment("--param", p)?;
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(Error::invalid(
                format!("--param {name} is given twice"),
                "give each parameter once",
            ));
        }
    }
    let mut overrides: Vec<(String, String)> = Vec::new();
    for s in &args.overrides {
        let (key, value) = split_assignment("--set", s)?;
        let key = key.trim();
        if overrides.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(Error::invalid(
                format!("--set {key} is given twice"),
                "give each key once",
            ));
        }
        overrides.push((key.to_string(), value.to_string()));
    }
    let max_growth = args
        .max_growth
        .as_deref()
        .map(|g| {
            crate::guard::parse_size(g).map_err(|e| {
                Error::invalid(format!("--max-growth: {e}"), "e.g. --max-growth 500MiB")
            })
        })
        .transpose()?;
    let mail_rate = args
        .mail_rate
        .as_deref()
        .map(|r| {
            r.trim().trim_end_matches("/h").parse::<u64>().map_err(|_| {
                Error::invalid(
                    format!("--mail-rate {r}: not a number of messages per hour"),
                    "e.g. --mail-rate 300/h",
                )
            })
        })
        .transpose()?;
    Ok(Options {
        params,
        overrides,
        max_growth,
        mail_rate,
    })
}

/// The data directory for `{data_dir}`: notes.ini's `Directory=`, else the directory of notes.ini.
pub fn data_dir(doc: &Document, ini: &Path) -> String {
    match doc.get("Directory") {
        Ok(Some(v)) if !v.iter().all(u8::is_ascii_whitespace) => {
            String::from_utf8_lossy(v).trim().to_string()
        }
        _ => ini
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
}

/// The new lease's id: the profile's name and four hex digits derived from what the lease is
/// (the target, the settings) and the state it joins (its serial), so `--dry-run` shows the id
/// the same command then creates; a clash with an active lease takes the next candidate.
fn new_id(profile: &str, seed: &str, taken: &[Lease]) -> String {
    (0u32..)
        .map(|n| {
            let hash = crate::store::sha256(format!("{seed}\n{n}").as_bytes());
            format!("{profile}-{}", &hash[..4])
        })
        .find(|id| !taken.iter().any(|l| &l.id == id))
        .unwrap_or_else(|| profile.to_string())
}

/// Why a setting needs no change, in words.
fn unchanged(key: &str, current: Option<&str>, value: &str, rule: Rule, profile: &str) -> String {
    match current {
        Some(v) if v == value => format!("{key} is already {v}"),
        Some(v) => match rule {
            Rule::IfAbsent => format!(
                "{key} stays {v}: it is already set, and {profile} only adds it when absent"
            ),
            Rule::AtLeast => format!("{key} stays {v}: already at level {value} or higher"),
            Rule::Bits | Rule::Set => format!("{key} stays {v}: it already includes {value}"),
        },
        None => format!("{key} needs no change"),
    }
}

/// The longest a content-capturing lease may last, whatever the profile says.
pub const CONTENT_CAPTURE_MAX: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

fn content_prompt(capturing: &[String]) -> String {
    format!(
        "{} will log the contents of mail messages (personal data). Type YES if you are entitled to keep them: ",
        capturing.join(", ")
    )
}

/// Creates a directory for debug output with the rights of the owner of notes.ini (the user
/// Domino runs as) alone, so it belongs to that user, and with the data directory's mode: root
/// never creates a directory where that user could not have created it (a root-owned tree).
fn create_dir_as_owner(dir: &Path, data_dir: &str, owner: crate::atomic::Perms) -> Result<()> {
    let made = crate::safe::as_user(owner.uid, owner.gid, || {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        if let Ok(data) = std::fs::metadata(data_dir) {
            use std::os::unix::fs::PermissionsExt;
            let mode = crate::atomic::Perms::of(&data).mode;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = data_dir;
        Ok::<(), std::io::Error>(())
    })
    .and_then(|r| r);
    match made {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(Error::Unsafe {
            msg: format!(
                "the owner of notes.ini (uid {}) may not create {}: dbgini creates directories for debug output with that user's rights only",
                owner.uid,
                dir.display()
            ),
            help: "point debug_outfile inside the data directory, or create the directory yourself and give it to the user Domino runs as".into(),
        }),
        other => other.map_err(|e| Error::io("create", dir, e)),
    }
}

/// Runs `enable`.
pub fn run(args: EnableArgs, ctx: &Context) -> Result<Report> {
    let opts = validate(&args)?;
    let found = ctx.catalog.find(&args.profile)?;
    let profile = &found.profile;
    let enforce = Enforce::unless(args.dry_run);
    let mut opened = ctx.open(enforce)?;
    let now = ctx.now(&opened.session);
    let expired_json = opened.expired_json();
    let session = &mut opened.session;
    let doc = session.doc();
    check_editable(&doc, session)?;
    // The console output is captured already (console log on, or debug_outfile set, judged by
    // what the file had before dbgini's leases), or this very enable sets debug_outfile: then
    // the profile does not turn the console log on.
    let mut render = RenderContext {
        data_dir: data_dir(&doc, &session.target.real),
        captured: lease::console_captured(&doc, &session.state),
    };
    let mut resolved = profile.resolve(&opts.params, &opts.overrides, &render)?;
    if !render.captured
        && resolved
            .settings
            .iter()
            .any(|s| s.key.eq_ignore_ascii_case("debug_outfile"))
    {
        render.captured = true;
        resolved = profile.resolve(&opts.params, &opts.overrides, &render)?;
    }
    if let Some(s) = resolved.settings.iter().find(|s| {
        crate::profile::is_server_key(&s.key)
            && !args
                .allow_keys
                .iter()
                .any(|k| k.trim().eq_ignore_ascii_case(&s.key))
    }) {
        return Err(Error::Unsafe {
            msg: format!(
                "{}={} would change how the server itself is set up, not its debug output ({} defines the server: a wrong value can keep Domino from starting)",
                s.key, s.value, s.key
            ),
            help: format!(
                "leave it out; if support asked for exactly this, pass --allow-key {}",
                s.key
            ),
        });
    }
    let capturing: Vec<String> = resolved
        .settings
        .iter()
        .zip(&resolved.info)
        .filter(|(_, i)| i.captures)
        .map(|(s, _)| format!("{}={}", s.key, s.value))
        .collect();
    if !capturing.is_empty()
        && !args.allow_content_capture
        && !ctx.confirm(&content_prompt(&capturing))
    {
        return Err(Error::Unsafe {
            msg: format!(
                "{} would log the contents of mail messages (personal data)",
                capturing.join(", ")
            ),
            help: format!(
                "pass --allow-content-capture if you are entitled to keep message contents; such a lease lasts at most {} and is marked in status and the audit log",
                format_duration(CONTENT_CAPTURE_MAX)
            ),
        });
    }
    let (default, max) = if capturing.is_empty() {
        (profile.default_duration(), profile.max_duration())
    } else {
        (
            profile.default_duration().min(CONTENT_CAPTURE_MAX),
            profile.max_duration().min(CONTENT_CAPTURE_MAX),
        )
    };
    let whose = if capturing.is_empty() {
        format!("profile {}", profile.name)
    } else {
        "a content-capturing lease".to_string()
    };
    let duration = ctx.duration(
        args.duration.as_deref(),
        args.until.as_deref(),
        now,
        default,
        max,
        &whose,
    )?;
    let name = session.target.ini.display().to_string();
    let mut notes = std::mem::take(&mut opened.notes);
    let mut warnings = std::mem::take(&mut opened.warnings);

    // The same request again: nothing to do while the lease's settings are in effect. When one
    // was changed or deleted by hand, enabling again means the admin wants them back: the old
    // lease ends and a new one applies them (with a warning), as a fresh enable would.
    let existing = session
        .state
        .leases
        .iter()
        .find(|l| l.same_request(&profile.name, &resolved.settings))
        .cloned();
    let mut renewed: Option<Lease> = None;
    if let Some(existing) = existing {
        let its: std::collections::HashSet<String> = existing
            .settings
            .iter()
            .map(|s| s.key.to_ascii_lowercase())
            .collect();
        let gone: Vec<String> = lease::detect_drift(&doc, &session.state)
            .map_err(|e| refused(session, e))?
            .into_iter()
            .map(|d| d.key)
            .chain(existing.released.iter().cloned())
            .filter(|k| its.contains(&k.to_ascii_lowercase()))
            .collect();
        if gone.is_empty() {
            let mut msg = format!(
                "{} is already enabled: lease {}; nothing changed",
                profile.name,
                lease_line(&existing, ctx, now),
            );
            if args.duration.is_some() || args.until.is_some() {
                msg.push_str(&format!(
                    "; the lease keeps its expiry (`dbgini extend {} --for DURATION` sets a new one)",
                    existing.id
                ));
            } else {
                msg.push_str(&format!(
                    " (`dbgini extend {}` gives it more time)",
                    existing.id
                ));
            }
            notes.push(msg.clone());
            return Ok(Report {
                json: json!({
                    "command": "enable", "changed": !expired_json.as_array().is_none_or(Vec::is_empty), "dry_run": args.dry_run, "ini": name,
                    "lease": lease_json(&existing),
                    "leases": session.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
                    "expired": expired_json,
                    "changes": [], "drift": [], "diff": JsonDiff::new("", &session.bytes, &session.bytes, ctx.json),
                    "warnings": warnings, "msg": msg,
                }),
                notes,
                warnings,
                ..Report::default()
            });
        }
        warnings.push(format!(
            "lease {} ({}) is no longer in effect: {} changed by hand since it was enabled; it ends, and a new lease applies {} settings again",
            existing.id,
            existing.profile,
            gone.join(", "),
            profile.name
        ));
        renewed = Some(existing);
    }

    let expires = now
        .checked_add(duration)
        .map_err(|e| Error::invalid(format!("--for: {e}"), "choose a shorter duration"))?;
    let mut lease = Lease {
        params: opts.params.clone(),
        overrides: opts
            .overrides
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        reason: args.reason.clone(),
        user: ctx.caller.user.clone(),
        host: ctx.caller.host.clone(),
        max_duration: Some(max.min(ctx.max_duration)),
        // Console_Log_Enabled=1 through the console changes notes.ini; the running server starts
        // its console log only on `start consolelog` (for this run of the server).
        refresh: resolved
            .settings
            .iter()
            .any(|s| s.key.eq_ignore_ascii_case("Console_Log_Enabled"))
            .then(|| "start consolelog".to_string())
            .into_iter()
            .chain(profile.refresh.iter().cloned())
            .collect(),
        content_capture: !capturing.is_empty(),
        ..Lease::new(
            &new_id(
                &profile.name,
                &format!(
                    "{}\n{}\n{:?}",
                    session.target.real.display(),
                    session.state.serial,
                    resolved.settings
                ),
                &session.state.leases,
            ),
            &profile.name,
            resolved.settings.clone(),
            now,
            expires,
        )
    };
    let change = match &renewed {
        Some(old) => Change::Replace(old.id.clone(), Box::new(lease.clone())),
        None => Change::Add(Box::new(lease.clone())),
    };
    let mut plan =
        lease::plan(doc, &session.state, change, false).map_err(|e| refused(session, e))?;
    if let Some(old) = &renewed {
        lease::record_ended(
            &mut plan.state,
            std::slice::from_ref(old),
            now,
            &format!(
                "replaced by {}: its settings had been changed by hand",
                lease.id
            ),
        );
    }
    let pairs: Vec<(String, String)> = resolved
        .settings
        .iter()
        .map(|s| (s.key.clone(), s.value.clone()))
        .collect();
    let pf_args = PreflightArgs {
        max_growth: opts.max_growth.unwrap_or_else(|| profile.max_growth()),
        min_free: args.min_free.as_str(),
        create_dirs: args.create_dirs,
        mail_rate: opts.mail_rate,
        duration,
        owner: session.target.perms,
    };
    let pf = preflight(
        ctx,
        &pairs,
        &resolved.info,
        &plan.doc,
        &render.data_dir,
        &pf_args,
        now,
    )?;
    lease.guard = pf.guard.clone();
    if let Some(l) = plan.state.leases.iter_mut().find(|l| l.id == lease.id) {
        l.guard = pf.guard.clone();
    }
    notes.extend(pf.notes.iter().cloned());
    warnings.extend(pf.warnings.iter().cloned());
    if !capturing.is_empty() {
        warnings.push(format!(
            "{} captures message contents: keep what it writes only as long as support needs it; the lease is marked in status and the audit log",
            capturing.join(", ")
        ));
    }
    if !args.dry_run {
        for dir in &pf.create {
            create_dir_as_owner(dir, &render.data_dir, session.target.perms)?;
            notes.push(format!("created {}", dir.display()));
        }
    }
    let before = session.bytes.clone();

    warnings.extend(plan.drift.iter().map(drift_warning));
    warnings.extend(resolved.warnings.iter().cloned());
    // A level the file holds that is no number: Domino reads it as 0, which is not what whoever
    // wrote it meant.
    let numeric: std::collections::HashSet<String> = lease
        .settings
        .iter()
        .filter(|s| matches!(s.rule, Rule::Bits | Rule::AtLeast))
        .map(|s| s.key.to_ascii_lowercase())
        .collect();
    for c in &plan.changes {
        if let Some(before) = &c.before
            && numeric.contains(&c.key.to_ascii_lowercase())
            && crate::profile::domino_number(before.as_bytes()).garbage
        {
            warnings.push(format!(
                "{}={before} is not a number: Domino reads it as 0, so dbgini set {} (the lease puts '{before}' back when it ends)",
                c.key,
                c.after.as_deref().unwrap_or("")
            ));
        }
    }
    let changed_keys: std::collections::HashSet<String> = plan
        .changes
        .iter()
        .map(|c| c.key.to_ascii_lowercase())
        .collect();
    let unchanged_keys: Vec<&str> = lease
        .settings
        .iter()
        .filter(|s| !changed_keys.contains(&s.key.to_ascii_lowercase()))
        .map(|s| s.key.as_str())
        .collect();
    let current_lines = plan.doc.lookup(unchanged_keys.iter().copied());
    for s in &lease.settings {
        if !changed_keys.contains(&s.key.to_ascii_lowercase()) {
            let current = current_lines
                .unique(&s.key)
                .ok()
                .flatten()
                .and_then(|i| plan.doc.line(i).value())
                .map(|v| String::from_utf8_lossy(v).into_owned());
            notes.push(unchanged(
                &s.key,
                current.as_deref(),
                &s.value,
                s.rule,
                &profile.name,
            ));
        }
    }
    if let Some(f) = &found.shadows.first() {
        notes.push(format!(
            "profile {} from {} (it overrides the one from {f})",
            profile.name, found.origin
        ));
    }

    let state_changed = plan.state != session.state;
    let mut record = ctx.audit(
        renewed
            .iter()
            .map(|l| l.id.clone())
            .chain([lease.id.clone()])
            .collect(),
        plan.changes.clone(),
        plan.drift.clone(),
        args.reason.clone(),
    );
    record.content_capture = lease.content_capture;
    let applied = apply(
        ctx,
        session,
        "enable",
        &plan,
        record,
        &lease.refresh,
        OnTimeout::KeepNew,
        args.dry_run,
        args.force,
    )?;
    let changed = state_changed || applied.after != before;
    notes.extend(applied.notes.iter().cloned());
    warnings.extend(applied.warnings.iter().cloned());
    if !args.dry_run {
        ctx.register(session, &mut warnings);
        if !crate::cmd::schedule::enforcement_installed(ctx) {
            warnings.push(format!(
                "this lease will only expire when dbgini next runs on this server; run `dbgini schedule install` (as root) so a timer reverts it at {}, or keep `dbgini watch` running",
                crate::output::at(lease.expires, &ctx.tz)
            ));
        }
    }

    let diff = unified_diff(&before, &applied.after, &name);
    let verb = if args.dry_run {
        "would enable"
    } else {
        "enabled"
    };
    let msg = format!(
        "{verb} {} for {}: lease {}; {} setting{} changed{}{}",
        profile.name,
        format_duration(duration),
        lease_line(&lease, ctx, now),
        applied.changes.len(),
        if applied.changes.len() == 1 { "" } else { "s" },
        if applied.mode == Mode::Console {
            " through the server console"
        } else {
            ""
        },
        if args.dry_run {
            "; dry run, nothing was written"
        } else {
            ""
        }
    );
    notes.push(msg.clone());
    if !args.dry_run {
        notes.push(format!("to undo: dbgini --ini {name} revert {}", lease.id));
    }
    Ok(Report {
        data: console_lines(&applied) + &colour_diff(&diff),
        json: json!({
            "command": "enable", "changed": changed || !expired_json.as_array().is_none_or(Vec::is_empty), "dry_run": args.dry_run, "ini": name,
            "mode": mode_name(applied.mode), "console_commands": applied.console_commands,
            "lease": lease_json(&lease),
            "leases": plan.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "expired": expired_json,
            "changes": applied.changes, "drift": plan.drift,
            "diff": JsonDiff::new(&diff, &before, &applied.after, ctx.json),
            "warnings": warnings, "msg": msg,
        }),
        notes,
        warnings,
        ..Report::default()
    })
}

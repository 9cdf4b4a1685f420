//! `dbgini enable PROFILE`: switch a profile's settings on for a while.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use jiff::SignedDuration;
use serde_json::json;

use super::{Context, check_editable, drift_warning, lease_json, lease_line, refused};
use crate::cli::EnableArgs;
use crate::error::{Error, Result};
use crate::ini::Document;
use crate::lease::{self, Change, Lease};
use crate::output::{JsonDiff, Report, colour_diff, unified_diff};
use crate::profile::{RenderContext, Rule, format_duration, parse_duration, split_assignment};
use crate::store::AuditRecord;

/// Validated `enable` options.
struct Options {
    duration: Option<SignedDuration>,
    params: BTreeMap<String, String>,
    overrides: Vec<(String, String)>,
}

fn validate(args: &EnableArgs) -> Result<Options> {
    let duration = args
        .duration
        .as_deref()
        .map(|d| {
            parse_duration(d).map_err(|msg| {
                Error::invalid(
                    format!("--for: {msg}"),
                    "e.g. --for 2h, --for 90m or --for 1h30m",
                )
            })
        })
        .transpose()?;
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
    if let Some(reason) = &args.reason {
        crate::profile::validate_value("--reason", reason)?;
    }
    Ok(Options {
        duration,
        params,
        overrides,
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

fn new_id(profile: &str, taken: &[Lease]) -> String {
    loop {
        // RandomState is seeded randomly per process: enough to tell leases apart, no crate needed.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        let id = format!("{profile}-{:04x}", h.finish() & 0xffff);
        if !taken.iter().any(|l| l.id == id) {
            return id;
        }
    }
}

/// Runs `enable`.
pub fn run(args: EnableArgs, ctx: &Context) -> Result<Report> {
    let opts = validate(&args)?;
    let found = ctx.catalog.find(&args.profile)?;
    let profile = &found.profile;
    let duration = opts.duration.unwrap_or_else(|| profile.default_duration());
    if duration > profile.max_duration() {
        return Err(Error::invalid(
            format!(
                "--for {} is longer than profile {}'s maximum of {}",
                format_duration(duration),
                profile.name,
                format_duration(profile.max_duration())
            ),
            format!(
                "choose --for {} or less; enable it again later if you need more time",
                format_duration(profile.max_duration())
            ),
        ));
    }

    let (mut session, mut notes) = ctx.open()?;
    let doc = session.doc();
    check_editable(&doc, &session)?;
    let render = RenderContext {
        data_dir: data_dir(&doc, &session.target.real),
    };
    let resolved = profile.resolve(&opts.params, &opts.overrides, &render)?;
    let name = session.target.ini.display().to_string();

    if let Some(existing) = session
        .state
        .leases
        .iter()
        .find(|l| l.same_request(&profile.name, &resolved.settings))
    {
        let msg = format!(
            "{} is already enabled: lease {}; nothing changed",
            profile.name,
            lease_line(existing, ctx)
        );
        notes.push(msg.clone());
        return Ok(Report {
            notes,
            json: json!({
                "command": "enable", "changed": false, "dry_run": args.dry_run, "ini": name,
                "lease": lease_json(existing),
                "leases": session.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
                "changes": [], "diff": JsonDiff::new(&session.bytes, &session.bytes, &name),
                "warnings": [], "msg": msg,
            }),
            ..Report::default()
        });
    }

    let lease = Lease {
        id: new_id(&profile.name, &session.state.leases),
        profile: profile.name.clone(),
        params: opts.params.clone(),
        overrides: opts
            .overrides
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        settings: resolved.settings.clone(),
        created: ctx.caller.now,
        expires: ctx
            .caller
            .now
            .checked_add(duration)
            .map_err(|e| Error::invalid(format!("--for: {e}"), "choose a shorter duration"))?,
        reason: args.reason.clone(),
        user: ctx.caller.user.clone(),
        host: ctx.caller.host.clone(),
        released: Vec::new(),
    };
    let plan = lease::plan(
        &doc,
        &session.state,
        Change::Add(Box::new(lease.clone())),
        false,
    )
    .map_err(|e| refused(&session, e))?;
    let after = plan.doc.to_bytes();

    let mut warnings: Vec<String> = plan.drift.iter().map(drift_warning).collect();
    warnings.extend(resolved.warnings.iter().cloned());
    for s in &lease.settings {
        if !plan
            .changes
            .iter()
            .any(|c| c.key.eq_ignore_ascii_case(&s.key))
        {
            let current = doc
                .get(&s.key)
                .ok()
                .flatten()
                .map(|v| String::from_utf8_lossy(v).into_owned());
            notes.push(match current {
                Some(v) if v == s.value => format!("{} is already {v}", s.key),
                Some(v) => match s.rule {
                    Rule::IfAbsent => format!(
                        "{} stays {v}: it is already set, and {} only adds it when absent",
                        s.key, profile.name
                    ),
                    Rule::AtLeast => format!(
                        "{} stays {v}: already at level {} or higher",
                        s.key, s.value
                    ),
                    Rule::Bits | Rule::Set => {
                        format!("{} stays {v}: it already includes {}", s.key, s.value)
                    }
                },
                None => format!("{} needs no change", s.key),
            });
        }
    }
    if let Some(f) = &found.shadows.first() {
        notes.push(format!(
            "profile {} from {} (it overrides the one from {f})",
            profile.name, found.origin
        ));
    }

    if !args.dry_run {
        let audit = AuditRecord {
            time: ctx.caller.now,
            user: ctx.caller.user.clone(),
            host: ctx.caller.host.clone(),
            command: ctx.caller.command.clone(),
            leases: vec![lease.id.clone()],
            changes: plan.changes.clone(),
            drift: plan.drift.clone(),
            reason: args.reason.clone(),
            before_sha256: String::new(),
            after_sha256: String::new(),
        };
        session.lock_for_write(&ctx.caller)?;
        session.commit("enable", &after, &plan.state, audit)?;
    }

    let diff = unified_diff(&session.bytes, &after, &name);
    let verb = if args.dry_run {
        "would enable"
    } else {
        "enabled"
    };
    let msg = format!(
        "{verb} {} for {}: lease {}; {} setting{} changed{}",
        profile.name,
        format_duration(duration),
        lease_line(&lease, ctx),
        plan.changes.len(),
        if plan.changes.len() == 1 { "" } else { "s" },
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
        data: colour_diff(&diff),
        json: json!({
            "command": "enable", "changed": after != session.bytes || plan.state != session.state,
            "dry_run": args.dry_run, "ini": name,
            "lease": lease_json(&lease),
            "leases": plan.state.leases.iter().map(lease_json).collect::<Vec<_>>(),
            "changes": plan.changes, "drift": plan.drift,
            "diff": JsonDiff::new(&session.bytes, &after, &name),
            "warnings": warnings, "msg": msg,
        }),
        notes,
        warnings,
    })
}

//! `enable`: switch a profile's settings on for a while, as a new lease.
//!
//! Everything the command line and the profile decide (parameters, overrides, server keys,
//! content-capture consent, the lease time) is checked before the target is opened, so a bad
//! argument changes nothing, not even an expired lease on the way.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::apply::{OnTimeout, Route, apply};
use super::guards::{PreflightArgs, preflight};
use super::{Asked, Context, Enforce, Released, check_editable, drift_warning, refused};
use crate::error::{Error, Result};
use crate::guard::MinFree;
use crate::ini::Document;
use crate::lease::{self, Change, Lease};
use crate::live::Mode;
use crate::outcome::{Changed, Enable, lease_line};
use crate::profile::{Profile, RenderContext, Resolved, Rule, format_duration};

/// What `enable` is asked to do, validated.
#[derive(Clone, Debug)]
pub struct Options {
    /// A profile name, a profile file or a snippet.
    pub profile: String,
    /// `--for` or `--until`.
    pub asked: Option<Asked>,
    /// `--param`, one value each.
    pub params: BTreeMap<String, String>,
    /// `--set`, one value per key.
    pub overrides: Vec<(String, String)>,
    /// `--reason`.
    pub reason: Option<String>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--force`.
    pub force: bool,
    /// `--create-dirs`.
    pub create_dirs: bool,
    /// `--allow-content-capture`.
    pub allow_content_capture: bool,
    /// `--allow-key`.
    pub allow_keys: Vec<String>,
    /// `--max-growth`.
    pub max_growth: Option<u64>,
    /// `--min-free`.
    pub min_free: MinFree,
    /// `--mail-rate`.
    pub mail_rate: Option<u64>,
}

/// What the request amounts to, worked out before the target is opened.
struct Checked {
    /// The settings that capture message contents (`KEY=VALUE`), consented to.
    capturing: Vec<String>,
    /// The lease time.
    duration: jiff::SignedDuration,
    /// The longest this lease may be extended to.
    max: jiff::SignedDuration,
}

/// Checks what can be checked from the profile and the options alone: parameters, overrides
/// (by resolving against a stand-in data directory), server keys, content-capture consent (asked
/// on a terminal) and the lease time.
fn check(ctx: &Context, profile: &Profile, opts: &Options) -> Result<Checked> {
    let stand_in = RenderContext {
        data_dir: "/local/notesdata".into(),
        captured: false,
    };
    let resolved = profile.resolve(&opts.params, &opts.overrides, &stand_in)?;
    check_server_keys(&resolved, opts)?;
    let capturing = capturing(&resolved);
    if !capturing.is_empty()
        && !opts.allow_content_capture
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
    let (default, max, whose) = if capturing.is_empty() {
        (
            profile.default_duration(),
            profile.max_duration(),
            format!("profile {}", profile.name),
        )
    } else {
        (
            profile.default_duration().min(CONTENT_CAPTURE_MAX),
            profile.max_duration().min(CONTENT_CAPTURE_MAX),
            "a content-capturing lease".to_string(),
        )
    };
    let duration = ctx.lease_duration(opts.asked, default, max, &whose)?;
    Ok(Checked {
        capturing,
        duration,
        max: max.min(ctx.max_duration),
    })
}

/// Refuses a key that defines the server rather than debugs it, unless `--allow-key` names it.
fn check_server_keys(resolved: &Resolved, opts: &Options) -> Result<()> {
    let Some(s) = resolved.settings.iter().map(|r| &r.setting).find(|s| {
        crate::profile::is_server_key(&s.key)
            && !opts
                .allow_keys
                .iter()
                .any(|k| k.trim().eq_ignore_ascii_case(&s.key))
    }) else {
        return Ok(());
    };
    Err(Error::Unsafe {
        msg: format!(
            "{}={} would change how the server itself is set up, not its debug output ({} defines the server: a wrong value can keep Domino from starting)",
            s.key, s.value, s.key
        ),
        help: format!(
            "leave it out; if support asked for exactly this, pass --allow-key {}",
            s.key
        ),
    })
}

/// The settings of `resolved` that capture message contents, as `KEY=VALUE`.
fn capturing(resolved: &Resolved) -> Vec<String> {
    resolved
        .settings
        .iter()
        .filter(|r| r.info.captures)
        .map(|r| format!("{}={}", r.setting.key, r.setting.value))
        .collect()
}

/// Resolves the profile for this target: `{data_dir}` from its `Directory=`, and whether its
/// console output is captured already (judged by the file before dbgini's leases), or this very
/// enable sets debug_outfile: then the profile does not turn the console log on.
fn resolve_for(
    profile: &Profile,
    opts: &Options,
    doc: &Document,
    real: &Path,
    state: &lease::State,
) -> Result<(RenderContext, Resolved)> {
    let mut render = RenderContext {
        data_dir: data_dir(doc, real),
        captured: lease::console_captured(doc, state),
    };
    let mut resolved = profile.resolve(&opts.params, &opts.overrides, &render)?;
    if !render.captured
        && resolved
            .settings
            .iter()
            .any(|r| r.setting.key.eq_ignore_ascii_case("debug_outfile"))
    {
        render.captured = true;
        resolved = profile.resolve(&opts.params, &opts.overrides, &render)?;
    }
    Ok((render, resolved))
}

/// The lease of the same request that is in effect, if one is; `Err` with the lease to replace
/// when one of its settings was changed or deleted by hand (enabling again means the admin wants
/// them back: the old lease ends and a new one applies them).
fn same_request(
    ctx: &Context,
    doc: &Document,
    session: &crate::store::Session,
    profile: &Profile,
    resolved: &Resolved,
) -> Result<Option<std::result::Result<Lease, Lease>>> {
    let Some(existing) = session
        .state
        .leases
        .iter()
        .find(|l| l.same_request(&profile.name, &resolved.settings()))
        .cloned()
    else {
        return Ok(None);
    };
    let its: HashSet<String> = existing
        .settings
        .iter()
        .map(|s| s.key.to_ascii_lowercase())
        .collect();
    let gone: Vec<String> = lease::detect_drift(doc, &session.state)
        .map_err(|e| refused(session, e))?
        .into_iter()
        .map(|d| d.key)
        .chain(existing.released.iter().cloned())
        .filter(|k| its.contains(&k.to_ascii_lowercase()))
        .collect();
    if gone.is_empty() {
        return Ok(Some(Ok(existing)));
    }
    ctx.ui.warning(format!(
        "lease {} ({}) is no longer in effect: {} changed by hand since it was enabled; it ends, and a new lease applies {} settings again",
        existing.id,
        existing.profile,
        gone.join(", "),
        profile.name
    ));
    Ok(Some(Err(existing)))
}

/// Runs `enable`.
pub fn enable(ctx: &Context, opts: &Options) -> Result<Enable> {
    let found = ctx.catalog.find(&opts.profile)?;
    let profile = &found.profile;
    let checked = check(ctx, profile, opts)?;

    let mut opened = ctx.open(Enforce::unless(opts.dry_run))?;
    let now = ctx.now(&opened.session);
    let expired = std::mem::take(&mut opened.expired);
    let session = &mut opened.session;
    let doc = session.doc();
    check_editable(&doc, session)?;
    let (render, resolved) =
        resolve_for(profile, opts, &doc, &session.target.real, &session.state)?;
    // The real data directory cannot make a setting capture what the stand-in did not, but the
    // consent must cover exactly what is applied.
    if capturing(&resolved) != checked.capturing {
        check(ctx, profile, opts)?;
    }
    let name = session.target.ini.display().to_string();

    let renewed = match same_request(ctx, &doc, session, profile, &resolved)? {
        Some(Ok(existing)) => {
            return Ok(already(ctx, opts, session, existing, expired, now, name));
        }
        Some(Err(old)) => Some(old),
        None => None,
    };

    let lease = new_lease(ctx, opts, session, profile, &resolved, &checked, now)?;
    let change = match &renewed {
        Some(old) => Change::Replace(old.id.clone(), Box::new(lease.clone())),
        None => Change::Add(Box::new(lease.clone())),
    };
    let route = Route::choose(ctx, session, &doc, opts.force)?;
    let mut plan = lease::plan(doc, &session.state, change, route.policy(false))
        .map_err(|e| refused(session, e))?;
    if let Some(old) = &renewed {
        lease::record_ended(
            &mut plan,
            std::slice::from_ref(old),
            now,
            &format!(
                "replaced by {}: its settings had been changed by hand",
                lease.id
            ),
        );
    }
    let pf = preflight(
        ctx,
        &resolved.settings,
        &plan.doc,
        &render.data_dir,
        &PreflightArgs {
            max_growth: opts.max_growth.unwrap_or_else(|| profile.max_growth()),
            min_free: opts.min_free,
            create_dirs: opts.create_dirs,
            mail_rate: opts.mail_rate,
            duration: checked.duration,
            owner: session.target.perms,
        },
        now,
    )?;
    let mut lease = lease;
    lease.guard = pf.guard.clone();
    if let Some(l) = plan.state.leases.iter_mut().find(|l| l.id == lease.id) {
        l.guard = pf.guard.clone();
    }
    if !checked.capturing.is_empty() {
        ctx.ui.warning(format!(
            "{} captures message contents: keep what it writes only as long as support needs it; the lease is marked in status and the audit log",
            checked.capturing.join(", ")
        ));
    }
    if !opts.dry_run {
        for dir in &pf.create {
            create_dir_as_owner(dir, &render.data_dir, session.target.perms)?;
            ctx.ui.status(format!("created {}", dir.display()));
        }
    }
    for d in &plan.drift {
        ctx.ui
            .warning(drift_warning(d, Released::by(&plan, d, opts.dry_run)));
    }
    for w in &resolved.warnings {
        ctx.ui.warning(w.clone());
    }
    warn_garbage_levels(ctx, &lease, &plan.changes);
    tell_unchanged(ctx, &lease, &plan, &profile.name);
    if let Some(f) = found.shadows.first() {
        ctx.ui.status(format!(
            "profile {} from {} (it overrides the one from {f})",
            profile.name, found.origin
        ));
    }

    let before = session.bytes.clone();
    let mut record = ctx.audit(
        renewed
            .iter()
            .map(|l| l.id.clone())
            .chain([lease.id.clone()])
            .collect(),
        plan.changes.clone(),
        plan.drift.clone(),
        opts.reason.clone(),
    );
    record.content_capture = lease.content_capture;
    let applied = apply(
        ctx,
        session,
        "enable",
        &plan,
        &route,
        record,
        &lease.refresh,
        OnTimeout::KeepNew,
        opts.dry_run,
    )?;
    if !opts.dry_run {
        ctx.register(session);
        if ctx.registry.per_user {
            ctx.ui.warning(format!(
                "you are not root, so this lease is listed in your own registry ({}), which the timer (running as root) does not read: it expires at {} only if dbgini runs on this notes.ini by then; enable it as root (sudo) so the timer covers it, or keep `dbgini watch --ini {}` running",
                ctx.registry.dir.display(),
                crate::output::at(lease.expires, &ctx.tz),
                session.target.ini.display()
            ));
        } else if !super::schedule::enforcement_installed(ctx) {
            ctx.ui.warning(format!(
                "this lease will only expire when dbgini next runs on this server; run `dbgini schedule install` ({}) so {} reverts it at {}, or keep `dbgini watch` running",
                super::schedule::AS_ADMIN,
                super::schedule::ENFORCER,
                crate::output::at(lease.expires, &ctx.tz)
            ));
        }
    }

    let n = applied.changes.len();
    let msg = format!(
        "{} {} for {}: lease {}; {n} setting{} changed{}{}",
        if opts.dry_run {
            "would enable"
        } else {
            "enabled"
        },
        profile.name,
        format_duration(checked.duration),
        lease_line(&lease, &ctx.tz, now),
        if n == 1 { "" } else { "s" },
        if applied.mode == Mode::Console {
            " through the server console"
        } else {
            ""
        },
        if opts.dry_run {
            "; dry run, nothing was written"
        } else {
            ""
        }
    );
    ctx.ui.status(msg.clone());
    if !opts.dry_run {
        ctx.ui
            .hint(format!("to undo: dbgini --ini {name} revert {}", lease.id));
    }
    Ok(Enable {
        change: Changed::applied(
            ctx,
            name,
            opts.dry_run,
            &before,
            applied,
            plan,
            expired,
            msg,
        ),
        already: false,
        lease,
    })
}

/// The outcome when the same lease is in effect already: nothing to do.
fn already(
    ctx: &Context,
    opts: &Options,
    session: &crate::store::Session,
    existing: Lease,
    expired: Vec<Lease>,
    now: jiff::Timestamp,
    name: String,
) -> Enable {
    let mut msg = format!(
        "{} is already enabled: lease {}; nothing changed",
        existing.profile,
        lease_line(&existing, &ctx.tz, now),
    );
    if opts.asked.is_some() {
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
    ctx.ui.status(msg.clone());
    Enable {
        change: Changed::nothing(ctx, session, opts.force, opts.dry_run, name, expired, msg),
        already: true,
        lease: existing,
    }
}

/// The new lease: its id, settings, times, who and why, its refresh commands.
fn new_lease(
    ctx: &Context,
    opts: &Options,
    session: &crate::store::Session,
    profile: &Profile,
    resolved: &Resolved,
    checked: &Checked,
    now: jiff::Timestamp,
) -> Result<Lease> {
    let expires = now
        .checked_add(checked.duration)
        .map_err(|e| Error::invalid(format!("--for: {e}"), "choose a shorter duration"))?;
    let id = new_id(
        &profile.name,
        &format!(
            "{}\n{}\n{:?}",
            session.target.real.display(),
            session.state.serial,
            resolved.settings()
        ),
        &session.state.leases,
    );
    Ok(Lease {
        params: opts.params.clone(),
        overrides: opts
            .overrides
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        reason: opts.reason.clone(),
        user: ctx.caller.user.clone(),
        host: ctx.caller.host.clone(),
        max_duration: Some(checked.max),
        // Console_Log_Enabled=1 through the console changes notes.ini; the running server starts
        // its console log only on `start consolelog` (for this run of the server).
        refresh: resolved
            .settings
            .iter()
            .any(|r| r.setting.key.eq_ignore_ascii_case("Console_Log_Enabled"))
            .then(|| "start consolelog".to_string())
            .into_iter()
            .chain(profile.refresh.iter().cloned())
            .collect(),
        content_capture: !checked.capturing.is_empty(),
        ..Lease::new(&id, &profile.name, resolved.settings(), now, expires)
    })
}

/// A level the file holds that is no number: Domino reads it as 0, which is not what whoever
/// wrote it meant.
fn warn_garbage_levels(ctx: &Context, lease: &Lease, changes: &[lease::KeyChange]) {
    let numeric: HashSet<String> = lease
        .settings
        .iter()
        .filter(|s| matches!(s.rule, Rule::Bits | Rule::AtLeast))
        .map(|s| s.key.to_ascii_lowercase())
        .collect();
    for c in changes {
        if let Some(before) = &c.before
            && numeric.contains(&c.key.to_ascii_lowercase())
            && crate::profile::domino_number(before.as_bytes()).garbage
        {
            ctx.ui.warning(format!(
                "{}={before} is not a number: Domino reads it as 0, so dbgini set {} (the lease puts '{before}' back when it ends)",
                c.key,
                c.after.as_deref().unwrap_or("")
            ));
        }
    }
}

/// Says why each setting that needs no change needs none.
fn tell_unchanged(ctx: &Context, lease: &Lease, plan: &lease::Plan, profile: &str) {
    let changed: HashSet<String> = plan
        .changes
        .iter()
        .map(|c| c.key.to_ascii_lowercase())
        .collect();
    let same: Vec<&crate::profile::Setting> = lease
        .settings
        .iter()
        .filter(|s| !changed.contains(&s.key.to_ascii_lowercase()))
        .collect();
    let lines = plan.doc.lookup(same.iter().map(|s| s.key.as_str()));
    for s in same {
        let current = lines
            .unique(&s.key)
            .ok()
            .flatten()
            .and_then(|i| plan.doc.line(i).value())
            .map(|v| String::from_utf8_lossy(v).into_owned());
        ctx.ui.status(unchanged(
            &s.key,
            current.as_deref(),
            &s.value,
            s.rule,
            profile,
        ));
    }
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

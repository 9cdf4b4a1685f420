//! Dynamic shell completion (`source <(COMPLETE=bash dbgini)`, as jj does): profile names for
//! `enable` and `show`, active lease ids and their profiles for `revert`, `extend` and `bundle`.
//!
//! The candidates are computed when the shell asks, from the profile directories and the state of
//! the notes.ini that `$DBGINI_INI` (else the config's `ini`, else the default path) names: a
//! completer sees only the word being completed, not an `--ini` earlier on the line. Nothing is
//! locked, written or recovered; a state that cannot be read offers no lease ids.

use std::path::PathBuf;

use clap_complete::engine::CompletionCandidate;

use crate::config::{self, Config};
use crate::profile::Catalog;

/// Profile names, built-in and from the user and site profile directories.
pub fn profiles() -> Vec<CompletionCandidate> {
    let catalog = Catalog {
        dirs: config::profile_dirs(None, &config::system_root()),
        // Names and summaries are only shown, never applied.
        trusted_only: false,
    };
    let mut seen = std::collections::BTreeSet::new();
    catalog
        .list()
        .into_iter()
        .map(|listed| match listed {
            Ok(found) => (found.profile.name, Some(found.profile.summary)),
            Err(e) => (e.0, None),
        })
        .filter(|(name, _)| seen.insert(name.clone()))
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(|h| h.into())))
        .collect()
}

/// The notes.ini a completion looks at.
fn ini() -> Option<PathBuf> {
    let env = std::env::var_os("DBGINI_INI")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let config = config::user_dir()
        .and_then(|d| Config::load(&d.join("config.toml")).ok())
        .unwrap_or_default();
    config::resolve_ini(env, &config, config::default_ini())
}

/// Active lease ids (with profile and expiry as help), then their profile names.
pub fn leases() -> Vec<CompletionCandidate> {
    let Some(ini) = ini() else {
        return Vec::new();
    };
    let Ok(state) = crate::store::Target::resolve(&ini).and_then(|t| crate::store::peek_state(&t))
    else {
        return Vec::new();
    };
    let mut out: Vec<CompletionCandidate> = state
        .leases
        .iter()
        .map(|l| {
            CompletionCandidate::new(l.id.clone())
                .help(Some(format!("{} until {}", l.profile, l.expires).into()))
        })
        .collect();
    let mut profiles: Vec<&str> = state.leases.iter().map(|l| l.profile.as_str()).collect();
    profiles.sort_unstable();
    profiles.dedup();
    out.extend(profiles.into_iter().map(|p| {
        CompletionCandidate::new(p.to_string())
            .help(Some("every active lease of this profile".into()))
    }));
    out
}

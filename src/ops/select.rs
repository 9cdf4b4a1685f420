//! Choosing leases by what the admin typed: an id, a profile name (or the path `enable` was given),
//! every lease, or the only one. One place for `revert`, `extend` and `bundle`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::{Error, Result};
use crate::lease::Lease;
use crate::outcome::lease_line;

/// Which leases a command asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which<'a> {
    /// Every lease (`--all`).
    All,
    /// The leases this id or profile names.
    Named(&'a str),
    /// The only lease (nothing named).
    Only,
}

impl<'a> Which<'a> {
    /// `Named` when a name was given, else `Only`.
    pub fn named_or_only(name: Option<&'a str>) -> Which<'a> {
        name.map_or(Which::Only, Which::Named)
    }
}

/// Whether `wanted` names `lease`: its id, its profile's name, or whatever `enable` accepted for
/// that profile (the path of a profile file or snippet: see [`crate::profile::lease_name`]).
pub fn names(lease: &Lease, wanted: &str) -> bool {
    lease.id == wanted || lease.profile == crate::profile::lease_name(wanted)
}

/// The leases `wanted` names: by id if one has it, else by profile.
pub fn matching<'a>(leases: &'a [Lease], wanted: &str) -> Vec<&'a Lease> {
    let by_id: Vec<_> = leases.iter().filter(|l| l.id == wanted).collect();
    if by_id.is_empty() {
        leases.iter().filter(|l| names(l, wanted)).collect()
    } else {
        by_id
    }
}

/// The leases of `leases` that `which` asks for (possibly none). Asking for the only lease when
/// several are active is an error that lists them.
pub fn choose<'a>(
    leases: &'a [Lease],
    which: Which<'_>,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Vec<&'a Lease>> {
    match which {
        Which::All => Ok(leases.iter().collect()),
        Which::Named(w) => Ok(matching(leases, w)),
        Which::Only => match leases {
            [] | [_] => Ok(leases.iter().collect()),
            many => Err(Error::invalid(
                format!(
                    "{} leases are active:\n{}",
                    many.len(),
                    listing(many, tz, now)
                ),
                "name one (its id or profile), or all of them with --all where the command has it",
            )),
        },
    }
}

/// The error for a name that matches no active lease (see [`Error::UnknownLease`]).
pub fn unknown(wanted: &str, leases: &[Lease], tz: &TimeZone, now: Timestamp) -> Error {
    let mut names: Vec<String> = leases
        .iter()
        .flat_map(|l| [l.id.clone(), l.profile.clone()])
        .collect();
    names.dedup();
    Error::UnknownLease {
        wanted: wanted.to_string(),
        active: leases.iter().map(|l| lease_line(l, tz, now)).collect(),
        names,
    }
}

/// One indented line per lease.
pub fn listing(leases: &[Lease], tz: &TimeZone, now: Timestamp) -> String {
    leases
        .iter()
        .map(|l| format!("  {}", lease_line(l, tz, now)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(id: &str, profile: &str) -> Lease {
        let t = Timestamp::UNIX_EPOCH;
        Lease::new(id, profile, Vec::new(), t, t)
    }

    #[test]
    fn an_id_wins_over_a_profile_and_a_profile_names_all_its_leases() {
        let leases = [
            lease("router-1", "router"),
            lease("router-2", "router"),
            lease("router", "lookup"),
        ];
        let ids = |v: Vec<&Lease>| v.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(matching(&leases, "router")), ["router"]);
        assert_eq!(ids(matching(&leases, "router-2")), ["router-2"]);
        assert_eq!(ids(matching(&leases, "lookup")), ["router"]);
        assert!(matching(&leases, "routr").is_empty());
        let tz = TimeZone::UTC;
        let now = Timestamp::UNIX_EPOCH;
        assert!(choose(&leases, Which::Only, &tz, now).is_err());
        assert_eq!(
            choose(&leases[..1], Which::Only, &tz, now).unwrap().len(),
            1
        );
        assert_eq!(choose(&leases, Which::All, &tz, now).unwrap().len(), 3);
        let e = unknown("routr", &leases, &tz, now);
        assert_eq!(e.exit_code(), crate::error::ExitCode::Usage);
        assert!(e.help().contains("router-1 (router)"), "{}", e.help());
        assert!(
            e.help().starts_with("did you mean `router`?"),
            "{}",
            e.help()
        );
    }
}

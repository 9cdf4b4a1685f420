//! Leases and layering: what dbgini manages in a notes.ini and how stacked leases combine.
//!
//! The [`State`] lists the active leases and, for every key they manage, its **baseline** (the
//! original raw line, or "absent", captured when the first active lease touched the key) and the
//! value dbgini expects to find there (the value it last wrote).
//!
//! Every operation is the same computation ([`plan`]): take the current document and state,
//! release keys that someone else changed (drift), change the list of active leases (add one,
//! remove some, or none), then fold the active leases' rules over each key's baseline in creation
//! order and edit only the lines whose value must change. A key no lease manages any more gets its
//! baseline line back exactly. Revert is therefore not a separate undo path: it is the same fold
//! with fewer leases.
//!
//! Pure: no I/O; the caller passes the time in.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::bytes::Bytes;
use crate::ini::{Document, Ending, IniError, Line};
use crate::profile::Setting;

/// The state format version this build writes and reads.
pub const STATE_VERSION: u32 = 1;

/// One enable: a profile's settings, asked for until a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    /// Short id such as `router-7f3a`.
    pub id: String,
    /// Profile name.
    pub profile: String,
    /// `--param` values.
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
    /// `--set` overrides, as `KEY=VALUE`.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The resolved settings this lease asks for.
    pub settings: Vec<Setting>,
    /// When it was created (UTC).
    pub created: Timestamp,
    /// When it expires (UTC).
    pub expires: Timestamp,
    /// Why (a support case number, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who enabled it.
    pub user: String,
    /// On which host.
    pub host: String,
    /// Keys this lease no longer manages because someone changed them by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub released: Vec<String>,
    /// The longest `--for` allowed for this lease (profile and global maximum), for `extend`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<SignedDuration>,
    /// Console commands that make the server re-read these settings (the profile's `refresh`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refresh: Vec<String>,
    /// The files this lease's settings write to, the growth cap and the free-space floor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<crate::guard::Guard>,
    /// It captures message contents (with the admin's consent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub content_capture: bool,
    /// How often `extend` moved the expiry.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extensions: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Lease {
    /// A lease of `settings` from `created` to `expires`; every other field empty.
    pub fn new(
        id: &str,
        profile: &str,
        settings: Vec<Setting>,
        created: Timestamp,
        expires: Timestamp,
    ) -> Lease {
        Lease {
            id: id.into(),
            profile: profile.into(),
            params: Default::default(),
            overrides: Vec::new(),
            settings,
            created,
            expires,
            reason: None,
            user: String::new(),
            host: String::new(),
            released: Vec::new(),
            max_duration: None,
            refresh: Vec::new(),
            guard: None,
            content_capture: false,
            extensions: 0,
        }
    }

    /// The settings this lease still manages.
    pub fn active_settings(&self) -> impl Iterator<Item = &Setting> {
        self.settings
            .iter()
            .filter(|s| !self.released.iter().any(|r| r.eq_ignore_ascii_case(&s.key)))
    }

    /// Whether `other` asks for exactly the same thing (profile and resolved settings).
    pub fn same_request(&self, profile: &str, settings: &[Setting]) -> bool {
        self.profile == profile && self.settings == settings
    }
}

/// The original line of a managed key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineLine {
    /// The raw line, without its ending.
    pub raw: Bytes,
    /// Its line ending.
    pub ending: Ending,
    /// 1-based line number when captured (for people; edits find lines by key).
    pub line: usize,
}

impl BaselineLine {
    /// The value part of the baseline line.
    pub fn value(&self) -> Vec<u8> {
        self.as_line().value().unwrap_or_default().to_vec()
    }

    fn as_line(&self) -> Line<'_> {
        Line::new(&self.raw.0, self.ending)
    }
}

/// A key an active lease manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    /// The key, as the first lease that touched it spells it.
    pub key: String,
    /// The original line; `None` when the key was absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineLine>,
    /// The value dbgini last wrote (or found and left) there.
    pub expected: Bytes,
    /// Set while a change made through the server console is not confirmed: the value the key
    /// had before it, which is then not taken for a hand change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// The value a key had before an unconfirmed console change (`value` absent: the key was absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Previous {
    /// The value, `None` when the key was absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Bytes>,
}

impl Managed {
    /// The baseline value, `None` when absent.
    pub fn baseline_value(&self) -> Option<Vec<u8>> {
        self.baseline.as_ref().map(BaselineLine::value)
    }
}

/// Everything dbgini knows about one notes.ini.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Format version.
    pub version: u32,
    /// How many times this state was committed: a pending record is resolved only while it is
    /// newer than the state (see [`crate::store::Session::commit`]).
    #[serde(default)]
    pub serial: u64,
    /// Active leases, in creation order.
    #[serde(default)]
    pub leases: Vec<Lease>,
    /// Managed keys.
    #[serde(default)]
    pub managed: Vec<Managed>,
    /// When dbgini had to give the file's last line an ending, that line's content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_final_ending: Option<Bytes>,
    /// Leases that ended in this operation. Not part of the state file: a commit appends them to
    /// the ended-lease log (`ended.jsonl`), which `status` and `bundle` read.
    #[serde(skip)]
    pub ended: Vec<Ended>,
    /// Keys a console `set config KEY=` left as an empty `KEY=` line, to remove when the server is
    /// down ([`tidy`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub residue: Vec<String>,
    /// The latest time dbgini has acted at for this target, so a clock that jumps backwards
    /// cannot keep a lease alive (see [`effective_now`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Anchor>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            serial: 0,
            leases: Vec::new(),
            managed: Vec::new(),
            added_final_ending: None,
            residue: Vec::new(),
            ended: Vec::new(),
            clock: None,
        }
    }
}

/// The machine's clocks at one moment: wall time, and (where known) the time since boot, which
/// never jumps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Wall-clock time.
    pub wall: Timestamp,
    /// The boot's id and the time since it (Linux: `/proc/sys/kernel/random/boot_id`,
    /// `/proc/uptime`).
    pub boot: Option<(String, SignedDuration)>,
}

/// The effective time dbgini last acted at, with the boot clock reading at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// Effective time then.
    pub time: Timestamp,
    /// Boot id then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Time since boot then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_boot: Option<SignedDuration>,
}

/// The time expiry is judged by: the wall clock, but never earlier than the last anchor plus the
/// time the boot clock says has passed since (after a reboot, the time since that boot). A wall clock
/// that jumps backwards therefore cannot keep a lease alive; one that jumps forwards only ends
/// leases early.
pub fn effective_now(anchor: Option<&Anchor>, clock: &Clock) -> Timestamp {
    let Some(a) = anchor else { return clock.wall };
    let elapsed = match (&clock.boot, &a.boot_id, a.since_boot) {
        (Some((id, now)), Some(then_id), Some(then)) if id == then_id && *now >= then => {
            *now - then
        }
        // Another boot since dbgini last acted: that boot came after the anchor, so at least
        // the time since it has passed.
        (Some((id, now)), Some(then_id), _) if id != then_id && !now.is_negative() => *now,
        _ => SignedDuration::ZERO,
    };
    let floor = a.time.checked_add(elapsed).unwrap_or(a.time);
    clock.wall.max(floor)
}

/// The anchor to store after acting at `clock`.
pub fn anchor(previous: Option<&Anchor>, clock: &Clock) -> Anchor {
    Anchor {
        time: effective_now(previous, clock),
        boot_id: clock.boot.as_ref().map(|b| b.0.clone()),
        since_boot: clock.boot.as_ref().map(|b| b.1),
    }
}

/// Removes the empty `KEY=` lines a console left for keys no lease manages any more (file mode,
/// server down). Returns the keys removed.
pub fn tidy(doc: &mut Document, state: &mut State) -> Result<Vec<KeyChange>, IniError> {
    let mut removed = Vec::new();
    for key in std::mem::take(&mut state.residue) {
        if state
            .managed
            .iter()
            .any(|m| m.key.eq_ignore_ascii_case(&key))
        {
            continue;
        }
        if let Some(i) = doc.find_unique(&key)?
            && doc.line(i).value().is_some_and(<[u8]>::is_empty)
        {
            doc.remove(i);
            removed.push(KeyChange {
                key,
                before: Some(String::new()),
                after: None,
            });
        }
    }
    Ok(removed)
}

/// How many ended leases `status` and `bundle` look back on.
pub const ENDED_KEPT: usize = 10;

/// A lease that ended, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ended {
    /// The lease as it was.
    pub lease: Lease,
    /// When it ended.
    pub at: Timestamp,
    /// Why: "reverted by ...", "expired", "reverted early: ...".
    pub reason: String,
}

/// Records that `leases` ended at `at` for `reason`, for the commit to log.
pub fn record_ended(state: &mut State, leases: &[Lease], at: Timestamp, reason: &str) {
    for l in leases {
        let mut lease = l.clone();
        // The files and their sizes at enable stay (for `bundle`); the samples are history.
        if let Some(g) = &mut lease.guard {
            g.samples.clear();
        }
        state.ended.push(Ended {
            lease,
            at,
            reason: reason.to_string(),
        });
    }
}

/// Ids of the leases whose expiry has come at `now`.
pub fn due(state: &State, now: Timestamp) -> Vec<String> {
    state
        .leases
        .iter()
        .filter(|l| l.expires <= now)
        .map(|l| l.id.clone())
        .collect()
}

/// How the list of active leases changes.
#[derive(Clone, Debug)]
pub enum Change {
    /// Add a lease.
    Add(Box<Lease>),
    /// Remove leases by id.
    Remove(Vec<String>),
    /// End the lease with this id and add this one in its place (`enable` of a profile whose
    /// lease's settings were changed by hand).
    Replace(String, Box<Lease>),
    /// Only reconcile (drift, recovery).
    None,
}

/// A key whose value changed in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyChange {
    /// The key.
    pub key: String,
    /// Value before (lossy text), `None` when absent.
    pub before: Option<String>,
    /// Value after, `None` when removed.
    pub after: Option<String>,
}

/// A managed key that someone else changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The key.
    pub key: String,
    /// What dbgini wrote.
    pub expected: String,
    /// What is there now (`None` when the line is gone).
    pub found: Option<String>,
    /// With `--force`: dbgini overwrote it; otherwise it was left and released.
    pub overridden: bool,
}

/// The result of [`plan`].
#[derive(Clone, Debug)]
pub struct Plan {
    /// The document after the operation.
    pub doc: Document,
    /// The state after the operation.
    pub state: State,
    /// Keys whose value changed in the file.
    pub changes: Vec<KeyChange>,
    /// Managed keys someone else changed.
    pub drift: Vec<Drift>,
}

fn lossy(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// Finds the drifted managed keys of `state` in `doc`.
pub fn detect_drift(doc: &Document, state: &State) -> Result<Vec<Drift>, IniError> {
    let mut drift = Vec::new();
    for m in &state.managed {
        let found = doc.get(&m.key)?;
        // `set config KEY=` can leave an empty line where the key was absent.
        let was = |p: &Previous| match &p.value {
            Some(v) => found == Some(v.0.as_slice()),
            None => found.is_none_or(<[u8]>::is_empty),
        };
        if found != Some(m.expected.0.as_slice()) && !m.previous.as_ref().is_some_and(was) {
            drift.push(Drift {
                key: m.key.clone(),
                expected: m.expected.lossy(),
                found: found.map(lossy),
                overridden: false,
            });
        }
    }
    Ok(drift)
}

/// Computes the document and state after `change`.
///
/// With `force`, drifted keys are set to what the leases ask for (or their baseline) anyway;
/// without it they are left as found and released from every lease.
pub fn plan(doc: Document, state: &State, change: Change, force: bool) -> Result<Plan, IniError> {
    let mut doc = doc;
    let mut leases = state.leases.clone();
    let mut managed = state.managed.clone();

    // 1. Drift: someone else changed a managed key.
    let mut drift = detect_drift(&doc, state)?;
    for d in &mut drift {
        d.overridden = force;
        if !force {
            managed.retain(|m| !m.key.eq_ignore_ascii_case(&d.key));
            for lease in &mut leases {
                if lease
                    .settings
                    .iter()
                    .any(|s| s.key.eq_ignore_ascii_case(&d.key))
                    && !lease
                        .released
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(&d.key))
                {
                    lease.released.push(d.key.clone());
                }
            }
        }
    }

    // 2. The new list of active leases.
    match change {
        Change::Add(lease) => leases.push(*lease),
        Change::Remove(ids) => leases.retain(|l| !ids.contains(&l.id)),
        Change::Replace(id, lease) => {
            leases.retain(|l| l.id != id);
            leases.push(*lease);
        }
        Change::None => {}
    }

    // 3. Keys the active leases manage, in creation order, with their baseline.
    let mut wanted: Vec<Managed> = Vec::new();
    for setting in leases.iter().flat_map(Lease::active_settings) {
        if wanted
            .iter()
            .any(|w| w.key.eq_ignore_ascii_case(&setting.key))
        {
            continue;
        }
        let baseline = match managed
            .iter()
            .find(|m| m.key.eq_ignore_ascii_case(&setting.key))
        {
            Some(m) => m.baseline.clone(),
            None => doc.find_unique(&setting.key)?.map(|i| BaselineLine {
                raw: Bytes(doc.line(i).content.to_vec()),
                ending: doc.line(i).ending,
                line: i + 1,
            }),
        };
        let mut m = Managed {
            key: setting.key.clone(),
            baseline,
            expected: Bytes::default(),
            previous: None,
        };
        m.expected = Bytes(fold(&m, &leases).unwrap_or_default());
        wanted.push(m);
    }

    // 4. Edit the file: wanted keys to their folded value, dropped keys back to their baseline.
    let mut changes = Vec::new();
    let mut state_ending = state.added_final_ending.clone();
    for m in &wanted {
        let index = doc.find_unique(&m.key)?;
        let current = index.and_then(|i| doc.line(i).value()).map(<[u8]>::to_vec);
        if current.as_deref() == Some(m.expected.0.as_slice()) {
            continue;
        }
        match index {
            Some(i) => doc.set_value(i, &m.expected.0),
            None => {
                let ins = doc.insert(&m.key, &m.expected.0);
                if ins.added_ending_before {
                    state_ending = Some(Bytes(doc.line(ins.index - 1).content.to_vec()));
                }
            }
        }
        changes.push(KeyChange {
            key: m.key.clone(),
            before: current.as_deref().map(lossy),
            after: Some(m.expected.lossy()),
        });
    }
    for m in managed
        .iter()
        .filter(|m| !wanted.iter().any(|w| w.key.eq_ignore_ascii_case(&m.key)))
    {
        let index = doc.find_unique(&m.key)?;
        let current = index.and_then(|i| doc.line(i).value()).map(lossy);
        match (&m.baseline, index) {
            (Some(base), _) => {
                if index.is_some_and(|i| doc.line(i) == base.as_line()) {
                    continue;
                }
                doc.restore_line(index, &base.raw.0, base.ending);
            }
            (None, Some(i)) => {
                doc.remove(i);
            }
            (None, None) => continue,
        }
        changes.push(KeyChange {
            key: m.key.clone(),
            before: current,
            after: m.baseline_value().map(|v| lossy(&v)),
        });
    }

    // 5. Lines dbgini added stay in the order a fresh enable of the remaining leases gives, so
    //    the file after a lease ends equals the file as if it had never been enabled.
    let added: Vec<&str> = wanted
        .iter()
        .filter(|m| m.baseline.is_none())
        .map(|m| m.key.as_str())
        .collect();
    let mut at = Vec::new();
    for key in &added {
        at.extend(doc.find_unique(key)?.map(|i| (i, *key)));
    }
    if !at.windows(2).all(|w| w[0].0 < w[1].0) {
        let mut taken: Vec<(&str, (Vec<u8>, Ending))> = Vec::new();
        let mut by_index = at.clone();
        by_index.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (i, key) in by_index {
            taken.push((key, doc.remove(i)));
        }
        for key in &added {
            if let Some((_, line)) = taken.iter().find(|(k, _)| k == key) {
                doc.reinsert(line.0.clone());
            }
        }
    }

    // 6. An ending dbgini added to the last line goes once no line dbgini added is left.
    if let Some(content) = &state_ending
        && wanted.iter().all(|m| m.baseline.is_some())
    {
        doc.strip_final_ending_if(&content.0);
        state_ending = None;
    }

    let state = State {
        version: STATE_VERSION,
        serial: state.serial,
        leases,
        managed: wanted,
        added_final_ending: state_ending,
        residue: state.residue.clone(),
        ended: Vec::new(),
        clock: state.clock.clone(),
    };
    Ok(Plan {
        doc,
        state,
        changes,
        drift,
    })
}

/// The value the active leases want for a managed key: their rules folded over its baseline.
fn fold(m: &Managed, leases: &[Lease]) -> Option<Vec<u8>> {
    let mut value = m.baseline_value();
    for setting in leases.iter().flat_map(Lease::active_settings) {
        if setting.key.eq_ignore_ascii_case(&m.key) {
            value = Some(
                setting
                    .rule
                    .apply(value.as_deref(), setting.value.as_bytes()),
            );
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Rule;

    fn lease(id: &str, secs: i64, settings: &[(&str, &str, Rule)]) -> Lease {
        let settings = settings
            .iter()
            .map(|(k, v, r)| Setting {
                key: k.to_string(),
                value: v.to_string(),
                rule: *r,
            })
            .collect();
        Lease::new(id, id, settings, ts(secs), ts(secs + 3600))
    }

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn clock(wall: i64, boot: Option<(&str, i64)>) -> Clock {
        Clock {
            wall: ts(wall),
            boot: boot.map(|(id, s)| (id.to_string(), SignedDuration::from_secs(s))),
        }
    }

    #[test]
    fn a_clock_jumping_back_does_not_stop_time() {
        let a = anchor(None, &clock(10_000, Some(("b1", 500))));
        // The wall clock jumped back an hour while 100 s passed on the boot clock.
        assert_eq!(
            effective_now(Some(&a), &clock(6_500, Some(("b1", 600)))),
            ts(10_100)
        );
        // After a reboot the boot came after the anchor: at least the time since it has passed.
        assert_eq!(
            effective_now(Some(&a), &clock(6_500, Some(("b2", 5)))),
            ts(10_005)
        );
        assert_eq!(
            effective_now(Some(&a), &clock(6_500, Some(("b2", 7_200)))),
            ts(17_200)
        );
        assert_eq!(effective_now(Some(&a), &clock(6_500, None)), ts(10_000));
        // A clock that moved on normally wins.
        assert_eq!(
            effective_now(Some(&a), &clock(20_000, Some(("b1", 600)))),
            ts(20_000)
        );
    }

    fn apply(text: &[u8], state: &State, change: Change) -> (Vec<u8>, State) {
        let p = plan(Document::parse(text), state, change, false).unwrap();
        (p.doc.to_bytes(), p.state)
    }

    const ORIG: &[u8] = b"[Notes]\r\ndebugrouter=1\r\nLog_MailRouting=50\r\nLast=1";

    #[test]
    fn stacked_leases_fold_and_revert_in_any_order() {
        let a = lease(
            "a",
            1,
            &[
                ("DebugRouter", "2", Rule::Bits),
                ("SMTPDebug", "3", Rule::AtLeast),
            ],
        );
        let b = lease(
            "b",
            2,
            &[
                ("Log_MailRouting", "40", Rule::AtLeast),
                ("SMTPDebug", "1", Rule::Set),
            ],
        );
        let (one, s1) = apply(ORIG, &State::default(), Change::Add(Box::new(a.clone())));
        assert_eq!(
            one,
            b"[Notes]\r\ndebugrouter=3\r\nLog_MailRouting=50\r\nLast=1\r\nSMTPDebug=3\r\n"
        );
        let (two, s2) = apply(&one, &s1, Change::Add(Box::new(b.clone())));
        assert_eq!(
            two,
            b"[Notes]\r\ndebugrouter=3\r\nLog_MailRouting=50\r\nLast=1\r\nSMTPDebug=1\r\n"
        );
        for order in [["a", "b"], ["b", "a"]] {
            let (mid, sm) = apply(&two, &s2, Change::Remove(vec![order[0].into()]));
            let expect_mid: &[u8] = if order[0] == "a" {
                b"[Notes]\r\ndebugrouter=1\r\nLog_MailRouting=50\r\nLast=1\r\nSMTPDebug=1\r\n"
            } else {
                &one
            };
            assert_eq!(mid, expect_mid, "after removing {}", order[0]);
            let (end, se) = apply(&mid, &sm, Change::Remove(vec![order[1].into()]));
            assert_eq!(end, ORIG);
            assert_eq!(se, State::default());
        }
    }

    #[test]
    fn hand_change_survives_and_is_released() {
        let a = lease(
            "a",
            1,
            &[
                ("DebugRouter", "2", Rule::Bits),
                ("SMTPDebug", "3", Rule::Set),
            ],
        );
        let (one, s1) = apply(ORIG, &State::default(), Change::Add(Box::new(a)));
        let edited = String::from_utf8(one)
            .unwrap()
            .replace("SMTPDebug=3", "SMTPDebug=7");
        let p = plan(
            Document::parse(edited.as_bytes()),
            &s1,
            Change::Remove(vec!["a".into()]),
            false,
        )
        .unwrap();
        assert_eq!(p.drift.len(), 1);
        assert_eq!(p.drift[0].found.as_deref(), Some("7"));
        assert_eq!(
            p.doc.to_bytes(),
            b"[Notes]\r\ndebugrouter=1\r\nLog_MailRouting=50\r\nLast=1\r\nSMTPDebug=7\r\n"
        );
        let forced = plan(
            Document::parse(edited.as_bytes()),
            &s1,
            Change::Remove(vec!["a".into()]),
            true,
        )
        .unwrap();
        assert_eq!(forced.doc.to_bytes(), ORIG);
    }

    #[test]
    fn released_key_is_not_reclaimed_by_the_lease_that_lost_it() {
        let a = lease("a", 1, &[("SMTPDebug", "3", Rule::Set)]);
        let (one, s1) = apply(ORIG, &State::default(), Change::Add(Box::new(a)));
        let edited = String::from_utf8(one)
            .unwrap()
            .replace("SMTPDebug=3", "SMTPDebug=0");
        let p = plan(Document::parse(edited.as_bytes()), &s1, Change::None, false).unwrap();
        assert_eq!(p.state.leases[0].released, vec!["SMTPDebug".to_string()]);
        let again = plan(p.doc.clone(), &p.state, Change::None, false).unwrap();
        assert!(again.changes.is_empty() && again.drift.is_empty());
    }

    #[test]
    fn duplicate_of_a_key_to_change_is_refused() {
        let a = lease("a", 1, &[("Log_MailRouting", "40", Rule::AtLeast)]);
        let doc = Document::parse(b"[Notes]\nLog_MailRouting=20\nLog_MailRouting=30\n");
        assert!(matches!(
            plan(doc, &State::default(), Change::Add(Box::new(a)), false),
            Err(IniError::Duplicate { .. })
        ));
    }
}

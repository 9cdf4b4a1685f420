//! Every corpus file, every pair of built-in profiles, both revert orders: byte-identical at the
//! end, values following the rules in between. Plus one test per quirk, with hand-written
//! expectations.

use std::collections::BTreeMap;

use dbgini::ini::Document;
use dbgini::ops::enable::data_dir;
use dbgini::profile::{Catalog, RenderContext, Rule};

use crate::util::{Env, PROFILES, corpus, corpus_file, key_lines, stderr};

/// Files the corpus README says must be refused outright.
const REFUSED: &[&str] = &["quirks/bom.ini"];

/// Profiles that must change `Log_MailRouting`, which duplicate-key.ini has twice.
fn allowed(file: &str, profile: &str) -> bool {
    file != "quirks/duplicate-key.ini" || !matches!(profile, "router" | "lookup" | "smtp-outbound")
}

/// What a profile's settings are for this file: (key, value, rule).
fn settings(profile: &str, original: &[u8], ini: &std::path::Path) -> Vec<(String, String, Rule)> {
    let p = Catalog::default().find(profile).unwrap().profile;
    let doc = Document::parse(original);
    let ctx = RenderContext {
        data_dir: data_dir(&doc, ini),
        // As enable judges it: by the file before any lease.
        captured: dbgini::lease::console_captured(&doc, &Default::default()),
    };
    p.resolve(&BTreeMap::new(), &[], &ctx)
        .unwrap()
        .settings
        .into_iter()
        .map(|s| (s.setting.key, s.setting.value, s.setting.rule))
        .collect()
}

fn value_of(line: &str) -> &str {
    line.split_once('=')
        .map_or("", |(_, v)| v.trim_start_matches([' ', '\t']))
}

/// After enabling `a` then `b`: each key once, in its original place with its original spelling,
/// holding the rules' fold over the original value.
fn assert_values(env: &Env, original: &[u8], a: &str, b: &str) {
    let after = env.bytes();
    let mut wanted: Vec<(String, Vec<(String, Rule)>)> = Vec::new();
    for (key, value, rule) in settings(a, original, &env.ini)
        .into_iter()
        .chain(settings(b, original, &env.ini))
    {
        match wanted
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some((_, rules)) => rules.push((value, rule)),
            None => wanted.push((key, vec![(value, rule)])),
        }
    }
    for (key, rules) in wanted {
        let before = key_lines(original, &key);
        let now = key_lines(&after, &key);
        assert_eq!(
            now.len(),
            1,
            "{key} should be on exactly one line after enable {a} + {b}: {now:?}"
        );
        let mut expect = before.first().map(|(_, l)| value_of(l).as_bytes().to_vec());
        for (value, rule) in &rules {
            expect = Some(rule.apply(expect.as_deref(), value.as_bytes()));
        }
        assert_eq!(
            value_of(&now[0].1).as_bytes(),
            expect.unwrap().as_slice(),
            "{key} after enable {a} + {b}"
        );
        if let Some((line, text)) = before.first() {
            assert_eq!(now[0].0, *line, "{key} moved");
            let key_part = |l: &str| l.split_once('=').map(|(k, _)| k.to_string());
            assert_eq!(
                key_part(&now[0].1),
                key_part(text),
                "{key}'s spelling or spacing changed"
            );
        }
    }
}

#[test]
fn every_corpus_file_round_trips_through_every_pair_of_profiles() {
    let mut runs = 0;
    for (name, original) in corpus()
        .into_iter()
        .filter(|(n, _)| !REFUSED.contains(&n.as_str()))
    {
        let profiles: Vec<&str> = PROFILES
            .iter()
            .copied()
            .filter(|p| allowed(&name, p))
            .collect();
        for &a in &profiles {
            for &b in profiles.iter().filter(|&&b| b != a) {
                for first in [a, b] {
                    let env = Env::new(&original);
                    env.ok(&["enable", a]);
                    env.ok(&["enable", b]);
                    assert_values(&env, &original, a, b);
                    let second = if first == a { b } else { a };
                    env.ok(&["revert", first]);
                    env.ok(&["revert", second]);
                    assert!(
                        env.bytes() == original,
                        "{name}: enable {a}, {b}; revert {first}, {second} is not byte-identical"
                    );
                    runs += 1;
                }
            }
        }
    }
    assert!(runs >= 14 * 20, "only {runs} runs");
}

#[test]
fn lowercase_keys_are_changed_in_place_and_restored() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    assert_eq!(
        env.lines_for("DebugRouter"),
        vec![(90, "debugrouter=3".to_string())]
    );
    assert_eq!(
        env.lines_for("Log_MailRouting"),
        vec![(91, "log_mailrouting=40".to_string())]
    );
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

#[test]
fn spaces_around_equals_are_kept() {
    let original = corpus_file("quirks/spaces-around-equals.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "smtp-inbound"]);
    assert_eq!(
        env.lines_for("SMTPDebug"),
        vec![(90, "SMTPDebug = 3".to_string())]
    );
    env.ok(&["revert"]);
    assert_eq!(
        env.lines_for("SMTPDebug"),
        vec![(90, "SMTPDebug = 1".to_string())]
    );
    assert!(env.bytes() == original);
}

#[test]
fn an_admins_debug_outfile_is_kept_and_not_removed_by_revert() {
    let original = corpus_file("quirks/existing-outfile.ini");
    let env = Env::new(&original);
    let out = env.ok(&["enable", "router"]);
    let kept = "debug_outfile=/local/notesdata/IBM_TECHNICAL_SUPPORT/support-case.txt".to_string();
    assert_eq!(env.lines_for("debug_outfile"), vec![(89, kept.clone())]);
    // The console is captured there: the guard watches that file, and nothing else is added.
    assert!(
        stderr(&out)
            .contains("debug_outfile  /local/notesdata/IBM_TECHNICAL_SUPPORT/support-case.txt"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.lines_for("Console_Log_Enabled").len(), 1);
    env.ok(&["revert"]);
    assert_eq!(env.lines_for("debug_outfile"), vec![(89, kept)]);
    assert!(env.bytes() == original);
}

#[test]
fn a_higher_level_is_kept() {
    let mut original = corpus_file("quirks/prod-linux.ini");
    original.extend_from_slice(b"Log_MailRouting=50\nDebugRouter=4\n");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    assert_eq!(env.lines_for("Log_MailRouting")[0].1, "Log_MailRouting=50");
    assert_eq!(
        env.lines_for("DebugRouter")[0].1,
        "DebugRouter=7",
        "bits: 4 | 3"
    );
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

#[test]
fn a_missing_final_newline_is_added_before_appending_and_removed_by_revert() {
    let original = corpus_file("quirks/no-final-newline.ini");
    assert!(!original.ends_with(b"\n"));
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    let after = env.bytes();
    let mut expect = original.clone();
    expect.extend_from_slice(b"\nDebugRouter=3\nLog_MailRouting=40\n");
    assert_eq!(
        String::from_utf8_lossy(&after),
        String::from_utf8_lossy(&expect)
    );
    env.ok(&["revert"]);
    assert!(env.bytes() == original);
}

#[test]
fn crlf_files_get_crlf_lines_and_windows_paths() {
    let original = corpus_file("quirks/prod-windows-crlf.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    let after = env.bytes();
    assert!(after.starts_with(&original));
    assert_eq!(
        &after[original.len()..],
        b"DebugRouter=3\r\nLog_MailRouting=40\r\n"
    );
    // Without console logging, the console log is turned on: CRLF too; and the guard watches
    // console.log in the Windows data directory.
    let off = String::from_utf8(original.clone())
        .unwrap()
        .replace("Console_Log_Enabled=1", "Console_Log_Enabled=0");
    let env = Env::new(off.as_bytes());
    let out = env.ok(&["enable", "router"]);
    assert_eq!(
        env.lines_for("Console_Log_Enabled")[0].1,
        "Console_Log_Enabled=1"
    );
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.trim_start().starts_with("console.log ")
                && l.contains("C:\\Program Files\\HCL\\Domino\\Data")
                && l.contains("console.log  ")),
        "{err}"
    );
    assert!(env.bytes().ends_with(b"Log_MailRouting=40\r\n"));
    env.ok(&["revert"]);
    assert_eq!(env.bytes(), off.as_bytes());
}

#[test]
fn mixed_endings_and_lmbcs_bytes_in_other_lines_survive() {
    for name in ["quirks/mixed-endings.ini", "quirks/lmbcs-bytes.ini"] {
        let original = corpus_file(name);
        let env = Env::new(&original);
        env.ok(&["enable", "smtp-outbound"]);
        let after = env.bytes();
        assert!(
            after.starts_with(&original),
            "{name}: a byte before the appended lines changed"
        );
        assert_eq!(
            &after[original.len()..],
            b"SMTPClientDebug=1\nLog_MailRouting=40\n",
            "{name}"
        );
    }
}

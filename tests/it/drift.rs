//! Hand changes to managed keys between enable and revert survive, with a warning; `--force`
//! restores the baseline anyway.

use crate::util::{Env, corpus_file, stderr};

fn hand_edit(env: &Env, from: &str, to: &str) {
    let text = String::from_utf8(env.bytes()).unwrap();
    assert!(text.contains(from), "{from} not in notes.ini");
    std::fs::write(&env.ini, text.replace(from, to)).unwrap();
}

#[test]
fn a_hand_change_survives_revert_with_a_warning() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    hand_edit(&env, "debugrouter=3", "debugrouter=5");
    // While a lease still manages the key, `revert --force` can put the original back.
    let status = env.ok(&["status"]);
    assert!(
        stderr(&status).contains("DebugRouter was changed by hand")
            && stderr(&status)
                .contains("`dbgini revert --force` would put back what it was before dbgini ('1')"),
        "{}",
        stderr(&status)
    );

    // Once the revert has released it, no revert will: the warning says so, and what it was.
    let out = env.ok(&["revert"]);
    let err = stderr(&out);
    assert!(err.contains("warning: DebugRouter was changed by hand since dbgini set it (dbgini wrote '3', found '5')"), "{err}");
    assert!(
        err.contains("no revert will change it; before dbgini it was '1'"),
        "{err}"
    );
    assert!(!err.contains("revert --force"), "{err}");
    let mut expect = String::from_utf8(original.clone()).unwrap();
    expect = expect.replace("debugrouter=1", "debugrouter=5");
    assert_eq!(String::from_utf8(env.bytes()).unwrap(), expect);
    let history = env.ok(&["history"]);
    assert!(
        String::from_utf8_lossy(&history.stdout)
            .contains("DebugRouter: changed by hand (expected 3, found 5)")
    );
}

#[test]
fn force_restores_the_baseline_over_a_hand_change() {
    let original = corpus_file("quirks/lowercase-debug-keys.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    hand_edit(&env, "debugrouter=3", "debugrouter=5");
    let out = env.ok(&["revert", "--force"]);
    assert!(
        stderr(&out).contains("--force overwrote it"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == original);
}

#[test]
fn a_deleted_managed_line_is_not_recreated() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "smtp-outbound"]);
    hand_edit(&env, "SMTPClientDebug=1\n", "");
    let out = env.ok(&["revert"]);
    assert!(
        stderr(&out).contains("found no line at all"),
        "{}",
        stderr(&out)
    );
    assert!(env.bytes() == original);
}

#[test]
fn a_released_key_stays_released_while_other_leases_come_and_go() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    hand_edit(&env, "Log_MailRouting=40", "Log_MailRouting=10");
    env.ok(&["enable", "lookup"]);
    // lookup manages Log_MailRouting afresh from the hand-set 10.
    assert_eq!(env.lines_for("Log_MailRouting")[0].1, "Log_MailRouting=40");
    env.ok(&["revert", "--all"]);
    assert_eq!(env.lines_for("Log_MailRouting")[0].1, "Log_MailRouting=10");
    assert!(
        env.lines_for("DebugRouter").is_empty() && env.lines_for("DebugRouterLookup").is_empty()
    );
}

#[test]
fn an_enable_that_changes_nothing_still_reports_the_hand_changes() {
    let original = corpus_file("quirks/prod-linux.ini");
    let env = Env::new(&original);
    env.ok(&["enable", "router"]);
    env.ok(&["enable", "smtp-outbound"]);
    assert_eq!(env.lines_for("DebugRouter")[0].1, "DebugRouter=3");
    hand_edit(&env, "DebugRouter=3", "DebugRouter=7");
    let before = env.bytes();

    // The same request again: nothing to do, but the hand change is in the result and warned.
    let out = env.ok(&["--json", "enable", "smtp-outbound"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["already"], true, "{v}");
    assert_eq!(v["changed"], false, "{v}");
    let drift = v["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{v}");
    assert_eq!(drift[0]["key"], "DebugRouter");
    assert_eq!(drift[0]["expected"], "3");
    assert_eq!(drift[0]["found"], "7");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("DebugRouter was changed by hand"),
        "{v}"
    );
    assert!(env.bytes() == before, "an enable with nothing to do wrote");
}

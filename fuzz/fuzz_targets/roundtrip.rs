//! Parse, edit and serialise arbitrary bytes: the round trip is exact, an edit changes only its
//! own line, and enabling then reverting a lease gives the original bytes back.

#![no_main]

use dbgini::ini::Document;
use dbgini::lease::{self, Change, Lease, State};
use dbgini::profile::{Rule, Setting};
use libfuzzer_sys::fuzz_target;

fn lease() -> Lease {
    let s = |key: &str, value: &str, rule| Setting {
        key: key.into(),
        value: value.into(),
        rule,
    };
    let t = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let settings = vec![
        s("DebugRouter", "3", Rule::Bits),
        s("Log_MailRouting", "40", Rule::AtLeast),
        s("debug_outfile", "/d/out.txt", Rule::IfAbsent),
        s("SMTPDebug", "2", Rule::Set),
    ];
    Lease::new("fuzz-0001", "fuzz", settings, t, t)
}

fuzz_target!(|data: &[u8]| {
    let doc = Document::parse(data);
    assert_eq!(doc.to_bytes(), data, "round trip");
    if doc.check_editable().is_err() {
        return;
    }
    for key in ["DebugRouter", "Log_MailRouting", "Directory"] {
        let Ok(Some(i)) = doc.find_unique(key) else {
            continue;
        };
        let mut edited = doc.clone();
        edited.set_value(i, b"3");
        assert_eq!(doc.len(), edited.len());
        for (j, (a, b)) in doc.lines().zip(edited.lines()).enumerate() {
            if j == i {
                assert_eq!(b.value(), Some(&b"3"[..]));
                assert_eq!(a.ending, b.ending, "an edit kept the line ending");
                assert_eq!(a.key(), b.key(), "an edit kept the key");
            } else {
                assert_eq!(a, b, "an edit touched another line");
            }
        }
    }
    let Ok(on) = lease::plan(
        doc,
        &State::default(),
        Change::Add(Box::new(lease())),
        lease::Policy::default(),
    ) else {
        return;
    };
    let off = lease::plan(
        on.doc,
        &on.state,
        Change::Remove(vec!["fuzz-0001".into()]),
        lease::Policy::default(),
    )
    .expect("revert plans");
    assert_eq!(
        off.doc.to_bytes(),
        data,
        "enable then revert is not byte-identical"
    );
    assert!(off.state.managed.is_empty() && off.state.leases.is_empty());
});

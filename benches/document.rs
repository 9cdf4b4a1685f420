//! Parse, edit and serialise notes.ini documents of 100, 10,000 and 1,000,000 lines, and the
//! enable/revert plan on them. `cargo bench --bench document`.

// Benchmarks set up their inputs and fail loudly.
#![allow(clippy::unwrap_used)]

use dbgini::ini::Document;
use dbgini::lease::{self, Change, Lease, State};
use dbgini::profile::{Rule, Setting};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[100, 10_000, 1_000_000];

/// A notes.ini of `lines` lines, about 30 bytes each, the keys the router profile changes in the
/// middle.
fn file(lines: usize) -> Vec<u8> {
    let mut out = b"[Notes]\nDirectory=/local/notesdata\n".to_vec();
    for i in 0..lines.saturating_sub(4) {
        if i == lines / 2 {
            out.extend_from_slice(b"Log_MailRouting=20\n");
        }
        out.extend_from_slice(format!("Key_{i:07}=value {i},a,b\n").as_bytes());
    }
    out
}

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
        s(
            "debug_outfile",
            "/local/notesdata/IBM_TECHNICAL_SUPPORT/dbgini_debug.txt",
            Rule::IfAbsent,
        ),
    ];
    Lease::new("router-0001", "router", settings, t, t)
}

#[divan::bench(args = SIZES)]
fn parse(bencher: divan::Bencher, lines: usize) {
    let bytes = file(lines);
    bencher.bench(|| Document::parse(divan::black_box(&bytes)));
}

#[divan::bench(args = SIZES)]
fn serialise(bencher: divan::Bencher, lines: usize) {
    let doc = Document::parse(&file(lines));
    bencher.bench(|| divan::black_box(&doc).to_bytes());
}

#[divan::bench(args = SIZES)]
fn edit_one_value(bencher: divan::Bencher, lines: usize) {
    let doc = Document::parse(&file(lines));
    bencher.with_inputs(|| doc.clone()).bench_values(|mut d| {
        let i = d.find_unique("Log_MailRouting").unwrap().unwrap();
        d.set_value(i, b"40");
        d
    });
}

#[divan::bench(args = SIZES)]
fn plan_enable_and_revert(bencher: divan::Bencher, lines: usize) {
    let bytes = std::sync::Arc::new(file(lines));
    bencher.bench(|| {
        let on = lease::plan(
            Document::from_shared(bytes.clone()),
            &State::default(),
            Change::Add(Box::new(lease())),
            false,
        )
        .unwrap();
        let after = on.doc.to_bytes();
        let off = lease::plan(
            Document::parse(&after),
            &on.state,
            Change::Remove(vec!["router-0001".into()]),
            false,
        )
        .unwrap();
        off.doc.to_bytes()
    });
}

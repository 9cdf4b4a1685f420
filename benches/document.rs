//! Parse, edit and serialise notes.ini documents of 100, 10,000 and 1,000,000 lines, and the
//! enable/revert plan on them; plan and resolve a snippet of 1,000 and of 10,000 keys (the limit),
//! which should take about ten times as long, not a hundred (here: 1.8 ms and 19 ms to plan and
//! revert, 0.5 ms and 5.6 ms to resolve). `cargo bench --bench document`.

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
            lease::Policy::default(),
        )
        .unwrap();
        let after = on.doc.to_bytes();
        let off = lease::plan(
            Document::parse(&after),
            &on.state,
            Change::Remove(vec!["router-0001".into()]),
            lease::Policy::default(),
        )
        .unwrap();
        off.doc.to_bytes()
    });
}

/// Snippet sizes for the many-keys benchmarks: a typical large one, and the limit
/// (`profile::MAX_SNIPPET_KEYS`). Ten times the keys should cost about ten times the time (it
/// cost a hundred times when each key was looked up by scanning the file).
const KEYS: &[usize] = &[1_000, 10_000];

/// A lease of `n` settings, half of them keys the file has and half new ones.
fn many(n: usize) -> (Vec<u8>, Lease) {
    let mut text = b"[Notes]\nDirectory=/local/notesdata\n".to_vec();
    let mut settings = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            text.extend_from_slice(format!("Debug_{i:05}=0\n").as_bytes());
        }
        settings.push(Setting {
            key: format!("Debug_{i:05}"),
            value: "1".into(),
            rule: Rule::Set,
        });
    }
    let t = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    (text, Lease::new("snippet-0001", "snippet", settings, t, t))
}

#[divan::bench(args = KEYS)]
fn plan_a_snippet_of_many_keys_and_revert_it(bencher: divan::Bencher, keys: usize) {
    let (bytes, lease) = many(keys);
    bencher.bench(|| {
        let doc = Document::parse(&bytes);
        let on = lease::plan(
            doc,
            &State::default(),
            Change::Add(Box::new(lease.clone())),
            lease::Policy::default(),
        )
        .unwrap();
        let off = lease::plan(
            on.doc,
            &on.state,
            Change::Remove(vec![lease.id.clone()]),
            lease::Policy::default(),
        )
        .unwrap();
        divan::black_box(off.doc.to_bytes())
    });
}

#[divan::bench(args = KEYS)]
fn resolve_a_snippet_of_many_keys(bencher: divan::Bencher, keys: usize) {
    let text: String = (0..keys).map(|i| format!("Debug_{i:05}=1\n")).collect();
    let ctx = dbgini::profile::RenderContext {
        data_dir: "/local/notesdata".into(),
        captured: true,
    };
    bencher.bench(|| {
        let p = dbgini::profile::Profile::from_snippet(&text, std::path::Path::new("case.txt"))
            .unwrap();
        divan::black_box(p.resolve(&Default::default(), &[], &ctx).unwrap())
    });
}

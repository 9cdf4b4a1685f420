//! Log growth and privacy guards: what each debug setting writes where, how much, and whether it
//! captures message contents; growth caps and a free-space floor that end a lease early.
//!
//! No published figure says how fast these outputs grow (see the shared `domino.md`), so dbgini
//! measures: each lease watches the files its settings write to, and every dbgini run samples
//! them. This module is pure: sizes and free space come in as numbers.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a setting's output goes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// The file named by `debug_outfile`.
    DebugOutfile,
    /// `log.nsf` in the data directory.
    LogNsf,
    /// `IBM_TECHNICAL_SUPPORT/console.log`.
    ConsoleLog,
    /// The system temp directory (`STxxxxxx.TMP` files).
    TempDir,
    /// Nothing that grows (a workaround such as `DNSServer`).
    None,
}

impl Output {
    /// How admins call it.
    pub fn name(self) -> &'static str {
        match self {
            Output::DebugOutfile => "debug_outfile",
            Output::LogNsf => "log.nsf",
            Output::ConsoleLog => "console.log",
            Output::TempDir => "the temp directory",
            Output::None => "nothing",
        }
    }

    /// Where a setting with this output writes, in words (for `show` and the pre-flight: a
    /// setting's output is a destination, not yet a file).
    pub fn destination(self) -> &'static str {
        match self {
            Output::DebugOutfile | Output::ConsoleLog => {
                "the console (kept in the console log: debug_outfile, else console.log)"
            }
            other => other.name(),
        }
    }
}

/// How fast a setting's output grows.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Volume {
    /// A few lines per session or message.
    #[default]
    Low,
    /// Lines for every message or command.
    High,
    /// Whole messages or message data.
    VeryHigh,
}

impl Volume {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Volume::Low => "low",
            Volume::High => "high",
            Volume::VeryHigh => "very high",
        }
    }
}

/// What dbgini knows about a notes.ini debug setting (from the shared `domino.md`).
#[derive(Clone, Copy, Debug)]
pub struct Known {
    /// The key.
    pub key: &'static str,
    /// Where its output goes.
    pub output: Output,
    /// How much it writes, at levels at or above `high_from`.
    pub volume: Volume,
    /// The value from which `volume` applies (below it: low).
    pub high_from: u64,
    /// Why.
    pub note: &'static str,
    /// Values that capture message contents.
    pub captures: &'static [&'static str],
    /// Bytes per message, for the documented estimate (`--mail-rate`); a guess, labelled so.
    pub bytes_per_message: u64,
}

/// The known settings. Values at which content is captured and volume notes follow the IBM white
/// paper (2009), sections 7 and 8; bytes per message are rough guesses for the labelled estimate.
pub const KNOWN: &[Known] = &[
    Known {
        key: "DebugRouter",
        output: Output::DebugOutfile,
        volume: Volume::High,
        high_from: 1,
        note: "a few lines per message routed",
        captures: &[],
        bytes_per_message: 1500,
    },
    Known {
        key: "Log_MailRouting",
        output: Output::LogNsf,
        volume: Volume::High,
        high_from: 40,
        note: "level 40 \"taxes server resources and causes the log file to increase dramatically in size\"",
        captures: &[],
        bytes_per_message: 1000,
    },
    Known {
        key: "DebugRouterLookup",
        output: Output::DebugOutfile,
        volume: Volume::High,
        high_from: 1,
        note: "lines for every name the router looks up",
        captures: &[],
        bytes_per_message: 800,
    },
    Known {
        key: "SMTPClientDebug",
        output: Output::LogNsf,
        volume: Volume::High,
        high_from: 1,
        note: "every outbound SMTP command and response",
        captures: &[],
        bytes_per_message: 1200,
    },
    Known {
        key: "SMTPDebug",
        output: Output::DebugOutfile,
        volume: Volume::High,
        high_from: 2,
        note: "every inbound SMTP command and response",
        captures: &[],
        bytes_per_message: 2000,
    },
    Known {
        key: "SMTPDebugIO",
        output: Output::DebugOutfile,
        volume: Volume::VeryHigh,
        high_from: 3,
        note: "levels 3 and 4 log all data received, including the contents of messages",
        captures: &["3", "4"],
        bytes_per_message: 200,
    },
    Known {
        key: "SMTPSaveImportErrors",
        output: Output::TempDir,
        volume: Volume::VeryHigh,
        high_from: 1,
        note: "keeps whole messages as STxxxxxx.TMP files in the temp directory",
        captures: &["1", "2", "3"],
        bytes_per_message: 50_000,
    },
    Known {
        key: "debug_tcp_resolver",
        output: Output::DebugOutfile,
        volume: Volume::Low,
        high_from: u64::MAX,
        note: "samples of resolver responses",
        captures: &[],
        bytes_per_message: 300,
    },
    Known {
        key: "debug_tcp_session",
        output: Output::DebugOutfile,
        volume: Volume::High,
        high_from: 1,
        note: "a line for every TCP session opened and closed",
        captures: &[],
        bytes_per_message: 200,
    },
    Known {
        key: "Console_Log_Enabled",
        output: Output::ConsoleLog,
        volume: Volume::Low,
        high_from: u64::MAX,
        note: "mirrors the console to console.log",
        captures: &[],
        bytes_per_message: 0,
    },
];

/// The known entry for a key (case-insensitive).
pub fn known(key: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.key.eq_ignore_ascii_case(key))
}

/// Whether `key=value` captures message contents, the value read as Domino reads it (`03`,
/// `004`, `+3` and `3;x` are levels 3, 4, 3 and 3).
pub fn captures(key: &str, value: &str) -> bool {
    let level = crate::profile::domino_number(value.as_bytes())
        .value
        .to_string();
    known(key).is_some_and(|k| k.captures.contains(&level.as_str()))
}

/// Output and volume of `key=value` (unknown keys: none, low).
pub fn describe(key: &str, value: &str) -> (Output, Volume) {
    match known(key) {
        Some(k) => {
            let level = crate::profile::domino_number(value.as_bytes()).value;
            (
                k.output,
                if level >= k.high_from {
                    k.volume
                } else {
                    Volume::Low
                },
            )
        }
        None => (Output::None, Volume::Low),
    }
}

/// A file a lease watches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Watched {
    /// What it is.
    pub output: Output,
    /// Its path (a directory for the temp directory: the sizes of `ST*.TMP` files in it).
    pub path: String,
    /// Its size when the lease began.
    pub size_at_enable: u64,
    /// Bytes written before the file last started over (a rotated log, or a circular console log
    /// that wraps by starting again from the top), counted from `size_at_enable`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub counted: u64,
    /// How often it started over since enable.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Watched {
    /// A file watched from a lease's start.
    pub fn new(output: Output, path: String, size_at_enable: u64) -> Watched {
        Watched {
            output,
            path,
            size_at_enable,
            counted: 0,
            restarts: 0,
        }
    }

    /// Bytes written since enable, judged by its `size` now: what was counted before it last
    /// started over, plus what it has grown since. So a log that is rotated, or a circular console
    /// log that wraps by starting over, is not read as "no growth". (A circular log that keeps its
    /// size at its cap and overwrites in place cannot be measured by size once full: it is bounded
    /// by its cap, and `enable` says so.)
    pub fn written(&self, size: u64) -> u64 {
        let start = if self.restarts > 0 {
            0
        } else {
            self.size_at_enable
        };
        self.counted + size.saturating_sub(start)
    }

    /// Notes its size now against its size `last` time: smaller means it started over, and what
    /// it had written is counted.
    pub fn observe(&mut self, last: u64, size: u64) {
        if size < last {
            self.counted = self.written(last);
            self.restarts += 1;
        }
    }
}

/// One measurement of a lease's watched files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// When.
    #[schemars(with = "String")]
    pub time: Timestamp,
    /// Sizes, in the order of [`Guard::files`].
    pub sizes: Vec<u64>,
    /// Free bytes on the file system of the first watched file.
    pub free: u64,
}

/// A lease's growth cap and free-space floor, with the measurements so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    /// The files watched.
    pub files: Vec<Watched>,
    /// The most the watched files may grow together, in bytes.
    pub max_growth: u64,
    /// The least free space allowed, in bytes.
    pub min_free: u64,
    /// Measurements, oldest first (at most [`MAX_SAMPLES`]).
    #[serde(default)]
    pub samples: Vec<Sample>,
}

/// How many samples a lease keeps.
pub const MAX_SAMPLES: usize = 60;

/// The share of free space (at enable) the growth cap may take at most.
pub const MAX_SHARE_OF_FREE: f64 = 0.5;

impl Guard {
    /// Total growth of the watched files in `sample` since enable (files that shrank, e.g. were
    /// rotated, count as no growth).
    pub fn growth(&self, sample: &Sample) -> u64 {
        self.files
            .iter()
            .zip(&sample.sizes)
            .map(|(f, &s)| f.written(s))
            .sum()
    }

    /// Notes the sizes of `sample` against the last recorded sample (see [`Watched::observe`]):
    /// before [`Guard::breach`], so a file that started over since then still counts what it
    /// wrote. A sample whose sizes differ from the last is always recorded after this, so nothing
    /// is counted twice; sizes that did not change change nothing (no state to write).
    pub fn observe(&mut self, sample: &Sample) {
        let last: Vec<u64> = match self.samples.last() {
            Some(x) => x.sizes.clone(),
            None => self.files.iter().map(|f| f.size_at_enable).collect(),
        };
        for ((f, &s), &l) in self.files.iter_mut().zip(&sample.sizes).zip(&last) {
            f.observe(l, s);
        }
    }

    /// Why the lease must end now, if it must.
    pub fn breach(&self, sample: &Sample) -> Option<String> {
        let growth = self.growth(sample);
        if growth > self.max_growth {
            let which: Vec<&str> = self
                .files
                .iter()
                .zip(&sample.sizes)
                .filter(|(f, s)| f.written(**s) > 0)
                .map(|(f, _)| f.output.name())
                .collect();
            return Some(format!(
                "{} grew {}, cap {}",
                which.join(" and "),
                format_size(growth),
                format_size(self.max_growth)
            ));
        }
        if sample.free < self.min_free {
            return Some(format!(
                "free space fell to {}, floor {}",
                format_size(sample.free),
                format_size(self.min_free)
            ));
        }
        None
    }

    /// Adds a sample, keeping at most [`MAX_SAMPLES`] (the first one always stays).
    pub fn record(&mut self, sample: Sample) {
        self.samples.push(sample);
        if self.samples.len() > MAX_SAMPLES {
            self.samples.remove(1);
        }
    }

    /// Growth per hour between the first and the last sample.
    pub fn rate_per_hour(&self) -> Option<f64> {
        let (first, last) = (self.samples.first()?, self.samples.last()?);
        let secs = last.time.duration_since(first.time).as_secs_f64();
        if secs < 1.0 {
            return None;
        }
        let grown = self.growth(last) as f64 - self.growth(first) as f64;
        Some(grown.max(0.0) * 3600.0 / secs)
    }
}

/// The cap for a lease: the asked-for one, but never more than a share of the free space.
pub fn cap(asked: u64, free: u64) -> u64 {
    asked.min((free as f64 * MAX_SHARE_OF_FREE) as u64)
}

/// `--min-free`: bytes (`500MiB`) or a share of the file system (`5%`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MinFree {
    /// A number of bytes.
    Bytes(u64),
    /// A percentage of the file system's size.
    Percent(f64),
}

impl MinFree {
    /// Parses `500MiB` or `5%`.
    pub fn parse(s: &str) -> Result<MinFree, String> {
        match s.trim().strip_suffix('%') {
            Some(p) => {
                let p: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("'{s}' is not a percentage"))?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(format!("'{s}' is not between 0% and 100%"));
                }
                Ok(MinFree::Percent(p))
            }
            None => parse_size(s).map(MinFree::Bytes),
        }
    }

    /// The floor in bytes on a file system of `fs_size` bytes.
    pub fn of(self, fs_size: u64) -> u64 {
        match self {
            MinFree::Bytes(b) => b,
            MinFree::Percent(p) => (fs_size as f64 * p / 100.0) as u64,
        }
    }
}

impl std::fmt::Display for MinFree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MinFree::Bytes(b) => f.write_str(&format_size(*b)),
            MinFree::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// Sizes like `1GiB`, `500MiB`, `1KiB`, `2048` (bytes), `1GB` (10^9).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size; use forms like 1GiB, 500MiB or 4096"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => {
            return Err(format!(
                "'{s}' has an unknown unit; use B, KiB, MiB, GiB, TiB (or KB, MB, GB)"
            ));
        }
    };
    if n <= 0.0 || !n.is_finite() {
        return Err(format!("'{s}' is not a positive size"));
    }
    Ok((n * mult) as u64)
}

/// `1.02 GiB`, `512 B`.
pub fn format_size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", UNITS[i])
    }
}

/// A sparkline of `values`: `▁▂▃▅▇`.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (min, max) = (
        values.iter().min().copied().unwrap_or(0),
        values.iter().max().copied().unwrap_or(0),
    );
    values
        .iter()
        .map(|&v| {
            if max == min {
                BARS[0]
            } else {
                BARS[((v - min) as f64 / (max - min) as f64 * 7.0).round() as usize]
            }
        })
        .collect()
}

/// The documented estimate of growth per hour for `mail_rate` messages an hour: the sum over the
/// settings of their bytes per message times the rate. Labelled as an estimate wherever shown.
pub fn estimate_per_hour(settings: &[(String, String)], mail_rate: u64) -> u64 {
    settings
        .iter()
        .filter(|(k, v)| describe(k, v).1 != Volume::Low)
        .filter_map(|(k, _)| known(k))
        .map(|k| k.bytes_per_message * mail_rate)
        .sum()
}

/// What replaces a credential in redacted output.
pub const REDACTED: &str = "[credential redacted by dbgini]";

/// Redacts SMTP AUTH credentials from SMTP debug output (`SMTPDebug` 3 shows the conversation):
/// the base64 after `AUTH PLAIN` or `AUTH LOGIN` on the same line, and the client's answers to
/// the server's `334` challenges (base64 user names and passwords, one a line) until the exchange
/// ends (a `235` or `5xx` reply). It knows no log format: a credential is the last word of its line
/// that is base64 of four characters or more (quotes around it are kept). Returns the text and
/// how many credentials it took out.
pub fn redact_auth(text: &[u8]) -> (Vec<u8>, usize) {
    let mut r = AuthRedactor::default();
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(&r.line(line));
    }
    (out, r.count)
}

/// [`redact_auth`] a line at a time, for output too large to hold (a console log).
#[derive(Debug, Default)]
pub struct AuthRedactor {
    in_exchange: bool,
    /// Credentials taken out so far.
    pub count: usize,
}

impl AuthRedactor {
    /// The line (with its ending), redacted.
    pub fn line<'a>(&mut self, line: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let upper = line.to_ascii_uppercase();
        let has = |needle: &[u8]| upper.windows(needle.len()).any(|w| w == needle);
        let auth = has(b"AUTH PLAIN ") || has(b"AUTH LOGIN ");
        let challenge = has(b"334 ") || upper.trim_ascii_end().ends_with(b"334");
        let reply_ends = ["235 ", "535 ", "501 ", "504 ", "454 "]
            .iter()
            .any(|c| has(c.as_bytes()));
        if challenge {
            self.in_exchange = true;
            return line.into();
        }
        if reply_ends {
            self.in_exchange = false;
            return line.into();
        }
        if (auth || self.in_exchange)
            && let Some((start, end)) = last_base64_word(line)
        {
            self.count += 1;
            let mut out = line[..start].to_vec();
            out.extend_from_slice(REDACTED.as_bytes());
            out.extend_from_slice(&line[end..]);
            return out.into();
        }
        line.into()
    }
}

/// The byte range of the last word of `line` that is base64 (four characters or more, padding
/// allowed), quotes and punctuation around it left out.
fn last_base64_word(line: &[u8]) -> Option<(usize, usize)> {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    let trimmed = line.trim_ascii_end();
    let mut end = trimmed.len();
    while end > 0 && !is_b64(trimmed[end - 1]) {
        if trimmed[end - 1].is_ascii_whitespace() {
            return None;
        }
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_b64(trimmed[start - 1]) {
        start -= 1;
    }
    let word = &trimmed[start..end];
    let preceded = start == 0 || matches!(trimmed[start - 1], b' ' | b'"' | b'\'' | b':' | b'\t');
    (word.len() >= 4
        && preceded
        && !word.eq_ignore_ascii_case(b"PLAIN")
        && !word.eq_ignore_ascii_case(b"LOGIN"))
    .then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn guard() -> Guard {
        Guard {
            files: vec![
                Watched::new(Output::DebugOutfile, "/d/out.txt".into(), 100),
                Watched::new(Output::LogNsf, "/d/log.nsf".into(), 5000),
            ],
            max_growth: 1024,
            min_free: 10_000,
            samples: vec![],
        }
    }

    #[test]
    fn a_log_that_starts_over_still_counts_what_it_wrote() {
        let mut g = guard();
        let at = |sizes: Vec<u64>| Sample {
            time: t(0),
            sizes,
            free: 50_000,
        };
        // As enforcement does: observe, then record a sample whose sizes changed.
        let look = |g: &mut Guard, sample: Sample| {
            g.observe(&sample);
            if g.samples.last().is_none_or(|x| x.sizes != sample.sizes) {
                g.record(sample.clone());
            }
            g.growth(&sample)
        };
        assert_eq!(look(&mut g, at(vec![700, 5000])), 600);
        // The console log wrapped (or was rotated): 600 written before, 300 since.
        assert_eq!(look(&mut g, at(vec![300, 5000])), 900);
        // Looking again without a change counts nothing twice.
        assert_eq!(look(&mut g, at(vec![300, 5000])), 900);
        let more = at(vec![500, 5000]);
        assert_eq!(look(&mut g, more.clone()), 1100);
        assert!(
            g.breach(&more)
                .unwrap()
                .contains("grew 1.07 KiB, cap 1.00 KiB")
        );
    }

    #[test]
    fn growth_past_the_cap_ends_the_lease() {
        let g = guard();
        let ok = Sample {
            time: t(0),
            sizes: vec![600, 5400],
            free: 50_000,
        };
        assert_eq!(g.breach(&ok), None);
        let over = Sample {
            time: t(60),
            sizes: vec![2148, 5000],
            free: 50_000,
        };
        assert_eq!(
            g.breach(&over).unwrap(),
            "debug_outfile grew 2.00 KiB, cap 1.00 KiB"
        );
        // A rotated (smaller) log does not count as negative growth.
        let rotated = Sample {
            time: t(60),
            sizes: vec![1200, 10],
            free: 50_000,
        };
        assert_eq!(g.growth(&rotated), 1100);
    }

    #[test]
    fn the_free_space_floor_ends_the_lease() {
        let low = Sample {
            time: t(0),
            sizes: vec![100, 5000],
            free: 9_000,
        };
        assert_eq!(
            guard().breach(&low).unwrap(),
            "free space fell to 8.79 KiB, floor 9.77 KiB"
        );
    }

    #[test]
    fn the_cap_never_takes_more_than_half_the_free_space() {
        assert_eq!(cap(1 << 30, 1 << 20), 1 << 19);
        assert_eq!(cap(1000, 1 << 20), 1000);
    }

    #[test]
    fn sizes_and_floors() {
        assert_eq!(parse_size("1KiB").unwrap(), 1024);
        assert_eq!(parse_size("1.5 MiB").unwrap(), 1_572_864);
        assert_eq!(parse_size("1GB").unwrap(), 1_000_000_000);
        assert!(
            parse_size("lots").is_err()
                && parse_size("0").is_err()
                && parse_size("3 parsecs").is_err()
        );
        assert_eq!(MinFree::parse("5%").unwrap().of(1000), 50);
        assert!(MinFree::parse("105%").is_err());
        assert_eq!(format_size(1_073_741_824 + 21_474_837), "1.02 GiB");
    }

    #[test]
    fn content_capture_and_volume() {
        assert!(
            captures("smtpdebugio", "3")
                && captures("SMTPDebugIO", "4")
                && !captures("SMTPDebugIO", "1")
        );
        assert!(captures("SMTPSaveImportErrors", "2"));
        // Read as Domino reads them: these are all content-capturing levels.
        for v in ["03", "004", "+3", "3;to see the data", " 4 "] {
            assert!(captures("SMTPDebugIO", v), "{v}");
        }
        assert!(!captures("SMTPDebugIO", "01"));
        assert_eq!(
            describe("Log_MailRouting", "40"),
            (Output::LogNsf, Volume::High)
        );
        assert_eq!(
            describe("Log_MailRouting", "20"),
            (Output::LogNsf, Volume::Low)
        );
        assert_eq!(
            describe("SMTPDebugIO", "1"),
            (Output::DebugOutfile, Volume::Low)
        );
    }

    #[test]
    fn sparkline_and_rate() {
        assert_eq!(sparkline(&[0, 7, 14]), "▁▅█");
        assert_eq!(sparkline(&[5, 5]), "▁▁");
        let mut g = guard();
        g.record(Sample {
            time: t(0),
            sizes: vec![100, 5000],
            free: 1 << 30,
        });
        g.record(Sample {
            time: t(1800),
            sizes: vec![612, 5000],
            free: 1 << 30,
        });
        assert_eq!(g.rate_per_hour(), Some(1024.0));
    }

    #[test]
    fn smtp_auth_credentials_are_redacted_and_the_rest_is_kept() {
        let log = "[0D2C:000A-0E1F] 01.12.2026 10:00:01   SMTP Server: 192.0.2.10 connected\n\
[0D2C:000A-0E1F] 01.12.2026 10:00:01   SMTP Server: Received \"EHLO mail.example.com\"\n\
[0D2C:000A-0E1F] 01.12.2026 10:00:02   SMTP Server: Received \"AUTH PLAIN AGFsaWNlAHMzY3JldA==\"\n\
[0D2C:000A-0E1F] 01.12.2026 10:00:02   SMTP Server: Sent \"235 2.7.0 Authentication successful\"\n\
[0D2C:000A-0E1F] 01.12.2026 10:00:03   SMTP Server: Received \"MAIL FROM:<alice@example.com>\"\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Received \"AUTH LOGIN\"\r\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Sent \"334 VXNlcm5hbWU6\"\r\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Received \"Ym9i\"\r\n\
[0D2C:000B-0E20] 01.12.2026 10:01:00   SMTP Server: Sent \"334 UGFzc3dvcmQ6\"\r\n\
[0D2C:000B-0E20] 01.12.2026 10:01:01   SMTP Server: Received \"aHVudGVyMg==\"\r\n\
[0D2C:000B-0E20] 01.12.2026 10:01:01   SMTP Server: Sent \"535 5.7.8 Authentication failed\"\r\n\
[0D2C:000B-0E20] 01.12.2026 10:01:02   SMTP Server: Received \"QUIT\"\r\n";
        let (out, n) = redact_auth(log.as_bytes());
        let out = String::from_utf8(out).unwrap();
        assert_eq!(n, 3, "{out}");
        for secret in ["AGFsaWNlAHMzY3JldA==", "Ym9i", "aHVudGVyMg=="] {
            assert!(!out.contains(secret), "{secret} in:\n{out}");
        }
        assert!(
            out.contains(&format!("Received \"AUTH PLAIN {REDACTED}\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!("Received \"{REDACTED}\"\r\n")),
            "{out}"
        );
        // Everything else stays, line endings included.
        assert_eq!(out.lines().count(), log.lines().count());
        for kept in [
            "EHLO mail.example.com",
            "MAIL FROM:<alice@example.com>",
            "334 VXNlcm5hbWU6",
            "Received \"QUIT\"\r\n",
            "Received \"AUTH LOGIN\"\r\n",
        ] {
            assert!(out.contains(kept), "{kept} missing:\n{out}");
        }
        assert_eq!(
            redact_auth(b"no auth here\n"),
            (b"no auth here\n".to_vec(), 0)
        );
    }
}

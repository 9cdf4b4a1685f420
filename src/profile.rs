//! Profiles: which notes.ini settings a debugging scenario needs, with a rule and a source each.
//!
//! A profile is a TOML file (see `profiles/` for the built-in ones, embedded in the binary) or a
//! plain snippet of `KEY=VALUE` lines, which becomes an ad-hoc profile of `set` rules. Parsing is
//! strict: unknown fields are errors, and errors name file, line and column.
//!
//! Resolving a profile ([`Profile::resolve`]) renders its value templates with the parameters and
//! the notes.ini context, applies `--set` overrides and validates every key and value that could
//! reach the file. Nothing here reads files or the environment except [`Catalog`], which looks
//! profiles up in the directories it is given.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a setting combines with the value already in notes.ini.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The value replaces whatever is there.
    Set,
    /// Numeric level: keep the current value if it is already higher.
    AtLeast,
    /// Bit flags: the result is the current value OR this one.
    Bits,
    /// Only when the key is absent.
    IfAbsent,
}

impl Rule {
    /// The rule's name as written in profiles.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Set => "set",
            Rule::AtLeast => "at-least",
            Rule::Bits => "bits",
            Rule::IfAbsent => "if-absent",
        }
    }

    /// Applies the rule to the current value (`None` when the key is absent).
    ///
    /// Numbers are read as Domino reads them ([`domino_number`]): `4;comment` is 4, `03` is 3,
    /// garbage is 0. A current value that already means the result is kept as it is written.
    pub fn apply(self, current: Option<&[u8]>, value: &[u8]) -> Vec<u8> {
        let num = |v: &[u8]| domino_number(v).value;
        match (self, current) {
            (Rule::Set, _) | (_, None) => value.to_vec(),
            (Rule::IfAbsent, Some(cur)) => cur.to_vec(),
            (Rule::AtLeast, Some(cur)) if num(cur) >= num(value) => cur.to_vec(),
            (Rule::AtLeast, Some(_)) => value.to_vec(),
            (Rule::Bits, Some(cur)) => {
                let (c, v) = (num(cur), num(value));
                if c | v == c {
                    cur.to_vec()
                } else {
                    (c | v).to_string().into_bytes()
                }
            }
        }
    }
}

/// A notes.ini value read as a number, the way Domino reads one: blanks, an optional `+`, then the
/// leading digits (`4;comment` is 4, `03` is 3, `+3` is 3); no digits at all is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Number {
    /// The number Domino sees.
    pub value: u64,
    /// The value is that number and nothing else (blanks aside): `3`, ` 3 `, not `03x` or `junk`.
    pub exact: bool,
    /// There was no digit at all: Domino reads 0, and an admin meant something else.
    pub garbage: bool,
}

/// Reads `value` as Domino reads a number (see [`Number`]).
pub fn domino_number(value: &[u8]) -> Number {
    let t = value.trim_ascii();
    let digits_at = usize::from(t.first() == Some(&b'+'));
    let digits = t[digits_at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let n = t[digits_at..digits_at + digits].iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Number {
        value: n,
        exact: digits > 0 && digits_at + digits == t.len() && (digits == 1 || t[digits_at] != b'0'),
        garbage: digits == 0,
    }
}

/// The type of a profile parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// An IPv4 or IPv6 address.
    Ip,
    /// An IP address or a host name, or a comma-separated list of them (`DNSServer`).
    Hosts,
    /// A file path.
    Path,
    /// A non-negative integer.
    Int,
    /// Any printable ASCII text.
    String,
}

impl ParamType {
    /// The type's name as written in profiles.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Ip => "ip",
            ParamType::Hosts => "hosts",
            ParamType::Path => "path",
            ParamType::Int => "int",
            ParamType::String => "string",
        }
    }
}

/// A parameter a profile takes with `--param NAME=VALUE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Its name (`dns-server`).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Whether `enable` needs it.
    #[serde(default)]
    pub required: bool,
    /// What it means.
    pub help: String,
}

/// One notes.ini setting of a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    /// The notes.ini key, as it is written when added.
    pub key: String,
    /// A template: `{data_dir}`, `{profile}` and parameter names in braces.
    pub value: String,
    /// How it combines with the current value.
    pub rule: Rule,
    /// What it does, in an admin's words.
    pub note: String,
    /// Where the value comes from.
    pub source: String,
    /// Printed whenever the setting is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Where its output goes [default: dbgini's table of known settings].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<crate::guard::Output>,
    /// How fast that output grows [default: the table of known settings].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<crate::guard::Volume>,
    /// Why, in a few words.
    #[serde(
        default,
        rename = "volume-note",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_note: Option<String>,
    /// Values at which it captures message contents (besides those the table of known settings
    /// lists).
    #[serde(
        default,
        rename = "captures-content",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub captures_content: Vec<String>,
    /// Only when the server's console output is not kept in a file yet (console logging off, no
    /// `debug_outfile`): for `Console_Log_Enabled=1`, which the built-in profiles use to capture
    /// their debug output.
    #[serde(
        default,
        rename = "unless-captured",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub unless_captured: bool,
}

/// A profile as written in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    /// Its name; must match the file name.
    pub name: String,
    /// One line.
    pub summary: String,
    /// When to use it.
    pub scenario: String,
    /// `--for` when none is given.
    #[serde(deserialize_with = "default_duration")]
    #[schemars(with = "String")]
    pub default_duration: Duration,
    /// The longest `--for` allowed.
    #[serde(deserialize_with = "max_duration")]
    #[schemars(with = "String")]
    pub max_duration: Duration,
    /// How much the files its settings write may grow before the lease ends early, in bytes
    /// (written `500MiB`) [default 1GiB].
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "max_growth"
    )]
    #[schemars(with = "Option<u64>")]
    pub max_growth: Option<Size>,
    /// Console commands that make the server re-read these settings (used by live mode).
    #[serde(default)]
    pub refresh: Vec<String>,
    /// Parameters.
    #[serde(default, rename = "param")]
    pub params: Vec<Param>,
    /// Settings.
    #[serde(rename = "setting")]
    pub settings: Vec<SettingSpec>,
}

/// A duration in a profile (`2h`, `90m`, `1h30m`), parsed once when the profile is read, so a bad
/// one is an error at its line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub SignedDuration);

/// Reads a string field with `parse`, naming the field in the error.
fn field<'de, D: serde::Deserializer<'de>, T>(
    d: D,
    name: &str,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> std::result::Result<T, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(|e| serde::de::Error::custom(format!("{name}: {e}")))
}

fn default_duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Duration, D::Error> {
    field(d, "default-duration", |s| parse_duration(s).map(Duration))
}

fn max_duration<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
    field(d, "max-duration", |s| parse_duration(s).map(Duration))
}

fn max_growth<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Size>, D::Error> {
    field(d, "max-growth", |s| {
        crate::guard::parse_size(s).map(|b| Some(Size(b)))
    })
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// A size in a profile (`500MiB`, `1GiB`), parsed once when the profile is read; bytes in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// Where in a profile file a problem is, for its line and column (see [`locate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// `name`.
    Name,
    /// `default-duration`.
    DefaultDuration,
    /// The settings as a whole.
    Settings,
    /// The key of the setting with this index.
    Key(usize),
    /// The value of the setting with this index.
    Value(usize),
}

/// The positions of a profile's fields, read only when a check fails: a second, lenient parse
/// of the same text that keeps spans (the profile type itself stays free of them).
#[derive(Deserialize)]
struct Spans {
    name: Option<toml::Spanned<toml::Value>>,
    #[serde(rename = "default-duration")]
    default_duration: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    setting: Vec<toml::Spanned<SettingSpans>>,
}

#[derive(Deserialize)]
struct SettingSpans {
    key: Option<toml::Spanned<toml::Value>>,
    value: Option<toml::Spanned<toml::Value>>,
}

/// The 1-based line and column of `at` in `text` (1:1 when it cannot be found).
fn locate(text: &str, at: At) -> (usize, usize) {
    let Ok(spans) = toml::from_str::<Spans>(text) else {
        return (1, 1);
    };
    let setting = |i: usize| spans.setting.get(i).map(toml::Spanned::get_ref);
    let span = match at {
        At::Name => spans.name.map(|s| s.span()),
        At::DefaultDuration => spans.default_duration.map(|s| s.span()),
        At::Settings => spans.setting.first().map(toml::Spanned::span),
        At::Key(i) => setting(i)
            .and_then(|s| s.key.as_ref())
            .map(toml::Spanned::span),
        At::Value(i) => setting(i)
            .and_then(|s| s.value.as_ref())
            .map(toml::Spanned::span),
    };
    span.map_or((1, 1), |s| line_col(text, s.start))
}

/// A setting ready to apply: rendered, validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Setting {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// The rule.
    pub rule: Rule,
}

/// A profile resolved for one enable: its settings with what an admin should be told about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The settings, in profile order.
    pub settings: Vec<ResolvedSetting>,
    /// Warnings of the settings that apply.
    pub warnings: Vec<String>,
}

/// One setting of a [`Resolved`] profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedSetting {
    /// The setting.
    pub setting: Setting,
    /// Its output, volume and content capture.
    pub info: SettingInfo,
}

impl Resolved {
    /// The settings alone, as a lease records them.
    pub fn settings(&self) -> Vec<Setting> {
        self.settings.iter().map(|r| r.setting.clone()).collect()
    }
}

/// What a resolved setting writes, where, how much, and whether it captures message contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingInfo {
    /// Where its output goes.
    pub output: crate::guard::Output,
    /// How fast it grows at this value.
    pub volume: crate::guard::Volume,
    /// Why.
    pub note: String,
    /// Whether this value captures message contents.
    pub captures: bool,
}

/// Output, volume and capture of `key=value`: the profile's declarations, else dbgini's table.
pub fn setting_info(spec: Option<&SettingSpec>, key: &str, value: &str) -> SettingInfo {
    let (output, volume) = crate::guard::describe(key, value);
    let known_note = crate::guard::known(key).map(|k| k.note.to_string());
    SettingInfo {
        output: spec.and_then(|s| s.output).unwrap_or(output),
        // A declared volume applies at the levels the table calls high (or always, for keys it
        // does not know).
        volume: match spec.and_then(|s| s.volume) {
            Some(v)
                if volume != crate::guard::Volume::Low || crate::guard::known(key).is_none() =>
            {
                v
            }
            _ => volume,
        },
        note: spec
            .and_then(|s| s.volume_note.clone())
            .or(known_note)
            .unwrap_or_default(),
        captures: crate::guard::captures(key, value)
            || spec.is_some_and(|s| s.captures_content.iter().any(|c| c == value.trim())),
    }
}

/// What [`Profile::resolve`] needs to know about the target.
#[derive(Clone, Debug)]
pub struct RenderContext {
    /// `Directory=` from notes.ini, else the directory of notes.ini.
    pub data_dir: String,
    /// The console output is kept in a file already (see [`SettingSpec::unless_captured`]).
    pub captured: bool,
}

/// Maximum bytes of a notes.ini value (MAXENVVALUE 256 including the NUL).
pub const MAX_VALUE_LEN: usize = 255;

/// Checks a key dbgini is about to write: `[A-Za-z_$][A-Za-z0-9_$.]*`.
pub fn validate_key(key: &str) -> Result<()> {
    let mut bytes = key.bytes();
    let ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("{key:?} is not a valid notes.ini key"),
            "keys are letters, digits, '_', '$' and '.', starting with a letter, '_' or '$'",
        ))
    }
}

/// Checks a value dbgini is about to write: printable ASCII, at most 255 bytes.
pub fn validate_value(key: &str, value: &str) -> Result<()> {
    if let Some(bad) = value.bytes().find(|b| !(0x20..=0x7E).contains(b)) {
        let what = match bad {
            b'\n' | b'\r' => "a line break".to_string(),
            0 => "a NUL byte".to_string(),
            b => format!("the byte 0x{b:02X}"),
        };
        return Err(Error::invalid(
            format!("the value for {key} contains {what}"),
            "values written to notes.ini must be printable ASCII on one line",
        ));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::invalid(
            format!("the value for {key} is {} bytes long", value.len()),
            format!("Domino reads at most {MAX_VALUE_LEN} bytes of a notes.ini value; shorten it"),
        ));
    }
    Ok(())
}

/// Parses a duration like `2h`, `90m`, `1h30m`, `45s` or `1d` (a day is 24 hours); must be
/// positive.
pub fn parse_duration(s: &str) -> std::result::Result<SignedDuration, String> {
    let not = || format!("'{s}' is not a duration; use forms like 2h, 90m, 1h30m or 45s");
    let span: jiff::Span = s.trim().parse().map_err(|_| not())?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| not())?;
    if d.is_negative() || d.is_zero() {
        return Err(format!("'{s}' is not a positive duration"));
    }
    Ok(d)
}

/// Keys that define the server rather than debug it: where its data is, who it is, what it runs,
/// how it is reached. A profile, snippet or `--set` that changes one is refused unless the admin
/// names it with `--allow-key` (a typo or a whole notes.ini pasted as a snippet must not move the
/// data directory or drop the server's tasks).
pub const SERVER_KEYS: &[&str] = &[
    "Directory",
    "NotesProgram",
    "KitType",
    "ServerName",
    "Domain",
    "ServerTasks",
    "KeyFileName",
    "ServerKeyFileName",
    "Ports",
    "TCPIP",
    "Timezone",
    "DST",
    "DSTLaw",
    "MailServer",
    "MailFile",
    "Location",
    "Names",
    "NotesPartition",
    "Setup",
    "ServerSetup",
    "SetupLeaveServerTasks",
];

/// Prefixes of more such keys ([`SERVER_KEYS`]): scheduled tasks, ID files, TCP/IP port options.
pub const SERVER_KEY_PREFIXES: &[&str] = &[
    "ServerTasksAt",
    "KeyFileName_",
    "ServerKeyFileName_",
    "TCPIP_",
];

/// Whether `key` defines the server (see [`SERVER_KEYS`]).
pub fn is_server_key(key: &str) -> bool {
    let k = key.trim();
    SERVER_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k))
        || SERVER_KEY_PREFIXES
            .iter()
            .any(|p| k.len() > p.len() && k[..p.len()].eq_ignore_ascii_case(p))
}

/// The most settings a `KEY=VALUE` snippet may hold: support sends a few; thousands are a
/// mistake (a whole notes.ini passed as a snippet).
pub const MAX_SNIPPET_KEYS: usize = 10_000;

/// The profile name a lease gets when `enable` is given `arg`: the name itself, or for the path of
/// a profile file or a `KEY=VALUE` snippet, the file's stem (a profile file's name must match it;
/// a snippet is named after its file). So whatever `enable` accepted also names its leases.
pub fn lease_name(arg: &str) -> &str {
    let path = Path::new(arg);
    if arg.contains(['/', '\\']) || path.extension().is_some() {
        // Both separators, whatever the platform: a Windows path typed on Linux, and the reverse.
        let base = arg.rsplit(['/', '\\']).next().unwrap_or(arg);
        return base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    }
    arg
}

/// Formats a duration the way admins write it: `2h`, `1h 30m`, `45s`.
pub fn format_duration(d: SignedDuration) -> String {
    format!("{:#}", SignedDuration::from_secs(d.as_secs()))
}

/// Splits `NAME=VALUE` from the command line.
pub fn split_assignment<'a>(flag: &str, s: &'a str) -> Result<(&'a str, &'a str)> {
    s.split_once('=').ok_or_else(|| {
        let example = if flag == "--set" {
            "--set KEY=VALUE, e.g. --set SMTPDebug=2"
        } else {
            "--param NAME=VALUE, e.g. --param dns-server=192.0.2.53"
        };
        Error::invalid(
            format!("{flag} {s:?} has no '='"),
            format!("write {example}"),
        )
    })
}

/// A piece of a value template.
#[derive(Debug, PartialEq, Eq)]
enum Tok<'a> {
    Lit(&'a str),
    Var(&'a str),
}

/// Splits a template into literals and `{name}` placeholders; `{{` and `}}` are literal braces.
fn tokens(template: &str) -> std::result::Result<Vec<Tok<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push(Tok::Lit(&rest[..at]));
        let tail = &rest[at..];
        if let Some(more) = tail.strip_prefix("{{") {
            out.push(Tok::Lit("{"));
            rest = more;
        } else if let Some(more) = tail.strip_prefix("}}") {
            out.push(Tok::Lit("}"));
            rest = more;
        } else if tail.starts_with('}') {
            return Err(format!(
                "stray '}}' in value template {template:?} (write }}}} for a brace)"
            ));
        } else {
            let close = tail
                .find('}')
                .ok_or_else(|| format!("unclosed '{{' in value template {template:?}"))?;
            out.push(Tok::Var(&tail[1..close]));
            rest = &tail[close + 1..];
        }
    }
    out.push(Tok::Lit(rest));
    Ok(out)
}

/// Whether a path looks like a Windows one, so `/` in templates after `{data_dir}` becomes `\`.
fn is_windows_path(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
        || (p.contains('\\') && !p.contains('/'))
}

impl Profile {
    /// Parses and validates a profile file's text. `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Profile> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            Error::ProfileSyntax {
                path: path.to_path_buf(),
                line,
                column,
                msg: e.message().to_string(),
            }
        })?;
        profile.validate().map_err(|(msg, at)| {
            let (line, column) = locate(text, at);
            Error::ProfileSyntax {
                path: path.to_path_buf(),
                line,
                column,
                msg,
            }
        })?;
        Ok(profile)
    }

    /// Makes an ad-hoc profile of `set` rules from `KEY=VALUE` lines, at most
    /// [`MAX_SNIPPET_KEYS`] (blank lines, comments and a `[Notes]` header are allowed).
    pub fn from_snippet(text: &str, path: &Path) -> Result<Profile> {
        let name = path
            .file_stem()
            .map_or("snippet".into(), |s| s.to_string_lossy().into_owned());
        let err_at = |line: usize, msg: String| Error::ProfileSyntax {
            path: path.to_path_buf(),
            line,
            column: 1,
            msg,
        };
        if text.starts_with('\u{feff}') {
            return Err(err_at(
                1,
                "the file starts with a byte order mark (EF BB BF): save it as plain text without one (in Notepad: UTF-8, not UTF-8 with BOM)".into(),
            ));
        }
        let mut settings = Vec::new();
        let mut lines_of = std::collections::HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty()
                || line.starts_with([';', '#', ':'])
                || line.eq_ignore_ascii_case("[notes]")
            {
                continue;
            }
            let err = |msg: String| Error::ProfileSyntax {
                path: path.to_path_buf(),
                line: i + 1,
                column: 1,
                msg,
            };
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| err(format!("{line:?} is not KEY=VALUE")))?;
            let (key, value) = (key.trim(), value.trim_start());
            validate_key(key).map_err(|e| err(e.to_string()))?;
            validate_value(key, value).map_err(|e| err(e.to_string()))?;
            if let Some(first) = lines_of.insert(key.to_ascii_lowercase(), i + 1) {
                return Err(err(format!(
                    "{key} appears twice (first on line {first}): keep one"
                )));
            }
            if settings.len() == MAX_SNIPPET_KEYS {
                return Err(err(format!(
                    "more than {MAX_SNIPPET_KEYS} settings: a snippet is a few debug settings from support, not a whole notes.ini"
                )));
            }
            settings.push(SettingSpec {
                key: key.into(),
                value: value.replace('{', "{{").replace('}', "}}"),
                rule: Rule::Set,
                note: "from a KEY=VALUE snippet".into(),
                source: path.display().to_string(),
                warning: None,
                output: None,
                volume: None,
                volume_note: None,
                captures_content: Vec::new(),
                unless_captured: false,
            });
        }
        let profile = Profile {
            name,
            summary: format!("settings from {}", path.display()),
            scenario: "ad-hoc settings sent by support".into(),
            default_duration: Duration(SignedDuration::from_hours(2)),
            max_duration: Duration(SignedDuration::from_hours(24)),
            max_growth: None,
            refresh: Vec::new(),
            params: Vec::new(),
            settings,
        };
        profile
            .validate()
            .map_err(|(msg, _)| Error::ProfileSyntax {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                msg,
            })?;
        Ok(profile)
    }

    /// Checks what serde cannot. On error: the message and where it is.
    fn validate(&self) -> std::result::Result<(), (String, At)> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err((
                format!(
                    "profile name {:?} must be letters, digits, '-' or '_'",
                    self.name
                ),
                At::Name,
            ));
        }
        if self.default_duration.0 > self.max_duration.0 {
            return Err((
                "default-duration is longer than max-duration".into(),
                At::DefaultDuration,
            ));
        }
        if self.settings.is_empty() {
            return Err((
                "a profile needs at least one [[setting]]".into(),
                At::Settings,
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.settings.iter().enumerate() {
            validate_key(&s.key).map_err(|e| (e.to_string(), At::Key(i)))?;
            if !seen.insert(s.key.to_ascii_lowercase()) {
                return Err((format!("{} appears twice", s.key), At::Key(i)));
            }
            for tok in tokens(&s.value).map_err(|e| (e, At::Value(i)))? {
                let Tok::Var(name) = tok else { continue };
                let known = matches!(name, "data_dir" | "profile")
                    || self.params.iter().any(|p| p.name == name);
                if !known {
                    return Err((
                        format!("{}: value uses {{{name}}}, which is not a parameter", s.key),
                        At::Value(i),
                    ));
                }
            }
            if matches!(s.rule, Rule::AtLeast | Rule::Bits)
                && !s.value.contains('{')
                && s.value.trim().parse::<u64>().is_err()
            {
                return Err((
                    format!(
                        "{}: rule {} needs a whole number, not {:?}",
                        s.key,
                        s.rule.name(),
                        s.value
                    ),
                    At::Value(i),
                ));
            }
        }
        Ok(())
    }

    /// The profile's default duration.
    pub fn default_duration(&self) -> SignedDuration {
        self.default_duration.0
    }

    /// The growth cap: the profile's `max-growth`, else 1 GiB.
    pub fn max_growth(&self) -> u64 {
        self.max_growth.map_or(1 << 30, |g| g.0)
    }

    /// The profile's maximum duration.
    pub fn max_duration(&self) -> SignedDuration {
        self.max_duration.0
    }

    /// Renders the settings for `params` and `overrides` (`--set`), validating everything.
    ///
    /// A setting whose value uses an optional parameter that was not given is left out.
    pub fn resolve(
        &self,
        params: &BTreeMap<String, String>,
        overrides: &[(String, String)],
        ctx: &RenderContext,
    ) -> Result<Resolved> {
        for (name, value) in params {
            let spec = self
                .params
                .iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| {
                    let known: Vec<_> = self.params.iter().map(|p| p.name.as_str()).collect();
                    Error::invalid(
                        format!("profile {} has no parameter '{name}'", self.name),
                        if known.is_empty() {
                            format!("profile {} takes no --param", self.name)
                        } else {
                            format!("its parameters are: {}", known.join(", "))
                        },
                    )
                })?;
            check_param(spec, value)?;
        }
        if let Some(missing) = self
            .params
            .iter()
            .find(|p| p.required && !params.contains_key(&p.name))
        {
            return Err(Error::invalid(
                format!("profile {} needs --param {}=...", self.name, missing.name),
                format!("{}: {}", missing.name, missing.help),
            ));
        }
        let mut settings = Vec::new();
        let mut warnings = Vec::new();
        for spec in &self.settings {
            if spec.unless_captured && ctx.captured {
                continue;
            }
            let Some(value) = render(&spec.value, &self.name, params, ctx) else {
                continue;
            };
            validate_value(&spec.key, &value)?;
            if let Some(w) = &spec.warning {
                warnings.push(format!("{}: {w}", spec.key));
            }
            settings.push(Setting {
                key: spec.key.clone(),
                value,
                rule: spec.rule,
            });
        }
        // By lower-case key: lookups per setting, not scans (a snippet may have thousands).
        let mut at: HashMap<String, usize> = settings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.to_ascii_lowercase(), i))
            .collect();
        for (key, value) in overrides {
            validate_key(key)?;
            validate_value(key, value)?;
            match at.get(&key.to_ascii_lowercase()) {
                Some(&i) => {
                    settings[i].value = value.clone();
                    settings[i].rule = Rule::Set;
                }
                None => {
                    at.insert(key.to_ascii_lowercase(), settings.len());
                    settings.push(Setting {
                        key: key.clone(),
                        value: value.clone(),
                        rule: Rule::Set,
                    });
                }
            }
        }
        let specs: HashMap<String, &SettingSpec> = self
            .settings
            .iter()
            .rev()
            .map(|spec| (spec.key.to_ascii_lowercase(), spec))
            .collect();
        let settings = settings
            .into_iter()
            .map(|s| ResolvedSetting {
                info: setting_info(
                    specs.get(&s.key.to_ascii_lowercase()).copied(),
                    &s.key,
                    &s.value,
                ),
                setting: s,
            })
            .collect();
        Ok(Resolved { settings, warnings })
    }
}

fn check_param(spec: &Param, value: &str) -> Result<()> {
    let ok = match spec.ty {
        ParamType::Ip => value.parse::<IpAddr>().is_ok(),
        ParamType::Hosts => is_host_list(value),
        ParamType::Int => value.parse::<u64>().is_ok(),
        ParamType::Path | ParamType::String => true,
    };
    if !ok {
        let ty = match spec.ty {
            ParamType::Ip => "an IP address such as 192.0.2.53",
            ParamType::Hosts => {
                "an IP address, a host name, or a comma-separated list of them, such as 192.0.2.53,dns2.example.com"
            }
            _ => "a whole number",
        };
        return Err(Error::invalid(
            format!("--param {}={value}: not {ty}", spec.name),
            format!("{}: {}", spec.name, spec.help),
        ));
    }
    validate_value(&spec.name, value)
}

/// Whether `value` is an IP address or a host name, or a comma-separated list of them (blanks
/// after the commas allowed). A name of digits and dots only must be an IPv4 address.
fn is_host_list(value: &str) -> bool {
    let host = |h: &str| {
        let h = h.trim();
        if h.parse::<IpAddr>().is_ok() {
            return true;
        }
        let labels: Vec<&str> = h.strip_suffix('.').unwrap_or(h).split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        let numeric = labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
        h.len() <= 253 && labels.iter().all(label_ok) && !numeric
    };
    !value.trim().is_empty() && value.split(',').all(host)
}

/// Renders a template; `None` when it uses a parameter that was not given.
fn render(
    template: &str,
    profile: &str,
    params: &BTreeMap<String, String>,
    ctx: &RenderContext,
) -> Option<String> {
    let windows = template.contains("{data_dir}") && is_windows_path(&ctx.data_dir);
    let mut out = String::new();
    for tok in tokens(template).ok()? {
        match tok {
            Tok::Lit(lit) if windows => out.push_str(&lit.replace('/', "\\")),
            Tok::Lit(lit) => out.push_str(lit),
            Tok::Var("data_dir") => out.push_str(ctx.data_dir.trim_end_matches(['/', '\\'])),
            Tok::Var("profile") => out.push_str(profile),
            Tok::Var(name) => out.push_str(params.get(name)?),
        }
    }
    Some(out)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Where a profile came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into dbgini.
    BuiltIn,
    /// A profile directory (`--profiles-dir`, user or site).
    Dir(PathBuf),
    /// A file named on the command line.
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::Dir(p) | Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The built-in profiles, embedded at compile time.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("router", include_str!("../profiles/router.toml")),
    ("lookup", include_str!("../profiles/lookup.toml")),
    (
        "smtp-inbound",
        include_str!("../profiles/smtp-inbound.toml"),
    ),
    (
        "smtp-outbound",
        include_str!("../profiles/smtp-outbound.toml"),
    ),
    (
        "tcp-resolver",
        include_str!("../profiles/tcp-resolver.toml"),
    ),
];

/// A profile found by the [`Catalog`].
#[derive(Clone, Debug)]
pub struct Found {
    /// The profile.
    pub profile: Profile,
    /// Where it came from.
    pub origin: Origin,
    /// What it hides: same-named profiles further down the search order.
    pub shadows: Vec<Origin>,
}

/// Looks profiles up: the given directories in order (first wins), then the built-in ones.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Directories searched before the built-in profiles, highest precedence first.
    pub dirs: Vec<PathBuf>,
    /// Refuse profile files and directories that users other than the owner can write (set when
    /// dbgini runs as root: such a file could make root write anything into notes.ini).
    pub trusted_only: bool,
}

/// Reads a profile file, refusing one that others could have changed when `trusted_only`.
fn read_profile(path: &Path, trusted_only: bool) -> Result<String> {
    // Windows: who may change a file is its ACL, which dbgini does not read yet (see the
    // Windows issue); the check is Unix's.
    #[cfg(not(unix))]
    let _ = trusted_only;
    #[cfg(unix)]
    if trusted_only {
        use std::os::unix::fs::PermissionsExt;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        for p in [path, dir] {
            let mode = std::fs::metadata(p)
                .map_err(|e| Error::io("read profile", p, e))?
                .permissions()
                .mode();
            if mode & 0o022 != 0 {
                return Err(Error::Unsafe {
                    msg: format!(
                        "{} can be changed by users other than its owner (mode {:o}), and dbgini runs as root",
                        p.display(),
                        mode & 0o777
                    ),
                    help: format!(
                        "run `chmod go-w {}` if its content is trusted, then run dbgini again",
                        p.display()
                    ),
                });
            }
        }
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io("read profile", path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
            (line, column)
        };
        Error::ProfileSyntax {
            path: path.to_path_buf(),
            line,
            column,
            msg: "not UTF-8 text (a profile or snippet is plain ASCII or UTF-8; notes.ini values must be ASCII)".into(),
        }
    })
}

impl Catalog {
    /// Finds a profile by name, or loads it from a path (a `.toml` profile or a snippet).
    pub fn find(&self, name_or_path: &str) -> Result<Found> {
        let path = Path::new(name_or_path);
        if name_or_path.contains(['/', '\\']) || path.extension().is_some() {
            let text = read_profile(path, self.trusted_only)?;
            let profile = if path.extension().is_some_and(|e| e == "toml") {
                Profile::parse(&text, path)?
            } else {
                Profile::from_snippet(&text, path)?
            };
            return Ok(Found {
                profile,
                origin: Origin::File(path.into()),
                shadows: Vec::new(),
            });
        }
        let mut found: Option<Found> = None;
        for origin in self.candidates(name_or_path) {
            match &mut found {
                Some(f) => f.shadows.push(origin),
                None => {
                    found = Some(Found {
                        profile: self.load(name_or_path, &origin)?,
                        origin,
                        shadows: Vec::new(),
                    })
                }
            }
        }
        found.ok_or_else(|| Error::UnknownProfile {
            name: name_or_path.into(),
            known: self
                .list()
                .into_iter()
                .map(|l| l.map_or_else(|b| b.0, |f| f.profile.name))
                .collect(),
        })
    }

    /// Every origin that has a profile of this name, in precedence order.
    fn candidates(&self, name: &str) -> Vec<Origin> {
        let mut out: Vec<Origin> = self
            .dirs
            .iter()
            .map(|d| d.join(format!("{name}.toml")))
            .filter(|p| p.is_file())
            .map(Origin::Dir)
            .collect();
        if BUILT_IN.iter().any(|(n, _)| *n == name) {
            out.push(Origin::BuiltIn);
        }
        out
    }

    fn load(&self, name: &str, origin: &Origin) -> Result<Profile> {
        let (text, path) = match origin {
            Origin::BuiltIn => {
                let text = BUILT_IN
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, t)| *t)
                    .unwrap_or("");
                (
                    text.to_string(),
                    PathBuf::from(format!("profiles/{name}.toml")),
                )
            }
            Origin::Dir(p) | Origin::File(p) => (read_profile(p, self.trusted_only)?, p.clone()),
        };
        let profile = Profile::parse(&text, &path)?;
        if profile.name != name {
            return Err(Error::ProfileSyntax {
                path,
                line: 1,
                column: 1,
                msg: format!(
                    "name = {:?} does not match the file name {name}.toml",
                    profile.name
                ),
            });
        }
        Ok(profile)
    }

    /// Every profile, sorted by name, each with what it overrides; one that cannot be loaded is
    /// listed with its error, so one broken file hides no other profile.
    pub fn list(&self) -> Vec<Listed> {
        let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = p.file_stem()
                {
                    names.push(stem.to_string_lossy().into_owned());
                }
            }
        }
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| self.find(&n).map_err(|e| Box::new((n, e))))
            .collect()
    }
}

/// A profile of [`Catalog::list`]: found, or its name and why it cannot be loaded.
pub type Listed = std::result::Result<Found, Box<(String, Error)>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(dir: &str) -> RenderContext {
        RenderContext {
            captured: false,
            data_dir: dir.into(),
        }
    }

    #[test]
    fn a_path_names_its_lease_by_the_file_stem() {
        assert_eq!(lease_name("router"), "router");
        assert_eq!(lease_name("/p/snip.txt"), "snip");
        assert_eq!(lease_name("./mine.toml"), "mine");
        assert_eq!(lease_name("C:\\dbgini\\case.ini"), "case");
        assert_eq!(lease_name("snip.txt"), "snip");
    }

    #[test]
    fn dns_servers_may_be_addresses_names_or_lists() {
        for ok in [
            "192.0.2.53",
            "2001:db8::53",
            "dns1.example.com",
            "192.0.2.53, dns2.example.com",
            "ns",
        ] {
            assert!(is_host_list(ok), "{ok}");
        }
        for bad in [
            "",
            "999.1.1.1",
            "a..b",
            "-dns.example.com",
            "dns_1.example.com",
            "192.0.2.53,",
            "x y",
        ] {
            assert!(!is_host_list(bad), "{bad:?}");
        }
    }

    #[test]
    fn numbers_are_read_as_domino_reads_them() {
        let n = |v: &str| domino_number(v.as_bytes());
        assert_eq!((n("3").value, n("3").exact), (3, true));
        assert_eq!((n(" 40 ").value, n(" 40 ").exact), (40, true));
        assert_eq!((n("03").value, n("03").exact), (3, false));
        assert_eq!((n("004").value, n("+3").value), (4, 3));
        assert_eq!((n("4;comment").value, n("4;comment").exact), (4, false));
        assert_eq!((n("junk").value, n("junk").garbage), (0, true));
        assert!(!n("0").garbage && n("0").exact);
        assert_eq!(Rule::Bits.apply(Some(b"4;comment"), b"3"), b"7");
        assert_eq!(Rule::Bits.apply(Some(b"03"), b"1"), b"03");
        assert_eq!(Rule::Bits.apply(Some(b"junk"), b"3"), b"3");
        assert_eq!(Rule::Bits.apply(Some(b"7"), b"3"), b"7");
        assert_eq!(Rule::AtLeast.apply(Some(b"050"), b"40"), b"050");
        assert_eq!(Rule::AtLeast.apply(Some(b"40"), b"40"), b"40");
    }

    #[test]
    fn rules_combine_as_documented() {
        assert_eq!(Rule::Bits.apply(Some(b"1"), b"2"), b"3");
        assert_eq!(Rule::Bits.apply(Some(b"3"), b"3"), b"3");
        assert_eq!(Rule::AtLeast.apply(Some(b"30"), b"40"), b"40");
        assert_eq!(Rule::AtLeast.apply(Some(b" 50"), b"40"), b" 50");
        assert_eq!(Rule::AtLeast.apply(Some(b"junk"), b"40"), b"40");
        assert_eq!(Rule::IfAbsent.apply(Some(b"mine.txt"), b"x"), b"mine.txt");
        assert_eq!(Rule::IfAbsent.apply(None, b"x"), b"x");
        assert_eq!(Rule::Set.apply(Some(b"9"), b"1"), b"1");
    }

    #[test]
    fn every_built_in_profile_parses() {
        for (name, text) in BUILT_IN {
            let p = Profile::parse(text, Path::new(name)).unwrap();
            assert_eq!(&p.name, name);
        }
    }

    #[test]
    fn every_built_in_profile_captures_the_console_without_moving_the_console_log() {
        // IBM technote swg21085072: debug_outfile is the console log's name, so setting it moves
        // the whole console log. A built-in profile whose settings write to the console turns
        // console logging on instead (only when nothing captures it yet), and sets debug_outfile
        // only with --param outfile=PATH.
        for (name, text) in BUILT_IN {
            let p = Profile::parse(text, Path::new(name)).unwrap();
            let console = p.settings.iter().any(|s| {
                setting_info(Some(s), &s.key, &s.value).output == crate::guard::Output::DebugOutfile
            });
            let log = p.settings.iter().find(|s| s.key == "Console_Log_Enabled");
            let outfile = p.settings.iter().find(|s| s.key == "debug_outfile");
            if !console {
                assert!(log.is_none() && outfile.is_none(), "{name}");
                continue;
            }
            let log = log.unwrap_or_else(|| panic!("{name} lacks Console_Log_Enabled"));
            assert_eq!(
                (log.value.as_str(), log.rule, log.unless_captured),
                ("1", Rule::AtLeast, true),
                "{name}"
            );
            let outfile =
                outfile.unwrap_or_else(|| panic!("{name} lacks the outfile parameter's setting"));
            assert_eq!(
                (outfile.value.as_str(), outfile.rule),
                ("{outfile}", Rule::Set),
                "{name}"
            );
            assert!(
                p.params.iter().any(|q| q.name == "outfile" && !q.required),
                "{name}"
            );
        }
    }

    /// What `{data_dir}/IBM_TECHNICAL_SUPPORT/dbg.txt` renders to (a user profile's template).
    fn outfile_for(data_dir: &str) -> String {
        let text = "name = \"mine\"\nsummary = \"s\"\nscenario = \"s\"\ndefault-duration = \"1h\"\nmax-duration = \"2h\"\nrefresh = []\n\n[[setting]]\nkey = \"debug_outfile\"\nvalue = \"{data_dir}/IBM_TECHNICAL_SUPPORT/dbg.txt\"\nrule = \"set\"\nnote = \"n\"\nsource = \"s\"\n";
        let p = Profile::parse(text, Path::new("mine.toml")).unwrap();
        let r = p.resolve(&BTreeMap::new(), &[], &ctx(data_dir)).unwrap();
        r.settings
            .into_iter()
            .find(|s| s.setting.key == "debug_outfile")
            .unwrap()
            .setting
            .value
    }

    #[test]
    fn data_dir_template_follows_windows_separators() {
        assert_eq!(
            outfile_for("C:\\Domino\\Data"),
            "C:\\Domino\\Data\\IBM_TECHNICAL_SUPPORT\\dbg.txt"
        );
        assert_eq!(
            outfile_for("/local/notesdata/"),
            "/local/notesdata/IBM_TECHNICAL_SUPPORT/dbg.txt"
        );
    }

    #[test]
    fn console_logging_is_turned_on_only_where_nothing_captures_the_console() {
        let p = Catalog::default().find("router").unwrap().profile;
        let keys = |captured: bool, params: &[(&str, &str)]| -> Vec<String> {
            let params = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let c = RenderContext {
                captured,
                ..ctx("/d")
            };
            p.resolve(&params, &[], &c)
                .unwrap()
                .settings
                .into_iter()
                .map(|s| s.setting.key)
                .collect()
        };
        assert_eq!(
            keys(false, &[]),
            ["DebugRouter", "Log_MailRouting", "Console_Log_Enabled"]
        );
        assert_eq!(keys(true, &[]), ["DebugRouter", "Log_MailRouting"]);
        assert_eq!(
            keys(true, &[("outfile", "/d/router.txt")]),
            ["DebugRouter", "Log_MailRouting", "debug_outfile"]
        );
    }

    #[test]
    fn optional_param_setting_is_left_out_unless_given() {
        let p = Catalog::default().find("tcp-resolver").unwrap().profile;
        let none = p.resolve(&BTreeMap::new(), &[], &ctx("/d")).unwrap();
        assert!(!none.settings.iter().any(|s| s.setting.key == "DNSServer"));
        let params = BTreeMap::from([("dns-server".to_string(), "192.0.2.53".to_string())]);
        let some = p.resolve(&params, &[], &ctx("/d")).unwrap();
        assert!(
            some.settings
                .iter()
                .any(|s| s.setting.key == "DNSServer" && s.setting.value == "192.0.2.53")
        );
        assert!(some.warnings.iter().any(|w| w.contains("DNSServer")));
        let bad = BTreeMap::from([("dns-server".to_string(), "999.1.1.1".to_string())]);
        assert!(p.resolve(&bad, &[], &ctx("/d")).is_err());
    }

    #[test]
    fn overrides_are_validated() {
        let p = Catalog::default().find("router").unwrap().profile;
        let nl = [(
            "DNSServer".to_string(),
            "1.2.3.4\nServerTasks=x".to_string(),
        )];
        assert!(p.resolve(&BTreeMap::new(), &nl, &ctx("/d")).is_err());
        let long = [("X".to_string(), "a".repeat(256))];
        assert!(p.resolve(&BTreeMap::new(), &long, &ctx("/d")).is_err());
        let key = [("Bad=Key".to_string(), "1".to_string())];
        assert!(p.resolve(&BTreeMap::new(), &key, &ctx("/d")).is_err());
        let ok = [("log_mailrouting".to_string(), "30".to_string())];
        let r = p.resolve(&BTreeMap::new(), &ok, &ctx("/d")).unwrap();
        let s = &r
            .settings
            .iter()
            .find(|s| s.setting.key == "Log_MailRouting")
            .unwrap()
            .setting;
        assert_eq!((s.value.as_str(), s.rule), ("30", Rule::Set));
    }

    #[test]
    fn an_error_points_at_the_line_it_is_on_not_at_the_first_of_the_same_text() {
        let head = "name = \"x\"\nsummary = \"s\"\nscenario = \"s\"\n";
        let setting = |key: &str| {
            format!(
                "[[setting]]\nkey = \"{key}\"\nvalue = \"1\"\nrule = \"set\"\nnote = \"n\"\nsource = \"s\"\n"
            )
        };
        // The duplicate is on line 18, not where the key first appears (line 7).
        let text = format!(
            "{head}default-duration = \"1h\"\nmax-duration = \"2h\"\n{}{}",
            setting("DebugRouter"),
            setting("DebugRouter")
        );
        let at = |text: &str| match Profile::parse(text, Path::new("x.toml")).unwrap_err() {
            Error::ProfileSyntax {
                line, column, msg, ..
            } => (line, column, msg),
            e => panic!("{e:?}"),
        };
        let (line, column, msg) = at(&text);
        assert_eq!((line, column), (13, 7), "{msg}");
        assert!(msg.contains("appears twice"), "{msg}");
        // A bad duration is refused where it is written, once, when the profile is read.
        let text = format!(
            "{head}default-duration = \"2h\"\nmax-duration = \"soon\"\n{}",
            setting("DebugRouter")
        );
        let (line, column, msg) = at(&text);
        assert_eq!((line, column), (5, 16), "{msg}");
        // default-duration longer than max-duration points at default-duration.
        let text = format!(
            "{head}max-duration = \"1h\"\ndefault-duration = \"2h\"\n{}",
            setting("DebugRouter")
        );
        assert_eq!(at(&text).0, 5);
    }

    #[test]
    fn unknown_field_is_an_error_with_line_and_column() {
        let text = "name = \"x\"\nsummary = \"s\"\nscenario = \"s\"\ndefault-duration = \"1h\"\nmax-duration = \"2h\"\ncolour = \"red\"\n";
        let err = Profile::parse(text, Path::new("x.toml")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ProfileSyntax {
                    line: 6,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            SignedDuration::from_mins(90)
        );
        assert_eq!(
            parse_duration("45s").unwrap(),
            SignedDuration::from_secs(45)
        );
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1h").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(format_duration(SignedDuration::from_mins(90)), "1h 30m");
    }
}

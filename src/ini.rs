//! The notes.ini document: a lossless, line-based model of the file.
//!
//! Every line keeps its raw bytes and its own line ending, so serialising a document that was not
//! edited returns the input byte for byte, whatever the input. Edits touch only the lines they
//! name: changing a value rewrites only the bytes after `=` (and the spacing after it), inserting
//! a key adds one line, removing a key removes one line.
//!
//! This module is pure: no I/O, no clock, no environment.
//!
//! # Limitations
//! - Lines are split on LF only. A CR that is not followed by LF is part of the line's content,
//!   so a file with CR-only line endings is a single line; [`Document::check_editable`] refuses it.
//! - Only keys inside a `[Notes]` section are notes.ini variables. Key-like lines before the first
//!   section header or under another header are kept, but never read or changed.
//! - Bytes are not decoded: LMBCS (or any other) bytes in lines dbgini does not edit are kept as
//!   they are; values dbgini writes are validated as printable ASCII elsewhere
//!   ([`crate::profile::validate_value`]).

use std::collections::HashMap;
use std::sync::Arc;

/// File bytes shared between a session and its documents without copying.
pub type Shared = Arc<Vec<u8>>;

use serde::{Deserialize, Serialize};

/// How a line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    /// `\n`
    Lf,
    /// `\r\n`
    Crlf,
    /// No line ending: only possible on the last line.
    None,
}

impl Ending {
    /// The bytes of this line ending.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Ending::Lf => b"\n",
            Ending::Crlf => b"\r\n",
            Ending::None => b"",
        }
    }
}

/// One line of the file, borrowed from its document: its content (without the line ending) and
/// its ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The raw bytes of the line, without the line ending.
    pub content: &'a [u8],
    /// The line's own ending.
    pub ending: Ending,
}

/// What a line is, as far as notes.ini is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    /// Empty or only spaces and tabs.
    Blank,
    /// First non-blank byte is `;`, `#` or `:`.
    Comment,
    /// `[Name]`: the name, trimmed.
    Section(&'a [u8]),
    /// `KEY=VALUE`.
    Key {
        /// The key, trimmed of spaces and tabs.
        key: &'a [u8],
        /// The value: everything after the first `=` and the spaces and tabs that follow it.
        value: &'a [u8],
    },
    /// Anything else (kept, never interpreted).
    Other,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_blank(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Where the value starts: after the first `=` at `eq` and the spaces and tabs after it.
fn value_start(content: &[u8], eq: usize) -> usize {
    eq + 1
        + content[eq + 1..]
            .iter()
            .take_while(|&&b| is_blank(b))
            .count()
}

impl<'a> Line<'a> {
    /// A line view of raw content.
    pub fn new(content: &'a [u8], ending: Ending) -> Line<'a> {
        Line { content, ending }
    }

    /// Classifies the line.
    pub fn kind(&self) -> Kind<'a> {
        let c = self.content;
        let t = trim(c);
        match t.first() {
            None => Kind::Blank,
            Some(b';' | b'#' | b':') => Kind::Comment,
            Some(b'[') if t.ends_with(b"]") && t.len() >= 2 => {
                Kind::Section(trim(&t[1..t.len() - 1]))
            }
            _ => match c.iter().position(|&b| b == b'=') {
                Some(eq) if !trim(&c[..eq]).is_empty() => Kind::Key {
                    key: trim(&c[..eq]),
                    value: &c[value_start(c, eq)..],
                },
                _ => Kind::Other,
            },
        }
    }

    /// The key of a key line.
    pub fn key(&self) -> Option<&'a [u8]> {
        match self.kind() {
            Kind::Key { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The value of a key line.
    pub fn value(&self) -> Option<&'a [u8]> {
        match self.kind() {
            Kind::Key { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether this is the line of `key` (a valid notes.ini key, so it holds no `=`): its first
    /// non-blank bytes are the key (ASCII case-insensitive), then blanks, then `=`. Cheaper than
    /// [`Line::kind`], for scanning large files.
    fn is_key(&self, key: &[u8]) -> bool {
        let c = self.content;
        let start = c.iter().position(|&b| !is_blank(b)).unwrap_or(c.len());
        let rest = &c[start..];
        rest.len() > key.len()
            && rest[..key.len()].eq_ignore_ascii_case(key)
            && rest[key.len()..].iter().find(|&&b| !is_blank(b)) == Some(&b'=')
    }
}

/// Why a notes.ini cannot be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    /// The file starts with a UTF-8 byte order mark.
    #[error("the file begins with a UTF-8 byte order mark (BOM), which Domino cannot read")]
    Bom,
    /// The file contains NUL bytes.
    #[error("the file contains a NUL byte on line {line}; notes.ini is a text file")]
    Nul {
        /// 1-based line number.
        line: usize,
    },
    /// The file uses CR-only line endings.
    #[error("the file uses CR-only line endings; Domino expects LF or CRLF")]
    CrOnly,
    /// The file has no `[Notes]` section.
    #[error("the file has no [Notes] section")]
    NoNotesSection,
    /// A key dbgini must change occurs more than once.
    #[error("{key} occurs {} times, on lines {}", lines.len(), join_lines(lines))]
    Duplicate {
        /// The key as asked for.
        key: String,
        /// 1-based line numbers.
        lines: Vec<usize>,
    },
}

fn join_lines(lines: &[usize]) -> String {
    lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Where a line's bytes are: a range of the shared source, or (`owned`) an entry of
/// `Document::own` (edited or added lines). Twelve bytes a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// Start in the source, or index in `own`.
    at: u32,
    /// Length in the source (unused when owned).
    len: u32,
    ending: Ending,
    owned: bool,
}

/// A notes.ini file as lines.
///
/// The lines point into one shared copy of the file's bytes; only edited and added lines own
/// their bytes. A million-line file costs its own size plus 12 bytes a line.
#[derive(Clone, Debug)]
pub struct Document {
    src: Shared,
    slots: Vec<Slot>,
    own: Vec<Box<[u8]>>,
    /// The `[Notes]` section ranges, computed once and again only after a line is inserted or
    /// removed (every key lookup needs them).
    sections: std::sync::OnceLock<Vec<(usize, usize)>>,
}

impl Default for Document {
    fn default() -> Self {
        Document::from_shared(Arc::new(Vec::new()))
    }
}

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.lines().zip(other.lines()).all(|(a, b)| a == b)
    }
}

impl Eq for Document {}

/// The lines of a set of keys (see [`Document::lookup`]), as the file was when it was made.
#[derive(Clone, Debug, Default)]
pub struct Lookup(HashMap<Vec<u8>, Vec<usize>>);

impl Lookup {
    /// The lines of `key` (one of the keys looked up; others have none).
    pub fn lines(&self, key: &str) -> &[usize] {
        self.0
            .get(key.trim().to_ascii_lowercase().as_bytes())
            .map_or(&[], Vec::as_slice)
    }

    /// The single line of `key`, `None` when absent, an error when it occurs more than once
    /// (as [`Document::find_unique`]).
    pub fn unique(&self, key: &str) -> Result<Option<usize>, IniError> {
        match self.lines(key) {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(IniError::Duplicate {
                key: key.to_string(),
                lines: many.iter().map(|i| i + 1).collect(),
            }),
        }
    }
}

/// Where [`Document::insert`] put a new line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inserted {
    /// Index of the new line.
    pub index: usize,
    /// The line before it had no line ending and was given one.
    pub added_ending_before: bool,
}

impl Document {
    /// Splits bytes into lines. Never fails: any bytes are a document.
    pub fn parse(bytes: &[u8]) -> Document {
        Document::from_shared(Arc::new(bytes.to_vec()))
    }

    /// Splits shared bytes into lines without copying them.
    pub fn from_shared(src: Shared) -> Document {
        let mut doc = Document {
            src: src.clone(),
            slots: Vec::with_capacity(src.len() / 32 + 1),
            own: Vec::new(),
            sections: std::sync::OnceLock::new(),
        };
        // Offsets are 32-bit: a (never seen) notes.ini over 4 GiB keeps its lines as owned copies.
        let small = u32::try_from(src.len()).is_ok();
        let mut start = 0;
        while start < src.len() {
            let (end, ending, next) = match src[start..].iter().position(|&b| b == b'\n') {
                Some(off) => {
                    let nl = start + off;
                    if nl > start && src[nl - 1] == b'\r' {
                        (nl - 1, Ending::Crlf, nl + 1)
                    } else {
                        (nl, Ending::Lf, nl + 1)
                    }
                }
                None => (src.len(), Ending::None, src.len()),
            };
            if small {
                doc.slots.push(Slot {
                    at: start as u32,
                    len: (end - start) as u32,
                    ending,
                    owned: false,
                });
            } else {
                let content = src[start..end].to_vec();
                doc.push_owned(doc.slots.len(), content, ending);
            }
            start = next;
        }
        doc
    }

    /// Puts an owned line at `index` (replacing the slot there, or appending at the end).
    fn push_owned(&mut self, index: usize, content: Vec<u8>, ending: Ending) {
        let slot = Slot {
            at: self.own.len() as u32,
            len: 0,
            ending,
            owned: true,
        };
        self.own.push(content.into_boxed_slice());
        if index == self.slots.len() {
            self.slots.push(slot);
        } else {
            self.slots[index] = slot;
        }
    }

    /// The number of lines.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the document has no lines.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn view(&self, slot: &Slot) -> Line<'_> {
        let content: &[u8] = if slot.owned {
            &self.own[slot.at as usize]
        } else {
            &self.src[slot.at as usize..(slot.at + slot.len) as usize]
        };
        Line {
            content,
            ending: slot.ending,
        }
    }

    /// Line `index` (0-based).
    ///
    /// # Panics
    /// When `index` is out of range.
    pub fn line(&self, index: usize) -> Line<'_> {
        self.view(&self.slots[index])
    }

    /// Every line, in order.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = Line<'_>> + ExactSizeIterator + '_ {
        self.slots.iter().map(|s| self.view(s))
    }

    /// Writes the document's bytes.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        // Runs of untouched lines are contiguous in the source: write them in one piece.
        let mut run: Option<(usize, usize)> = None;
        for slot in &self.slots {
            if slot.owned {
                if let Some((a, b)) = run.take() {
                    out.write_all(&self.src[a..b])?;
                }
                out.write_all(&self.own[slot.at as usize])?;
                out.write_all(slot.ending.as_bytes())?;
                continue;
            }
            let (start, stop) = (
                slot.at as usize,
                (slot.at + slot.len) as usize + slot.ending.as_bytes().len(),
            );
            run = match run {
                Some((a, b)) if b == start => Some((a, stop)),
                Some((a, b)) => {
                    out.write_all(&self.src[a..b])?;
                    Some((start, stop))
                }
                None => Some((start, stop)),
            };
        }
        if let Some((a, b)) = run {
            out.write_all(&self.src[a..b])?;
        }
        Ok(())
    }

    /// The bytes of the document.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.src.len() + 256);
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    /// Refuses files that dbgini must not edit: BOM, NUL bytes, CR-only line endings, no `[Notes]`.
    pub fn check_editable(&self) -> Result<(), IniError> {
        if self
            .slots
            .first()
            .is_some_and(|_| self.line(0).content.starts_with(b"\xEF\xBB\xBF"))
        {
            return Err(IniError::Bom);
        }
        if let Some(i) = self.lines().position(|l| l.content.contains(&0)) {
            return Err(IniError::Nul { line: i + 1 });
        }
        if self.len() == 1
            && self.line(0).ending == Ending::None
            && self.line(0).content.contains(&b'\r')
        {
            return Err(IniError::CrOnly);
        }
        if self.notes_sections().is_empty() {
            return Err(IniError::NoNotesSection);
        }
        Ok(())
    }

    /// Index ranges `(header, end)` of every `[Notes]` section: the header line and one past its
    /// last line.
    fn notes_sections(&self) -> Vec<(usize, usize)> {
        self.sections.get_or_init(|| self.scan_sections()).clone()
    }

    fn scan_sections(&self) -> Vec<(usize, usize)> {
        let mut headers: Vec<(usize, bool)> = Vec::new();
        for (i, l) in self.lines().enumerate() {
            // Only lines that start with '[' (after blanks) can be headers: skip the rest cheaply.
            if l.content.iter().find(|&&b| !is_blank(b)) != Some(&b'[') {
                continue;
            }
            if let Kind::Section(name) = l.kind() {
                headers.push((i, name.eq_ignore_ascii_case(b"Notes")));
            }
        }
        let len = self.len();
        (0..headers.len())
            .filter(|&h| headers[h].1)
            .map(|h| (headers[h].0, headers.get(h + 1).map_or(len, |next| next.0)))
            .collect()
    }

    /// Indices of the notes.ini variable lines for `key` (ASCII case-insensitive).
    pub fn find(&self, key: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let k = key.trim().as_bytes();
        // A line's key ends at its first '=': a key containing '=' is never one.
        if k.is_empty() || k.contains(&b'=') {
            return found;
        }
        for (start, end) in self.notes_sections() {
            found.extend((start + 1..end).filter(|&i| self.line(i).is_key(k)));
        }
        found
    }

    /// The lines of many keys at once, in one pass over the file: for work on many keys (a
    /// plan), where a [`Document::find`] per key would cost keys x lines. Keys are matched as
    /// `find` matches them.
    pub fn lookup<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Lookup {
        let mut map: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for key in keys {
            let k = key.trim().as_bytes();
            if !k.is_empty() && !k.contains(&b'=') {
                map.entry(k.to_ascii_lowercase()).or_default();
            }
        }
        if map.is_empty() {
            return Lookup(map);
        }
        let mut folded = Vec::new();
        for (start, end) in self.notes_sections() {
            for i in start + 1..end {
                let c = self.line(i).content;
                let Some(eq) = c.iter().position(|&b| b == b'=') else {
                    continue;
                };
                let key = trim(&c[..eq]);
                if key.is_empty() {
                    continue;
                }
                folded.clear();
                folded.extend(key.iter().map(u8::to_ascii_lowercase));
                if let Some(lines) = map.get_mut(folded.as_slice()) {
                    lines.push(i);
                }
            }
        }
        Lookup(map)
    }

    /// The single line holding `key`, or `None` when absent; an error when it occurs more than once.
    pub fn find_unique(&self, key: &str) -> Result<Option<usize>, IniError> {
        match self.find(key).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(IniError::Duplicate {
                key: key.to_string(),
                lines: many.iter().map(|i| i + 1).collect(),
            }),
        }
    }

    /// The value of `key`, when it occurs exactly once.
    pub fn get(&self, key: &str) -> Result<Option<&[u8]>, IniError> {
        Ok(self.find_unique(key)?.and_then(|i| self.line(i).value()))
    }

    /// The line ending most lines use (LF when none does).
    pub fn dominant_ending(&self) -> Ending {
        let crlf = self.lines().filter(|l| l.ending == Ending::Crlf).count();
        let lf = self.lines().filter(|l| l.ending == Ending::Lf).count();
        if crlf > lf { Ending::Crlf } else { Ending::Lf }
    }

    fn own(&mut self, index: usize, content: Vec<u8>, ending: Ending) {
        self.push_owned(index, content, ending);
    }

    fn set_ending(&mut self, index: usize, ending: Ending) {
        let content = self.line(index).content.to_vec();
        self.own(index, content, ending);
    }

    /// Replaces the value of the key line at `index`, keeping the key's spelling and the spacing
    /// around `=`.
    ///
    /// # Panics
    /// When `index` is not a key line: callers find it with [`Document::find`].
    pub fn set_value(&mut self, index: usize, value: &[u8]) {
        let line = self.line(index);
        let eq = line
            .content
            .iter()
            .position(|&b| b == b'=')
            .expect("set_value on a key line");
        let mut content = line.content[..value_start(line.content, eq)].to_vec();
        content.extend_from_slice(value);
        let ending = line.ending;
        self.own(index, content, ending);
    }

    /// Adds `Key=value` at the end of the first `[Notes]` section, after its last non-blank line,
    /// with the file's dominant line ending. If that line has no line ending, it is given one.
    pub fn insert(&mut self, key: &str, value: &[u8]) -> Inserted {
        let mut content = key.as_bytes().to_vec();
        content.push(b'=');
        content.extend_from_slice(value);
        self.insert_line(content)
    }

    /// Adds a raw line at the end of the first `[Notes]` section, as [`Document::insert`] does.
    pub fn reinsert(&mut self, content: Vec<u8>) -> Inserted {
        self.insert_line(content)
    }

    fn insert_line(&mut self, content: Vec<u8>) -> Inserted {
        let ending = self.dominant_ending();
        let after = match self.notes_sections().first() {
            Some(&(header, end)) => (header..end)
                .rev()
                .find(|&i| self.line(i).kind() != Kind::Blank)
                .unwrap_or(header),
            None => self.len().saturating_sub(1),
        };
        let mut added_ending_before = false;
        if after < self.len() && self.line(after).ending == Ending::None {
            self.set_ending(after, ending);
            added_ending_before = true;
        }
        let index = (after + 1).min(self.len());
        self.sections = std::sync::OnceLock::new();
        self.own.push(content.into_boxed_slice());
        let slot = Slot {
            at: (self.own.len() - 1) as u32,
            len: 0,
            ending,
            owned: true,
        };
        self.slots.insert(index, slot);
        Inserted {
            index,
            added_ending_before,
        }
    }

    /// Adds lines at the end of the first `[Notes]` section, in order, as that many calls of
    /// [`Document::insert`] would (each line with its own ending, or `None` for the one most
    /// lines use at that point), in one pass. Returns where the first one went.
    pub fn insert_lines(&mut self, lines: Vec<(Vec<u8>, Option<Ending>)>) -> Option<Inserted> {
        if lines.is_empty() {
            return None;
        }
        // (CRLF lines, LF lines): the dominant ending as each line is added, as one insert at a
        // time would see it.
        let mut counts = (
            self.lines().filter(|l| l.ending == Ending::Crlf).count(),
            self.lines().filter(|l| l.ending == Ending::Lf).count(),
        );
        let count = |counts: &mut (usize, usize), e: Ending| match e {
            Ending::Crlf => counts.0 += 1,
            Ending::Lf => counts.1 += 1,
            Ending::None => {}
        };
        let dominant = |c: (usize, usize)| if c.0 > c.1 { Ending::Crlf } else { Ending::Lf };
        let after = self.insert_point();
        let mut added_ending_before = false;
        if after < self.len() && self.line(after).ending == Ending::None {
            let e = dominant(counts);
            self.set_ending(after, e);
            count(&mut counts, e);
            added_ending_before = true;
        }
        let index = (after + 1).min(self.len());
        self.sections = std::sync::OnceLock::new();
        let mut slots = Vec::with_capacity(lines.len());
        for (content, ending) in lines {
            let ending = ending.unwrap_or_else(|| dominant(counts));
            count(&mut counts, ending);
            self.own.push(content.into_boxed_slice());
            slots.push(Slot {
                at: (self.own.len() - 1) as u32,
                len: 0,
                ending,
                owned: true,
            });
        }
        self.slots.splice(index..index, slots);
        Some(Inserted {
            index,
            added_ending_before,
        })
    }

    /// Gives the line at `index`, which has no ending, the ending most lines use.
    pub fn end_line(&mut self, index: usize) {
        let ending = self.dominant_ending();
        self.set_ending(index, ending);
    }

    /// The line that new lines go after: the last non-blank line of the first `[Notes]` section
    /// (its header, when it has none), or the last line of a file without one.
    pub fn insert_point(&self) -> usize {
        match self.notes_sections().first() {
            Some(&(header, end)) => (header..end)
                .rev()
                .find(|&i| self.line(i).kind() != Kind::Blank)
                .unwrap_or(header),
            None => self.len().saturating_sub(1),
        }
    }

    /// Removes the lines at `indices` (in any order), in one pass.
    pub fn remove_lines(&mut self, indices: &[usize]) {
        if indices.is_empty() {
            return;
        }
        let gone: std::collections::HashSet<usize> = indices.iter().copied().collect();
        let mut i = 0;
        self.slots.retain(|_| {
            i += 1;
            !gone.contains(&(i - 1))
        });
        self.sections = std::sync::OnceLock::new();
    }

    /// Puts a whole raw line back: at `index` (replacing the line there) or, when `index` is
    /// `None`, as a new line at the end of the `[Notes]` section.
    pub fn restore_line(&mut self, index: Option<usize>, content: &[u8], ending: Ending) {
        match index {
            Some(i) => self.own(i, content.to_vec(), ending),
            None => {
                let at = self.insert_line(content.to_vec()).index;
                if ending != Ending::None {
                    self.own(at, content.to_vec(), ending);
                }
            }
        }
    }

    /// Removes the line at `index`, returning its content and ending.
    pub fn remove(&mut self, index: usize) -> (Vec<u8>, Ending) {
        let line = self.line(index);
        let taken = (line.content.to_vec(), line.ending);
        self.slots.remove(index);
        self.sections = std::sync::OnceLock::new();
        taken
    }

    /// Takes the line ending off the last line, if its content is `content`. Used to undo an
    /// ending dbgini added to a file that had none at the end.
    pub fn strip_final_ending_if(&mut self, content: &[u8]) -> bool {
        let Some(last) = self.len().checked_sub(1) else {
            return false;
        };
        let line = self.line(last);
        if line.content == content && line.ending != Ending::None {
            self.set_ending(last, Ending::None);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(s: &str) -> Document {
        Document::parse(s.as_bytes())
    }

    fn text(d: &Document) -> String {
        String::from_utf8(d.to_bytes()).unwrap()
    }

    proptest! {
        #[test]
        fn round_trip_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            prop_assert_eq!(Document::parse(&bytes).to_bytes(), bytes);
        }

        #[test]
        fn round_trip_line_soup(parts in proptest::collection::vec(
            prop_oneof![Just("\n"), Just("\r\n"), Just("\r"), Just("="), Just("[Notes]"),
                        Just(" "), Just("Key"), Just(";c"), Just("\u{e9}")], 0..64)) {
            let bytes = parts.concat().into_bytes();
            prop_assert_eq!(Document::parse(&bytes).to_bytes(), bytes);
        }

        #[test]
        fn the_fast_key_match_agrees_with_kind(
            line in "[ \t]{0,2}[A-Za-z_ =]{0,8}[ \t]{0,2}(=[ -~]{0,4})?", key in "[A-Za-z_][A-Za-z_ ]{0,3}") {
            let key = key.trim();
            let l = Line::new(line.as_bytes(), Ending::Lf);
            let by_kind = l.key().is_some_and(|k| k.eq_ignore_ascii_case(key.as_bytes()));
            prop_assert_eq!(l.is_key(key.as_bytes()), by_kind);
        }

        #[test]
        fn set_value_changes_only_its_line(
            before in "[A-Za-z=; ]{0,20}", value in "[ -~]{0,20}", crlf in any::<bool>()) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let src = format!("[Notes]{nl}{before}{nl}DebugRouter = 1{nl}Tail=x");
            let mut d = doc(&src);
            let i = d.find_unique("debugrouter").unwrap().unwrap();
            d.set_value(i, value.as_bytes());
            let expected = format!("[Notes]{nl}{before}{nl}DebugRouter = {value}{nl}Tail=x");
            prop_assert_eq!(text(&d), expected);
        }
    }

    #[test]
    fn key_is_trimmed_and_split_on_first_equals() {
        let d = doc("[Notes]\n  KeyFileName_Owner = CN=Srv/O=Org\n");
        let line = d.line(1);
        assert_eq!(line.key(), Some(&b"KeyFileName_Owner"[..]));
        assert_eq!(line.value(), Some(&b"CN=Srv/O=Org"[..]));
    }

    #[test]
    fn comments_sections_and_blank_lines_are_not_keys() {
        let d = doc("[Notes]\n; A=1\n# B=2\n: C=3\n\t \n=novalue\n[Other]\nD=4\n");
        let kinds: Vec<_> = d.lines().map(|l| l.kind()).collect();
        assert_eq!(kinds[1], Kind::Comment);
        assert_eq!(kinds[2], Kind::Comment);
        assert_eq!(kinds[3], Kind::Comment);
        assert_eq!(kinds[4], Kind::Blank);
        assert_eq!(kinds[5], Kind::Other);
        assert_eq!(kinds[6], Kind::Section(b"Other"));
        assert!(d.find("A").is_empty() && d.find("D").is_empty());
    }

    #[test]
    fn notes_header_is_case_insensitive_and_keys_outside_it_are_ignored() {
        let d = doc("X=0\n[notes]\nservertasks=Router\n[Other]\nServerTasks=y\n");
        assert_eq!(d.find("ServerTasks"), vec![2]);
        assert_eq!(d.find("X"), Vec::<usize>::new());
    }

    #[test]
    fn duplicates_are_reported_with_line_numbers() {
        let d = doc("[Notes]\nLog_MailRouting=20\nA=1\nlog_mailrouting=30\n");
        assert_eq!(
            d.find_unique("Log_MailRouting"),
            Err(IniError::Duplicate {
                key: "Log_MailRouting".into(),
                lines: vec![2, 4]
            })
        );
    }

    #[test]
    fn insert_goes_to_end_of_notes_section_before_next_section() {
        let mut d = doc("[Notes]\r\nA=1\r\n\r\n[Other]\r\nB=2\r\n");
        let ins = d.insert("DebugRouter", b"3");
        assert_eq!(
            ins,
            Inserted {
                index: 2,
                added_ending_before: false
            }
        );
        assert_eq!(
            text(&d),
            "[Notes]\r\nA=1\r\nDebugRouter=3\r\n\r\n[Other]\r\nB=2\r\n"
        );
    }

    #[test]
    fn insert_after_missing_final_newline_adds_one_first() {
        let mut d = doc("[Notes]\nA=1");
        let ins = d.insert("B", b"2");
        assert!(ins.added_ending_before);
        assert_eq!(text(&d), "[Notes]\nA=1\nB=2\n");
        d.remove(ins.index);
        assert!(d.strip_final_ending_if(b"A=1"));
        assert_eq!(text(&d), "[Notes]\nA=1");
    }

    #[test]
    fn dominant_ending_follows_the_majority() {
        assert_eq!(
            doc("[Notes]\r\nA=1\r\nB=2\n").dominant_ending(),
            Ending::Crlf
        );
        assert_eq!(doc("[Notes]\nA=1\r\nB=2\n").dominant_ending(), Ending::Lf);
        assert_eq!(doc("[Notes]").dominant_ending(), Ending::Lf);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            Document::parse(b"\xEF\xBB\xBF[Notes]\n").check_editable(),
            Err(IniError::Bom)
        );
        assert_eq!(
            Document::parse(b"[Notes]\nA=\0\n").check_editable(),
            Err(IniError::Nul { line: 2 })
        );
        assert_eq!(
            Document::parse(b"[Notes]\rA=1\r").check_editable(),
            Err(IniError::CrOnly)
        );
        assert_eq!(
            Document::parse(b"A=1\n").check_editable(),
            Err(IniError::NoNotesSection)
        );
        assert_eq!(
            Document::parse(b"").check_editable(),
            Err(IniError::NoNotesSection)
        );
        assert_eq!(Document::parse(b"[Notes]").check_editable(), Ok(()));
    }
}

//! Raw bytes in state files: an escaped, human-readable string form.
//!
//! notes.ini lines may hold bytes that are not UTF-8 (LMBCS), but TOML and JSON strings must be
//! UTF-8. Printable ASCII other than `\` is written as is, `\` as `\\`, every other byte as `\xNN`,
//! so `C:\Lotus` reads `C:\\Lotus` and the round trip is exact.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes that serialise as an escaped string.
#[derive(Clone, Debug, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The escaped form.
    pub fn escape(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for &b in &self.0 {
            match b {
                b'\\' => out.push_str("\\\\"),
                0x20..=0x7E => out.push(b as char),
                _ => out.push_str(&format!("\\x{b:02X}")),
            }
        }
        out
    }

    /// Parses the escaped form.
    pub fn unescape(s: &str) -> Result<Bytes, String> {
        let mut out = Vec::with_capacity(s.len());
        let mut rest = s.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            if b != b'\\' {
                out.push(b);
                rest = tail;
                continue;
            }
            match tail {
                [b'\\', more @ ..] => {
                    out.push(b'\\');
                    rest = more;
                }
                [b'x', h, l, more @ ..] => {
                    let hex = std::str::from_utf8(&[*h, *l])
                        .map_err(|e| e.to_string())?
                        .to_owned();
                    let v = u8::from_str_radix(&hex, 16)
                        .map_err(|_| format!("bad escape \\x{hex} in {s:?}"))?;
                    out.push(v);
                    rest = more;
                }
                _ => return Err(format!("bad escape in {s:?}: use \\\\ or \\xNN")),
            }
        }
        Ok(Bytes(out))
    }

    /// A lossy text form for messages and JSON.
    pub fn lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Self {
        Bytes(b.to_vec())
    }
}

impl From<&str> for Bytes {
    fn from(s: &str) -> Self {
        Bytes(s.as_bytes().to_vec())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.escape())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Bytes::unescape(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn escape_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let b = Bytes(bytes);
            prop_assert_eq!(Bytes::unescape(&b.escape()).unwrap(), b);
        }
    }

    #[test]
    fn readable_form() {
        assert_eq!(Bytes(b"C:\\Lotus".to_vec()).escape(), "C:\\\\Lotus");
        assert_eq!(Bytes(b"M\xFCller".to_vec()).escape(), "M\\xFCller");
        assert!(Bytes::unescape("bad\\q").is_err());
        assert!(Bytes::unescape("bad\\xZZ").is_err());
    }
}

//! The character repertoire of an interchange (UNB element 1) and how its bytes become text.

use std::borrow::Cow;

/// How the bytes of an interchange's values are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// `UNOA`/`UNOB`: ASCII. Lower case is accepted under `UNOA` as real senders use it.
    Ascii,
    /// `UNOC`, and any payload without UNB: ISO-8859-1.
    Latin1,
    /// `UNOY`: UTF-8.
    Utf8,
}

impl Charset {
    /// The charset named by a UNB syntax identifier, e.g. `UNOC`; `None` when unknown.
    pub fn from_syntax_id(id: &str) -> Option<Self> {
        match id.to_ascii_uppercase().as_str() {
            "UNOA" | "UNOB" => Some(Self::Ascii),
            "UNOC" => Some(Self::Latin1),
            "UNOY" => Some(Self::Utf8),
            _ => None,
        }
    }
}

/// Decodes ISO-8859-1 bytes: every byte is the code point of the same value.
pub fn decode_latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_ids_map_to_charsets_case_insensitively() {
        assert_eq!(Charset::from_syntax_id("UNOA"), Some(Charset::Ascii));
        assert_eq!(Charset::from_syntax_id("unob"), Some(Charset::Ascii));
        assert_eq!(Charset::from_syntax_id("UNOC"), Some(Charset::Latin1));
        assert_eq!(Charset::from_syntax_id("UNOY"), Some(Charset::Utf8));
        assert_eq!(Charset::from_syntax_id("UNOW"), None);
    }

    #[test]
    fn latin1_bytes_become_their_code_points() {
        assert_eq!(decode_latin1(b"Ren\xe9 M\xfcller"), "René Müller");
        assert!(matches!(decode_latin1(b"plain"), Cow::Borrowed("plain")));
    }
}

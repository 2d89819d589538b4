//! Finding a message: what a search asks ([`SearchQuery`]), how a client's name and a sender
//! are cut into the words an index holds, and which client a message is about (read from its
//! payload). The index itself keeps only keyed hashes of these words (`adapters`), so no
//! plain BSN or name is written to disk for it.
//!
//! Names match by the start of a word, case-insensitive and without accents ("jans" finds
//! "Jansen", "de vries" finds "Anna de Vries"); senders by whole words; the BSN exactly.

use crate::message::Message;
use crate::payload::{read_payload, Payload};
use crate::people::BsnReading;
use crate::projections::State;

/// The longest word start a name is indexed by: a longer word in a search is looked up by its
/// first this many letters.
pub const MAX_PREFIX: usize = 12;

/// The shortest word start a name is indexed by.
pub const MIN_PREFIX: usize = 2;

/// What a search asks; every part that is given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// The client's BSN (nine digits, checked), exactly.
    pub bsn: Option<String>,
    /// Part of the client's name: each word is the start of a word of the name.
    pub name: Option<String>,
    /// The sender: each word is a whole word of the sender.
    pub sender: Option<String>,
    /// Received at or after this time (ms since 1970-01-01 UTC).
    pub from_ms: Option<i64>,
    /// Received before this time (ms since 1970-01-01 UTC).
    pub until_ms: Option<i64>,
    /// Only messages in this state (a tab); `None`: across all.
    pub state: Option<State>,
}

impl SearchQuery {
    /// Whether the query asks nothing that narrows the messages down.
    pub fn is_empty(&self) -> bool {
        self.bsn.is_none()
            && self.name_words().is_empty()
            && self.sender_words().is_empty()
            && self.from_ms.is_none()
            && self.until_ms.is_none()
    }

    /// The kinds of search asked, for the access log (`bsn`, `name`, `sender`, `date`): what
    /// was searched by, never what for.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.bsn.is_some() {
            kinds.push("bsn");
        }
        if !self.name_words().is_empty() {
            kinds.push("name");
        }
        if !self.sender_words().is_empty() {
            kinds.push("sender");
        }
        if self.from_ms.is_some() || self.until_ms.is_some() {
            kinds.push("date");
        }
        kinds
    }

    /// The name's words as they are looked up: each cut to [`MAX_PREFIX`] letters, those
    /// shorter than [`MIN_PREFIX`] (initials) left out.
    pub fn name_words(&self) -> Vec<String> {
        self.name
            .as_deref()
            .map(words)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w.chars().count() >= MIN_PREFIX)
            .map(|w| w.chars().take(MAX_PREFIX).collect())
            .collect()
    }

    /// The sender's words as they are looked up.
    pub fn sender_words(&self) -> Vec<String> {
        self.sender.as_deref().map(words).unwrap_or_default()
    }
}

/// A letter without its accent, lowercased: `É` -> `e`, `ij` stays `ij`.
fn plain(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ç' => 'c',
        'ñ' => 'n',
        other => other,
    }
}

/// The distinct words of `text`, lowercased and without accents, in order; anything but a
/// letter or digit separates words.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word: String = word.chars().map(plain).collect();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// The word starts a name is indexed by: of every word of at least [`MIN_PREFIX`] letters,
/// its first [`MIN_PREFIX`] up to [`MAX_PREFIX`] letters (distinct).
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(name) {
        let letters: Vec<char> = word.chars().collect();
        for len in MIN_PREFIX..=letters.len().min(MAX_PREFIX) {
            let token: String = letters[..len].iter().collect();
            if !out.contains(&token) {
                out.push(token);
            }
        }
    }
    out
}

/// The client a message is about and who wrote it, as a search finds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFacts {
    /// The client's name as shown; empty when absent.
    pub name: String,
    /// The BSN when valid.
    pub bsn: Option<String>,
    /// The document's author (the letter's sender or the lab); empty when absent.
    pub author: String,
}

/// The client facts of message `number` (from 1) in the payload `bytes`; `None` for a payload
/// that does not read or a message without a patient.
pub fn client_facts(bytes: &[u8], number: u32) -> Option<ClientFacts> {
    let Ok(Payload::Edifact(interchange)) = read_payload(bytes) else {
        return None;
    };
    let messages = Message::read_all(&interchange);
    let message = messages
        .iter()
        .find(|m| u32::try_from(m.number).ok() == Some(number))?;
    let patient = message.patient()?;
    let author = message
        .document()
        .map(|d| d.info.author)
        .unwrap_or_default();
    Some(ClientFacts {
        name: patient.name.display(),
        bsn: match &patient.bsn {
            BsnReading::Valid(bsn) => Some(bsn.expose().to_owned()),
            BsnReading::Problem(_) => None,
        },
        author,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_without_accents_and_distinct() {
        assert_eq!(
            words("Anna-Sophie van der Berg (A.S.) Berg"),
            ["anna", "sophie", "van", "der", "berg", "a", "s"]
        );
        assert_eq!(words("Zoë Ruîz"), ["zoe", "ruiz"]);
    }

    #[test]
    fn a_name_is_indexed_by_the_starts_of_its_words() {
        let tokens = name_tokens("P. Jansen");
        assert_eq!(tokens, ["ja", "jan", "jans", "janse", "jansen"]);
        let long = name_tokens("Wolfeschlegelsteinhausen");
        assert_eq!(long.last().map(String::len), Some(MAX_PREFIX));
    }

    #[test]
    fn a_query_looks_up_what_the_index_holds() {
        let query = SearchQuery {
            name: Some("J. Wolfeschlegelsteinhausen".into()),
            ..SearchQuery::default()
        };
        let indexed = name_tokens("Jan Wolfeschlegelsteinhausen");
        for word in query.name_words() {
            assert!(indexed.contains(&word), "{word}");
        }
        assert_eq!(query.kinds(), ["name"]);
        assert!(SearchQuery::default().is_empty());
        let initials_only = SearchQuery {
            name: Some("J.".into()),
            ..SearchQuery::default()
        };
        assert!(initials_only.is_empty());
    }
}

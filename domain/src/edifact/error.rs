//! What can make a payload unreadable as EDIFACT, and where it happened.

use std::fmt;

/// Where in a payload something was found: message and segment number (1-based) and byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// The message (UNH..UNT) it belongs to, counted from 1, when inside one.
    pub message: Option<usize>,
    /// The segment, counted from 1 over the whole payload (0 is a `UNA`).
    pub segment: Option<usize>,
    /// The byte offset from the start of the payload.
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(message) = self.message {
            write!(f, "message {message}, ")?;
        }
        if let Some(segment) = self.segment {
            write!(f, "segment {segment}, ")?;
        }
        write!(f, "byte {}", self.offset)
    }
}

/// A payload that cannot be read as EDIFACT (kept in a fallout reason, so serializable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{position}: {kind}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Where it went wrong.
    pub position: Position,
}

/// The ways a payload can fail to be EDIFACT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParseErrorKind {
    /// Nothing but whitespace.
    #[error("the payload is empty: expected an EDIFACT interchange (UNB or UNH)")]
    Empty,
    /// A `UNA` that cannot be read.
    #[error("unreadable UNA: expected {expected}")]
    BadUna {
        /// What a reader expected to find.
        expected: String,
    },
    /// A segment whose tag is not three letters or digits.
    #[error("expected a segment tag of 3 letters or digits, found {found:?}")]
    BadTag {
        /// The start of what was found instead (at most 20 characters).
        found: String,
    },
    /// A segment where the structure does not allow it.
    #[error("expected {expected}, found {}", found_text(.found))]
    Unexpected {
        /// What the structure allows here.
        expected: Expected,
        /// The tag found instead; empty for the end of the payload.
        found: String,
    },
    /// Binary content that is neither EDIFACT nor another recognised format.
    #[error("binary content: expected EDIFACT, XML, PDF, HL7 v2 or text")]
    Unrecognised,
    /// A payload of 4 GiB or more.
    #[error("the payload is {0} bytes: payloads of 4 GiB or more are not read")]
    TooLarge(usize),
    /// A `UNH` without a message identifier.
    #[error("UNH without a message identifier: expected e.g. UNH+1+MEDVRI:1")]
    MissingIdentifier,
}

/// What the structure of an interchange allows at a place where something else was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// `UNB` or `UNH`: the start of an interchange or a message.
    InterchangeStart,
    /// `UNH`: the start of a message.
    MessageStart,
    /// `UNH` or `UNZ`: another message or the end of the interchange.
    MessageStartOrInterchangeEnd,
    /// `UNT`: the end of the message.
    MessageEnd,
    /// Nothing: the end of the payload after `UNZ`.
    PayloadEnd,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InterchangeStart => "UNB or UNH (start of a message)",
            Self::MessageStart => "UNH (start of a message)",
            Self::MessageStartOrInterchangeEnd => "UNH (start of a message) or UNZ",
            Self::MessageEnd => "UNT (end of the message)",
            Self::PayloadEnd => "the end of the payload after UNZ",
        })
    }
}

/// The tag found, or the end of the payload when there was none.
fn found_text(found: &str) -> &str {
    if found.is_empty() {
        "the end of the payload"
    } else {
        found
    }
}

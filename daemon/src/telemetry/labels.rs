//! The fixed values of the `stage` and `error_type` labels and log fields: where in the flow
//! of a message something happened, and what kind of failure it was. Enums, never free
//! strings, so that a dashboard's queries stay valid.

use ketenpost_domain::category::RecordSystemCall;
use ketenpost_domain::ports::RecordSystemError;
use serde::{Deserialize, Serialize};

/// Where in the flow of a message an occurrence belongs (in a worker's result as its label
/// value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Listing or taking messages at a mailbox.
    MailboxPoll,
    /// Recording what a mailbox poll took in.
    TakeIn,
    /// Reading a message's history, receipt and payload.
    ReadPayload,
    /// Rendering the document.
    Render,
    /// Looking the client up in the record system.
    Lookup,
    /// Reading the client's documents back.
    List,
    /// Uploading (placing) the document.
    Upload,
    /// Appending a message's next step to the event log.
    Append,
    /// A work item as a whole (the log or a bug failed it).
    Work,
}

impl Stage {
    /// Every stage, for tests and dashboards.
    pub const ALL: [Self; 9] = [
        Self::MailboxPoll,
        Self::TakeIn,
        Self::ReadPayload,
        Self::Render,
        Self::Lookup,
        Self::List,
        Self::Upload,
        Self::Append,
        Self::Work,
    ];

    /// The label value: `mailbox_poll`, `take_in`, `read_payload`, `render`, `lookup`,
    /// `list`, `upload`, `append`, `work`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MailboxPoll => "mailbox_poll",
            Self::TakeIn => "take_in",
            Self::ReadPayload => "read_payload",
            Self::Render => "render",
            Self::Lookup => "lookup",
            Self::List => "list",
            Self::Upload => "upload",
            Self::Append => "append",
            Self::Work => "work",
        }
    }

    /// The stage of a call to the record system (`ping` counts as a lookup).
    pub fn of_call(call: RecordSystemCall) -> Self {
        match call {
            RecordSystemCall::Ping | RecordSystemCall::Lookup => Self::Lookup,
            RecordSystemCall::List => Self::List,
            RecordSystemCall::Upload => Self::Upload,
        }
    }
}

/// What kind of failure an occurrence is (in a worker's result as its label value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The record system refused ketenpost itself (HTTP 401, 403).
    Refused,
    /// The record system refused the message for good (another 4xx).
    Rejected,
    /// The record system was unavailable (5xx, 408, 415, 429).
    Unavailable,
    /// No answer (unreachable, dropped, timed out) or one not as described.
    NoAnswer,
    /// The document was stored, but in error (status 5).
    DocumentInError,
    /// The mailbox as a whole (unreachable, refused, cut off).
    Mailbox,
    /// One message of a mailbox that cannot be taken in.
    Message,
    /// The event log or the payload store.
    Storage,
}

impl ErrorType {
    /// Every error type, for tests and dashboards.
    pub const ALL: [Self; 8] = [
        Self::Refused,
        Self::Rejected,
        Self::Unavailable,
        Self::NoAnswer,
        Self::DocumentInError,
        Self::Mailbox,
        Self::Message,
        Self::Storage,
    ];

    /// The label value: `refused`, `rejected`, `unavailable`, `no_answer`,
    /// `document_in_error`, `mailbox`, `message`, `storage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Rejected => "rejected",
            Self::Unavailable => "unavailable",
            Self::NoAnswer => "no_answer",
            Self::DocumentInError => "document_in_error",
            Self::Mailbox => "mailbox",
            Self::Message => "message",
            Self::Storage => "storage",
        }
    }

    /// The kind of a failed call to the record system.
    pub fn of_record_system(error: &RecordSystemError) -> Self {
        match error {
            RecordSystemError::Status { status, .. } => match status {
                401 | 403 => Self::Refused,
                408 | 415 | 429 => Self::Unavailable,
                s if *s >= 500 => Self::Unavailable,
                _ => Self::Rejected,
            },
            RecordSystemError::Failed(_) => Self::NoAnswer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_fixed_snake_case_and_distinct() {
        let stages: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        let errors: Vec<&str> = ErrorType::ALL.iter().map(|e| e.as_str()).collect();
        for values in [&stages, &errors] {
            let mut unique = values.to_vec();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), values.len(), "{values:?}");
            assert!(values
                .iter()
                .all(|v| v.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        }
        assert_eq!(Stage::Upload.as_str(), "upload");
        assert_eq!(ErrorType::NoAnswer.as_str(), "no_answer");
    }

    #[test]
    fn a_worker_s_result_names_them_by_their_label_values() {
        for stage in Stage::ALL {
            let json = serde_json::to_string(&stage).unwrap();
            assert_eq!(json, format!("\"{}\"", stage.as_str()));
            assert_eq!(serde_json::from_str::<Stage>(&json).unwrap(), stage);
        }
        for error in ErrorType::ALL {
            let json = serde_json::to_string(&error).unwrap();
            assert_eq!(json, format!("\"{}\"", error.as_str()));
            assert_eq!(serde_json::from_str::<ErrorType>(&json).unwrap(), error);
        }
    }

    #[test]
    fn record_system_failures_are_typed_by_their_status() {
        let status = |status| RecordSystemError::Status {
            call: RecordSystemCall::Upload,
            status,
        };
        assert_eq!(
            ErrorType::of_record_system(&status(403)),
            ErrorType::Refused
        );
        assert_eq!(
            ErrorType::of_record_system(&status(503)),
            ErrorType::Unavailable
        );
        assert_eq!(
            ErrorType::of_record_system(&status(400)),
            ErrorType::Rejected
        );
        assert_eq!(
            ErrorType::of_record_system(&RecordSystemError::Failed("timed out".into())),
            ErrorType::NoAnswer
        );
        assert_eq!(Stage::of_call(RecordSystemCall::List), Stage::List);
    }
}

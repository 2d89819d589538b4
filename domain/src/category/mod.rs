//! The six categories every message ends in, and the reasons that put it there.

use serde::{Deserialize, Serialize};

use crate::bsn::BsnError;
use crate::edifact::ParseError;
use crate::payload::Format;

mod code;
mod dutch;

/// Where a message waits: placed, or for a person to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Placed in the record system (Verwerkt).
    Processed,
    /// A format, type or sender ketenpost does not route (Niet ondersteund).
    Unsupported,
    /// No usable BSN in the message (Ontbrekende BSN).
    MissingBsn,
    /// A valid BSN the record system does not know (Onbekende BSN).
    UnknownBsn,
    /// The record system could not be reached or failed, after the retry budget (Technische fout).
    TechnicalError,
    /// Anything else that could not be processed (Uitval).
    Fallout,
}

impl Category {
    /// All six, in the order people see them.
    pub const ALL: [Self; 6] = [
        Self::Processed,
        Self::Unsupported,
        Self::MissingBsn,
        Self::UnknownBsn,
        Self::TechnicalError,
        Self::Fallout,
    ];

    /// The machine name: `processed`, `unsupported`, `missing_bsn`, `unknown_bsn`,
    /// `technical_error`, `fallout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Unsupported => "unsupported",
            Self::MissingBsn => "missing_bsn",
            Self::UnknownBsn => "unknown_bsn",
            Self::TechnicalError => "technical_error",
            Self::Fallout => "fallout",
        }
    }

    /// The category named `name` (the machine name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Why a message is in its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Placed in the record system.
    Placed,
    /// A payload format that is not EDIFACT.
    UnsupportedFormat {
        /// The format found.
        format: Format,
    },
    /// An EDIFACT message type that is not read (MEDRAD, MEDSPE, MEDRPT, unknown).
    UnsupportedType {
        /// The UNH identifier, e.g. `MEDRPT:D:93A:UN:MRPN32`.
        identifier: String,
    },
    /// A message type the route does not configure.
    TypeNotRouted {
        /// The UNH identifier.
        identifier: String,
        /// The route.
        route: String,
    },
    /// A MEDVRI from a sender whose letters the route does not place.
    SenderNotRouted {
        /// The sender id.
        sender: String,
        /// The route.
        route: String,
    },
    /// No BSN in PID.
    NoBsn,
    /// `BSN000000000`.
    PlaceholderBsn,
    /// A value that is not a BSN.
    InvalidBsn {
        /// Which rule it failed.
        problem: BsnError,
    },
    /// The payload cannot be read.
    Malformed {
        /// The reader's error, with its position, in English (for operators and logs).
        detail: String,
        /// The reader's error itself, from which the Dutch text is made (absent in events
        /// recorded before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<ParseError>,
    },
    /// The message, read before, is no longer in its payload when it is processed again.
    NoLongerInPayload {
        /// Its number in the payload.
        number: u32,
    },
    /// The record system knows no client with the message's BSN.
    UnknownBsn,
    /// The record system has several clients with the message's BSN.
    SeveralClients,
    /// The record system refused the message; retrying will not help.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The call it refused (absent in events recorded before calls were named).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call: Option<RecordSystemCall>,
    },
    /// The record system refused ketenpost itself (HTTP 401 or 403: a certificate or account
    /// it does not accept) through the whole retry budget: not the message's fault.
    RecordSystemRefused {
        /// The call it refused.
        call: RecordSystemCall,
        /// The HTTP status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// The record system could not be reached or failed, after the whole retry budget.
    RecordSystemUnavailable {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last_error: String,
    },
    /// No worker (`ketenpost worker`, with `[amqp]`) finished the message's work item within
    /// the broker's delivery limit.
    WorkNotFinished {
        /// Deliveries of the work item.
        deliveries: u32,
        /// Why the last worker gave it back (in English, for operators and logs).
        last_error: String,
    },
    /// The message came from a mailbox that no route takes.
    MailboxNotRouted {
        /// The mailbox.
        mailbox: String,
    },
    /// A PDF payload, to be placed, but a PDF names no client: a person places it.
    PdfWithoutBsn,
    /// The letter or lab report could not be made into a PDF document.
    NotRenderable {
        /// What went wrong.
        detail: String,
    },
}

/// A call to the record system, named in reasons and problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordSystemCall {
    /// Is the certificate accepted (`GET /ping`).
    Ping,
    /// Looking the client up by BSN.
    Lookup,
    /// Reading the client's documents back.
    List,
    /// Uploading the document.
    Upload,
}

impl RecordSystemCall {
    /// The machine name: `ping`, `lookup`, `list`, `upload`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ping => "ping",
            Self::Lookup => "lookup",
            Self::List => "list",
            Self::Upload => "upload",
        }
    }

    /// What the call does, in English, for logs and operators.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Ping => "certificate check",
            Self::Lookup => "client lookup",
            Self::List => "document read-back",
            Self::Upload => "document upload",
        }
    }
}

impl std::fmt::Display for RecordSystemCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A category with the reason for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The category.
    pub category: Category,
    /// Why.
    #[serde(flatten)]
    pub reason: Reason,
}

//! How each record system is doing, as the API and the metrics show it: above all whether it
//! refuses ketenpost itself (HTTP 401 or 403, e.g. a client certificate it no longer accepts),
//! which no message can fix and every message would run into. With `[amqp]` the workers make
//! the calls: each gathers its answers and sends them with its result, and the owner notes
//! them here as the in-process daemon notes its own.

use std::sync::Mutex;

use ketenpost_domain::category::RecordSystemCall;
use ketenpost_domain::ports::RecordSystemError;
use serde::{Deserialize, Serialize};

use super::state::{now_ms, Shared};
use crate::telemetry::RecordSystemAnswered;

/// How a record system is doing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordSystemHealth {
    /// When it last answered a call as asked (RFC 3339).
    pub last_success: Option<String>,
    /// The refusal of ketenpost itself, while it lasts: which call, which status, what to do.
    pub problem: Option<String>,
    /// Calls refused with 401 or 403 since the start.
    pub refusals: u64,
}

/// One answer of a record system that its health depends on: answered as asked, or a
/// refusal of ketenpost itself. A worker gathers them and sends them with its result, so that
/// the owner's health shows what the workers met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The record system (its name in the configuration).
    pub record_system: String,
    /// The call.
    pub call: RecordSystemCall,
    /// The refusal's status (401 or 403); `None`: answered as asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<u16>,
}

impl Answer {
    /// The answer `outcome` of `call` is, if the health depends on it (other failures leave
    /// it as it is).
    pub fn of<T>(
        record_system: &str,
        call: RecordSystemCall,
        outcome: &Result<T, RecordSystemError>,
    ) -> Option<Self> {
        let refused = match outcome {
            Ok(_) => None,
            Err(RecordSystemError::Status { status, .. }) if matches!(status, 401 | 403) => {
                Some(*status)
            }
            Err(_) => return None,
        };
        Some(Self {
            record_system: record_system.to_owned(),
            call,
            refused,
        })
    }
}

/// Where a record system's answers are noted: the daemon's health, or a worker's result.
pub trait NotesAnswers: Sync {
    /// Notes one answer.
    fn answered(&self, answer: Answer);
}

impl NotesAnswers for Shared {
    /// A refusal (401, 403) becomes the record system's problem and is counted; any success
    /// clears the problem.
    fn answered(&self, answer: Answer) {
        RecordSystemAnswered {
            record_system: &answer.record_system,
            call: answer.call,
            refused: answer.refused,
        }
        .report(&self.metrics);
        let Ok(mut all) = self.record_systems_health.lock() else {
            return;
        };
        let health = all.entry(answer.record_system).or_default();
        match answer.refused {
            Some(status) => {
                health.refusals += 1;
                health.problem = Some(format!(
                    "Ons refused ketenpost (HTTP {status}) on the {}: check the client \
                     certificate and the employee's rights, then resend the technical errors",
                    answer.call
                ));
            }
            None => {
                health.last_success = Some(crate::store::rfc3339(now_ms()));
                health.problem = None;
            }
        }
    }
}

/// The answers a worker met while it worked on one item, to be sent with its results.
#[derive(Debug, Default)]
pub struct Gathered(Mutex<Vec<Answer>>);

impl Gathered {
    /// The answers gathered since the last call.
    pub fn take(&self) -> Vec<Answer> {
        self.0
            .lock()
            .map(|mut answers| std::mem::take(&mut *answers))
            .unwrap_or_default()
    }
}

impl NotesAnswers for Gathered {
    fn answered(&self, answer: Answer) {
        if let Ok(mut answers) = self.0.lock() {
            answers.push(answer);
        }
    }
}

impl Shared {
    /// A copy of every record system's health.
    pub fn record_system_health(&self) -> std::collections::BTreeMap<String, RecordSystemHealth> {
        self.record_systems_health
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }
}

//! How each record system is doing, as the API and the metrics show it: above all whether it
//! refuses ketenpost itself (HTTP 401 or 403, e.g. a client certificate it no longer accepts),
//! which no message can fix and every message would run into.

use ketenpost_domain::category::RecordSystemCall;
use ketenpost_domain::ports::RecordSystemError;
use serde::Serialize;

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

impl Shared {
    /// Notes the outcome of `call` to `record_system`: a refusal (401, 403) becomes its
    /// problem and is counted; any success clears the problem. Other failures leave it as is.
    pub fn record_system_answered<T>(
        &self,
        record_system: &str,
        call: RecordSystemCall,
        outcome: &Result<T, RecordSystemError>,
    ) {
        let refused = match outcome {
            Ok(_) => None,
            Err(RecordSystemError::Status { status, .. }) if matches!(status, 401 | 403) => {
                Some(*status)
            }
            Err(_) => return,
        };
        RecordSystemAnswered {
            record_system,
            call,
            refused,
        }
        .report(&self.metrics);
        let Ok(mut all) = self.record_systems_health.lock() else {
            return;
        };
        let health = all.entry(record_system.to_owned()).or_default();
        match refused {
            Some(status) => {
                health.refusals += 1;
                health.problem = Some(format!(
                    "Ons refused ketenpost (HTTP {status}) on the {call}: check the client \
                     certificate and the employee's rights, then resend the technical errors"
                ));
            }
            None => {
                health.last_success = Some(crate::store::rfc3339(now_ms()));
                health.problem = None;
            }
        }
    }

    /// A copy of every record system's health.
    pub fn record_system_health(&self) -> std::collections::BTreeMap<String, RecordSystemHealth> {
        self.record_systems_health
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }
}

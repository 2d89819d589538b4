//! What the record system answered: a refusal of ketenpost itself (HTTP 401, 403) is logged
//! and counted; any other answer clears the `record_system_refused` gauge.

use ketenpost_domain::category::RecordSystemCall;

use super::metrics::Metrics;

/// A call to `record_system` was answered; `refused` holds the status when it refused
/// ketenpost itself.
#[derive(Debug)]
pub struct RecordSystemAnswered<'a> {
    /// The record system's configured name.
    pub record_system: &'a str,
    /// The call.
    pub call: RecordSystemCall,
    /// The status of a refusal (401, 403), or `None`.
    pub refused: Option<u16>,
}

impl RecordSystemAnswered<'_> {
    /// A refusal: logs (error), counts `record_system_refusals{record_system, call}` and sets
    /// `record_system_refused` to 1. Otherwise sets it to 0.
    pub fn report(&self, metrics: &Metrics) {
        if let Some(status) = self.refused {
            tracing::error!(
                record_system = self.record_system,
                call = self.call.as_str(),
                status,
                "the record system refuses ketenpost: check the client certificate and the \
                 employee's rights; messages wait as technical errors for a resend"
            );
        }
        metrics.record_system_refused(self.record_system, self.call, self.refused.is_some());
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::observe;
    use super::*;

    #[test]
    fn a_refusal_is_logged_and_counted_and_an_answer_clears_the_gauge() {
        let (lines, metrics) = observe(|metrics| {
            RecordSystemAnswered {
                record_system: "ons",
                call: RecordSystemCall::Upload,
                refused: Some(403),
            }
            .report(metrics);
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["level"], "ERROR");
        assert_eq!(lines[0]["call"], "upload");
        assert_eq!(lines[0]["status"], 403);
        assert!(metrics.contains(
            "ketenpost_record_system_refusals_total{record_system=\"ons\",call=\"upload\"} 1"
        ));
        assert!(metrics.contains("ketenpost_record_system_refused{record_system=\"ons\"} 1"));

        let (lines, metrics) = observe(|metrics| {
            RecordSystemAnswered {
                record_system: "ons",
                call: RecordSystemCall::Lookup,
                refused: None,
            }
            .report(metrics);
        });
        assert!(lines.is_empty());
        assert!(metrics.contains("ketenpost_record_system_refused{record_system=\"ons\"} 0"));
    }
}

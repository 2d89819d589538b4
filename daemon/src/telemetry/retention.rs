//! The retention sweep's occurrences: a sweep that ended messages' retention, deleted
//! payloads, forgot histories or made access-log or note periods unreadable (logged with its counts,
//! counted), and a sweep that failed (logged, counted). `retention_last_sweep_seconds` says
//! when a sweep last finished well, so an operator can alert on a sweep that stopped working
//! long before the disk fills or a privacy officer asks. Log lines carry counts only.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use ketenpost_adapters::event_log::SweepReport;

use super::metrics::Metrics;

/// The sweep's metrics.
pub(super) struct RetentionMetrics {
    expired: Counter,
    payloads_deleted: Counter,
    histories_forgotten: Counter,
    access_periods_forgotten: Counter,
    note_periods_forgotten: Counter,
    failed: Counter,
    last_sweep: Gauge,
}

impl RetentionMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let this = Self {
            expired: Counter::default(),
            payloads_deleted: Counter::default(),
            histories_forgotten: Counter::default(),
            access_periods_forgotten: Counter::default(),
            note_periods_forgotten: Counter::default(),
            failed: Counter::default(),
            last_sweep: Gauge::default(),
        };
        for (name, help, counter) in [
            (
                "retention_messages_expired",
                "Messages whose retention period ended: their personal data made unreadable",
                &this.expired,
            ),
            (
                "retention_payloads_deleted",
                "Payloads deleted once every message read from them was past its period",
                &this.payloads_deleted,
            ),
            (
                "retention_histories_forgotten",
                "Messages whose events were forgotten once keep_history was over",
                &this.histories_forgotten,
            ),
            (
                "retention_access_periods_forgotten",
                "Access-log periods past keep_access_log whose client data was made unreadable",
                &this.access_periods_forgotten,
            ),
            (
                "retention_note_periods_forgotten",
                "Note periods past keep_notes whose notes' text was made unreadable",
                &this.note_periods_forgotten,
            ),
            (
                "retention_sweeps_failed",
                "Retention sweeps that failed (tried again at the next sweep)",
                &this.failed,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "retention_last_sweep_seconds",
            "When a retention sweep last finished without error (seconds since 1970-01-01 UTC; \
             0 until the first)",
            this.last_sweep.clone(),
        );
        this
    }
}

/// A sweep finished without error.
#[derive(Debug)]
pub struct RetentionSwept<'a> {
    /// What it did.
    pub report: &'a SweepReport,
    /// When it finished, in seconds since 1970-01-01 UTC.
    pub at_seconds: i64,
}

impl RetentionSwept<'_> {
    /// Logs (info) what it ended, when it ended anything; counts each kind; sets
    /// `retention_last_sweep_seconds`.
    pub fn report(&self, metrics: &Metrics) {
        let report = self.report;
        if report.expired > 0 || report.payloads_deleted > 0 {
            tracing::info!(
                messages = report.expired,
                payloads = report.payloads_deleted,
                "retention: personal data of messages past their retention period removed"
            );
        }
        if report.forgotten.messages > 0 {
            tracing::info!(
                messages = report.forgotten.messages,
                receipts = report.forgotten.receipts,
                "retention: history of messages past keep_history forgotten"
            );
        }
        if report.access_periods_forgotten > 0 {
            tracing::info!(
                periods = report.access_periods_forgotten,
                "retention: client data of access log entries past keep_access_log made unreadable"
            );
        }
        if report.note_periods_forgotten > 0 {
            tracing::info!(
                periods = report.note_periods_forgotten,
                "retention: text of notes past keep_notes made unreadable"
            );
        }
        let counted = &metrics.retention;
        counted.expired.inc_by(report.expired);
        counted.payloads_deleted.inc_by(report.payloads_deleted);
        counted
            .histories_forgotten
            .inc_by(report.forgotten.messages);
        counted
            .access_periods_forgotten
            .inc_by(report.access_periods_forgotten);
        counted
            .note_periods_forgotten
            .inc_by(report.note_periods_forgotten);
        counted.last_sweep.set(self.at_seconds);
    }
}

/// A sweep failed; what it did before the failure stays done, the rest waits for the next.
#[derive(Debug)]
pub struct RetentionSweepFailed<'a> {
    /// Why (a storage failure or a damaged entry, with where).
    pub error: &'a str,
}

impl RetentionSweepFailed<'_> {
    /// Logs (error) and counts `retention_sweeps_failed`.
    pub fn report(&self, metrics: &Metrics) {
        tracing::error!(
            error = self.error,
            "retention: the sweep failed; it is tried again at the next sweep"
        );
        metrics.retention.failed.inc();
    }
}

#[cfg(test)]
mod tests {
    use ketenpost_adapters::event_log::{Forgotten, SweepReport};

    use super::super::testing::observe;
    use super::*;

    #[test]
    fn a_sweep_that_ended_messages_logs_their_counts_and_counts_each_kind() {
        let report = SweepReport {
            expired: 3,
            payloads_deleted: 2,
            forgotten: Forgotten {
                messages: 5,
                receipts: 4,
            },
            access_periods_forgotten: 1,
            note_periods_forgotten: 2,
            ..SweepReport::default()
        };
        let (lines, metrics) = observe(|metrics| {
            RetentionSwept {
                report: &report,
                at_seconds: 1_796_000_000,
            }
            .report(metrics);
        });
        let messages: Vec<&str> = lines
            .iter()
            .map(|l| l["message"].as_str().unwrap())
            .collect();
        assert_eq!(
            messages,
            [
                "retention: personal data of messages past their retention period removed",
                "retention: history of messages past keep_history forgotten",
                "retention: client data of access log entries past keep_access_log made unreadable",
                "retention: text of notes past keep_notes made unreadable",
            ]
        );
        assert_eq!(lines[0]["messages"], 3);
        assert_eq!(lines[0]["payloads"], 2);
        assert_eq!(lines[1]["receipts"], 4);
        assert_eq!(lines[3]["periods"], 2);
        for expected in [
            "ketenpost_retention_messages_expired_total 3",
            "ketenpost_retention_payloads_deleted_total 2",
            "ketenpost_retention_histories_forgotten_total 5",
            "ketenpost_retention_access_periods_forgotten_total 1",
            "ketenpost_retention_note_periods_forgotten_total 2",
            "ketenpost_retention_sweeps_failed_total 0",
            "ketenpost_retention_last_sweep_seconds 1796000000",
        ] {
            assert!(metrics.contains(expected), "{expected} in {metrics}");
        }
    }

    #[test]
    fn a_sweep_with_nothing_due_logs_nothing_but_says_when_it_ran() {
        let (lines, metrics) = observe(|metrics| {
            RetentionSwept {
                report: &SweepReport::default(),
                at_seconds: 1_796_000_060,
            }
            .report(metrics);
        });
        assert!(lines.is_empty(), "{lines:?}");
        assert!(metrics.contains("ketenpost_retention_last_sweep_seconds 1796000060"));
        assert!(metrics.contains("ketenpost_retention_messages_expired_total 0"));
    }

    #[test]
    fn a_failed_sweep_is_logged_as_an_error_and_counted_and_leaves_the_last_good_one() {
        let (lines, metrics) = observe(|metrics| {
            RetentionSwept {
                report: &SweepReport::default(),
                at_seconds: 1_796_000_000,
            }
            .report(metrics);
            RetentionSweepFailed {
                error: "the store failed",
            }
            .report(metrics);
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["level"], "ERROR");
        assert_eq!(lines[0]["error"], "the store failed");
        assert!(metrics.contains("ketenpost_retention_sweeps_failed_total 1"));
        assert!(metrics.contains("ketenpost_retention_last_sweep_seconds 1796000000"));
    }
}

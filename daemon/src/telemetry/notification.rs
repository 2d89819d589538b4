//! The notifier's occurrences: a notice mailed, a notice that could not be mailed (logged,
//! counted), and the gauges of what waits to be mailed. Log lines name the notice by its id
//! and kind only: never a recipient's address.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::metrics::Metrics;

/// The notifier's metrics.
pub(super) struct NotificationMetrics {
    sent: Counter,
    failed: Counter,
    pending: Gauge,
    failing: Gauge,
}

impl NotificationMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let this = Self {
            sent: Counter::default(),
            failed: Counter::default(),
            pending: Gauge::default(),
            failing: Gauge::default(),
        };
        registry.register(
            "notifications_sent",
            "E-mail notices handed to the SMTP server",
            this.sent.clone(),
        );
        registry.register(
            "notification_failures",
            "Attempts to mail a notice that failed (tried again later)",
            this.failed.clone(),
        );
        registry.register(
            "notifications_pending",
            "Decided e-mail notices not sent yet",
            this.pending.clone(),
        );
        registry.register(
            "notifications_failing",
            "1 while the last attempt to mail a notice failed (the SMTP server is unreachable \
             or refuses)",
            this.failing.clone(),
        );
        this
    }
}

/// A notice was mailed.
#[derive(Debug)]
pub struct NotificationMailed<'a> {
    /// The id of its `NotificationDecided` event.
    pub id: &'a str,
    /// What it is about (`waiting`, `problem_started`, `problem_ended`).
    pub kind: &'static str,
    /// To how many addresses.
    pub recipients: u32,
}

impl NotificationMailed<'_> {
    /// Logs (info) and counts `notifications_sent`.
    pub fn report(&self, metrics: &Metrics) {
        if self.recipients == 0 {
            tracing::warn!(
                notification = self.id,
                kind = self.kind,
                "a notice had nobody to go to: configure the contact or a servicedesk user"
            );
        } else {
            tracing::info!(
                notification = self.id,
                kind = self.kind,
                recipients = self.recipients,
                "notice mailed"
            );
        }
        metrics.notifications.sent.inc();
        metrics.notifications.failing.set(0);
    }
}

/// Mailing a notice failed; it is tried again at a later time.
#[derive(Debug)]
pub struct NotificationNotMailed<'a> {
    /// The id of its `NotificationDecided` event.
    pub id: &'a str,
    /// The attempt, from 1.
    pub attempt: u32,
    /// Why (no address).
    pub error: &'a str,
}

impl NotificationNotMailed<'_> {
    /// Logs (warn) and counts `notification_failures`; sets `notifications_failing` to 1.
    pub fn report(&self, metrics: &Metrics) {
        tracing::warn!(
            notification = self.id,
            attempt = self.attempt,
            error = self.error,
            "a notice could not be mailed; it is tried again later"
        );
        metrics.notifications.failed.inc();
        metrics.notifications.failing.set(1);
    }
}

impl Metrics {
    /// Sets how many decided notices are not sent yet.
    pub fn notifications_pending(&self, pending: usize) {
        self.notifications
            .pending
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::observe;
    use super::*;

    #[test]
    fn a_failed_notice_is_logged_without_an_address_and_counted() {
        let (lines, metrics) = observe(|metrics| {
            NotificationNotMailed {
                id: "n-1",
                attempt: 2,
                error: "connection refused",
            }
            .report(metrics);
            metrics.notifications_pending(1);
        });
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["attempt"], 2);
        assert!(metrics.contains("ketenpost_notification_failures_total 1"));
        assert!(metrics.contains("ketenpost_notifications_failing 1"));
        assert!(metrics.contains("ketenpost_notifications_pending 1"));
    }
}

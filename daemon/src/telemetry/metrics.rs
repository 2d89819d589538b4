//! The Prometheus metrics: messages per category, mailbox errors, delivery latency (from
//! receipt to placement) and event-log append latency, and a counter per operational
//! occurrence (see the occurrence types of [`super`], which count them). Names that exist are
//! never renamed: operators scrape them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use ketenpost_domain::projections::State;

use super::counters::Occurrences;
use crate::config::Settings;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    category: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabel {
    record_system: String,
    call: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RecordSystemLabel {
    record_system: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct MailboxLabel {
    pub(super) mailbox: String,
}

/// The daemon's metrics.
pub struct Metrics {
    registry: Registry,
    messages: Family<StateLabel, Gauge>,
    mailbox_errors: Family<MailboxLabel, Counter>,
    delivery_latency: Histogram,
    append_latency: Histogram,
    refusals: Family<CallLabel, Counter>,
    refused: Family<RecordSystemLabel, Gauge>,
    pub(super) occurrences: Occurrences,
    pub(super) notifications: super::notification::NotificationMetrics,
}

impl Metrics {
    /// Registers every metric; each configured mailbox starts at 0 errors.
    pub fn new(settings: &Settings) -> Self {
        let record_systems: Vec<&str> =
            settings.record_systems.keys().map(String::as_str).collect();
        let mailboxes: Vec<&str> = settings.mailboxes.iter().map(|m| m.name.as_str()).collect();
        Self::registered(&record_systems, &mailboxes)
    }

    /// Registers every metric, with these record systems and mailboxes at 0.
    pub(super) fn registered(record_systems: &[&str], mailboxes: &[&str]) -> Self {
        let mut registry = Registry::with_prefix("ketenpost");
        let messages = Family::<StateLabel, Gauge>::default();
        let mailbox_errors = Family::<MailboxLabel, Counter>::default();
        let delivery_latency = Histogram::new(exponential_buckets(0.001, 2.0, 20));
        let append_latency = Histogram::new(exponential_buckets(0.000_1, 2.0, 18));
        registry.register(
            "messages",
            "Messages per category (and in flight, awaiting delivery)",
            messages.clone(),
        );
        registry.register(
            "mailbox_errors",
            "Mailbox polls that failed",
            mailbox_errors.clone(),
        );
        registry.register(
            "delivery_latency_seconds",
            "From the payload's receipt to the document's placement",
            delivery_latency.clone(),
        );
        registry.register(
            "log_append_seconds",
            "Durable event-log appends, from call to return",
            append_latency.clone(),
        );
        let refusals = Family::<CallLabel, Counter>::default();
        let refused = Family::<RecordSystemLabel, Gauge>::default();
        registry.register(
            "record_system_refusals",
            "Calls the record system refused with HTTP 401 or 403 (ketenpost itself not accepted)",
            refusals.clone(),
        );
        registry.register(
            "record_system_refused",
            "1 while the record system's last answer refused ketenpost itself (401, 403)",
            refused.clone(),
        );
        for name in record_systems {
            refused
                .get_or_create(&RecordSystemLabel {
                    record_system: (*name).to_owned(),
                })
                .set(0);
        }
        for mailbox in mailboxes {
            mailbox_errors
                .get_or_create(&MailboxLabel {
                    mailbox: (*mailbox).to_owned(),
                })
                .get();
        }
        let occurrences = Occurrences::register(&mut registry);
        let notifications = super::notification::NotificationMetrics::register(&mut registry);
        Self {
            notifications,
            occurrences,
            registry,
            messages,
            mailbox_errors,
            delivery_latency,
            append_latency,
            refusals,
            refused,
        }
    }

    /// Notes whether a call to `record_system` was refused (401, 403) or answered.
    pub(super) fn record_system_refused(
        &self,
        record_system: &str,
        call: ketenpost_domain::category::RecordSystemCall,
        refused: bool,
    ) {
        if refused {
            self.refusals
                .get_or_create(&CallLabel {
                    record_system: record_system.to_owned(),
                    call: call.as_str().to_owned(),
                })
                .inc();
        }
        self.refused
            .get_or_create(&RecordSystemLabel {
                record_system: record_system.to_owned(),
            })
            .set(i64::from(refused));
    }

    /// Counts a failed poll.
    pub fn mailbox_error(&self, mailbox: &str) {
        self.mailbox_errors
            .get_or_create(&MailboxLabel {
                mailbox: mailbox.to_owned(),
            })
            .inc();
    }

    /// Records a placement's latency.
    pub(super) fn delivered(&self, seconds: f64) {
        self.delivery_latency.observe(seconds);
    }

    /// Records an append's latency.
    pub(super) fn appended(&self, seconds: f64) {
        self.append_latency.observe(seconds);
    }

    /// The text exposition, with the counts per state as they are now.
    pub fn render(&self, counts: &[(State, i64)]) -> String {
        for (state, count) in counts {
            self.messages
                .get_or_create(&StateLabel {
                    category: state.as_str().to_owned(),
                })
                .set(*count);
        }
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

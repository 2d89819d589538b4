//! The Prometheus metrics: messages per category, mailbox errors, delivery latency (from
//! receipt to placement) and event-log append latency.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use ketenpost_domain::projections::State;

use crate::config::Settings;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    category: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MailboxLabel {
    mailbox: String,
}

/// The daemon's metrics.
pub struct Metrics {
    registry: Registry,
    messages: Family<StateLabel, Gauge>,
    mailbox_errors: Family<MailboxLabel, Counter>,
    delivery_latency: Histogram,
    append_latency: Histogram,
}

impl Metrics {
    /// Registers every metric; each configured mailbox starts at 0 errors.
    pub fn new(settings: &Settings) -> Self {
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
        for mailbox in &settings.mailboxes {
            mailbox_errors
                .get_or_create(&MailboxLabel {
                    mailbox: mailbox.name.clone(),
                })
                .get();
        }
        Self {
            registry,
            messages,
            mailbox_errors,
            delivery_latency,
            append_latency,
        }
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
    pub fn delivered(&self, seconds: f64) {
        self.delivery_latency.observe(seconds);
    }

    /// Records an append's latency.
    pub fn appended(&self, seconds: f64) {
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

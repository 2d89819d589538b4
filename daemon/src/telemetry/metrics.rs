//! The Prometheus metrics: messages per category, mailbox errors, delivery latency (from
//! receipt to placement) and event-log append latency, the store's memory and pending work,
//! the retention sweep's work (`retention.rs`), and a counter per operational occurrence (see
//! the occurrence types of [`super`], which count them). Names that exist are never renamed:
//! operators scrape them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use ketenpost_domain::projections::State;

use ketenpost_adapters::event_log::StoreFigures;

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
    store: StoreGauges,
    pub(super) occurrences: Occurrences,
    pub(super) notifications: super::notification::NotificationMetrics,
    pub(super) retention: super::retention::RetentionMetrics,
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
        let store = StoreGauges::register(&mut registry);
        let occurrences = Occurrences::register(&mut registry);
        let notifications = super::notification::NotificationMetrics::register(&mut registry);
        let retention = super::retention::RetentionMetrics::register(&mut registry);
        Self {
            notifications,
            retention,
            occurrences,
            registry,
            messages,
            mailbox_errors,
            delivery_latency,
            append_latency,
            refusals,
            refused,
            store,
        }
    }

    /// Takes the store's figures as they are now, for the next rendering.
    pub fn store_figures(&self, figures: &StoreFigures) {
        self.store.set(figures);
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

/// The store's own figures as gauges: what it holds in memory (bounded by its settings) and
/// what it has yet to write, so an operator sees a store falling behind before the disk or the
/// memory says so.
struct StoreGauges {
    write_buffer_bytes: Gauge,
    cache_bytes: Gauge,
    journal_bytes: Gauge,
    disk_bytes: Gauge,
    flushes_pending: Gauge,
    compactions_running: Gauge,
}

impl StoreGauges {
    fn register(registry: &mut Registry) -> Self {
        let gauges = Self {
            write_buffer_bytes: Gauge::default(),
            cache_bytes: Gauge::default(),
            journal_bytes: Gauge::default(),
            disk_bytes: Gauge::default(),
            flushes_pending: Gauge::default(),
            compactions_running: Gauge::default(),
        };
        for (name, help, gauge) in [
            (
                "store_write_buffer_bytes",
                "Bytes in the store's write buffers",
                &gauges.write_buffer_bytes,
            ),
            (
                "store_cache_bytes",
                "Bytes of table blocks in the store's cache",
                &gauges.cache_bytes,
            ),
            (
                "store_journal_bytes",
                "Bytes of the store's journal files not yet recycled (each made 64 MiB long)",
                &gauges.journal_bytes,
            ),
            (
                "store_disk_bytes",
                "Bytes of all the store's files",
                &gauges.disk_bytes,
            ),
            (
                "store_flushes_pending",
                "Write buffers waiting to be written to tables",
                &gauges.flushes_pending,
            ),
            (
                "store_compactions_running",
                "Compactions of the store running now",
                &gauges.compactions_running,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        gauges
    }

    fn set(&self, figures: &StoreFigures) {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.write_buffer_bytes
            .set(clamp(figures.write_buffer_bytes));
        self.cache_bytes.set(clamp(figures.cache_bytes));
        self.journal_bytes.set(clamp(figures.journal_bytes));
        self.disk_bytes.set(clamp(figures.disk_bytes));
        self.flushes_pending
            .set(clamp(figures.flushes_pending as u64));
        self.compactions_running
            .set(clamp(figures.compactions_running as u64));
    }
}

//! The counters of the operational occurrences, one family each, with fixed `stage` and
//! `error_type` label values ([`super::labels`]). Only the occurrence types count them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use ketenpost_domain::category::Category;

use super::labels::{ErrorType, Stage};
use super::metrics::MailboxLabel;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MailboxErrorLabel {
    mailbox: String,
    error_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageErrorLabel {
    stage: &'static str,
    error_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabel {
    category: &'static str,
}

/// The counters of the operational occurrences.
pub(super) struct Occurrences {
    mailbox_problems: Family<MailboxErrorLabel, Counter>,
    received: Family<MailboxLabel, Counter>,
    attempts_failed: Family<StageErrorLabel, Counter>,
    retries: Family<StageLabel, Counter>,
    classified: Family<CategoryLabel, Counter>,
    placed: Counter,
    slow_appends: Family<StageLabel, Counter>,
}

impl Occurrences {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let this = Self {
            mailbox_problems: Family::default(),
            received: Family::default(),
            attempts_failed: Family::default(),
            retries: Family::default(),
            classified: Family::default(),
            placed: Counter::default(),
            slow_appends: Family::default(),
        };
        registry.register(
            "mailbox_problems",
            "Mailbox problems by error_type: mailbox (the poll stopped) or message (one stays)",
            this.mailbox_problems.clone(),
        );
        registry.register(
            "messages_received",
            "Payloads taken in from a mailbox and recorded",
            this.received.clone(),
        );
        registry.register(
            "delivery_attempts_failed",
            "Attempts at the record system that failed, by stage and error_type",
            this.attempts_failed.clone(),
        );
        registry.register(
            "retries_scheduled",
            "Messages given a later try, by the stage that failed",
            this.retries.clone(),
        );
        registry.register(
            "messages_classified",
            "Messages that got a category",
            this.classified.clone(),
        );
        registry.register(
            "messages_placed",
            "Documents placed in the record system",
            this.placed.clone(),
        );
        registry.register(
            "log_appends_slow",
            "Event-log appends that took a second or more, by stage",
            this.slow_appends.clone(),
        );
        this
    }

    pub(super) fn mailbox_problem(&self, mailbox: &str, error_type: ErrorType) {
        self.mailbox_problems
            .get_or_create(&MailboxErrorLabel {
                mailbox: mailbox.to_owned(),
                error_type: error_type.as_str(),
            })
            .inc();
    }

    pub(super) fn received(&self, mailbox: &str, count: u64) {
        self.received
            .get_or_create(&MailboxLabel {
                mailbox: mailbox.to_owned(),
            })
            .inc_by(count);
    }

    pub(super) fn attempt_failed(&self, stage: Stage, error_type: ErrorType) {
        self.attempts_failed
            .get_or_create(&StageErrorLabel {
                stage: stage.as_str(),
                error_type: error_type.as_str(),
            })
            .inc();
    }

    pub(super) fn retry(&self, stage: Stage) {
        self.retries
            .get_or_create(&StageLabel {
                stage: stage.as_str(),
            })
            .inc();
    }

    pub(super) fn classified(&self, category: Category) {
        self.classified
            .get_or_create(&CategoryLabel {
                category: category.as_str(),
            })
            .inc();
    }

    pub(super) fn placed(&self) {
        self.placed.inc();
    }

    pub(super) fn slow_append(&self, stage: Stage) {
        self.slow_appends
            .get_or_create(&StageLabel {
                stage: stage.as_str(),
            })
            .inc();
    }
}

//! What happens at a mailbox: a problem of the mailbox, messages it cannot take in, and
//! messages taken in. Each occurrence writes its log line and counts its metric.

use super::labels::ErrorType;
use super::metrics::Metrics;

/// A poll of `mailbox` stopped on a problem of the mailbox as a whole; retried on the next.
#[derive(Debug)]
pub struct MailboxProblem<'a> {
    /// The mailbox's name.
    pub mailbox: &'a str,
    /// What went wrong, in fixed words (never a message's content).
    pub problem: &'a str,
}

impl MailboxProblem<'_> {
    /// Logs (warn) and counts `mailbox_problems{error_type="mailbox"}`.
    pub fn report(&self, metrics: &Metrics) {
        let error_type = ErrorType::Mailbox;
        tracing::warn!(
            mailbox = %self.mailbox,
            error_type = error_type.as_str(),
            problem = %self.problem,
            "mailbox problem; retried on the next poll"
        );
        metrics
            .occurrences
            .mailbox_problem(self.mailbox, error_type);
    }
}

/// A poll of `mailbox` found messages it cannot take in; they stay in the mailbox.
#[derive(Debug)]
pub struct MessagesNotTaken<'a> {
    /// The mailbox's name.
    pub mailbox: &'a str,
    /// How many.
    pub messages: usize,
    /// The first one's problem (it names the message by id or inode, never by content).
    pub first: &'a str,
}

impl MessagesNotTaken<'_> {
    /// Logs (warn) and counts `mailbox_problems{error_type="message"}`.
    pub fn report(&self, metrics: &Metrics) {
        let error_type = ErrorType::Message;
        tracing::warn!(
            mailbox = %self.mailbox,
            error_type = error_type.as_str(),
            messages = self.messages,
            first = %self.first,
            "messages that cannot be taken in stay in the mailbox"
        );
        metrics
            .occurrences
            .mailbox_problem(self.mailbox, error_type);
    }
}

/// Payloads from `mailbox` recorded durably.
#[derive(Debug)]
pub struct MessagesReceived<'a> {
    /// The mailbox's name.
    pub mailbox: &'a str,
    /// How many payloads.
    pub count: u64,
}

impl MessagesReceived<'_> {
    /// Logs (debug) and counts `messages_received`.
    pub fn report(&self, metrics: &Metrics) {
        tracing::debug!(mailbox = %self.mailbox, count = self.count, "messages received");
        metrics.occurrences.received(self.mailbox, self.count);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::observe;
    use super::*;

    #[test]
    fn a_mailbox_problem_is_logged_and_counted_with_its_error_type() {
        let (lines, metrics) = observe(|metrics| {
            MailboxProblem {
                mailbox: "lab",
                problem: "the ListRequest call was cut off",
            }
            .report(metrics);
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0]["message"],
            "mailbox problem; retried on the next poll"
        );
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["mailbox"], "lab");
        assert_eq!(lines[0]["error_type"], "mailbox");
        assert!(metrics.contains(
            "ketenpost_mailbox_problems_total{mailbox=\"lab\",error_type=\"mailbox\"} 1"
        ));
    }

    #[test]
    fn messages_not_taken_are_logged_and_counted_as_message_problems() {
        let (lines, metrics) = observe(|metrics| {
            MessagesNotTaken {
                mailbox: "drop",
                messages: 2,
                first: "the file with inode 12 is too large",
            }
            .report(metrics);
        });
        assert_eq!(
            lines[0]["message"],
            "messages that cannot be taken in stay in the mailbox"
        );
        assert_eq!(lines[0]["messages"], 2);
        assert!(metrics.contains(
            "ketenpost_mailbox_problems_total{mailbox=\"drop\",error_type=\"message\"} 1"
        ));
    }

    #[test]
    fn messages_received_are_counted_per_mailbox() {
        let (lines, metrics) = observe(|metrics| {
            MessagesReceived {
                mailbox: "lab",
                count: 3,
            }
            .report(metrics);
        });
        assert_eq!(lines[0]["message"], "messages received");
        assert!(metrics.contains("ketenpost_messages_received_total{mailbox=\"lab\"} 3"));
    }
}

//! A durable append to the event log: its latency is observed, and one that took a second or
//! more is logged and counted as slow (the disk or the log's writer is struggling).

use std::time::Duration;

use super::labels::Stage;
use super::metrics::Metrics;

/// From this long on an append is slow.
pub const SLOW_APPEND: Duration = Duration::from_secs(1);

/// An append to the event log finished (well or not).
#[derive(Debug)]
pub struct LogAppended {
    /// What was appended: what a poll took in, or a message's next step.
    pub stage: Stage,
    /// From call to return.
    pub took: Duration,
}

impl LogAppended {
    /// Observes `log_append_seconds`; when slow, logs (warn) and counts
    /// `log_appends_slow{stage}`.
    pub fn report(&self, metrics: &Metrics) {
        metrics.appended(self.took.as_secs_f64());
        if self.took >= SLOW_APPEND {
            tracing::warn!(
                stage = self.stage.as_str(),
                took_ms = u64::try_from(self.took.as_millis()).unwrap_or(u64::MAX),
                "event log append slow"
            );
            metrics.occurrences.slow_append(self.stage);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::observe;
    use super::*;

    #[test]
    fn only_a_slow_append_is_logged_and_counted_as_slow_but_every_one_is_observed() {
        let (lines, metrics) = observe(|metrics| {
            LogAppended {
                stage: Stage::Append,
                took: Duration::from_millis(3),
            }
            .report(metrics);
            LogAppended {
                stage: Stage::TakeIn,
                took: Duration::from_millis(1500),
            }
            .report(metrics);
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["message"], "event log append slow");
        assert_eq!(lines[0]["stage"], "take_in");
        assert_eq!(lines[0]["took_ms"], 1500);
        assert!(metrics.contains("ketenpost_log_appends_slow_total{stage=\"take_in\"} 1"));
        assert!(!metrics.contains("ketenpost_log_appends_slow_total{stage=\"append\"}"));
        assert!(metrics.contains("ketenpost_log_append_seconds_count 2"));
    }
}

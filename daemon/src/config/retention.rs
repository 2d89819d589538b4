//! `[retention]`: how long personal data is kept. Any duration `humantime` reads ("30d",
//! "180d", "5y", "90s").

use std::time::Duration;

use serde::Deserialize;

use super::schema::{optional, Key, Kind};

// Defaults of `[retention]` (to join the other defaults in one place).
/// `keep_processed` when not given.
pub const DEFAULT_KEEP_PROCESSED: &str = "30d";
/// `keep_other` when not given.
pub const DEFAULT_KEEP_OTHER: &str = "180d";
/// `keep_access_log` when not given (NEN 7513: at least five years).
pub const DEFAULT_KEEP_ACCESS_LOG: &str = "5y";
/// `keep_notes` when not given: a note about work on a message lasts as long as a message
/// that waits for someone to act on it.
pub const DEFAULT_KEEP_NOTES: &str = "180d";
/// `keep_history` when not given: a message's events are kept as long as the access log
/// that says who looked at it.
pub const DEFAULT_KEEP_HISTORY: &str = "5y";

/// The keys of `[retention]`.
pub const KEYS: &[Key] = &[
    optional("keep_processed", Kind::Text),
    optional("keep_other", Kind::Text),
    optional("keep_access_log", Kind::Text),
    optional("keep_notes", Kind::Text),
    optional("keep_history", Kind::Text),
];

/// `[retention]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionFile {
    /// After a message is processed.
    pub keep_processed: Option<String>,
    /// After a message is decided otherwise.
    pub keep_other: Option<String>,
    /// The access log (who looked at what).
    pub keep_access_log: Option<String>,
    /// The text of the portal's notes.
    pub keep_notes: Option<String>,
    /// A message's events, after its retention ended.
    pub keep_history: Option<String>,
}

/// How long personal data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// A message's payload, documents and personal data, after it is processed.
    pub keep_processed: Duration,
    /// The same after it is decided otherwise (so people can still act on it).
    pub keep_other: Duration,
    /// The access log.
    pub keep_access_log: Duration,
    /// The text of the portal's notes (Notities), after each was written.
    pub keep_notes: Duration,
    /// A message's events (its history), after its retention ended: then it is forgotten.
    pub keep_history: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        validate(None, &mut Vec::new())
    }
}

impl RetentionSettings {
    /// The rules for the event log's sweep.
    pub fn rules(&self) -> ketenpost_adapters::event_log::Retention {
        ketenpost_adapters::event_log::Retention {
            keep_processed: self.keep_processed,
            keep_other: self.keep_other,
            keep_access_log: self.keep_access_log,
            keep_notes: self.keep_notes,
            keep_history: self.keep_history,
        }
    }
}

/// Validates `[retention]` (absent: the defaults).
pub fn validate(file: Option<RetentionFile>, problems: &mut Vec<String>) -> RetentionSettings {
    let file = file.unwrap_or_default();
    let mut one = |name: &str, text: Option<String>, default: &str| {
        let text = text.unwrap_or_else(|| default.to_owned());
        match humantime::parse_duration(&text) {
            Ok(d) if !d.is_zero() => d,
            _ => {
                problems.push(format!(
                    "retention.{name} = {text:?}: use a duration like \"{default}\", \"12h\" or \"90s\""
                ));
                humantime::parse_duration(default).unwrap_or(Duration::MAX)
            }
        }
    };
    RetentionSettings {
        keep_processed: one(
            "keep_processed",
            file.keep_processed,
            DEFAULT_KEEP_PROCESSED,
        ),
        keep_other: one("keep_other", file.keep_other, DEFAULT_KEEP_OTHER),
        keep_access_log: one(
            "keep_access_log",
            file.keep_access_log,
            DEFAULT_KEEP_ACCESS_LOG,
        ),
        keep_notes: one("keep_notes", file.keep_notes, DEFAULT_KEEP_NOTES),
        keep_history: one("keep_history", file.keep_history, DEFAULT_KEEP_HISTORY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_bad_duration() {
        let settings = RetentionSettings::default();
        assert_eq!(settings.keep_processed, Duration::from_secs(30 * 86_400));
        assert_eq!(
            settings.keep_history,
            humantime::parse_duration("5y").unwrap()
        );
        let mut problems = Vec::new();
        let file = RetentionFile {
            keep_other: Some("soon".into()),
            ..RetentionFile::default()
        };
        validate(Some(file), &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("retention.keep_other = \"soon\""),
            "{problems:?}"
        );
    }
}

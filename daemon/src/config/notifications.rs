//! `[notifications]`: how often the medical secretariat gets a digest of the messages that
//! wait while some remain (the first notice of a category that fills goes out at once).

use std::time::Duration;

use serde::Deserialize;

use super::defaults;
use super::schema::{optional, Key, Kind};

/// The keys of `[notifications]`.
pub const KEYS: &[Key] = &[optional("digest_interval", Kind::Text)];

/// `[notifications]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsFile {
    /// At most one digest per this long, e.g. `1h`.
    pub digest_interval: Option<String>,
}

/// The notifier's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationSettings {
    /// At most one digest of waiting messages per this long.
    pub digest_interval: Duration,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            digest_interval: defaults::DIGEST_INTERVAL,
        }
    }
}

/// Validates `[notifications]` (absent: the defaults).
pub fn validate(
    file: Option<NotificationsFile>,
    problems: &mut Vec<String>,
) -> NotificationSettings {
    let Some(text) = file.and_then(|f| f.digest_interval) else {
        return NotificationSettings::default();
    };
    match humantime::parse_duration(&text) {
        Ok(d) if !d.is_zero() => NotificationSettings { digest_interval: d },
        _ => {
            problems.push(format!(
                "notifications.digest_interval = {text:?}: use a duration like \"1h\", \"30m\" or \"1d\""
            ));
            NotificationSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_interval_is_a_duration_and_an_hour_by_default() {
        let mut problems = Vec::new();
        assert_eq!(
            validate(None, &mut problems).digest_interval,
            Duration::from_secs(3600)
        );
        let file = |t: &str| {
            Some(NotificationsFile {
                digest_interval: Some(t.into()),
            })
        };
        assert_eq!(
            validate(file("30m"), &mut problems).digest_interval,
            Duration::from_secs(1800)
        );
        assert!(problems.is_empty());
        validate(file("soms"), &mut problems);
        assert!(
            problems[0].contains("notifications.digest_interval"),
            "{problems:?}"
        );
    }
}

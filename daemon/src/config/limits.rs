//! The limits that protect an HTTP server of the daemon (the API, later the portal) from
//! clients that never finish, hold connections open or open too many: `[api.limits]`.

use std::time::Duration;

use serde::Deserialize;

use super::defaults;

/// `[api.limits]` as written; every key may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpLimitsFile {
    /// How long a client may take to send a request's headers, e.g. `10s`; also how long an
    /// idle keep-alive connection is kept for the next request.
    pub header_timeout: Option<String>,
    /// How long reading a request's body and answering it may take, e.g. `30s`.
    pub request_timeout: Option<String>,
    /// How many connections are served at once; further ones wait in the listen backlog.
    pub max_connections: Option<usize>,
    /// How long open connections get to finish at shutdown before they are closed, e.g. `5s`.
    pub shutdown_grace: Option<String>,
}

/// The validated limits of one HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// A connection that has not sent a whole request head this long after it opened (or
    /// after its previous answer) is closed: slow or idle clients cannot hold it.
    pub header_timeout: Duration,
    /// Reading a request's body and answering it is given up after this long (408).
    pub request_timeout: Duration,
    /// At most this many connections are served at once, well below the file descriptor
    /// limit so that the mailboxes and the log always have descriptors left.
    pub max_connections: usize,
    /// At shutdown, connections still open this long after the signal are closed.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: defaults::API_HEADER_TIMEOUT,
            request_timeout: defaults::API_REQUEST_TIMEOUT,
            max_connections: defaults::API_MAX_CONNECTIONS,
            shutdown_grace: defaults::API_SHUTDOWN_GRACE,
        }
    }
}

/// The largest `max_connections` accepted: beyond it the limit no longer protects the
/// descriptors the rest of the daemon needs.
const MOST_CONNECTIONS: usize = 16_384;

/// Validates `[<prefix>.limits]`, adding each problem (naming its key) to `problems`.
pub fn validate(prefix: &str, file: HttpLimitsFile, problems: &mut Vec<String>) -> HttpLimits {
    let defaults = HttpLimits::default();
    let mut duration = |name: &str, text: Option<String>, default: Duration| match text {
        None => default,
        Some(text) => match humantime::parse_duration(&text) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                problems.push(format!("{prefix}.limits.{name} must be longer than 0"));
                default
            }
            Err(e) => {
                problems.push(format!(
                    "{prefix}.limits.{name} = {text:?} is not a duration like \"10s\": {e}"
                ));
                default
            }
        },
    };
    let header_timeout = duration(
        "header_timeout",
        file.header_timeout,
        defaults.header_timeout,
    );
    let request_timeout = duration(
        "request_timeout",
        file.request_timeout,
        defaults.request_timeout,
    );
    let shutdown_grace = duration(
        "shutdown_grace",
        file.shutdown_grace,
        defaults.shutdown_grace,
    );
    let max_connections = match file.max_connections {
        None => defaults.max_connections,
        Some(n) if (1..=MOST_CONNECTIONS).contains(&n) => n,
        Some(n) => {
            problems.push(format!(
                "{prefix}.limits.max_connections = {n}: use 1 to {MOST_CONNECTIONS}"
            ));
            defaults.max_connections
        }
    };
    HttpLimits {
        header_timeout,
        request_timeout,
        max_connections,
        shutdown_grace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_left_out_take_the_defaults() {
        let mut problems = Vec::new();
        let limits = validate("api", HttpLimitsFile::default(), &mut problems);
        assert!(problems.is_empty());
        assert_eq!(limits, HttpLimits::default());
    }

    #[test]
    fn each_bad_key_is_named() {
        let mut problems = Vec::new();
        let file = HttpLimitsFile {
            header_timeout: Some("soon".into()),
            request_timeout: Some("0s".into()),
            max_connections: Some(0),
            shutdown_grace: Some("2s".into()),
        };
        let limits = validate("api", file, &mut problems);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("api.limits.header_timeout"));
        assert!(problems[1].contains("api.limits.request_timeout"));
        assert!(problems[2].contains("api.limits.max_connections"));
        assert_eq!(limits.shutdown_grace, Duration::from_secs(2));
    }
}

//! The API's side of the access log (NEN 7513): which named token a request carries
//! (`[[api.tokens]]`, `[api] token` as the token named `api`), and an `AccessLogged` entry for
//! every `GET /api/v1/messages/{id}` and attachment download (`api_downloads.rs`) with the
//! token's name as the user and the message's client (its BSN sealed) as in the portal.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::{EventLog, PayloadStore, PeriodKeys};
use ketenpost_portal::access::{Access, AccessLog, Action, Entry};
use ketenpost_portal::detail;

use crate::config::Secret;

/// The name of the token a request was let in with (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(pub String);

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The name of the token `given` is, comparing with every token (no early exit).
pub fn token_name(tokens: &[(String, Secret)], given: &str) -> Option<String> {
    let mut found = None;
    for (name, token) in tokens {
        if same(given.trim().as_bytes(), token.expose().as_bytes()) && found.is_none() {
            found = Some(name.clone());
        }
    }
    found
}

/// The writer, sealing the BSN with the access log's period keys.
pub struct ApiAccess {
    writer: AccessLog,
}

impl ApiAccess {
    /// Sealing with `keys`.
    pub fn new(keys: Arc<dyn PeriodKeys>) -> Self {
        Self {
            writer: AccessLog::new(keys),
        }
    }

    /// Records a look at `message` by the token `name` from `peer` (blocking).
    pub fn record_view(
        &self,
        log: &DiskEventLog,
        name: &str,
        peer: Option<SocketAddr>,
        message: &StreamId,
        outcome: &str,
        now_ms: i64,
    ) {
        self.record(log, name, peer, Action::View, message, outcome, now_ms);
    }

    /// Records `action` on `message` by the token `name` from `peer` (blocking).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        log: &DiskEventLog,
        name: &str,
        peer: Option<SocketAddr>,
        action: Action,
        message: &StreamId,
        outcome: &str,
        now_ms: i64,
    ) {
        let bsn = bsn_of(log, message);
        let who = Access::api(name, peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip()));
        let entry = Entry {
            action,
            message: Some(message.as_str()),
            bsn: bsn.as_deref(),
            detail: None,
            outcome,
        };
        if let Err(error) = self.writer.record(log, now_ms, &who, entry) {
            tracing::error!(%error, "an access log entry could not be recorded");
        }
    }
}

/// The BSN of `message`, read from its sealed payload.
fn bsn_of(log: &DiskEventLog, message: &StreamId) -> Option<String> {
    let history = log.read_stream(message).ok()?;
    let parsed = history.iter().find_map(|e| match &e.event {
        ketenpost_domain::events::Event::MessageParsed(p) => Some(p.clone()),
        _ => None,
    })?;
    let bytes = log.payloads().get(&parsed.payload_digest).ok()??;
    detail::client_data(&bytes, &parsed).bsn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_known_by_its_name() {
        let tokens = vec![
            ("api".to_owned(), Secret::new("a".repeat(20))),
            ("monitoring".to_owned(), Secret::new("b".repeat(20))),
        ];
        assert_eq!(
            token_name(&tokens, &"b".repeat(20)).as_deref(),
            Some("monitoring")
        );
        assert_eq!(token_name(&tokens, &"a".repeat(20)).as_deref(), Some("api"));
        assert_eq!(token_name(&tokens, "c"), None);
    }
}

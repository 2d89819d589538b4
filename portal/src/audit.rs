//! The security log: every login (success and failure, with the factor), lockout, logout,
//! password or second-factor change, reset request and use is a `SecurityLogged` event in the
//! `security-<id>` stream of the address it concerns (the id of that address's user stream,
//! also when no such user exists, so attempts on unknown addresses are logged without
//! writing the address). Invitations and changes by an operator are the user stream's own
//! events; [`entries`] merges both. Nothing here holds a password, code or token.

use std::net::IpAddr;

use ketenpost_domain::events::{Event, NewEvent, SecurityLogged, StreamId};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};

use crate::identity;
use crate::users::UserError;

/// The security stream of the user stream `user`.
pub fn security_stream(user: &StreamId) -> StreamId {
    let id = user.as_str().strip_prefix("user-").unwrap_or(user.as_str());
    StreamId::parse(&format!("security-{id}")).unwrap_or_else(|| user.clone())
}

/// Records one entry; a log that cannot take it is reported in the daemon's log (the action
/// itself has happened or been refused already).
pub fn record(
    log: &(impl EventLog + ?Sized),
    user: &StreamId,
    action: &str,
    factor: Option<&str>,
    address: IpAddr,
    outcome: &str,
) {
    let append = StreamAppend {
        stream: security_stream(user),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent {
            id: ketenpost_domain::events::EventId(uuid::Uuid::now_v7().as_u128()),
            event: Event::SecurityLogged(SecurityLogged {
                action: action.to_owned(),
                factor: factor.map(str::to_owned),
                address: address.to_string(),
                outcome: outcome.to_owned(),
            }),
        }],
    };
    if let Err(error) = log.append(vec![append]) {
        tracing::error!(target: "portal", user = %user, action, %error, "a security log entry could not be recorded");
    }
}

/// One line of the security log: when (milliseconds since 1970-01-01 UTC) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at_ms: i64,
    /// What, in one line without personal data.
    pub what: String,
}

/// The security log of `email` from `from_ms` up to (not including) `to_ms`, oldest first:
/// its security stream and the user stream's own events.
///
/// # Errors
/// The log could not be read.
pub fn entries(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
    email: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<AuditEntry>, UserError> {
    let user = identity::user_stream(key, email);
    let mut all = log.read_stream(&user)?;
    all.extend(log.read_stream(&security_stream(&user))?);
    let mut lines: Vec<AuditEntry> = all
        .into_iter()
        .filter(|e| e.recorded_at_ms >= from_ms && e.recorded_at_ms < to_ms)
        .map(|e| AuditEntry {
            at_ms: e.recorded_at_ms,
            what: e.event.summary(),
        })
        .collect();
    lines.sort_by_key(|e| e.at_ms);
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::events::{EventId, StreamKind};

    #[test]
    fn the_security_stream_shares_the_user_streams_id() {
        let user = StreamId::new(StreamKind::User, EventId(5));
        let security = security_stream(&user);
        assert_eq!(security.kind(), Some(StreamKind::Security));
        assert_eq!(
            security.as_str().strip_prefix("security-"),
            user.as_str().strip_prefix("user-")
        );
    }
}

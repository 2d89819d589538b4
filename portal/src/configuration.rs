//! The review of configuration changes (four eyes): a change is proposed (who, when, from
//! which version, what), approved or rejected with a reason by a `servicedesk` user who is not
//! its author, and an approved version is activated at once. Every step is an event of the
//! `configuration` stream (see `ketenpost_domain::configuration`). The content of a version is
//! checked by the daemon's own rules for the start-up configuration ([`ConfigRules`]), so an
//! invalid version cannot be approved. Secrets are sealed with the data key before they are
//! recorded and never leave in plain text.

use ketenpost_adapters::sealed::{is_sealed, seal};
use ketenpost_domain::configuration::{History, Refusal, RoutingConfig, CONFIGURATION_STREAM};
use ketenpost_domain::events::{Event, EventId, NewEvent, StreamId};
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, StreamAppend};

/// What the daemon lends the portal: its rules for a configuration, and a way to be told a
/// version was activated (it applies it without a restart).
pub trait ConfigRules: Send + Sync {
    /// Every problem with `routing` by the start-up rules, each naming its key; empty when it
    /// can be used.
    fn problems(&self, routing: &RoutingConfig) -> Vec<String>;
    /// A version was just activated.
    fn activated(&self);
}

/// Why a step on the configuration did not happen; the text is shown on the page.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The review rules refuse it.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Nothing would change.
    #[error("het voorstel wijzigt niets")]
    NoChange,
    /// The log holds no version yet (the daemon records the file's at its start).
    #[error("er is nog geen configuratie vastgelegd")]
    NoVersion,
    /// Another step was recorded at the same moment.
    #[error("de configuratie werd tegelijk door iemand anders gewijzigd; probeer het opnieuw")]
    Moved,
    /// The log could not be read or written, or a secret could not be sealed.
    #[error("de configuratie kon niet worden gelezen of vastgelegd: {0}")]
    Log(String),
}

fn stream() -> Result<StreamId, DeskError> {
    StreamId::parse(CONFIGURATION_STREAM).ok_or_else(|| DeskError::Log("stream id".into()))
}

/// The configuration stream folded, with the stream's version.
///
/// # Errors
/// The log cannot be read.
pub fn history(log: &(impl EventLog + ?Sized)) -> Result<(History, Option<u64>), DeskError> {
    let events = log
        .read_stream(&stream()?)
        .map_err(|e| DeskError::Log(e.to_string()))?;
    let version = events.last().map(|e| e.version);
    Ok((History::fold(events.iter().map(|e| &e.event)), version))
}

fn append(
    log: &(impl EventLog + ?Sized),
    at: Option<u64>,
    events: Vec<Event>,
) -> Result<(), DeskError> {
    let append = StreamAppend {
        stream: stream()?,
        expected: at.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exactly),
        events: events
            .into_iter()
            .map(|event| NewEvent {
                id: EventId(uuid::Uuid::now_v7().as_u128()),
                event,
            })
            .collect(),
    };
    match log.append(vec![append]) {
        Ok(_) => Ok(()),
        Err(AppendError::WrongExpectedVersion { .. }) => Err(DeskError::Moved),
        Err(e) => Err(DeskError::Log(e.to_string())),
    }
}

/// Proposes `routing` (made from the version in force; a secret given in plain text is
/// sealed with `key`) by `author`: its version number.
///
/// # Errors
/// Nothing changes, no version is in force, or the log failed.
pub fn propose(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
    author: &str,
    at_ms: i64,
    mut routing: RoutingConfig,
) -> Result<u64, DeskError> {
    let (history, at) = history(log)?;
    let (_, in_force) = history.in_force().ok_or(DeskError::NoVersion)?;
    for (_, secret) in routing.secrets_mut() {
        if !is_sealed(&secret.0) {
            secret.0 = seal(key, secret.0.as_bytes())
                .map_err(|_| DeskError::Log("a secret could not be sealed".into()))?;
        }
    }
    if routing == *in_force {
        return Err(DeskError::NoChange);
    }
    let version = history.next_version();
    append(log, at, vec![history.propose(author, at_ms, routing)])?;
    Ok(version)
}

/// Approves and activates `version` for `reviewer` (a user stream id; `service_desk` when
/// they have that role), after `rules` found no problem in it.
///
/// # Errors
/// The rules refuse it (its author, not the service desk, stale, decided, invalid), or the
/// log failed.
pub fn approve(
    log: &(impl EventLog + ?Sized),
    rules: &dyn ConfigRules,
    reviewer: &str,
    service_desk: bool,
    version: u64,
    at_ms: i64,
) -> Result<(), DeskError> {
    let (history, at) = history(log)?;
    let problems = history
        .versions
        .get(&version)
        .map(|v| rules.problems(&v.proposal.routing))
        .unwrap_or_default();
    let events = history.approve(version, reviewer, service_desk, at_ms, problems)?;
    append(log, at, events)?;
    rules.activated();
    Ok(())
}

/// Rejects `version` for `reviewer` with `reason`.
///
/// # Errors
/// The rules refuse it, or the log failed.
pub fn reject(
    log: &(impl EventLog + ?Sized),
    reviewer: &str,
    service_desk: bool,
    version: u64,
    at_ms: i64,
    reason: &str,
) -> Result<(), DeskError> {
    let (history, at) = history(log)?;
    let event = history.reject(version, reviewer, service_desk, at_ms, reason)?;
    append(log, at, vec![event])
}

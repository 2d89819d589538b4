//! The access log (NEN 7513): who looked at which client's data, when, from where, and with
//! what outcome. Every entry is an `AccessLogged` event in the one `access-log` stream, its
//! hash chained to the entry before ([`ketenpost_domain::events::verify_chain`]); appends are
//! made at the exact version of the stream, so the portal and the API, writing side by side,
//! never fork the chain. The BSN is sealed with the data key; a keyed hash finds a client's
//! entries. Shared by the portal's pages and the daemon's API.

use std::net::IpAddr;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use ketenpost_adapters::sealed::{open, seal};
use ketenpost_domain::events::{
    verify_chain, AccessLogged, ChainBreak, Event, EventId, NewEvent, StreamId, ACCESS_STREAM,
    GENESIS,
};
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, ReadError, StreamAppend};
use sha2::Sha256;

/// What was done with client data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A message's detail was opened.
    View,
    /// The PDF was downloaded.
    DownloadPdf,
    /// The original message was downloaded.
    DownloadOriginal,
    /// A search was made.
    Search,
    /// A message was sent to the record system again.
    Resend,
    /// A list showing clients' names or BSNs was opened.
    List,
}

impl Action {
    /// The machine name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::DownloadPdf => "download_pdf",
            Self::DownloadOriginal => "download_original",
            Self::Search => "search",
            Self::Resend => "resend",
            Self::List => "list",
        }
    }
}

/// Who acts: a portal user or an API token, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The user stream (`user-<id>`) or `api:<token name>`.
    pub user: String,
    /// The role, or `api`.
    pub role: String,
    /// On whose behalf: `portal` or `api`.
    pub on_behalf_of: String,
    /// The client's address.
    pub address: IpAddr,
}

impl Access {
    /// A portal user.
    pub fn portal(user: &StreamId, role: &str, address: IpAddr) -> Self {
        Self {
            user: user.as_str().to_owned(),
            role: role.to_owned(),
            on_behalf_of: "portal".into(),
            address,
        }
    }

    /// An API token named `name`.
    pub fn api(name: &str, address: IpAddr) -> Self {
        Self {
            user: format!("api:{name}"),
            role: "api".into(),
            on_behalf_of: "api".into(),
            address,
        }
    }

    /// How a resend names who asked (no personal data).
    pub fn requested_by(&self) -> String {
        if self.user.starts_with("api:") {
            self.user.clone()
        } else {
            format!("portal:{}", self.user)
        }
    }
}

/// A keyed hash of a BSN: finds a client's entries without a plain BSN on disk.
pub fn client_key(key: &[u8; 32], bsn: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(b"ketenpost client v1\0");
            mac.update(bsn.trim().as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// One entry to record.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// What.
    pub action: Action,
    /// Which message.
    pub message: Option<&'a str>,
    /// Which client's BSN.
    pub bsn: Option<&'a str>,
    /// What was searched for (sealed in the log).
    pub detail: Option<&'a str>,
    /// `success` or why not.
    pub outcome: &'a str,
}

/// The writer: remembers the chain's tail (version and hash) between appends.
#[derive(Default)]
pub struct AccessLog {
    tail: Mutex<Option<(Option<u64>, String)>>,
}

/// Why an entry was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The log could not be read or written.
    #[error("the access log could not be written: {0}")]
    Log(String),
    /// The BSN or search could not be sealed.
    #[error("the access log entry could not be sealed")]
    Seal,
}

fn stream() -> Result<StreamId, AccessError> {
    StreamId::parse(ACCESS_STREAM).ok_or_else(|| AccessError::Log("no stream id".into()))
}

/// The last version and hash of the stream.
fn read_tail(log: &(impl EventLog + ?Sized)) -> Result<(Option<u64>, String), AccessError> {
    let events = log
        .read_stream(&stream()?)
        .map_err(|e| AccessError::Log(e.to_string()))?;
    Ok(events
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            Event::AccessLogged(a) => Some((Some(e.version), a.hash.clone())),
            _ => None,
        })
        .unwrap_or((None, GENESIS.to_owned())))
}

impl AccessLog {
    /// Appends one entry for `who` at `at_ms`.
    ///
    /// # Errors
    /// The log failed, or the BSN could not be sealed.
    pub fn record(
        &self,
        log: &(impl EventLog + ?Sized),
        key: &[u8; 32],
        at_ms: i64,
        who: &Access,
        entry: Entry<'_>,
    ) -> Result<(), AccessError> {
        let sealed = |text: Option<&str>| {
            text.map(|t| seal(key, t.as_bytes()).map_err(|_| AccessError::Seal))
                .transpose()
        };
        let base = AccessLogged {
            at_ms,
            user: who.user.clone(),
            role: who.role.clone(),
            on_behalf_of: who.on_behalf_of.clone(),
            action: entry.action.as_str().to_owned(),
            message: entry.message.map(str::to_owned),
            client: sealed(entry.bsn)?,
            client_key: entry.bsn.map(|b| client_key(key, b)),
            detail: sealed(entry.detail)?,
            address: who.address.to_string(),
            outcome: entry.outcome.to_owned(),
            previous: String::new(),
            hash: String::new(),
        };
        let mut tail = self
            .tail
            .lock()
            .map_err(|_| AccessError::Log("an earlier append failed".into()))?;
        for _ in 0..8 {
            let (version, previous) = match tail.take() {
                Some(known) => known,
                None => read_tail(log)?,
            };
            let event = base.clone().chained_after(&previous);
            let hash = event.hash.clone();
            let append = StreamAppend {
                stream: stream()?,
                expected: version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exactly),
                events: vec![NewEvent {
                    id: EventId(uuid::Uuid::now_v7().as_u128()),
                    event: Event::AccessLogged(event),
                }],
            };
            match log.append(vec![append]) {
                Ok(_) => {
                    *tail = Some((Some(version.map_or(0, |v| v + 1)), hash));
                    return Ok(());
                }
                // Another writer (the API beside the portal) appended first: read the tail again.
                Err(AppendError::WrongExpectedVersion { .. }) => {}
                Err(error) => return Err(AccessError::Log(error.to_string())),
            }
        }
        Err(AccessError::Log("the access log kept moving".into()))
    }
}

/// One entry as read back, with the BSN opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadEntry {
    /// The entry.
    pub entry: AccessLogged,
    /// The BSN, opened with the data key.
    pub bsn: Option<String>,
}

/// Every entry in log order.
///
/// # Errors
/// The log cannot be read.
pub fn entries(log: &(impl EventLog + ?Sized)) -> Result<Vec<AccessLogged>, ReadError> {
    let Some(stream) = StreamId::parse(ACCESS_STREAM) else {
        return Ok(Vec::new());
    };
    Ok(log
        .read_stream(&stream)?
        .into_iter()
        .filter_map(|e| match e.event {
            Event::AccessLogged(a) => Some(a),
            _ => None,
        })
        .collect())
}

/// The entries of a client (`bsn`) or a user (`user`, a user stream or `api:<name>`) in
/// `[from_ms, to_ms)`, oldest first, with the BSN opened.
pub fn select(
    all: &[AccessLogged],
    key: &[u8; 32],
    bsn: Option<&str>,
    user: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Vec<ReadEntry> {
    let wanted_client = bsn.map(|b| client_key(key, b));
    all.iter()
        .filter(|e| e.at_ms >= from_ms && e.at_ms < to_ms)
        .filter(|e| wanted_client.is_none() || e.client_key == wanted_client)
        .filter(|e| user.is_none_or(|u| e.user == u))
        .map(|e| ReadEntry {
            bsn: e
                .client
                .as_deref()
                .and_then(|c| open(key, c).ok())
                .and_then(|b| String::from_utf8(b).ok()),
            entry: e.clone(),
        })
        .collect()
}

/// Checks the chain of the whole access log: how many entries, or where it breaks.
///
/// # Errors
/// The log cannot be read (outer), or the chain breaks (inner).
pub fn verify(log: &(impl EventLog + ?Sized)) -> Result<Result<usize, ChainBreak>, ReadError> {
    let all = entries(log)?;
    Ok(verify_chain(&all))
}

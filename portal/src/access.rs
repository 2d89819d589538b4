//! The access log (NEN 7513): who looked at which client's data, when, from where, and with
//! what outcome. Every entry is an `AccessLogged` event in the one `access-log` stream, its
//! hash chained to the entry before ([`ketenpost_domain::events::verify_chain`]); appends are
//! made at the exact version of the stream, so the portal and the API, writing side by side,
//! never fork the chain. The BSN and a search's terms are sealed with the key of the period the
//! entry was made in (`ketenpost_domain::ports::period_keys`), written `k<period>:<sealed>`, and a
//! hash keyed with it finds a client's entries; once `keep_access_log` is over that key is
//! destroyed: the entry stays, its chain intact, but says nothing more about the client.
//! (Entries written before period keys existed are sealed with the data key and stay readable.)
//! Shared by the portal's pages and the daemon's API.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use ketenpost_adapters::sealed::{open, seal};
use ketenpost_domain::events::{
    verify_chain, AccessLogged, ChainBreak, Event, EventId, NewEvent, StreamId, ACCESS_STREAM,
    GENESIS, REMOVED_AFTER_RETENTION,
};
use ketenpost_domain::ports::{
    AppendError, EventLog, ExpectedVersion, PeriodKeys, ReadError, StreamAppend,
};
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
    /// The notes (which may hold client data) were read.
    ReadNotes,
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
            Self::ReadNotes => "read_notes",
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

/// The writer: seals with the period keys, remembers the chain's tail (version and hash)
/// between appends.
pub struct AccessLog {
    keys: Arc<dyn PeriodKeys>,
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
    /// A writer sealing with `keys`.
    pub fn new(keys: Arc<dyn PeriodKeys>) -> Self {
        Self {
            keys,
            tail: Mutex::new(None),
        }
    }

    /// Appends one entry for `who` at `at_ms`.
    ///
    /// # Errors
    /// The log failed, or the BSN could not be sealed.
    pub fn record(
        &self,
        log: &(impl EventLog + ?Sized),
        at_ms: i64,
        who: &Access,
        entry: Entry<'_>,
    ) -> Result<(), AccessError> {
        let period = self
            .keys
            .key_for(at_ms)
            .map_err(|e| AccessError::Log(e.to_string()))?;
        let key = &period.key;
        let sealed = |text: Option<&str>| {
            text.map(|t| {
                seal(key, t.as_bytes())
                    .map(|s| format!("k{}:{s}", period.period))
                    .map_err(|_| AccessError::Seal)
            })
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

/// The key sealed client text of an entry needs: its period's (`None` once destroyed), or the
/// data key for text written before period keys existed. Looked up once per period.
struct Opener<'a> {
    keys: &'a dyn PeriodKeys,
    data_key: &'a [u8; 32],
    known: HashMap<u64, Option<[u8; 32]>>,
}

impl Opener<'_> {
    /// The key of `sealed` text and the sealed part; `None` for the key once it is destroyed.
    fn key_of<'t>(&mut self, sealed: &'t str) -> (Option<[u8; 32]>, &'t str) {
        let Some((period, rest)) = sealed
            .strip_prefix('k')
            .and_then(|s| s.split_once(':'))
            .and_then(|(p, rest)| p.parse::<u64>().ok().map(|p| (p, rest)))
        else {
            return (Some(*self.data_key), sealed);
        };
        let keys = self.keys;
        let key = *self
            .known
            .entry(period)
            .or_insert_with(|| keys.key_of(period).ok().flatten());
        (key, rest)
    }

    /// The BSN of an entry: opened, or the removal text once its period's key is destroyed.
    fn client(&mut self, entry: &AccessLogged) -> Option<String> {
        let sealed = entry.client.as_deref()?;
        match self.key_of(sealed) {
            (Some(key), text) => open(&key, text)
                .ok()
                .and_then(|b| String::from_utf8(b).ok()),
            (None, _) => Some(REMOVED_AFTER_RETENTION.to_owned()),
        }
    }

    /// Whether an entry is about the client with this BSN.
    fn is_about(&mut self, entry: &AccessLogged, bsn: &str) -> bool {
        let (Some(sealed), Some(stored)) = (entry.client.as_deref(), &entry.client_key) else {
            return false;
        };
        match self.key_of(sealed) {
            (Some(key), _) => &client_key(&key, bsn) == stored,
            (None, _) => false,
        }
    }
}

/// The entries of a client (`bsn`) or a user (`user`, a user stream or `api:<name>`) in
/// `[from_ms, to_ms)`, oldest first, with the BSN opened (entries whose period's key was
/// destroyed are no longer found by BSN, and say [`REMOVED_AFTER_RETENTION`]).
pub fn select(
    all: &[AccessLogged],
    keys: &dyn PeriodKeys,
    data_key: &[u8; 32],
    bsn: Option<&str>,
    user: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Vec<ReadEntry> {
    let mut opener = Opener {
        keys,
        data_key,
        known: HashMap::new(),
    };
    let mut selected = Vec::new();
    for e in all
        .iter()
        .filter(|e| e.at_ms >= from_ms && e.at_ms < to_ms)
        .filter(|e| user.is_none_or(|u| e.user == u))
    {
        if bsn.is_none_or(|b| opener.is_about(e, b)) {
            selected.push(ReadEntry {
                bsn: opener.client(e),
                entry: e.clone(),
            });
        }
    }
    selected
}

/// Checks the chain of the whole access log: how many entries, or where it breaks.
///
/// # Errors
/// The log cannot be read (outer), or the chain breaks (inner).
pub fn verify(log: &(impl EventLog + ?Sized)) -> Result<Result<usize, ChainBreak>, ReadError> {
    let all = entries(log)?;
    Ok(verify_chain(&all))
}

//! Portal users over the event log: add (with an invitation link), find by address, list,
//! disable, remove the second factor, issue a link to set a password. What the operator's
//! commands and the portal's pages do to a user goes through here.

use std::collections::BTreeSet;

use ketenpost_domain::events::{
    Event, EventId, LinkPurpose, NewEvent, PasswordLinkIssued, Role, StreamId, StreamKind,
    UserAdded, UserChange, UserChanged,
};
use ketenpost_domain::ports::{AppendError, EventLog, ExpectedVersion, ReadError, StreamAppend};
use ketenpost_domain::users::UserState;

use crate::identity::{self, Profile};
use crate::secrets::{self, NoRandomness};

/// How long an invitation link is valid: 7 days (a person may be away for a few days).
pub const INVITATION_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How long a password reset link is valid: 1 hour.
pub const RESET_VALID_MS: i64 = 60 * 60 * 1000;

/// Why a change to the users was not made. The texts name no one: the caller names the
/// address to the operator who typed it.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Not an address a mail can go to.
    #[error("this is not a usable e-mail address")]
    BadAddress,
    /// The name is empty or too long.
    #[error("the name must be given, at most 200 characters")]
    BadName,
    /// A user with this address exists.
    #[error("a user with this e-mail address exists already")]
    Exists,
    /// No user with this address.
    #[error("there is no user with this e-mail address")]
    NotFound,
    /// The user is disabled already.
    #[error("the user is disabled already")]
    AlreadyDisabled,
    /// Another change came first; try again.
    #[error("the user was changed at the same time; try again")]
    Conflict,
    /// The profile could not be sealed or opened with the data key.
    #[error("the user's sealed profile could not be handled with this data key: {0}")]
    Seal(String),
    /// No randomness.
    #[error(transparent)]
    Random(#[from] NoRandomness),
    /// The log could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The log could not be written.
    #[error("the event log could not write: {0}")]
    Write(String),
}

fn written(e: AppendError) -> UserError {
    match e {
        AppendError::WrongExpectedVersion { .. } => UserError::Conflict,
        other => UserError::Write(other.to_string()),
    }
}

/// A link to set a password, just issued: the token exists only here and in the mail.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    /// The user's stream.
    pub stream: StreamId,
    /// The token (256 random bits).
    pub token: String,
    /// Valid until, milliseconds since 1970-01-01 UTC.
    pub expires_at_ms: i64,
}

impl IssuedLink {
    /// The link under the portal's `public_url`.
    pub fn url(&self, public_url: &str) -> String {
        format!(
            "{}/wachtwoord/{}/{}",
            public_url.trim_end_matches('/'),
            self.stream,
            self.token
        )
    }
}

fn new_event_id() -> EventId {
    EventId(uuid::Uuid::now_v7().as_u128())
}

/// Adds a user and issues their invitation link, in one append.
///
/// # Errors
/// A bad address or name, an address in use, or the log failed.
pub fn add(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
    profile: &Profile,
    role: Role,
    added_by: &str,
    now_ms: i64,
) -> Result<IssuedLink, UserError> {
    if !identity::plausible_email(&profile.email) {
        return Err(UserError::BadAddress);
    }
    let name = profile.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(UserError::BadName);
    }
    let profile = Profile {
        email: identity::normalize_email(&profile.email),
        name: name.to_owned(),
    };
    let stream = identity::user_stream(key, &profile.email);
    let sealed =
        identity::seal_profile(key, &profile).map_err(|e| UserError::Seal(e.to_string()))?;
    let token = secrets::new_token()?;
    let expires_at_ms = now_ms.saturating_add(INVITATION_VALID_MS);
    let append = StreamAppend {
        stream: stream.clone(),
        expected: ExpectedVersion::NoStream,
        events: vec![
            NewEvent {
                id: new_event_id(),
                event: Event::UserAdded(UserAdded {
                    profile: sealed,
                    role,
                    added_by: added_by.to_owned(),
                }),
            },
            NewEvent {
                id: new_event_id(),
                event: Event::PasswordLinkIssued(PasswordLinkIssued {
                    purpose: LinkPurpose::Invitation,
                    token_hash: secrets::token_hash(&token),
                    expires_at_ms,
                }),
            },
        ],
    };
    log.append(vec![append]).map_err(|e| match e {
        AppendError::WrongExpectedVersion { .. } => UserError::Exists,
        other => UserError::Write(other.to_string()),
    })?;
    Ok(IssuedLink {
        stream,
        token,
        expires_at_ms,
    })
}

/// The user with address `email`, if there is one.
///
/// # Errors
/// The log could not be read.
pub fn find(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
    email: &str,
) -> Result<Option<UserState>, UserError> {
    let stream = identity::user_stream(key, email);
    Ok(UserState::from_history(&log.read_stream(&stream)?))
}

/// The user of `stream`, if there is one.
///
/// # Errors
/// The log could not be read.
pub fn by_stream(
    log: &(impl EventLog + ?Sized),
    stream: &StreamId,
) -> Result<Option<UserState>, UserError> {
    if stream.kind() != Some(StreamKind::User) {
        return Ok(None);
    }
    Ok(UserState::from_history(&log.read_stream(stream)?))
}

/// Every user with their opened profile, by address. Reads the whole log once to find the
/// user streams: for the operator's `user list` and the `beheerder`'s page, not for logins
/// (those read one stream by its id).
///
/// # Errors
/// The log could not be read, or a profile does not open with this key.
pub fn list(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
) -> Result<Vec<(UserState, Profile)>, UserError> {
    let mut streams = BTreeSet::new();
    let mut from = 0;
    loop {
        let batch = log.read_all(from, 10_000)?;
        let Some(last) = batch.last() else {
            break;
        };
        from = last.position + 1;
        streams.extend(
            batch
                .into_iter()
                .filter(|e| matches!(e.event, Event::UserAdded(_)))
                .map(|e| e.stream),
        );
    }
    let mut users = Vec::with_capacity(streams.len());
    for stream in streams {
        if let Some(user) = by_stream(log, &stream)? {
            let profile = identity::open_profile(key, &user.profile)
                .map_err(|e| UserError::Seal(e.to_string()))?;
            users.push((user, profile));
        }
    }
    users.sort_by(|a, b| a.1.email.cmp(&b.1.email));
    Ok(users)
}

/// Disables the user or removes their second factor.
///
/// # Errors
/// No such user, a user disabled already, or the log failed.
pub fn change(
    log: &(impl EventLog + ?Sized),
    key: &[u8; 32],
    email: &str,
    change: UserChange,
    by: &str,
) -> Result<UserState, UserError> {
    let user = find(log, key, email)?.ok_or(UserError::NotFound)?;
    if change == UserChange::Disabled && user.disabled {
        return Err(UserError::AlreadyDisabled);
    }
    append(
        log,
        &user,
        Event::UserChanged(UserChanged {
            change,
            by: by.to_owned(),
        }),
    )?;
    Ok(user)
}

/// Issues a new link to set a password for `user` (replacing any open one).
///
/// # Errors
/// No randomness, or the log failed.
pub fn issue_link(
    log: &(impl EventLog + ?Sized),
    user: &UserState,
    purpose: LinkPurpose,
    now_ms: i64,
) -> Result<IssuedLink, UserError> {
    let token = secrets::new_token()?;
    let valid = match purpose {
        LinkPurpose::Invitation => INVITATION_VALID_MS,
        LinkPurpose::Reset => RESET_VALID_MS,
    };
    let expires_at_ms = now_ms.saturating_add(valid);
    append(
        log,
        user,
        Event::PasswordLinkIssued(PasswordLinkIssued {
            purpose,
            token_hash: secrets::token_hash(&token),
            expires_at_ms,
        }),
    )?;
    Ok(IssuedLink {
        stream: user.stream.clone(),
        token,
        expires_at_ms,
    })
}

/// Appends events to `user`'s stream in one append, expecting the version the state was read
/// at.
///
/// # Errors
/// Another change came first, or the log failed.
pub fn append_all(
    log: &(impl EventLog + ?Sized),
    user: &UserState,
    events: Vec<Event>,
) -> Result<(), UserError> {
    log.append(vec![StreamAppend {
        stream: user.stream.clone(),
        expected: ExpectedVersion::Exactly(user.version),
        events: events
            .into_iter()
            .map(|event| NewEvent {
                id: new_event_id(),
                event,
            })
            .collect(),
    }])
    .map(|_| ())
    .map_err(written)
}

/// Appends one event to `user`'s stream, expecting the version the state was read at.
///
/// # Errors
/// Another change came first, or the log failed.
pub fn append(
    log: &(impl EventLog + ?Sized),
    user: &UserState,
    event: Event,
) -> Result<(), UserError> {
    log.append(vec![StreamAppend {
        stream: user.stream.clone(),
        expected: ExpectedVersion::Exactly(user.version),
        events: vec![NewEvent {
            id: new_event_id(),
            event,
        }],
    }])
    .map(|_| ())
    .map_err(written)
}

//! Server-side sessions: a random 256-bit id in a `__Host-` cookie (Secure, HttpOnly,
//! SameSite=Lax), only its hash kept on the server. A new id at every step of a login, so an
//! id planted before the login is worth nothing (session fixation). [`Signed`] is the
//! extractor of a page that needs a logged-in user: it checks the session against the limits
//! and the user's stream (disabled, or changed since the session started: ended).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use ketenpost_domain::events::{Role, StreamId};
use ketenpost_domain::users::UserState;

use super::{cookie, pages, Portal};
use crate::rules::session::SessionTimes;
use crate::secrets::{self, token_hash};
use crate::users;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-ketenpost";

/// How long the step between password and code may take: 5 minutes.
pub const HALFWAY_MS: i64 = 5 * 60 * 1000;

/// How far a session has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is asked next.
    AwaitingCode,
    /// A password was just set and the user has no second factor: enrolment only.
    Enrolling,
    /// Logged in.
    Full,
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's stream.
    pub user: StreamId,
    /// How far it has come.
    pub stage: Stage,
    /// Its times.
    pub times: SessionTimes,
    /// A TOTP secret shown for enrolment, not yet confirmed.
    pub pending_secret: Option<Vec<u8>>,
}

/// The sessions, by the hash of their id.
#[derive(Default)]
pub struct Store {
    sessions: Mutex<HashMap<String, Session>>,
}

impl Store {
    /// Keeps `session` under a new id; returns the id.
    ///
    /// # Errors
    /// No randomness.
    pub fn create(&self, session: Session) -> Result<String, secrets::NoRandomness> {
        let id = secrets::new_token()?;
        if let Ok(mut map) = self.sessions.lock() {
            map.insert(token_hash(&id), session);
        }
        Ok(id)
    }

    /// The session with `id`.
    pub fn get(&self, id: &str) -> Option<Session> {
        self.sessions.lock().ok()?.get(&token_hash(id)).cloned()
    }

    /// Changes the session with `id`.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Session)) {
        if let Ok(mut map) = self.sessions.lock() {
            if let Some(session) = map.get_mut(&token_hash(id)) {
                change(session);
            }
        }
    }

    /// Ends the session with `id`.
    pub fn remove(&self, id: &str) -> Option<Session> {
        self.sessions.lock().ok()?.remove(&token_hash(id))
    }

    /// Ends every session of `user`.
    pub fn end_user(&self, user: &StreamId) {
        if let Ok(mut map) = self.sessions.lock() {
            map.retain(|_, s| &s.user != user);
        }
    }

    /// Forgets sessions that `alive` says are over (called now and then).
    pub fn sweep(&self, alive: impl Fn(&Session) -> bool) {
        if let Ok(mut map) = self.sessions.lock() {
            map.retain(|_, s| alive(s));
        }
    }
}

/// The `Set-Cookie` value that hands out session `id`; `max_age_ms` for "Onthouden".
pub fn session_cookie(id: &str, max_age_ms: Option<i64>) -> String {
    let mut value = format!("{SESSION_COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=Lax");
    if let Some(ms) = max_age_ms {
        value.push_str(&format!("; Max-Age={}", ms / 1000));
    }
    value
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The session of a request, if it has a live one (any stage), with its id. A session past
/// its limits is ended here.
pub fn current(portal: &Portal, headers: &axum::http::HeaderMap) -> Option<(String, Session)> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let session = portal.sessions.get(&id)?;
    let now = portal.now();
    let alive = match session.stage {
        Stage::AwaitingCode => now - session.times.started_ms < HALFWAY_MS,
        Stage::Enrolling => true,
        Stage::Full => true,
    } && portal.settings.sessions.alive(session.times, i64::MIN, now);
    if !alive {
        portal.sessions.remove(&id);
        return None;
    }
    Some((id, session))
}

/// A logged-in user: the extractor of every page behind the login.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The session id.
    pub id: String,
    /// The session.
    pub session: Session,
    /// The user as their stream says now.
    pub user: UserState,
}

impl Signed {
    /// Whether the user has one of `roles`; later parts check their pages with it.
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.user.role)
    }
}

/// Not logged in (or no longer): to the login page.
#[derive(Debug)]
pub struct NotSigned;

impl IntoResponse for NotSigned {
    fn into_response(self) -> Response {
        let mut response = Redirect::to("/inloggen").into_response();
        if let Ok(value) = cleared_cookie().parse() {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, value);
        }
        response
    }
}

/// The user of a live session in `stages`, checked against their stream.
pub fn signed_in(
    portal: &Portal,
    headers: &axum::http::HeaderMap,
    stages: &[Stage],
) -> Option<Signed> {
    let (id, session) = current(portal, headers)?;
    if !stages.contains(&session.stage) {
        return None;
    }
    let user = users::by_stream(&*portal.log, &session.user)
        .ok()
        .flatten()?;
    let now = portal.now();
    let ends = user.disabled
        || !portal
            .settings
            .sessions
            .alive(session.times, user.sessions_valid_from_ms, now);
    if ends {
        portal.sessions.remove(&id);
        return None;
    }
    portal.sessions.update(&id, |s| s.times.last_seen_ms = now);
    Some(Signed { id, session, user })
}

impl FromRequestParts<Arc<Portal>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        portal: &Arc<Portal>,
    ) -> Result<Self, Self::Rejection> {
        let portal = Arc::clone(portal);
        let headers = parts.headers.clone();
        tokio::task::spawn_blocking(move || signed_in(&portal, &headers, &[Stage::Full]))
            .await
            .map_err(|_| pages::unavailable())?
            .ok_or_else(|| NotSigned.into_response())
    }
}

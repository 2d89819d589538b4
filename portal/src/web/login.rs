//! Inloggen: e-mail and password, then the second factor (a TOTP code or a recovery code).
//! A failed login says the same whatever was wrong and does the same work (an argon2id check
//! against a dummy hash when there is no account or password); failures slow the account down
//! and lock it for a while, and each address has a rate limit (see `rules::lockout`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use ketenpost_domain::events::{Event, SecondFactorUsed};
use ketenpost_domain::users::UserState;

use super::failures::{clear_failures, gate, record_failure};
use super::forms::{CodeForm, LoginForm};
use super::guard::CsrfToken;
use super::pages::{self, render};
use super::sessions::{self, session_cookie, Session, Stage};
use super::Portal;
use crate::identity;
use crate::rules::lockout::{AddressBucket, Gate};
use crate::rules::session::SessionTimes;
use crate::rules::totp;
use crate::secrets::{self, dummy_hash, verify_password};
use crate::users;

/// The one answer to every failed login.
pub const LOGIN_FAILED: &str =
    "Inloggen is niet gelukt. Controleer uw e-mailadres en wachtwoord en probeer het opnieuw.";
/// The one answer to every failed code.
pub const CODE_FAILED: &str = "De code is onjuist, verlopen of al gebruikt.";
/// The answer when an address tries too often.
pub const TOO_MANY: &str =
    "Te veel pogingen vanaf dit adres. Wacht een minuut en probeer het daarna opnieuw.";

fn login_page(csrf: &str, email: &str, error: &str, notice: &str) -> pages::Login {
    pages::Login {
        signed_in: false,
        csrf: csrf.to_owned(),
        notice: notice.to_owned(),
        error: error.to_owned(),
        email: email.to_owned(),
    }
}

pub(crate) fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    for cookie in cookies {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `/`: the profile when logged in, else the login page.
pub async fn home(State(portal): State<Arc<Portal>>, headers: HeaderMap) -> Response {
    let signed = tokio::task::spawn_blocking(move || {
        sessions::signed_in(&portal, &headers, &[Stage::Full]).is_some()
    })
    .await
    .unwrap_or(false);
    Redirect::to(if signed { "/profiel" } else { "/inloggen" }).into_response()
}

/// GET /inloggen.
pub async fn form(Extension(csrf): Extension<CsrfToken>) -> Response {
    render(StatusCode::OK, &login_page(&csrf.0, "", "", ""))
}

/// Takes one attempt from the address's bucket.
pub(crate) fn address_allows(portal: &Portal, extensions: &Extensions) -> bool {
    let now = portal.now();
    let ip = super::client(extensions);
    let Ok(mut buckets) = portal.addresses.lock() else {
        return false;
    };
    if buckets.len() > 100_000 {
        buckets.clear();
    }
    let bucket = buckets
        .get(&ip)
        .copied()
        .unwrap_or_else(|| AddressBucket::full(now));
    let (after, allowed) = bucket.take(now);
    buckets.insert(ip, after);
    allowed
}

/// The password step, blocking (argon2id): the user when everything is right. Every outcome
/// goes to the security log, with the real reason (the person is told the same for each).
fn check_password(
    portal: &Portal,
    email: &str,
    password: &str,
    address: std::net::IpAddr,
) -> Option<UserState> {
    let stream = identity::user_stream(&portal.key, email);
    let user = users::find(&*portal.log, &portal.key, email).ok().flatten();
    let open = matches!(gate(portal, &stream), Gate::Open);
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.as_deref())
        .unwrap_or(dummy_hash());
    let matches = verify_password(password, hash);
    let outcome = match &user {
        None => "unknown_user",
        Some(u) if u.password_hash.is_none() => "no_password_yet",
        Some(u) if u.disabled => "disabled",
        Some(_) if !open => "locked",
        Some(_) if !matches => "wrong_password",
        Some(_) => "success",
    };
    portal.audit(&stream, "login", Some("password"), address, outcome);
    if outcome == "success" {
        return user;
    }
    record_failure(portal, &stream, address);
    None
}

/// POST /inloggen.
pub async fn submit(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    if !address_allows(&portal, &extensions) {
        return render(
            StatusCode::TOO_MANY_REQUESTS,
            &login_page(&csrf.0, &form.email, TOO_MANY, ""),
        );
    }
    let checking = Arc::clone(&portal);
    let email = form.email.clone();
    let address = super::client(&extensions);
    let user = tokio::task::spawn_blocking(move || {
        check_password(&checking, &email, &form.wachtwoord, address)
    })
    .await
    .ok()
    .flatten();
    let Some(user) = user else {
        return render(
            StatusCode::OK,
            &login_page(&csrf.0, &form.email, LOGIN_FAILED, ""),
        );
    };
    // Whatever session the browser had is ended: the login gets a new id.
    if let Some((old, _)) = sessions::current(&portal, &headers) {
        portal.sessions.remove(&old);
    }
    let now = portal.now();
    let limits = portal.settings.sessions;
    portal
        .sessions
        .sweep(|s| limits.alive(s.times, i64::MIN, now));
    let stage = if user.enrolled() {
        Stage::AwaitingCode
    } else {
        Stage::Enrolling
    };
    let next = if stage == Stage::AwaitingCode {
        "/inloggen/code"
    } else {
        "/profiel/twee-factor"
    };
    let session = Session {
        user: user.stream.clone(),
        stage,
        times: SessionTimes {
            started_ms: now,
            last_seen_ms: now,
            remember: form.onthouden.is_some(),
        },
        pending_secret: None,
    };
    match portal.sessions.create(session) {
        Ok(id) => see_other(next, &[session_cookie(&id, None)]),
        Err(_) => pages::unavailable(),
    }
}

/// GET /inloggen/code.
pub async fn code_form(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    match sessions::current(&portal, &headers) {
        Some((_, session)) if session.stage == Stage::AwaitingCode => {
            render(StatusCode::OK, &code_page(&csrf.0, ""))
        }
        _ => Redirect::to("/inloggen").into_response(),
    }
}

fn code_page(csrf: &str, error: &str) -> pages::Code {
    pages::Code {
        signed_in: false,
        csrf: csrf.to_owned(),
        notice: String::new(),
        error: error.to_owned(),
    }
}

/// Checks a second factor for `user`: the event that spends it, when it is right.
pub(crate) fn check_second_factor(
    portal: &Portal,
    user: &UserState,
    code: &str,
) -> Option<SecondFactorUsed> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == totp::DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()) {
        let sealed = user.totp_secret.as_deref()?;
        let secret = ketenpost_adapters::sealed::open(&portal.key, sealed).ok()?;
        let now_s = u64::try_from(portal.now() / 1000).unwrap_or(0);
        let step = totp::check(&secret, &digits, now_s, user.last_totp_step).ok()?;
        return Some(SecondFactorUsed::Totp { step });
    }
    let hash = secrets::token_hash(&secrets::normalize_recovery_code(code));
    user.recovery_codes
        .iter()
        .any(|h| super::guard::same(h, &hash))
        .then_some(SecondFactorUsed::RecoveryCode { hash })
}

/// POST /inloggen/code.
pub async fn code_submit(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some((id, session)) = sessions::current(&portal, &headers) else {
        return Redirect::to("/inloggen").into_response();
    };
    if session.stage != Stage::AwaitingCode {
        return Redirect::to("/inloggen").into_response();
    }
    if !address_allows(&portal, &extensions) {
        return render(StatusCode::TOO_MANY_REQUESTS, &code_page(&csrf.0, TOO_MANY));
    }
    let checking = Arc::clone(&portal);
    let address = super::client(&extensions);
    let outcome = tokio::task::spawn_blocking(move || {
        let user = users::by_stream(&*checking.log, &session.user)
            .ok()
            .flatten()?;
        let refuse = |outcome: &str| {
            checking.audit(
                &user.stream,
                "login",
                Some("second_factor"),
                address,
                outcome,
            );
            record_failure(&checking, &user.stream, address);
        };
        if user.disabled {
            refuse("disabled");
            return None;
        }
        if !matches!(gate(&checking, &user.stream), Gate::Open) {
            refuse("locked");
            return None;
        }
        let Some(used) = check_second_factor(&checking, &user, &form.code) else {
            refuse("wrong_code");
            return None;
        };
        let factor = match used {
            SecondFactorUsed::Totp { .. } => "totp",
            SecondFactorUsed::RecoveryCode { .. } => "recovery_code",
        };
        // Recorded before the login counts: a code is spent even if two requests race.
        users::append(&*checking.log, &user, Event::SecondFactorUsed(used)).ok()?;
        clear_failures(&checking, &user.stream);
        checking.audit(&user.stream, "login", Some(factor), address, "success");
        Some((user, session))
    })
    .await
    .ok()
    .flatten();
    let Some((_, session)) = outcome else {
        return render(StatusCode::OK, &code_page(&csrf.0, CODE_FAILED));
    };
    portal.sessions.remove(&id);
    let now = portal.now();
    let remember = session.times.remember;
    let full = Session {
        stage: Stage::Full,
        times: SessionTimes {
            started_ms: now,
            last_seen_ms: now,
            remember,
        },
        ..session
    };
    let max_age = remember.then_some(portal.settings.sessions.remember_ms);
    match portal.sessions.create(full) {
        Ok(new_id) => see_other("/profiel", &[session_cookie(&new_id, max_age)]),
        Err(_) => pages::unavailable(),
    }
}

/// POST /uitloggen: the session ends on the server.
pub async fn logout(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    if let Some(id) = super::cookie(&headers, sessions::SESSION_COOKIE) {
        if let Some(session) = portal.sessions.remove(&id) {
            let address = super::client(&extensions);
            let working = Arc::clone(&portal);
            let _ = tokio::task::spawn_blocking(move || {
                working.audit(&session.user, "logout", None, address, "success");
            })
            .await;
        }
    }
    see_other("/inloggen", &[sessions::cleared_cookie()])
}

//! The profile page: who is logged in, and new recovery codes (after the password again).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::events::{Event, PasswordSet, RecoveryCodesIssued};

use super::enrol::notify;
use super::forms::{ChangePasswordForm, PasswordForm};
use super::guard::CsrfToken;
use super::pages::{self, render};
use super::sessions::{session_cookie, Session, Stage};
use super::{Portal, Signed};
use crate::identity;
use crate::rules::password;
use crate::rules::session::SessionTimes;
use crate::secrets;
use crate::users;

fn profile_page(portal: &Portal, signed: &Signed, csrf: &str, error: &str) -> pages::Profile {
    let profile = identity::open_profile(&portal.key, &signed.user.profile).ok();
    pages::Profile {
        signed_in: true,
        csrf: csrf.to_owned(),
        notice: String::new(),
        error: error.to_owned(),
        name: profile.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        email: profile.map(|p| p.email).unwrap_or_default(),
        role: signed.user.role.as_str().to_owned(),
        codes_left: signed.user.recovery_codes.len(),
        mail_warning: portal
            .mail_health
            .as_ref()
            .and_then(|h| h.warning())
            .unwrap_or_default(),
    }
}

/// GET /profiel.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
) -> Response {
    render(StatusCode::OK, &profile_page(&portal, &signed, &csrf.0, ""))
}

/// POST /profiel/herstelcodes: a new set replaces the old one (the password is asked again).
pub async fn new_recovery_codes(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
    Form(form): Form<PasswordForm>,
) -> Response {
    let working = Arc::clone(&portal);
    let address = super::client(&extensions);
    tokio::task::spawn_blocking(move || {
        let right = signed
            .user
            .password_hash
            .as_deref()
            .is_some_and(|h| secrets::verify_password(&form.wachtwoord, h));
        let outcome = if right { "success" } else { "wrong_password" };
        working.audit(
            &signed.user.stream,
            "recovery_codes_replaced",
            Some("password"),
            address,
            outcome,
        );
        if !right {
            return render(
                StatusCode::OK,
                &profile_page(&working, &signed, &csrf.0, "Het wachtwoord is onjuist."),
            );
        }
        let Ok(codes) = secrets::new_recovery_codes() else {
            return pages::unavailable();
        };
        let hashes = codes.iter().map(|c| secrets::token_hash(c)).collect();
        let event = Event::RecoveryCodesIssued(RecoveryCodesIssued { hashes });
        if users::append(&*working.log, &signed.user, event).is_err() {
            return pages::unavailable();
        }
        notify(
            &working,
            &signed.user,
            "Er zijn nieuwe herstelcodes aangemaakt; de oude werken niet meer.",
        );
        render(
            StatusCode::OK,
            &pages::Recovery {
                signed_in: true,
                csrf: csrf.0,
                notice: "Nieuwe herstelcodes zijn aangemaakt.".to_owned(),
                error: String::new(),
                codes,
            },
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// POST /profiel/wachtwoord: a new password, after the current one. Every other session of
/// the user ends; this browser gets a new session.
pub async fn change_password(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
    Form(form): Form<ChangePasswordForm>,
) -> Response {
    let working = Arc::clone(&portal);
    let address = super::client(&extensions);
    tokio::task::spawn_blocking(move || {
        let refuse = |error: &str| {
            render(
                StatusCode::OK,
                &profile_page(&working, &signed, &csrf.0, error),
            )
        };
        let right = signed
            .user
            .password_hash
            .as_deref()
            .is_some_and(|h| secrets::verify_password(&form.huidig, h));
        if !right {
            working.audit(
                &signed.user.stream,
                "password_changed",
                Some("password"),
                address,
                "wrong_password",
            );
            return refuse("Het huidige wachtwoord is onjuist.");
        }
        if form.wachtwoord != form.herhaal {
            return refuse("De twee nieuwe wachtwoorden zijn niet gelijk.");
        }
        if let Err(refused) = password::check_new(&form.wachtwoord) {
            return refuse(&refused.to_string());
        }
        let Ok(hash) = secrets::hash_password(&form.wachtwoord) else {
            return pages::unavailable();
        };
        if users::append(
            &*working.log,
            &signed.user,
            Event::PasswordSet(PasswordSet { hash }),
        )
        .is_err()
        {
            return pages::unavailable();
        }
        working.audit(
            &signed.user.stream,
            "password_changed",
            Some("password"),
            address,
            "success",
        );
        working.end_sessions_of(&signed.user.stream);
        notify(
            &working,
            &signed.user,
            "Uw wachtwoord voor het ketenpost-portaal is gewijzigd.",
        );
        let now = working.now();
        let fresh = Session {
            user: signed.user.stream.clone(),
            stage: Stage::Full,
            times: SessionTimes {
                started_ms: now,
                last_seen_ms: now,
                remember: false,
            },
            pending_secret: None,
        };
        let Ok(id) = working.sessions.create(fresh) else {
            return pages::unavailable();
        };
        let mut page = profile_page(&working, &signed, &csrf.0, "");
        page.notice = "Uw wachtwoord is gewijzigd.".to_owned();
        let mut response = render(StatusCode::OK, &page);
        if let Ok(value) = session_cookie(&id, None).parse() {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, value);
        }
        response
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

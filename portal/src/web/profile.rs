//! The profile page: who is logged in, and new recovery codes (after the password again).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::events::{Event, RecoveryCodesIssued};

use super::enrol::notify;
use super::forms::PasswordForm;
use super::guard::CsrfToken;
use super::pages::{self, render};
use super::{Portal, Signed};
use crate::identity;
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

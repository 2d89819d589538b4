//! The beheerder manages the organisation's portal users on `/beheer`: invite a user (role
//! `secretariaat` or `beheerder`; the supplier's `servicedesk` is added by the operator only),
//! disable a user, remove a user's second factor. Each is a POST (checked for its Origin and
//! CSRF token by `guard.rs`) that must be confirmed on the form, is recorded on the user's
//! stream (by the beheerder's stream id, never their address) and in the user's security log,
//! and answers with the page and what was done. A beheerder cannot disable themselves nor
//! remove their own second factor here (their profile re-enrols it).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::events::{Role, UserChange};
use serde::Deserialize;

use super::admin::admin_page;
use super::guard::CsrfToken;
use super::pages;
use super::{Portal, Signed};
use crate::identity::{self, Profile};
use crate::{clock, mail, users};

/// The invitation form.
#[derive(Deserialize)]
pub struct InviteForm {
    /// The new user's address.
    #[serde(default)]
    pub email: String,
    /// Their name.
    #[serde(default)]
    pub naam: String,
    /// `secretariaat` or `beheerder`.
    #[serde(default)]
    pub rol: String,
}

/// A change to one user, confirmed.
#[derive(Deserialize)]
pub struct ChangeForm {
    /// The user's address.
    #[serde(default)]
    pub email: String,
    /// The confirmation checkbox.
    pub bevestig: Option<String>,
}

/// Who did it, as the user's stream records it: the beheerder's stream id (names no one).
fn by(signed: &Signed) -> String {
    format!("portal {}", signed.user.stream)
}

fn forbidden() -> Response {
    pages::refusal(
        StatusCode::FORBIDDEN,
        "Gebruikers beheren is alleen voor beheerders.",
    )
}

/// Runs `work` for a beheerder off the async threads; the page it returns.
async fn as_beheerder(
    portal: Arc<Portal>,
    signed: Signed,
    work: impl FnOnce(&Portal, &Signed) -> Response + Send + 'static,
) -> Response {
    if !signed.has_role(&[Role::Beheerder]) {
        return forbidden();
    }
    tokio::task::spawn_blocking(move || work(&portal, &signed))
        .await
        .unwrap_or_else(|_| pages::unavailable())
}

/// POST /beheer/uitnodigen.
pub async fn invite(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
    Form(form): Form<InviteForm>,
) -> Response {
    let address = super::client(&extensions);
    as_beheerder(portal, signed, move |portal, signed| {
        let page = |status, notice: &str, error: &str| {
            admin_page(portal, &csrf.0, "", notice, error, status, &signed.user.stream)
        };
        let role = match form.rol.as_str() {
            "secretariaat" => Role::Secretariaat,
            "beheerder" => Role::Beheerder,
            _ => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "",
                    "Kies als rol secretariaat of beheerder.",
                )
            }
        };
        let Some(smtp) = portal.settings.smtp.clone() else {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "",
                "Er is geen mailserver ingesteld, dus de uitnodiging kan niet worden verstuurd. \
                 Vraag de applicatiebeheerder om de gebruiker toe te voegen.",
            );
        };
        let profile = Profile {
            email: form.email.trim().to_owned(),
            name: form.naam.trim().to_owned(),
        };
        let link = match users::add(&*portal.log, &portal.key, &profile, role, &by(signed), portal.now()) {
            Ok(link) => link,
            Err(users::UserError::BadAddress) => {
                return page(StatusCode::BAD_REQUEST, "", "Dit is geen bruikbaar e-mailadres.")
            }
            Err(users::UserError::BadName) => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "",
                    "Vul een naam in van hoogstens 200 tekens.",
                )
            }
            Err(users::UserError::Exists) => {
                return page(
                    StatusCode::CONFLICT,
                    "",
                    "Er is al een gebruiker met dit e-mailadres.",
                )
            }
            Err(_) => return pages::unavailable(),
        };
        portal.audit(&link.stream, "user_invited", None, address, "success");
        let url = link.url(&portal.settings.public_url);
        let valid_until = clock::dutch_time(link.expires_at_ms);
        let email = identity::normalize_email(&profile.email);
        let invitation = mail::invitation(&email, &profile.name, &url, &valid_until);
        if let Err(error) = mail::send(&smtp, &invitation) {
            tracing::warn!(target: "portal", user = %link.stream, %error, "an invitation mail was not sent");
            return page(
                StatusCode::OK,
                "",
                "De gebruiker is toegevoegd, maar de uitnodiging kon niet worden verstuurd. \
                 De gebruiker kan een link vragen met \u{201c}Wachtwoord vergeten?\u{201d}.",
            );
        }
        page(
            StatusCode::OK,
            &format!("Uitnodiging verstuurd naar {email}."),
            "",
        )
    })
    .await
}

/// Applies `change` to the user of `form`, confirmed and not the beheerder themselves.
fn change_user(
    portal: &Portal,
    signed: &Signed,
    csrf: &str,
    form: &ChangeForm,
    change: UserChange,
    address: IpAddr,
) -> Response {
    let page = |status, notice: &str, error: &str| {
        admin_page(portal, csrf, "", notice, error, status, &signed.user.stream)
    };
    if form.bevestig.is_none() {
        return page(
            StatusCode::BAD_REQUEST,
            "",
            "Bevestig de wijziging door het vakje aan te vinken; er is niets gewijzigd.",
        );
    }
    let email = identity::normalize_email(&form.email);
    if identity::user_stream(&portal.key, &email) == signed.user.stream {
        return page(
            StatusCode::BAD_REQUEST,
            "",
            "U kunt uw eigen account hier niet uitschakelen of zijn tweede factor verwijderen.",
        );
    }
    let (action, done) = match change {
        UserChange::Disabled => ("user_disabled", "is uitgeschakeld"),
        UserChange::TwoFactorReset => (
            "two_factor_reset",
            "moet bij de volgende keer inloggen opnieuw een tweede factor instellen",
        ),
    };
    match users::change(&*portal.log, &portal.key, &email, change, &by(signed)) {
        Ok(user) => {
            portal.audit(&user.stream, action, None, address, "success");
            if change == UserChange::Disabled {
                portal.end_sessions_of(&user.stream);
            }
            page(StatusCode::OK, &format!("{email} {done}."), "")
        }
        Err(users::UserError::NotFound) => page(
            StatusCode::NOT_FOUND,
            "",
            "Er is geen gebruiker met dit e-mailadres.",
        ),
        Err(users::UserError::AlreadyDisabled) => page(
            StatusCode::CONFLICT,
            "",
            "Deze gebruiker is al uitgeschakeld.",
        ),
        Err(_) => pages::unavailable(),
    }
}

/// POST /beheer/uitschakelen.
pub async fn disable(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
    Form(form): Form<ChangeForm>,
) -> Response {
    let address = super::client(&extensions);
    as_beheerder(portal, signed, move |portal, signed| {
        change_user(
            portal,
            signed,
            &csrf.0,
            &form,
            UserChange::Disabled,
            address,
        )
    })
    .await
}

/// POST /beheer/tweede-factor-resetten.
pub async fn reset_two_factor(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
    Form(form): Form<ChangeForm>,
) -> Response {
    let address = super::client(&extensions);
    as_beheerder(portal, signed, move |portal, signed| {
        change_user(
            portal,
            signed,
            &csrf.0,
            &form,
            UserChange::TwoFactorReset,
            address,
        )
    })
    .await
}

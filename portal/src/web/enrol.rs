//! Setting a password through a one-time link (invitation or reset), and enrolling a second
//! factor: a QR code drawn by the server as SVG and the secret as text, confirmed with a first
//! code, then ten recovery codes shown once. Re-enrolment asks for the password again.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use ketenpost_domain::events::{
    Event, LinkPurpose, PasswordSet, RecoveryCodesIssued, StreamId, TwoFactorEnrolled,
};
use ketenpost_domain::users::UserState;
use qrcode::render::svg;
use qrcode::QrCode;

use super::failures::clear_failures;
use super::forms::{CodeForm, NewPasswordForm};
use super::guard::{same, CsrfToken};
use super::login::see_other;
use super::pages::{self, render};
use super::sessions::{self, session_cookie, Session, Stage};
use super::Portal;
use crate::identity;
use crate::rules::password;
use crate::rules::session::SessionTimes;
use crate::rules::totp;
use crate::secrets;
use crate::users;

/// The user of a link, when the link is open, unexpired and its token right.
fn link_user(portal: &Portal, stream: &str, token: &str) -> Option<UserState> {
    let stream = StreamId::parse(stream)?;
    let user = users::by_stream(&*portal.log, &stream).ok().flatten()?;
    let link = user.open_link.as_ref()?;
    let right = same(&link.token_hash, &secrets::token_hash(token));
    (right && portal.now() < link.expires_at_ms && !user.disabled).then_some(user)
}

fn link_dead() -> Response {
    render(
        StatusCode::GONE,
        &pages::Notice {
            signed_in: false,
            csrf: String::new(),
            notice: String::new(),
            error: String::new(),
            heading: "Link niet meer geldig".to_owned(),
            text: "Deze link is verlopen of al gebruikt. Vraag een nieuwe aan via \
                   \"Wachtwoord vergeten?\" op de inlogpagina."
                .to_owned(),
            link: "/inloggen".to_owned(),
            link_text: "Naar de inlogpagina".to_owned(),
        },
    )
}

fn password_page(csrf: &str, stream: &str, token: &str, error: &str) -> pages::SetPassword {
    pages::SetPassword {
        signed_in: false,
        csrf: csrf.to_owned(),
        notice: String::new(),
        error: error.to_owned(),
        action: format!("/wachtwoord/{stream}/{token}"),
    }
}

/// GET /wachtwoord/{stream}/{token}.
pub async fn password_form(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    Path((stream, token)): Path<(String, String)>,
) -> Response {
    let checking = Arc::clone(&portal);
    let (s, t) = (stream.clone(), token.clone());
    let valid = tokio::task::spawn_blocking(move || link_user(&checking, &s, &t).is_some())
        .await
        .unwrap_or(false);
    if !valid {
        return link_dead();
    }
    render(StatusCode::OK, &password_page(&csrf.0, &stream, &token, ""))
}

/// POST /wachtwoord/{stream}/{token}.
pub async fn password_submit(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    Path((stream, token)): Path<(String, String)>,
    extensions: Extensions,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let address = super::client(&extensions);
    if form.wachtwoord != form.herhaal {
        return render(
            StatusCode::OK,
            &password_page(
                &csrf.0,
                &stream,
                &token,
                "De twee wachtwoorden zijn niet gelijk.",
            ),
        );
    }
    if let Err(refused) = password::check_new(&form.wachtwoord) {
        return render(
            StatusCode::OK,
            &password_page(&csrf.0, &stream, &token, &refused.to_string()),
        );
    }
    let working = Arc::clone(&portal);
    let (s, t) = (stream.clone(), token.clone());
    let outcome = tokio::task::spawn_blocking(move || {
        let user = link_user(&working, &s, &t)?;
        let hash = secrets::hash_password(&form.wachtwoord).ok()?;
        users::append(
            &*working.log,
            &user,
            Event::PasswordSet(PasswordSet { hash }),
        )
        .ok()?;
        let used = match user.open_link.as_ref().map(|l| l.purpose) {
            Some(LinkPurpose::Reset) => "reset_link",
            _ => "invitation_link",
        };
        working.audit(&user.stream, "password_set", Some(used), address, "success");
        working.end_sessions_of(&user.stream);
        clear_failures(&working, &user.stream);
        notify(
            &working,
            &user,
            "Uw wachtwoord voor het ketenpost-portaal is ingesteld.",
        );
        Some(user)
    })
    .await
    .ok()
    .flatten();
    let Some(user) = outcome else {
        return link_dead();
    };
    if user.enrolled() {
        // A new password never bypasses the second factor: log in with both.
        return render(
            StatusCode::OK,
            &pages::Notice {
                signed_in: false,
                csrf: csrf.0,
                notice: String::new(),
                error: String::new(),
                heading: "Wachtwoord ingesteld".to_owned(),
                text: "Uw wachtwoord is ingesteld. Log in met uw nieuwe wachtwoord en de code \
                       uit uw app."
                    .to_owned(),
                link: "/inloggen".to_owned(),
                link_text: "Inloggen".to_owned(),
            },
        );
    }
    let now = portal.now();
    let session = Session {
        user: user.stream,
        stage: Stage::Enrolling,
        times: SessionTimes {
            started_ms: now,
            last_seen_ms: now,
            remember: false,
        },
        pending_secret: None,
    };
    match portal.sessions.create(session) {
        Ok(id) => see_other("/profiel/twee-factor", &[session_cookie(&id, None)]),
        Err(_) => pages::unavailable(),
    }
}

/// Mails the user a notice of a change to their login (when mail is configured); a failure is
/// logged without the address.
pub(crate) fn notify(portal: &Portal, user: &UserState, what: &str) {
    let Some(smtp) = portal.settings.smtp.clone() else {
        return;
    };
    let Ok(profile) = identity::open_profile(&portal.key, &user.profile) else {
        return;
    };
    let mail = crate::mail::Mail {
        to: profile.email,
        subject: "Wijziging in uw ketenpost-account".to_owned(),
        body: format!(
            "Beste {},\n\n{what}\n\nWas u dit niet? Neem dan direct contact op met de \
             beheerder van uw organisatie.\n",
            profile.name
        ),
    };
    if let Err(error) = crate::mail::send(&smtp, &mail) {
        tracing::warn!(target: "portal", user = %user.stream, %error, "a notice mail was not sent");
    }
}

/// The session that may enrol: a fresh password (Enrolling) or a full login.
fn enrolling(portal: &Portal, headers: &HeaderMap) -> Option<(String, Session, UserState)> {
    let (id, session) = sessions::current(portal, headers)?;
    match session.stage {
        Stage::Enrolling => {
            let user = users::by_stream(&*portal.log, &session.user)
                .ok()
                .flatten()?;
            (!user.disabled).then_some((id, session, user))
        }
        Stage::Full => {
            let signed = sessions::signed_in(portal, headers, &[Stage::Full])?;
            Some((signed.id, signed.session, signed.user))
        }
        Stage::AwaitingCode => None,
    }
}

fn qr_svg(uri: &str) -> String {
    QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<svg::Color<'_>>()
                .min_dimensions(220, 220)
                .build()
        })
        .unwrap_or_default()
}

fn enrol_page(
    portal: &Portal,
    csrf: &str,
    user: &UserState,
    secret: &[u8],
    full: bool,
    error: &str,
) -> pages::Enrol {
    let account = identity::open_profile(&portal.key, &user.profile)
        .map(|p| p.email)
        .unwrap_or_default();
    pages::Enrol {
        signed_in: full,
        csrf: csrf.to_owned(),
        notice: String::new(),
        error: error.to_owned(),
        qr_svg: qr_svg(&totp::otpauth_uri("ketenpost", &account, secret)),
        secret: totp::base32(secret),
        ask_password: full,
    }
}

/// GET /profiel/twee-factor: a new secret for this session, shown as QR code and text.
pub async fn two_factor_form(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let working = Arc::clone(&portal);
    tokio::task::spawn_blocking(move || {
        let Some((id, session, user)) = enrolling(&working, &headers) else {
            return Redirect::to("/inloggen").into_response();
        };
        let Ok(secret) = secrets::random_bytes::<{ totp::SECRET_BYTES }>() else {
            return pages::unavailable();
        };
        working
            .sessions
            .update(&id, |s| s.pending_secret = Some(secret.to_vec()));
        let full = session.stage == Stage::Full;
        render(
            StatusCode::OK,
            &enrol_page(&working, &csrf.0, &user, &secret, full, ""),
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// POST /profiel/twee-factor: the first code confirms the secret; the recovery codes follow.
pub async fn two_factor_submit(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<CodeForm>,
) -> Response {
    let working = Arc::clone(&portal);
    let address = super::client(&extensions);
    tokio::task::spawn_blocking(move || {
        let Some((id, session, user)) = enrolling(&working, &headers) else {
            return Redirect::to("/inloggen").into_response();
        };
        let Some(secret) = session.pending_secret.clone() else {
            return Redirect::to("/profiel/twee-factor").into_response();
        };
        let full = session.stage == Stage::Full;
        let password_ok = !full
            || user
                .password_hash
                .as_deref()
                .is_some_and(|h| secrets::verify_password(&form.wachtwoord, h));
        let now_s = u64::try_from(working.now() / 1000).unwrap_or(0);
        let step = totp::check(&secret, &form.code, now_s, None).ok();
        let (Some(step), true) = (step, password_ok) else {
            let error = if password_ok {
                "De code klopt niet. Controleer de tijd op uw telefoon en probeer het opnieuw."
            } else {
                "Het wachtwoord is onjuist."
            };
            return render(
                StatusCode::OK,
                &enrol_page(&working, &csrf.0, &user, &secret, full, error),
            );
        };
        let (Ok(sealed), Ok(codes)) = (
            ketenpost_adapters::sealed::seal(&working.key, &secret),
            secrets::new_recovery_codes(),
        ) else {
            return pages::unavailable();
        };
        let hashes = codes.iter().map(|c| secrets::token_hash(c)).collect();
        let events = vec![
            Event::TwoFactorEnrolled(TwoFactorEnrolled {
                secret: sealed,
                step,
            }),
            Event::RecoveryCodesIssued(RecoveryCodesIssued { hashes }),
        ];
        if users::append_all(&*working.log, &user, events).is_err() {
            return pages::unavailable();
        }
        // Every session of the user ends with the change; this browser gets a new one.
        working.sessions.remove(&id);
        working.end_sessions_of(&user.stream);
        working.audit(
            &user.stream,
            "two_factor_enrolled",
            Some("totp"),
            address,
            "success",
        );
        if full {
            notify(
                &working,
                &user,
                "Uw twee-factorenauthenticatie is opnieuw ingesteld.",
            );
        }
        let now = working.now();
        let fresh = Session {
            user: user.stream.clone(),
            stage: Stage::Full,
            times: SessionTimes {
                started_ms: now,
                last_seen_ms: now,
                remember: false,
            },
            pending_secret: None,
        };
        let Ok(new_id) = working.sessions.create(fresh) else {
            return pages::unavailable();
        };
        let mut response = render(
            StatusCode::OK,
            &pages::Recovery {
                signed_in: true,
                csrf: csrf.0.clone(),
                notice: "Twee-factorenauthenticatie is ingesteld.".to_owned(),
                error: String::new(),
                codes,
            },
        );
        if let Ok(value) = session_cookie(&new_id, None).parse() {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, value);
        }
        response
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

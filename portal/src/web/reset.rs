//! "Wachtwoord vergeten? Geen probleem.": a reset link by e-mail. The answer is the same
//! whether the address is known, and it comes before any work on the address is done (the
//! lookup, the link and the mail happen in the background), so neither the text nor the time
//! tells who has an account. The link is valid for an hour and usable once; setting the
//! password through it ends every session and still asks for the second factor (`enrol.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::events::LinkPurpose;

use super::forms::EmailForm;
use super::guard::CsrfToken;
use super::login::{address_allows, TOO_MANY};
use super::pages::{self, render};
use super::Portal;
use crate::{clock, identity, mail, users};

/// The one answer to a reset request.
pub const RESET_SENT: &str = "Als dit e-mailadres bij ons bekend is, ontvangt u binnen enkele \
                              minuten een e-mail met een link om een nieuw wachtwoord te kiezen.";

fn forgot_page(csrf: &str, notice: &str, error: &str) -> pages::Forgot {
    pages::Forgot {
        signed_in: false,
        csrf: csrf.to_owned(),
        notice: notice.to_owned(),
        error: error.to_owned(),
    }
}

/// GET /wachtwoord-vergeten.
pub async fn form(Extension(csrf): Extension<CsrfToken>) -> Response {
    render(StatusCode::OK, &forgot_page(&csrf.0, "", ""))
}

/// POST /wachtwoord-vergeten.
pub async fn submit(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    extensions: Extensions,
    Form(form): Form<EmailForm>,
) -> Response {
    if !address_allows(&portal, &extensions) {
        return render(
            StatusCode::TOO_MANY_REQUESTS,
            &forgot_page(&csrf.0, "", TOO_MANY),
        );
    }
    let working = Arc::clone(&portal);
    let address = super::client(&extensions);
    // Not awaited: the answer does not wait for the lookup or the mail.
    drop(tokio::task::spawn_blocking(move || {
        let outcome = send_reset_link(&working, &form.email);
        let stream = identity::user_stream(&working.key, &form.email);
        working.audit(&stream, "reset_requested", None, address, outcome);
    }));
    render(StatusCode::OK, &forgot_page(&csrf.0, RESET_SENT, ""))
}

/// Issues and mails a reset link when `email` is a user who may log in; what became of the
/// request, for the security log.
fn send_reset_link(portal: &Portal, email: &str) -> &'static str {
    let Ok(Some(user)) = users::find(&*portal.log, &portal.key, email) else {
        return "unknown_user";
    };
    if user.disabled {
        return "disabled";
    }
    let Some(smtp) = portal.settings.smtp.clone() else {
        tracing::warn!(target: "portal", user = %user.stream, "a password reset was asked, but no [smtp] is configured");
        return "no_smtp";
    };
    let Ok(profile) = identity::open_profile(&portal.key, &user.profile) else {
        return "profile_unreadable";
    };
    let Ok(link) = users::issue_link(&*portal.log, &user, LinkPurpose::Reset, portal.now()) else {
        tracing::warn!(target: "portal", user = %user.stream, "a reset link could not be recorded");
        return "log_failed";
    };
    let url = link.url(&portal.settings.public_url);
    let message = mail::Mail {
        to: profile.email,
        subject: "Nieuw wachtwoord voor het ketenpost-portaal".to_owned(),
        body: format!(
            "Beste {},\n\nU heeft gevraagd om een nieuw wachtwoord. Kies het via deze link:\n\n\
             {url}\n\nDe link werkt één keer en is geldig tot {}. Heeft u dit niet gevraagd? \
             Dan kunt u deze e-mail negeren; uw wachtwoord blijft zoals het was.\n",
            profile.name,
            clock::dutch_time(link.expires_at_ms)
        ),
    };
    if let Err(error) = mail::send(&smtp, &message) {
        tracing::warn!(target: "portal", user = %user.stream, %error, "the reset mail was not sent");
        return "mail_failed";
    }
    "sent"
}

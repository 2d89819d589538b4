//! Toestemmingen (`/toestemmingen`): the consents the organisation gives the service desk, per
//! account (contact with Enovation or Nedap about it) and for seeing the message stream. Every
//! signed-in user sees them; a `beheerder` sets them, in force at once, each change an event
//! with who and when. [`stream_gate`] enforces the last one: without it a `servicedesk` user
//! gets no page under `/berichten` (the stream, a message, an attachment).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::events::{Consent, Role};

use super::guard::CsrfToken;
use super::pages::{self, render};
use super::sessions::{self, Stage};
use super::{Portal, Signed};
use crate::clock;
use crate::consents::{self, Standing};
use crate::identity;

/// The refusal a `servicedesk` user gets without the consent to see the stream.
pub const NO_STREAM_CONSENT: &str = "De organisatie heeft de servicedesk geen toestemming \
    gegeven om de berichtenstroom in te zien. Een beheerder van de organisatie kan dat geven \
    onder Toestemmingen.";

/// The Toestemmingen page.
#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    /// Whether the user may change them (a beheerder).
    pub editable: bool,
    pub rows: Vec<ConsentRow>,
}

/// One consent on the page.
pub struct ConsentRow {
    /// The form field: `contact:<account>` or `stroom`.
    pub field: String,
    /// The sentence.
    pub text: String,
    /// Given now.
    pub granted: bool,
    /// "Gegeven door X op dd-mm-jjjj hh:mm", or empty when never set.
    pub last: String,
}

/// Whether `signed` may see the message stream: every role but `servicedesk`, and that one
/// only with the organisation's consent (blocking: reads the log).
pub(crate) fn may_see_stream(portal: &Portal, signed: &Signed) -> bool {
    if signed.user.role != Role::Servicedesk {
        return true;
    }
    consents::given(&*portal.log, &Consent::ViewStream).unwrap_or_else(|error| {
        tracing::error!(target: "portal", %error, "the consents could not be read; refused");
        false
    })
}

/// In front of every page under `/berichten`: a `servicedesk` user without the consent to see
/// the stream is refused.
pub async fn stream_gate(
    State(portal): State<Arc<Portal>>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/berichten") {
        return next.run(request).await;
    }
    let headers = request.headers().clone();
    let checking = Arc::clone(&portal);
    let allowed = tokio::task::spawn_blocking(move || {
        sessions::signed_in(&checking, &headers, &[Stage::Full])
            .is_none_or(|signed| may_see_stream(&checking, &signed))
    })
    .await
    .unwrap_or(false);
    if allowed {
        next.run(request).await
    } else {
        pages::refusal(StatusCode::FORBIDDEN, NO_STREAM_CONSENT)
    }
}

/// Refuses someone who may not look at a message: a role that may not see client data, but
/// the service desk may look (not resend) when the organisation consents to it seeing the
/// stream, which `consent::stream_gate` checks in front of every page under `/berichten`.
pub(crate) fn refused_view(signed: &Signed) -> Option<Response> {
    if signed.user.role == Role::Servicedesk {
        return None;
    }
    refused_role(signed)
}

/// Refuses someone whose role may not see client data.
pub(crate) fn refused_role(signed: &Signed) -> Option<Response> {
    (!signed.has_role(&super::message::CLIENT_DATA_ROLES)).then(|| {
        pages::refusal(
            StatusCode::FORBIDDEN,
            "U heeft geen toegang tot de gegevens van cliënten.",
        )
    })
}

/// Every consent the page shows: per account, then the stream.
fn wanted(portal: &Portal) -> Vec<(Consent, String, String)> {
    let mut all: Vec<(Consent, String, String)> = portal
        .accounts
        .iter()
        .map(|account| {
            (
                Consent::ContactSupplier {
                    account: account.name.clone(),
                },
                format!("contact:{}", account.name),
                format!(
                    "De servicedesk heeft toestemming om voor support-doelstellingen, configuratie \
                     en implementatie contact op te nemen met {} voor het account {}",
                    account.supplier.name(),
                    account.name
                ),
            )
        })
        .collect();
    all.push((
        Consent::ViewStream,
        "stroom".to_owned(),
        "De servicedesk heeft toestemming om voor support-doelstellingen de berichtenstroom in \
         te zien"
            .to_owned(),
    ));
    all
}

fn page(portal: &Portal, signed: &Signed, csrf: &str, notice: &str) -> Response {
    let current = match consents::current(&*portal.log) {
        Ok(current) => current,
        Err(error) => {
            tracing::error!(target: "portal", %error, "the consents could not be read");
            return pages::unavailable();
        }
    };
    let rows = wanted(portal)
        .into_iter()
        .map(|(consent, field, text)| {
            let standing = current.get(&consent);
            ConsentRow {
                field,
                text,
                granted: standing.is_some_and(|s| s.granted),
                last: standing.map(|s| last(portal, s)).unwrap_or_default(),
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &ConsentPage {
            signed_in: true,
            csrf: csrf.to_owned(),
            notice: notice.to_owned(),
            error: String::new(),
            editable: signed.has_role(&[Role::Beheerder]),
            rows,
        },
    )
}

/// "Gegeven door Anna op 6-12-2026 09:12".
fn last(portal: &Portal, standing: &Standing) -> String {
    let who = ketenpost_domain::events::StreamId::parse(&standing.by)
        .and_then(|s| crate::users::by_stream(&*portal.log, &s).ok().flatten())
        .and_then(|u| identity::open_profile(&portal.key, &u.profile).ok())
        .map_or_else(|| "een beheerder".to_owned(), |p| p.name);
    format!(
        "{} door {who} op {}",
        if standing.granted {
            "Gegeven"
        } else {
            "Ingetrokken"
        },
        clock::dutch_time(standing.at_ms)
    )
}

/// GET /toestemmingen.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
) -> Response {
    tokio::task::spawn_blocking(move || page(&portal, &signed, &csrf.0, ""))
        .await
        .unwrap_or_else(|_| pages::unavailable())
}

/// POST /toestemmingen: a beheerder sets every consent on the page at once (a checked box
/// gives it, an unchecked one withdraws it); only changes are recorded.
pub async fn save(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !signed.has_role(&[Role::Beheerder]) {
        return pages::refusal(
            StatusCode::FORBIDDEN,
            "Alleen een beheerder van de organisatie geeft of trekt toestemmingen in.",
        );
    }
    tokio::task::spawn_blocking(move || {
        let Ok(current) = consents::current(&*portal.log) else {
            return pages::unavailable();
        };
        let mut changed = 0;
        for (consent, field, _) in wanted(&portal) {
            let granted = fields.iter().any(|(k, v)| *k == field && v == "ja");
            let now = current.get(&consent).is_some_and(|s| s.granted);
            if granted != now {
                if let Err(error) =
                    consents::set(&*portal.log, consent, granted, &signed.user.stream)
                {
                    tracing::error!(target: "portal", %error, "a consent could not be recorded");
                    return pages::unavailable();
                }
                changed += 1;
            }
        }
        let notice = if changed == 0 {
            "Er is niets gewijzigd."
        } else {
            "De toestemmingen zijn opgeslagen en gelden direct."
        };
        page(&portal, &signed, &csrf.0, notice)
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

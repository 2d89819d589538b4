//! One message (`/berichten/{id}`): arrival, the reason in a Dutch sentence, Naam cliënt, BSN
//! and Afzender from the sealed payload, the attachments as downloads (the PDF rendered on
//! demand, the original message), the timeline, and HERZENDEN with a confirmation page (a POST
//! with the CSRF token). Client data is for the secretariat and the beheerder; every view,
//! download and resend is recorded in the access log (`crate::access`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use ketenpost_domain::category::Category;
use ketenpost_domain::events::{Role, REMOVED_AFTER_RETENTION};
use ketenpost_domain::ports::MessageDetail;
use ketenpost_domain::projections::State as MessageState;

use super::consent::{refused_role, refused_view};
use super::guard::CsrfToken;
use super::login::see_other;
use super::pages::{self, render};
use super::{client, Portal, Signed};
use crate::access::{Access, Action};

use crate::clock;
use crate::detail::{self, ClientData};

/// The roles that may see a client's data and resend.
pub const CLIENT_DATA_ROLES: [Role; 2] = [Role::Secretariaat, Role::Beheerder];

/// A message with its payload, read for one request.
pub(crate) struct Loaded {
    pub(crate) id: String,
    pub(crate) detail: MessageDetail,
    pub(crate) bytes: Vec<u8>,
}

impl Loaded {
    pub(crate) fn parsed(&self) -> Option<&ketenpost_domain::events::MessageParsed> {
        detail::parsed(&self.detail)
    }

    fn state(&self) -> Option<MessageState> {
        self.detail.summary.as_ref().map(|s| s.state)
    }
}

/// Why a message could not be read for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadError {
    /// No such message (or not a message id).
    NotFound,
    /// The log or the payload store failed, or the portal has no read side.
    Unavailable,
}

impl LoadError {
    /// The page people get.
    pub(crate) fn response(self) -> Response {
        match self {
            Self::NotFound => pages::refusal(StatusCode::NOT_FOUND, "Dit bericht bestaat niet."),
            Self::Unavailable => pages::unavailable(),
        }
    }
}

/// [`load`] for `who` doing `action`: a message that cannot be loaded is recorded in the
/// access log as `not_found` and answered.
pub(crate) fn load_seen(
    portal: &Portal,
    who: &Access,
    action: Action,
    id: &str,
) -> Result<Loaded, Box<Response>> {
    load(portal, id).map_err(|error| {
        portal.record_access(who, action, Some(id), None, "not_found");
        Box::new(error.response())
    })
}

/// Reads message `id` and its payload (blocking).
pub(crate) fn load(portal: &Portal, id: &str) -> Result<Loaded, LoadError> {
    let (Some(reader), Some(payloads)) = (&portal.reader, &portal.payloads) else {
        return Err(LoadError::Unavailable);
    };
    let stream = detail::message_id(id).ok_or(LoadError::NotFound)?;
    let found = reader.message_detail(&stream).map_err(|error| {
        tracing::error!(target: "portal", %error, message = %stream, "a message could not be read");
        LoadError::Unavailable
    })?;
    let detail = found.ok_or(LoadError::NotFound)?;
    let parsed = detail::parsed(&detail).ok_or(LoadError::NotFound)?;
    let bytes = detail::payload(&**payloads, parsed)
        .map_err(|error| {
            tracing::error!(target: "portal", %error, message = %stream, "a payload could not be read");
            LoadError::Unavailable
        })?
        .unwrap_or_default();
    Ok(Loaded {
        id: stream.as_str().to_owned(),
        detail,
        bytes,
    })
}

/// The heading: "Bericht met onbekend BSN van <afzender>".
fn heading(state: Option<MessageState>, sender: &str) -> String {
    let what = match state {
        Some(MessageState::Category(Category::UnknownBsn)) => "Bericht met onbekend BSN",
        Some(MessageState::Category(Category::MissingBsn)) => "Bericht zonder BSN",
        Some(MessageState::Category(Category::Unsupported)) => "Niet ondersteund bericht",
        Some(MessageState::Category(Category::TechnicalError)) => "Bericht met technische fout",
        Some(MessageState::Category(Category::Fallout)) => "Uitgevallen bericht",
        Some(MessageState::Category(Category::Processed)) => "Verwerkt bericht",
        _ => "Bericht in behandeling",
    };
    if sender.is_empty() {
        what.to_owned()
    } else {
        format!("{what} van {sender}")
    }
}

/// Whether HERZENDEN is offered: in a category other than Verwerkt.
fn can_resend(state: Option<MessageState>) -> bool {
    matches!(state, Some(MessageState::Category(c)) if c != Category::Processed)
}

/// Runs `work` off the async threads with the request's user and address for the access log.
pub(crate) async fn blocking(work: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| pages::unavailable())
}

/// GET /berichten/{id}.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refused_view(&signed) {
        return refused;
    }
    let who = super::access_of(&signed, client(&extensions));
    blocking(move || {
        let loaded = match load_seen(&portal, &who, Action::View, &id) {
            Ok(loaded) => loaded,
            Err(response) => return *response,
        };
        let Some(parsed) = loaded.parsed() else {
            return pages::unavailable();
        };
        let expired = detail::expired(&loaded.detail);
        let ClientData { name, bsn, sender } = detail::client_data(&loaded.bytes, parsed);
        portal.record_access(
            &who,
            Action::View,
            Some(&loaded.id),
            bsn.as_deref(),
            "success",
        );
        let state = loaded.state();
        let reason = detail::current_reason(&loaded.detail)
            .map(|(category, reason)| detail::reason_sentence(category, reason))
            .unwrap_or_default();
        let remote_id = loaded
            .detail
            .received
            .as_ref()
            .map(|r| r.remote_id.clone())
            .unwrap_or_default();
        render(
            StatusCode::OK,
            &pages::MessagePage {
                signed_in: true,
                csrf: csrf.0,
                notice: String::new(),
                error: String::new(),
                heading: heading(state, &sender),
                id: loaded.id.clone(),
                arrived: detail::arrived_ms(&loaded.detail)
                    .map(clock::dutch_time)
                    .unwrap_or_default(),
                label: state.map(MessageState::label).unwrap_or_default(),
                tab: match state {
                    Some(MessageState::Category(c)) => c.as_str(),
                    _ => "",
                },
                reason,
                name: match (expired, name.is_empty()) {
                    (true, _) => REMOVED_AFTER_RETENTION.into(),
                    (false, true) => "onbekend".into(),
                    (false, false) => name,
                },
                bsn: match (expired, bsn) {
                    (true, _) => REMOVED_AFTER_RETENTION.into(),
                    (false, Some(bsn)) => bsn,
                    (false, None) => "ontbreekt of is ongeldig".into(),
                },
                sender,
                original: detail::original_name(&remote_id),
                can_resend: can_resend(state) && !expired,
                expired,
                timeline: detail::timeline(&loaded.detail.timeline),
            },
        )
    })
    .await
}

/// GET /berichten/{id}/herzenden: "Dit bericht opnieuw verzenden?".
pub async fn confirm(
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refused_role(&signed) {
        return refused;
    }
    let Some(stream) = detail::message_id(&id) else {
        return pages::refusal(StatusCode::NOT_FOUND, "Dit bericht bestaat niet.");
    };
    render(
        StatusCode::OK,
        &pages::Confirm {
            signed_in: true,
            csrf: csrf.0,
            notice: String::new(),
            error: String::new(),
            question: "Dit bericht opnieuw verzenden?".into(),
            action: format!("/berichten/{stream}/herzenden"),
            ids: Vec::new(),
            tab: String::new(),
            bulk: false,
            back: format!("/berichten/{stream}"),
        },
    )
}

/// POST /berichten/{id}/herzenden: records the resend, back to the message (now in progress).
pub async fn resend(
    State(portal): State<Arc<Portal>>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refused_role(&signed) {
        return refused;
    }
    let who = super::access_of(&signed, client(&extensions));
    blocking(move || match resend_one(&portal, &who, &id) {
        Ok(()) => see_other(&format!("/berichten/{id}"), &[]),
        Err(text) => pages::refusal(StatusCode::CONFLICT, text),
    })
    .await
}

/// Resends message `id` for `who`, recording the access; the Dutch refusal otherwise.
pub(crate) fn resend_one(portal: &Portal, who: &Access, id: &str) -> Result<(), &'static str> {
    let Some(resender) = &portal.resender else {
        return Err("Opnieuw verzenden is hier niet ingesteld.");
    };
    let bsn = load(portal, id).ok().and_then(|loaded| {
        loaded
            .parsed()
            .and_then(|p| detail::client_data(&loaded.bytes, p).bsn)
    });
    match resender.resend(id, &who.requested_by()) {
        Ok(()) => {
            portal.record_access(who, Action::Resend, Some(id), bsn.as_deref(), "success");
            Ok(())
        }
        Err(refusal) => {
            portal.record_access(
                who,
                Action::Resend,
                Some(id),
                bsn.as_deref(),
                refusal_code(&refusal),
            );
            Err(refusal.dutch())
        }
    }
}

fn refusal_code(refusal: &detail::ResendRefusal) -> &'static str {
    match refusal {
        detail::ResendRefusal::NotFound => "not_found",
        detail::ResendRefusal::Processed => "processed",
        detail::ResendRefusal::InProgress => "in_progress",
        detail::ResendRefusal::Expired => "expired",
        detail::ResendRefusal::Failed(_) => "failed",
    }
}

//! A message's attachments (`/berichten/{id}/pdf`, `/berichten/{id}/origineel`): the PDF as
//! it was or would be placed, rendered on demand from the sealed payload, and the original
//! message as it arrived; each download recorded in the access log. After the retention
//! period the payload is gone: the answer says so (410) and the attempt is recorded.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::consent::refused_view;
use super::message::{blocking, load_seen, Loaded};
use super::pages;
use super::{client, Portal, Signed};
use crate::access::{Access, Action};
use crate::detail;

/// What people are told when the attachments are gone.
const EXPIRED: &str = "De bijlagen van dit bericht zijn verwijderd na de bewaartermijn.";

/// Refuses a download of a message whose retention ended, recording the attempt.
fn expired(portal: &Portal, who: &Access, action: Action, loaded: &Loaded) -> Option<Response> {
    detail::expired(&loaded.detail).then(|| {
        portal.record_access(who, action, Some(&loaded.id), None, "expired");
        pages::refusal(StatusCode::GONE, EXPIRED)
    })
}

/// A download with `name` and `content_type`.
fn download(bytes: Vec<u8>, name: &str, content_type: &'static str) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Serves an attachment of message `id` as `action`: refused as a view is, recorded when the
/// message is not found or its retention ended, else `give`n the loaded message and its
/// client's BSN (which records the outcome).
async fn attachment(
    portal: Arc<Portal>,
    signed: &Signed,
    extensions: &axum::http::Extensions,
    id: String,
    action: Action,
    give: impl FnOnce(&Portal, &Access, Loaded, Option<String>) -> Response + Send + 'static,
) -> Response {
    if let Some(refused) = refused_view(signed) {
        return refused;
    }
    let who = super::access_of(signed, client(extensions));
    blocking(move || {
        let loaded = match load_seen(&portal, &who, action, &id) {
            Ok(loaded) => loaded,
            Err(response) => return *response,
        };
        if let Some(refused) = expired(&portal, &who, action, &loaded) {
            return refused;
        }
        let Some(parsed) = loaded.parsed() else {
            return pages::unavailable();
        };
        let bsn = detail::client_data(&loaded.bytes, parsed).bsn;
        give(&portal, &who, loaded, bsn)
    })
    .await
}

/// GET /berichten/{id}/pdf: the PDF as it was or would be placed.
pub async fn pdf(
    State(portal): State<Arc<Portal>>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    let action = Action::DownloadPdf;
    attachment(
        portal,
        &signed,
        &extensions,
        id,
        action,
        move |portal, who, loaded, bsn| {
            let Some(parsed) = loaded.parsed() else {
                return pages::unavailable();
            };
            let (outcome, answer) = match detail::pdf(&loaded.bytes, parsed) {
                Ok(bytes) => (
                    "success",
                    download(bytes, &format!("{}.pdf", loaded.id), "application/pdf"),
                ),
                Err(text) => (
                    "not_renderable",
                    pages::refusal(StatusCode::UNPROCESSABLE_ENTITY, &text),
                ),
            };
            portal.record_access(who, action, Some(&loaded.id), bsn.as_deref(), outcome);
            answer
        },
    )
    .await
}

/// GET /berichten/{id}/origineel: the original message as it arrived.
pub async fn original(
    State(portal): State<Arc<Portal>>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    let action = Action::DownloadOriginal;
    attachment(
        portal,
        &signed,
        &extensions,
        id,
        action,
        move |portal, who, loaded, bsn| {
            portal.record_access(who, action, Some(&loaded.id), bsn.as_deref(), "success");
            let name = loaded
                .detail
                .received
                .as_ref()
                .map(|r| detail::original_name(&r.remote_id))
                .unwrap_or_else(|| "bericht.edi".into());
            download(loaded.bytes, &name, "application/octet-stream")
        },
    )
    .await
}

//! The attachments through the API, as the portal offers them: `GET
//! /api/v1/messages/{id}/document` (the PDF as it was or would be placed, rendered from the
//! payload) and `GET /api/v1/messages/{id}/original` (the message as it arrived). Each request
//! is an access event with the token's name as the user, whatever its outcome.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::events::{Event, MessageParsed, StreamId, StreamKind};
use ketenpost_domain::ports::{EventLog, PayloadStore};
use ketenpost_portal::access::Action;
use ketenpost_portal::detail;
use serde_json::json;

use super::api::Api;
use super::api_access::TokenName;
use super::state::now_ms;

/// Which attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attachment {
    Document,
    Original,
}

impl Attachment {
    fn action(self) -> Action {
        match self {
            Self::Document => Action::DownloadPdf,
            Self::Original => Action::DownloadOriginal,
        }
    }
}

/// What a download gave.
enum Outcome {
    File {
        bytes: Vec<u8>,
        name: String,
        content_type: &'static str,
    },
    Refused(StatusCode, String),
}

/// GET /api/v1/messages/{id}/document.
pub(super) async fn document(
    State(api): State<Api>,
    Extension(TokenName(token)): Extension<TokenName>,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    download(api, token, &extensions, id, Attachment::Document).await
}

/// GET /api/v1/messages/{id}/original.
pub(super) async fn original(
    State(api): State<Api>,
    Extension(TokenName(token)): Extension<TokenName>,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    download(api, token, &extensions, id, Attachment::Original).await
}

async fn download(
    api: Api,
    token: String,
    extensions: &axum::http::Extensions,
    id: String,
    attachment: Attachment,
) -> Response {
    let Some(stream) = StreamId::parse(&id).filter(|s| s.kind() == Some(StreamKind::Message))
    else {
        return refused(StatusCode::NOT_FOUND, format!("no message {id}"));
    };
    let access = Arc::clone(&api.access);
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let outcome = api
        .shared
        .on_log(move |log| {
            let (outcome, code) = attachment_of(log, &stream, attachment);
            access.record(
                log,
                &token,
                peer,
                attachment.action(),
                &stream,
                code,
                now_ms(),
            );
            Ok(outcome)
        })
        .await;
    match outcome {
        Ok(Outcome::File {
            bytes,
            name,
            content_type,
        }) => {
            let mut response = (
                [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
                bytes,
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Ok(Outcome::Refused(status, text)) => refused(status, text),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "an attachment could not be read"
            );
            refused(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
        }
    }
}

fn refused(status: StatusCode, text: String) -> Response {
    (status, axum::Json(json!({ "error": text }))).into_response()
}

/// The attachment and the access log's outcome (`success`, `not_found`, `expired`,
/// `not_renderable`, `failed`).
fn attachment_of(
    log: &DiskEventLog,
    stream: &StreamId,
    attachment: Attachment,
) -> (Outcome, &'static str) {
    let not_found = || {
        (
            Outcome::Refused(StatusCode::NOT_FOUND, format!("no message {stream}")),
            "not_found",
        )
    };
    let failed = |what: &str| {
        tracing::error!(message = %stream, what, "an attachment could not be read");
        (
            Outcome::Refused(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into()),
            "failed",
        )
    };
    let Ok(history) = log.read_stream(stream) else {
        return failed("the message");
    };
    let Some(parsed) = history.iter().find_map(|e| match &e.event {
        Event::MessageParsed(p) => Some(p.clone()),
        _ => None,
    }) else {
        return not_found();
    };
    let expired = history
        .iter()
        .any(|e| matches!(e.event, Event::RetentionExpired(_)));
    let bytes = match log.payloads().get(&parsed.payload_digest) {
        Ok(Some(bytes)) if !expired => bytes,
        Ok(_) if expired => {
            return (
                Outcome::Refused(
                    StatusCode::GONE,
                    format!("the retention period of {stream} has ended: its payload is removed"),
                ),
                "expired",
            )
        }
        Ok(_) => return not_found(),
        Err(_) => return failed("the payload"),
    };
    match attachment {
        Attachment::Original => (
            Outcome::File {
                bytes,
                name: original_name(log, &parsed),
                content_type: "application/octet-stream",
            },
            "success",
        ),
        Attachment::Document => match detail::pdf(&bytes, &parsed) {
            Ok(pdf) => (
                Outcome::File {
                    bytes: pdf,
                    name: format!("{stream}.pdf"),
                    content_type: "application/pdf",
                },
                "success",
            ),
            Err(_) => (
                Outcome::Refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("no PDF document can be made of {stream}"),
                ),
                "not_renderable",
            ),
        },
    }
}

/// The original's file name: its name at the mailbox when that is a plain file name.
fn original_name(log: &DiskEventLog, parsed: &MessageParsed) -> String {
    let remote_id = log
        .read_stream(&parsed.receipt)
        .ok()
        .and_then(|events| {
            events.into_iter().find_map(|e| match e.event {
                Event::MessageReceived(r) => Some(r.remote_id),
                _ => None,
            })
        })
        .unwrap_or_default();
    detail::original_name(&remote_id)
}

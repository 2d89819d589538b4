//! The HTTP API for support staff and monitoring: counts, lists, one message's detail and
//! timeline, its attachments (`api_downloads.rs`), resend (all behind the bearer token), and health, readiness and metrics (open).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::{Json, Router};
use ketenpost_domain::category::Reason;
use ketenpost_domain::events::{Event, StreamId, StreamKind};
use ketenpost_domain::ports::{EventLog, MessageDetail, ReadSide};
use ketenpost_domain::projections::State as MessageState;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api_access::{token_name, ApiAccess, TokenName};
use super::dispatch::WorkQueue;
use super::state::now_ms;
use super::state::Shared;
use crate::commands::events::line;
use crate::resend::{self, ResendRefused};
use ketenpost_portal::access::Action;

/// What the handlers share.
#[derive(Clone)]
pub struct Api {
    /// The daemon's shared state.
    pub shared: Arc<Shared>,
    /// Where resent messages go.
    pub queue: WorkQueue,
    /// Whether start-up (resuming earlier work) is done.
    pub ready: Arc<AtomicBool>,
    /// The access log's writer for the API's views of messages.
    pub access: Arc<ApiAccess>,
}

/// The routes.
pub fn router(api: Api) -> Router {
    let protected = Router::new()
        .route("/api/v1/counts", get(counts))
        .route("/api/v1/messages", get(messages))
        .route("/api/v1/messages/{id}", get(message))
        .route("/api/v1/messages/{id}/resend", post(resend_message))
        .route(
            "/api/v1/messages/{id}/document",
            get(super::api_downloads::document),
        )
        .route(
            "/api/v1/messages/{id}/original",
            get(super::api_downloads::original),
        )
        .route("/api/v1/backup", post(super::backup::backup))
        .route_layer(middleware::from_fn_with_state(api.clone(), bearer));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(protected)
        .with_state(api)
}

fn problem(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "error": text.into() }))).into_response()
}

fn internal(error: &anyhow::Error) -> Response {
    tracing::error!(error = %format!("{error:#}"), "API request failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the event log could not be read",
    )
}

async fn bearer(State(api): State<Api>, mut request: Request, next: Next) -> Response {
    let name = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|given| token_name(&api.shared.settings.api.tokens, given));
    match name {
        Some(name) => {
            request.extensions_mut().insert(TokenName(name));
            next.run(request).await
        }
        None => {
            let mut response = problem(StatusCode::UNAUTHORIZED, "a valid bearer token is needed");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            response
        }
    }
}

async fn counts(State(api): State<Api>) -> Response {
    match api.shared.on_log(|log| Ok(log.category_counts()?)).await {
        Ok(counts) => {
            let labels: BTreeMap<&str, &str> = counts
                .iter()
                .map(|(s, _)| (s.as_str(), s.label()))
                .collect();
            let counts: BTreeMap<&str, i64> =
                counts.iter().map(|(s, n)| (s.as_str(), *n)).collect();
            let mut body = json!({
                "counts": counts,
                "labels": labels,
                "mailboxes": api.shared.mailbox_health(),
                "record_systems": api.shared.record_system_health(),
            });
            // Only with `[amqp]`: the owner's connection to the broker.
            if let (Some(_), Some(fields)) = (&api.shared.settings.amqp, body.as_object_mut()) {
                fields.insert("broker".to_owned(), api.shared.broker.summary());
            }
            Json(body).into_response()
        }
        Err(error) => internal(&error),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    category: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

async fn messages(State(api): State<Api>, Query(query): Query<ListQuery>) -> Response {
    let Some(name) = query.category else {
        return problem(
            StatusCode::BAD_REQUEST,
            "category is required, e.g. ?category=unknown_bsn",
        );
    };
    let Some(state) = MessageState::from_name(&name) else {
        let known: Vec<&str> = MessageState::ALL.iter().map(|s| s.as_str()).collect();
        return problem(
            StatusCode::BAD_REQUEST,
            format!("unknown category {name:?}; use one of {}", known.join(", ")),
        );
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let cursor = query.cursor;
    match api
        .shared
        .on_log(move |log| Ok(log.category_page(state, cursor.as_deref(), limit)?))
        .await
    {
        Ok(page) => Json(json!({
            "category": state.as_str(),
            "label": state.label(),
            "messages": page.messages,
            "next_cursor": page.next_cursor,
        }))
        .into_response(),
        Err(error) if error.to_string().contains("cursor") => {
            problem(StatusCode::BAD_REQUEST, format!("{error:#}"))
        }
        Err(error) => internal(&error),
    }
}

fn message_id(id: &str) -> Option<StreamId> {
    StreamId::parse(id).filter(|s| s.kind() == Some(StreamKind::Message))
}

async fn message(
    State(api): State<Api>,
    Extension(TokenName(token)): Extension<TokenName>,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    let Some(stream) = message_id(&id) else {
        return problem(StatusCode::NOT_FOUND, format!("no message {id}"));
    };
    let access = Arc::clone(&api.access);
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let found = api
        .shared
        .on_log(move |log| {
            let found = log.message_detail(&stream)?;
            let outcome = if found.is_some() {
                "success"
            } else {
                "not_found"
            };
            access.record_view(log, &token, peer, &stream, outcome, now_ms());
            Ok(found)
        })
        .await;
    match found {
        Ok(Some(MessageDetail {
            summary,
            received,
            timeline,
        })) => {
            let facts = ketenpost_domain::delivery::MessageFacts::from_history(
                &timeline
                    .iter()
                    .filter(|e| e.stream.kind() == Some(StreamKind::Message))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            let sender = facts.parsed.as_ref().and_then(|p| {
                ketenpost_domain::delivery::sender(
                    p,
                    received.as_ref().and_then(|r| r.envelope.as_deref()),
                )
                .map(str::to_owned)
            });
            let placement = timeline.iter().rev().find_map(|e| match &e.event {
                Event::DocumentPlaced(p) => serde_json::to_value(p).ok(),
                _ => None,
            });
            let reason = timeline.iter().rev().find_map(|e| match &e.event {
                Event::MessageClassified(c) => Some(Some(&c.reason)),
                Event::ResendRequested(_) | Event::AwaitingDelivery => Some(None),
                _ => None,
            });
            let reason = reason.flatten();
            let state = summary.as_ref().map(|s| s.state);
            Json(json!({
                "id": id,
                "mailbox": received.as_ref().map(|r| r.mailbox.clone()),
                "remote_id": received.as_ref().map(|r| r.remote_id.clone()),
                "envelope": received.as_ref().and_then(|r| r.envelope.clone()),
                "sender": sender,
                "type": facts.parsed.as_ref().and_then(|p| p.identifier.clone())
                    .or_else(|| facts.parsed.as_ref().map(|p| p.format.as_str().to_owned())),
                "category": state.map(MessageState::as_str),
                "label": state.map(MessageState::label),
                "reason": reason.map(Reason::describe),
                "reason_code": reason.map(Reason::code),
                "placement": placement,
                "retention": crate::commands::show::removed(&timeline),
                "summary": summary,
                "timeline": timeline.iter().map(line).collect::<Vec<Value>>(),
            }))
            .into_response()
        }
        Ok(None) => problem(StatusCode::NOT_FOUND, format!("no message {id}")),
        Err(error) => internal(&error),
    }
}

async fn resend_message(
    State(api): State<Api>,
    Extension(TokenName(token)): Extension<TokenName>,
    extensions: axum::http::Extensions,
    Path(id): Path<String>,
) -> Response {
    let wanted = id.clone();
    let access = Arc::clone(&api.access);
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let outcome = api
        .shared
        .on_log(move |log| {
            let outcome = resend::request(log, &wanted, &format!("api:{token}"));
            // A resend is a transfer to the record system: an access to the client's data.
            if let Some(stream) = message_id(&wanted) {
                let code = match &outcome {
                    Ok(_) => "success",
                    Err(ResendRefused::NotFound(_)) => "not_found",
                    Err(ResendRefused::Processed(_)) => "processed",
                    Err(ResendRefused::InProgress(_)) => "in_progress",
                    Err(ResendRefused::Expired(_)) => "expired",
                    Err(ResendRefused::Log(_)) => "failed",
                };
                access.record(log, &token, peer, Action::Resend, &stream, code, now_ms());
            }
            Ok(outcome)
        })
        .await;
    match outcome {
        Ok(Ok(stream)) => {
            api.queue.push(stream);
            (
                StatusCode::ACCEPTED,
                Json(json!({ "id": id, "category": "in_flight" })),
            )
                .into_response()
        }
        Ok(Err(refused @ ResendRefused::NotFound(_))) => {
            problem(StatusCode::NOT_FOUND, refused.to_string())
        }
        Ok(Err(refused @ (ResendRefused::Processed(_) | ResendRefused::InProgress(_)))) => {
            problem(StatusCode::CONFLICT, refused.to_string())
        }
        Ok(Err(refused @ ResendRefused::Expired(_))) => {
            problem(StatusCode::GONE, refused.to_string())
        }
        Ok(Err(refused @ ResendRefused::Log(_))) => internal(&anyhow::anyhow!(refused.to_string())),
        Err(error) => internal(&error),
    }
}

async fn readyz(State(api): State<Api>) -> Response {
    if let Some(failure) = api.shared.log.failure() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "why": format!("the event log failed: {failure}") })),
        )
            .into_response();
    }
    let behind = api
        .shared
        .on_log(|log| Ok(log.next_position().saturating_sub(log.checkpoint()?)))
        .await;
    if api.shared.settings.amqp.is_some() && !api.shared.broker.connected() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "why": "the broker ([amqp]) is not connected" })),
        )
            .into_response();
    }
    let started = api.ready.load(Ordering::Acquire);
    match behind {
        Ok(behind) if started => {
            Json(json!({ "ready": true, "projections_behind": behind })).into_response()
        }
        Ok(behind) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "projections_behind": behind, "why": "starting" })),
        )
            .into_response(),
        Err(error) => internal(&error),
    }
}

async fn metrics(State(api): State<Api>) -> Response {
    let figures = api
        .shared
        .on_log(|log| Ok((log.category_counts()?, log.store_figures())))
        .await;
    match figures.map(|(counts, store)| {
        api.shared.metrics.store_figures(&store);
        counts
    }) {
        Ok(counts) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            match api.shared.settings.amqp {
                Some(_) => api
                    .shared
                    .broker
                    .add_metrics(api.shared.metrics.render(&counts)),
                None => api.shared.metrics.render(&counts),
            },
        )
            .into_response(),
        Err(error) => internal(&error),
    }
}

//! `POST /api/v1/backup?to=DIR`: the running daemon writes a consistent copy of its data
//! folder (without the key file) into `DIR`, a new or empty folder on its own machine, while it
//! goes on working (see `adapters/src/event_log/backup.rs`). `ketenpost backup --config` calls it.

use std::path::PathBuf;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ketenpost_adapters::event_log::BackupError;
use serde::Deserialize;
use serde_json::json;

use super::api::Api;

/// The query of a backup request.
#[derive(Debug, Deserialize)]
pub struct BackupQuery {
    /// The folder to write the copy into: absolute, new or empty.
    to: String,
}

/// Makes the copy; answers what it holds.
pub async fn backup(State(api): State<Api>, Query(query): Query<BackupQuery>) -> Response {
    let to = PathBuf::from(&query.to);
    if !to.is_absolute() {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "error": format!("to = {:?}: give an absolute folder", query.to) }),
        );
    }
    let target = to.clone();
    let made = api
        .shared
        .on_log(move |log| Ok(log.backup_to(&target)))
        .await;
    match made {
        Ok(Ok(report)) => {
            tracing::info!(
                to = %to.display(),
                events = report.events,
                payloads = report.payloads,
                bytes = report.bytes,
                "backup made"
            );
            answer(
                StatusCode::OK,
                json!({
                    "to": to.display().to_string(),
                    "events": report.events,
                    "payloads": report.payloads,
                    "bytes": report.bytes,
                }),
            )
        }
        Ok(Err(refused @ BackupError::NotEmpty(_))) => answer(
            StatusCode::CONFLICT,
            json!({ "error": refused.to_string() }),
        ),
        Ok(Err(failed)) => {
            tracing::error!(error = %failed, "backup failed");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": failed.to_string() }),
            )
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "backup failed");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "the backup could not be made" }),
            )
        }
    }
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

//! `ketenpost show`: one message with its whole timeline, from receipt to its category.

use anyhow::Context;
use ketenpost_domain::events::{Event, RecordedEvent, StreamId, REMOVED_AFTER_RETENTION};
use ketenpost_domain::ports::EventLog;
use serde_json::json;

use super::events::line;
use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Prints one message.
///
/// An id that is not a message id, or names no message, is refused input like in `resend`:
/// named on stderr, exit 2.
///
/// # Errors
/// The data folder or the daemon cannot be used.
pub fn run(id: &str, as_json: bool, data: &DataArgs) -> anyhow::Result<Outcome> {
    if let Some(file) = &data.config {
        return remote_show(file, id, as_json);
    }
    let log = store::open(data)?;
    let Some(stream) = StreamId::parse(id) else {
        eprintln!("ketenpost: {id:?} is not a message id");
        return Ok(Outcome::Malformed);
    };
    let Some(summary) = log.message(&stream).context("Failed to read the message")? else {
        eprintln!("ketenpost: no message {id}");
        return Ok(Outcome::Malformed);
    };
    let mut timeline = log.read_stream(&summary.receipt)?;
    timeline.extend(log.read_stream(&stream)?);
    let retention = removed(&timeline);
    let timeline: Vec<_> = timeline.iter().map(line).collect();
    if as_json {
        println!(
            "{}",
            json!({
                "message": summary,
                "label": summary.state.label(),
                "retention": retention,
                "timeline": timeline,
            })
        );
        return Ok(Outcome::Understood);
    }
    println!("message     {}", summary.stream);
    println!(
        "state       {} ({})",
        summary.state.label(),
        summary.state.as_str()
    );
    if let Some(reason) = &summary.reason {
        let code = summary.reason_code.as_deref().unwrap_or("-");
        println!("reason      {reason} ({code})");
    }
    if let Some(retention) = retention {
        println!("retention   {retention}");
    }
    println!(
        "mailbox     {} (remote id {})",
        summary.mailbox, summary.remote_id
    );
    println!(
        "type        {}",
        summary
            .identifier
            .as_deref()
            .unwrap_or(summary.format.as_str())
    );
    println!(
        "references  interchange {} message {}",
        summary.interchange_ref.as_deref().unwrap_or("-"),
        summary.message_ref.as_deref().unwrap_or("-")
    );
    println!(
        "sender      {}",
        summary.sender_id.as_deref().unwrap_or("-")
    );
    print_timeline(timeline.iter());
    Ok(Outcome::Understood)
}

/// "verwijderd na de bewaartermijn" when the message's retention period is over.
pub fn removed(timeline: &[RecordedEvent]) -> Option<&'static str> {
    timeline
        .iter()
        .any(|e| matches!(e.event, Event::RetentionExpired(_)))
        .then_some(REMOVED_AFTER_RETENTION)
}

/// The timeline, one event a line: position, time, type, summary.
fn print_timeline<'a>(events: impl Iterator<Item = &'a serde_json::Value>) {
    println!("timeline");
    for event in events {
        let position = event["position"]
            .as_u64()
            .map_or_else(|| "-".to_owned(), |p| p.to_string());
        println!(
            "  {position:>8}  {}  {:<18} {}",
            event["recorded_at"].as_str().unwrap_or(""),
            event["type"].as_str().unwrap_or(""),
            event["summary"].as_str().unwrap_or("")
        );
    }
}

/// `show` through the running daemon.
fn remote_show(file: &std::path::Path, id: &str, as_json: bool) -> anyhow::Result<Outcome> {
    let api = crate::config::load_api(file)?;
    let (status, body) = super::remote::call(&api, "GET", &format!("/api/v1/messages/{id}"))?;
    if super::remote::refuses_the_id(status) {
        eprintln!(
            "ketenpost: {}",
            body["error"].as_str().unwrap_or("no such message")
        );
        return Ok(Outcome::Malformed);
    }
    anyhow::ensure!(
        status == 200,
        "{}",
        body["error"].as_str().unwrap_or("the daemon refused")
    );
    if as_json {
        println!("{body}");
        return Ok(Outcome::Understood);
    }
    let text = |key: &str| body[key].as_str().unwrap_or("-").to_owned();
    println!("message     {id}");
    println!("state       {} ({})", text("label"), text("category"));
    if body["reason"].is_string() {
        println!("reason      {} ({})", text("reason"), text("reason_code"));
    }
    if body["retention"].is_string() {
        println!("retention   {}", text("retention"));
    }
    println!(
        "mailbox     {} (remote id {})",
        text("mailbox"),
        text("remote_id")
    );
    println!("type        {}", text("type"));
    println!("sender      {}", text("sender"));
    if let Some(placed) = body["placement"].as_object() {
        println!(
            "placed      document {} for client {} labels {} actions {} visibility {}",
            placed["document_id"].as_str().unwrap_or("-"),
            placed["client_id"].as_str().unwrap_or("-"),
            placed["labels"],
            placed["actions"],
            placed["right_selection"].as_str().unwrap_or("-")
        );
    }
    print_timeline(body["timeline"].as_array().into_iter().flatten());
    Ok(Outcome::Understood)
}

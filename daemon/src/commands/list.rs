//! `ketenpost list`: the messages in one category, newest first, a page at a time: a table for
//! people, or one JSON object per message with `--json`.

use anyhow::Context;
use ketenpost_domain::projections::State;
use serde_json::{json, Value};

use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Prints one page, then the cursor of the next page (if any) on stderr.
///
/// # Errors
/// The data folder cannot be used, the category is unknown or the cursor is invalid.
pub fn run(
    category: &str,
    cursor: Option<&str>,
    limit: usize,
    as_json: bool,
    data: &DataArgs,
) -> anyhow::Result<Outcome> {
    let state = State::from_name(category).with_context(|| {
        let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        format!("Unknown category {category:?}; one of {}", names.join(", "))
    })?;
    let (messages, next_cursor) = match &data.config {
        Some(file) => remote_page(file, state, cursor, limit)?,
        None => {
            let log = store::open(data)?;
            let page = log.list(state, cursor, limit.max(1))?;
            let messages = page.messages.iter().map(|m| json!(m)).collect();
            (messages, page.next_cursor)
        }
    };
    if as_json {
        for message in &messages {
            println!("{message}");
        }
    } else {
        print_table(&messages);
    }
    if let Some(next) = next_cursor {
        eprintln!("next page: --cursor {next}");
    }
    Ok(Outcome::Understood)
}

/// One page through the running daemon.
fn remote_page(
    file: &std::path::Path,
    state: State,
    cursor: Option<&str>,
    limit: usize,
) -> anyhow::Result<(Vec<Value>, Option<String>)> {
    let api = crate::config::load_api(file)?;
    let mut path = format!(
        "/api/v1/messages?category={}&limit={}",
        state.as_str(),
        limit.max(1)
    );
    if let Some(cursor) = cursor {
        path.push_str(&format!("&cursor={cursor}"));
    }
    let (status, body) = super::remote::call(&api, "GET", &path)?;
    anyhow::ensure!(status == 200, "the daemon answered {status}: {body}");
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let next = body["next_cursor"].as_str().map(str::to_owned);
    Ok((messages, next))
}

/// A table: since when, message id, type, sender, reason.
fn print_table(messages: &[Value]) {
    if messages.is_empty() {
        println!("no messages");
        return;
    }
    println!(
        "{:<20}  {:<36}  {:<10}  {:<14}  reason",
        "since (UTC)", "message", "type", "sender"
    );
    for message in messages {
        let text = |key: &str| message[key].as_str().unwrap_or("-").to_owned();
        let kind = message["identifier"]
            .as_str()
            .or(message["format"].as_str())
            .unwrap_or("-");
        println!(
            "{:<20}  {:<36}  {:<10}  {:<14}  {}",
            since(message["state_at_ms"].as_i64()),
            text("stream"),
            kind,
            text("sender_id"),
            text("reason")
        );
    }
}

/// Milliseconds since 1970 as `2026-01-31 12:00:00`.
fn since(ms: Option<i64>) -> String {
    ms.and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
        .map(|at| {
            humantime::format_rfc3339_seconds(at)
                .to_string()
                .trim_end_matches('Z')
                .replace('T', " ")
        })
        .unwrap_or_else(|| "-".to_owned())
}

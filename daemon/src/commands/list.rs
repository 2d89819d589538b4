//! `ketenpost list`: the messages in one category, newest first, a page at a time.

use anyhow::Context;
use ketenpost_domain::projections::State;
use serde_json::json;

use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Prints one page as JSON lines, then the cursor of the next page (if any) on stderr.
///
/// # Errors
/// The data folder cannot be used, the category is unknown or the cursor is invalid.
pub fn run(
    category: &str,
    cursor: Option<&str>,
    limit: usize,
    data: &DataArgs,
) -> anyhow::Result<Outcome> {
    let state = State::from_name(category).with_context(|| {
        let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        format!("Unknown category {category:?}; one of {}", names.join(", "))
    })?;
    if let Some(file) = &data.config {
        let settings = crate::config::load(Some(file))?;
        let mut path = format!(
            "/api/v1/messages?category={}&limit={}",
            state.as_str(),
            limit.max(1)
        );
        if let Some(cursor) = cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = super::remote::call(&settings, "GET", &path)?;
        anyhow::ensure!(status == 200, "the daemon answered {status}: {body}");
        for message in body["messages"].as_array().into_iter().flatten() {
            println!("{message}");
        }
        if let Some(next) = body["next_cursor"].as_str() {
            eprintln!("next page: --cursor {next}");
        }
        return Ok(Outcome::Understood);
    }
    let log = store::open(data)?;
    let page = log.list(state, cursor, limit.max(1))?;
    for message in &page.messages {
        println!("{}", json!(message));
    }
    if let Some(next) = page.next_cursor {
        eprintln!("next page: --cursor {next}");
    }
    Ok(Outcome::Understood)
}

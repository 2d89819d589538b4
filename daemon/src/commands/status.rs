//! `ketenpost status`: how many messages are in each category, and in flight.

use serde_json::{Map, Value};

use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Prints the counts per state.
///
/// # Errors
/// The data folder cannot be used.
pub fn run(as_json: bool, data: &DataArgs) -> anyhow::Result<Outcome> {
    if let Some(file) = &data.config {
        return remote_status(file, as_json);
    }
    let log = store::open(data)?;
    let counts = log.counts()?;
    if as_json {
        let map: Map<String, Value> = counts
            .iter()
            .map(|(state, n)| (state.as_str().to_owned(), Value::from(*n)))
            .collect();
        println!("{}", Value::Object(map));
    } else {
        for (state, n) in counts {
            println!("{:<22} {:<20} {n:>8}", state.label(), state.as_str());
        }
    }
    Ok(Outcome::Understood)
}

/// `status` through the running daemon: the counts, and each mailbox's health.
fn remote_status(file: &std::path::Path, as_json: bool) -> anyhow::Result<Outcome> {
    let api = crate::config::load_api(file)?;
    let (status, body) = super::remote::call(&api, "GET", "/api/v1/counts")?;
    anyhow::ensure!(status == 200, "the daemon answered {status}: {body}");
    if as_json {
        println!("{body}");
        return Ok(Outcome::Understood);
    }
    for state in ketenpost_domain::projections::State::ALL {
        let n = body["counts"][state.as_str()].as_i64().unwrap_or(0);
        println!("{:<22} {:<20} {n:>8}", state.label(), state.as_str());
    }
    if let Some(mailboxes) = body["mailboxes"].as_object() {
        for (name, health) in mailboxes {
            let problem = health["problem"].as_str();
            println!(
                "mailbox {name}: {} ({} received{})",
                if problem.is_some() { "PROBLEM" } else { "ok" },
                health["received"],
                problem.map(|p| format!("; {p}")).unwrap_or_default()
            );
        }
    }
    if let Some(systems) = body["record_systems"].as_object() {
        for (name, health) in systems {
            let problem = health["problem"].as_str();
            println!(
                "record system {name}: {}{}",
                if problem.is_some() { "PROBLEM" } else { "ok" },
                problem.map(|p| format!("; {p}")).unwrap_or_default()
            );
        }
    }
    Ok(Outcome::Understood)
}

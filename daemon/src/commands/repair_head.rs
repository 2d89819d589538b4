//! `ketenpost repair-head`: accepts the log of a data folder as it is, on purpose, when its
//! head marker (`log.head`) is missing or damaged, or says more than the log holds.

use anyhow::Context;
use ketenpost_domain::ports::EventLog;

use super::Outcome;
use crate::cli::DataArgs;

/// Verifies every chunk of the log, then makes the head marker say where the log ends.
///
/// # Errors
/// The data folder cannot be used or the log itself is damaged.
pub fn run(data: &DataArgs) -> anyhow::Result<Outcome> {
    let log = crate::store::open_to_repair(data)?;
    let events = log.next_position();
    println!(
        "the log holds {events} events, every one verified; its head marker {} and now says {events}",
        log.head_found()
    );
    log.catch_up()
        .context("Failed to bring the projections up to date")?;
    Ok(Outcome::Understood)
}

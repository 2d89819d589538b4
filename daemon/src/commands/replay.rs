//! `ketenpost replay`: rebuilds every projection from position 0.

use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Rebuilds the projections and says from how many events.
///
/// # Errors
/// The data folder cannot be used or the log is damaged.
pub fn run(data: &DataArgs) -> anyhow::Result<Outcome> {
    let log = store::open(data)?;
    let started = std::time::Instant::now();
    let events = log.replay()?;
    println!(
        "rebuilt the projections from {events} events in {:.1?}",
        started.elapsed()
    );
    Ok(Outcome::Understood)
}

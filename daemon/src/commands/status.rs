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

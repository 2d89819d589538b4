//! `ketenpost config export`: the configuration version in force as TOML, secrets sealed.

use std::io::Write;

use super::Outcome;
use crate::cli::DataArgs;
use crate::service::configuration;
use crate::store;

/// Prints the version in force as TOML.
///
/// # Errors
/// The data folder cannot be used, or the log holds no version yet.
pub fn export(data: &DataArgs) -> anyhow::Result<Outcome> {
    let log = store::open(data)?;
    let text = configuration::export(&log)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Outcome::Understood)
}

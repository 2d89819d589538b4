//! `ketenpost run [--config FILE]`: the always-on daemon.

use std::path::Path;

use super::Outcome;
use crate::{config, service};

/// Loads and checks the configuration, then runs until SIGTERM or ctrl-c.
///
/// # Errors
/// The configuration has problems (each named by its key), or the daemon cannot start.
pub fn run(config_file: Option<&Path>) -> anyhow::Result<Outcome> {
    let settings = config::load(config_file)?;
    service::run(settings)?;
    Ok(Outcome::Understood)
}

//! Opening the data folder for a command: the event log, its payloads and its projections.

use anyhow::Context;
use ketenpost_adapters::event_log::{LogOptions, SledEventLog};

use crate::cli::DataArgs;

/// Opens the data folder and brings the projections up to date.
///
/// # Errors
/// The folder or key file cannot be used, or the log is damaged.
pub fn open(data: &DataArgs) -> anyhow::Result<SledEventLog> {
    let mut options = LogOptions::new(&data.data);
    if let Some(key_file) = &data.key_file {
        options.key_file.clone_from(key_file);
    }
    let log = SledEventLog::open(&options)
        .with_context(|| format!("Failed to open the data folder {}", data.data.display()))?;
    log.catch_up()
        .context("Failed to bring the projections up to date")?;
    Ok(log)
}

/// An RFC 3339 time for milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    let time =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(time).to_string()
}

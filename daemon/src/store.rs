//! Opening the data folder for a command: the event log, its payloads and its projections.

use std::path::PathBuf;

use anyhow::Context;
use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};

use crate::cli::DataArgs;
use crate::config::{self, defaults, DataPlace};

/// A data folder that is not there: commands that read never create one.
#[derive(Debug, thiserror::Error)]
#[error(
    "the data folder {0} does not exist: name the right one with --data or --config \
     (only `import` and `run` create it)"
)]
pub struct NoDataFolder(pub PathBuf);

/// The data folder and key file the command line names: from `--config` (its `data_dir` and
/// `key_file`), else `--data` and `--key-file`.
///
/// # Errors
/// The configuration file cannot be read or names them wrongly.
pub fn place(data: &DataArgs) -> anyhow::Result<DataPlace> {
    if let Some(file) = &data.config {
        return Ok(config::load_data_place(file)?);
    }
    let data_dir = data
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR));
    let key_file = data
        .key_file
        .clone()
        .unwrap_or_else(|| defaults::key_file(&data_dir));
    Ok(DataPlace { data_dir, key_file })
}

/// Opens the existing data folder and brings the projections up to date.
///
/// # Errors
/// The folder does not exist ([`NoDataFolder`]), the key file cannot be used, or the log is
/// damaged.
pub fn open(data: &DataArgs) -> anyhow::Result<DiskEventLog> {
    let place = place(data)?;
    if !place.data_dir.is_dir() {
        return Err(NoDataFolder(place.data_dir).into());
    }
    open_at(&place, false)
}

/// Opens the data folder, creating it when absent (`import`).
///
/// # Errors
/// The folder or key file cannot be used, or the log is damaged.
pub fn open_or_create(data: &DataArgs) -> anyhow::Result<DiskEventLog> {
    open_at(&place(data)?, false)
}

/// Opens the existing data folder with `repair_head` set (`repair-head`), without catching up.
///
/// # Errors
/// As [`open`].
pub fn open_to_repair(data: &DataArgs) -> anyhow::Result<DiskEventLog> {
    let place = place(data)?;
    if !place.data_dir.is_dir() {
        return Err(NoDataFolder(place.data_dir).into());
    }
    open_at(&place, true)
}

fn open_at(place: &DataPlace, repair_head: bool) -> anyhow::Result<DiskEventLog> {
    let mut options = LogOptions::new(&place.data_dir);
    options.key_file.clone_from(&place.key_file);
    options.repair_head = repair_head;
    let log = DiskEventLog::open(&options).with_context(|| {
        format!(
            "Failed to open the data folder {}",
            place.data_dir.display()
        )
    })?;
    if !repair_head {
        log.catch_up()
            .context("Failed to bring the projections up to date")?;
    }
    Ok(log)
}

/// An RFC 3339 time for milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    let time =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(time).to_string()
}

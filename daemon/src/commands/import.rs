//! `ketenpost import`: records files as received from the mailbox `manual` and processes them.

use std::io::Write;
use std::path::PathBuf;

use super::{read_file, Outcome};
use crate::cli::DataArgs;
use crate::{intake, store};

/// The mailbox name files given to `import` are recorded under.
pub const MANUAL_MAILBOX: &str = "manual";

/// Imports every file; prints `imported <message-id> <file>` per message after its events are
/// durable.
///
/// # Errors
/// The data folder cannot be used, a file cannot be read, or events cannot be written.
pub fn run(files: &[PathBuf], data: &DataArgs) -> anyhow::Result<Outcome> {
    let log = store::open_or_create(data)?;
    let resumed = intake::resume(&log)?;
    if resumed > 0 {
        eprintln!("processed {resumed} payload(s) that were received but not processed before");
    }
    let stdout = std::io::stdout();
    for file in files {
        let bytes = read_file(file)?;
        let remote_id = file.display().to_string();
        let receipt = intake::receive(&log, MANUAL_MAILBOX, &remote_id, &bytes)?;
        let digest = ketenpost_adapters::event_log::digest_of(&bytes);
        let messages = intake::process(&log, &receipt, &digest)?;
        let mut out = stdout.lock();
        for message in messages {
            writeln!(out, "imported {message} {}", file.display())?;
        }
        out.flush()?;
    }
    log.catch_up()?;
    Ok(Outcome::Understood)
}

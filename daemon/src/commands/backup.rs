//! `ketenpost backup` and `ketenpost restore`: a consistent copy of the data folder, from the
//! running daemon (through its API) or from a stopped folder, and bringing one back into an
//! empty data folder. The key file is never part of the copy: keep it apart.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ketenpost_domain::ports::{EventLog, PayloadStore};

use super::Outcome;
use crate::cli::DataArgs;
use crate::store;

/// Makes a backup into `to` (a new or empty folder).
///
/// # Errors
/// The daemon or the data folder cannot be used, or the copy cannot be written.
pub fn backup(to: &Path, data: &DataArgs) -> anyhow::Result<Outcome> {
    let to = std::path::absolute(to).with_context(|| format!("--to {}", to.display()))?;
    if let Some(file) = &data.config {
        let api = crate::config::load_api(file)?;
        let path = format!("/api/v1/backup?to={}", encode(&to.display().to_string()));
        match super::remote::call(&api, "POST", &path) {
            Ok((200, body)) => {
                println!(
                    "backed up {} events and {} payloads ({} bytes) into {}; the key file is not in it",
                    body["events"], body["payloads"], body["bytes"], to.display()
                );
                return Ok(Outcome::Understood);
            }
            Ok((status, body)) => anyhow::bail!(
                "The daemon did not make the backup (HTTP {status}): {}",
                body["error"].as_str().unwrap_or("refused")
            ),
            // No daemon: the folder is free to be read here.
            Err(_) => {}
        }
    }
    let log = store::open(data)?;
    let report = log.backup_to(&to)?;
    log.close();
    println!(
        "backed up {} events and {} payloads ({} bytes) into {}; the key file is not in it",
        report.events,
        report.payloads,
        report.bytes,
        to.display()
    );
    Ok(Outcome::Understood)
}

/// Brings the backup in `from` into the data folder, which must be empty or hold only its key
/// file; the key file must be in place.
///
/// # Errors
/// The backup, the data folder or the key file cannot be used.
pub fn restore(from: &Path, data: &DataArgs) -> anyhow::Result<Outcome> {
    let place = store::place(data)?;
    anyhow::ensure!(
        from.join("log.head").is_file()
            && (from.join("store").is_dir() || from.join("log").is_dir()),
        "{} is not a ketenpost backup (no log.head and store/ in it)",
        from.display()
    );
    anyhow::ensure!(
        place.key_file.is_file(),
        "the key file {} is not there: put the key file of the backed-up data folder in place \
         first (a backup holds no key, and without it nothing in it can be read)",
        place.key_file.display()
    );
    if let Ok(entries) = std::fs::read_dir(&place.data_dir) {
        for entry in entries.flatten() {
            anyhow::ensure!(
                entry.path() == place.key_file,
                "the data folder {} is not empty ({} is in it): restore into an empty folder",
                place.data_dir.display(),
                entry.file_name().to_string_lossy()
            );
        }
    }
    copy_private(from, &place.data_dir)?;
    let log = store::open(data).context("The restored data folder cannot be used")?;
    // One payload read back shows that the key file is the one of the backup.
    let checked = match log.payloads().any_digest()? {
        Some(digest) => {
            log.payloads().get(&digest).with_context(|| {
                format!(
                    "The restored payloads do not open with the key file {}: is it the key of \
                     the backed-up data folder?",
                    place.key_file.display()
                )
            })?;
            ""
        }
        None => " (it holds no payload to check the key file with)",
    };
    println!(
        "restored {} events from {} into {}; the projections are rebuilt{checked}",
        log.next_position(),
        from.display(),
        place.data_dir.display()
    );
    log.close();
    Ok(Outcome::Understood)
}

/// Copies the folder `from` into `to`: folders 0700, files 0600, every file synced.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let mut pending: Vec<(PathBuf, PathBuf)> = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((source, target)) = pending.pop() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&target)
            .with_context(|| format!("Failed to create {}", target.display()))?;
        for entry in std::fs::read_dir(&source)
            .with_context(|| format!("Failed to read {}", source.display()))?
        {
            let entry = entry?;
            let (from_path, to_path) = (entry.path(), target.join(entry.file_name()));
            if entry.file_type()?.is_dir() {
                pending.push((from_path, to_path));
                continue;
            }
            let mut input = std::fs::File::open(&from_path)
                .with_context(|| format!("Failed to read {}", from_path.display()))?;
            let mut output = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&to_path)
                .with_context(|| format!("Failed to write {}", to_path.display()))?;
            std::io::copy(&mut input, &mut output)
                .with_context(|| format!("Failed to write {}", to_path.display()))?;
            output.sync_all()?;
        }
        std::fs::File::open(&target)?.sync_all()?;
    }
    Ok(())
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

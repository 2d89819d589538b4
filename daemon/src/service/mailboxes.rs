//! The mailbox pullers. ZorgMail: List, then per id Retrieve, record durably, Delete; an id
//! already recorded is only deleted. Folder: each file is recorded durably, then moved to
//! `done/`. A mailbox that fails is a mailbox problem, retried on the next poll.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::digest_of;
use ketenpost_adapters::zorgmail::{MailboxError, ZorgMailClient};
use ketenpost_domain::events::MailEnvelope;
use tokio::sync::watch;

use super::dispatch::WorkQueue;
use super::seen::Seen;
use super::state::Shared;
use crate::config::{Mailbox, MailboxKind};
use crate::intake;

/// Polls one mailbox until `stop`.
pub async fn run(
    shared: Arc<Shared>,
    seen: Arc<Seen>,
    queue: WorkQueue,
    mailbox: Mailbox,
    mut stop: watch::Receiver<bool>,
) {
    let zorgmail = match &mailbox.kind {
        MailboxKind::ZorgMail(config) => match ZorgMailClient::new(config.clone()) {
            Ok(client) => Some(client),
            Err(error) => {
                shared.mailbox_polled(&mailbox.name, Err(error.to_string()));
                return;
            }
        },
        MailboxKind::Folder(_) => None,
    };
    loop {
        let outcome = match (&mailbox.kind, &zorgmail) {
            (MailboxKind::ZorgMail(_), Some(client)) => {
                poll_zorgmail(&shared, &seen, &queue, &mailbox.name, client, &stop).await
            }
            (MailboxKind::Folder(path), _) => {
                poll_folder(&shared, &seen, &queue, &mailbox.name, path, &stop).await
            }
            _ => Ok(0),
        };
        if let Err(problem) = &outcome {
            tracing::warn!(mailbox = %mailbox.name, problem = %problem, "mailbox problem; retried on the next poll");
        }
        shared.mailbox_polled(&mailbox.name, outcome);
        tokio::select! {
            _ = tokio::time::sleep(mailbox.poll_interval) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Records a payload durably and queues its messages that await delivery.
async fn take_in(
    shared: &Shared,
    seen: &Seen,
    queue: &WorkQueue,
    mailbox: &str,
    remote_id: &str,
    bytes: Vec<u8>,
    envelope: Option<MailEnvelope>,
) -> anyhow::Result<()> {
    let (mailbox_name, remote) = (mailbox.to_owned(), remote_id.to_owned());
    let started = std::time::Instant::now();
    let received = shared
        .on_log(move |log| {
            intake::receive_and_process(log, &mailbox_name, &remote, &bytes, envelope)
        })
        .await?;
    shared.metrics.appended(started.elapsed().as_secs_f64());
    seen.add(mailbox, remote_id, &received.digest);
    for (message, awaits) in received.messages {
        if awaits {
            queue.push(message);
        }
    }
    Ok(())
}

async fn poll_zorgmail(
    shared: &Shared,
    seen: &Seen,
    queue: &WorkQueue,
    mailbox: &str,
    client: &ZorgMailClient,
    stop: &watch::Receiver<bool>,
) -> Result<u64, String> {
    let ids = client.list().await.map_err(|e| e.to_string())?;
    let mut received = 0;
    for id in ids {
        if *stop.borrow() {
            break;
        }
        if !seen.has_id(mailbox, &id) {
            let message = client.retrieve(&id).await.map_err(|e| e.to_string())?;
            take_in(
                shared,
                seen,
                queue,
                mailbox,
                &id,
                message.content,
                Some(message.envelope),
            )
            .await
            .map_err(|e| format!("{e:#}"))?;
            received += 1;
        }
        // Only now, with the message on disk, may it go from the mailbox.
        client
            .delete(&id)
            .await
            .map_err(|e: MailboxError| e.to_string())?;
    }
    Ok(received)
}

async fn poll_folder(
    shared: &Shared,
    seen: &Seen,
    queue: &WorkQueue,
    mailbox: &str,
    folder: &Path,
    stop: &watch::Receiver<bool>,
) -> Result<u64, String> {
    let files = waiting_files(folder).map_err(|e| format!("{e:#}"))?;
    let done = folder.join("done");
    let mut received = 0;
    for (name, path) in files {
        if *stop.borrow() {
            break;
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let digest = digest_of(&bytes);
        if !seen.has_content(mailbox, &name, &digest) {
            take_in(shared, seen, queue, mailbox, &name, bytes, None)
                .await
                .map_err(|e| format!("{e:#}"))?;
            received += 1;
        }
        move_to_done(&path, &done, &name).map_err(|e| format!("{e:#}"))?;
    }
    Ok(received)
}

/// The regular files waiting in a folder, oldest name first; hidden and partial files
/// (`.name`, `*.part`, `*.tmp`) are left alone until they are complete.
fn waiting_files(folder: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(folder).with_context(|| format!("Cannot read {}", folder.display()))?
    {
        let entry = entry.with_context(|| format!("Cannot read {}", folder.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp");
        if !partial && entry.file_type().is_ok_and(|t| t.is_file()) {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// Moves a recorded file to `done/` (under a new name if one is there) and syncs the folders.
fn move_to_done(path: &Path, done: &Path, name: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(done).with_context(|| format!("Cannot create {}", done.display()))?;
    let mut target = done.join(name);
    let mut n = 1;
    while target.exists() {
        target = done.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(path, &target)
        .with_context(|| format!("Cannot move {} to {}", path.display(), target.display()))?;
    for folder in [done, path.parent().unwrap_or(done)] {
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

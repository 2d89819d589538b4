//! The mailbox pullers. ZorgMail: List, then per id Retrieve, record durably, Delete; an id
//! already recorded is only deleted. Folder: each file is recorded durably, then moved to
//! `done/`. A mailbox that fails is a mailbox problem, retried on the next poll.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::digest_of;
use ketenpost_adapters::zorgmail::{MailboxError, ZorgMailClient};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::background::Background;
use super::dispatch::WorkQueue;
use super::seen::Seen;
use super::state::Shared;
use crate::config::{Mailbox, MailboxKind};
use crate::intake::{self, Delivery};

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
                let folder = Folder {
                    path,
                    max_message_bytes: mailbox.max_message_bytes,
                };
                poll_folder(&shared, &seen, &queue, &mailbox.name, &folder, &stop).await
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

/// How many messages one poll takes in at a time: retrieved together, recorded in one durable
/// append, then deleted.
const BATCH: usize = 64;

/// Records payloads durably (one append) and queues their messages that await delivery.
async fn take_in(
    shared: &Shared,
    seen: &Seen,
    queue: &WorkQueue,
    deliveries: Vec<Delivery>,
) -> anyhow::Result<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let names: Vec<(String, String)> = deliveries
        .iter()
        .map(|d| (d.mailbox.clone(), d.remote_id.clone()))
        .collect();
    let started = std::time::Instant::now();
    let received = shared
        .on_log(move |log| intake::receive_and_process(log, deliveries))
        .await?;
    shared.metrics.appended(started.elapsed().as_secs_f64());
    for ((mailbox, remote_id), received) in names.iter().zip(received) {
        seen.add(mailbox, remote_id, &received.digest);
        for (message, awaits) in received.messages {
            if awaits {
                queue.push(message);
            }
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
    // A message too large to take in is reported once the others are in; any other problem
    // ends the poll at the end of its chunk.
    let mut too_large: Option<String> = None;
    let mut rest = ids.as_slice();
    let mut deletions = Background::new();
    let mut problem = None;
    while let Some(chunk) = next_chunk(shared, queue, stop, &mut rest).await {
        let mut retrievals = JoinSet::new();
        for (index, id) in chunk.iter().enumerate() {
            if !seen.has_id(mailbox, id) {
                let (client, id) = (client.clone(), id.clone());
                retrievals.spawn(async move { (index, id.clone(), client.retrieve(&id).await) });
            }
        }
        let mut retrieved = Vec::new();
        while let Some(joined) = retrievals.join_next().await {
            match joined {
                Ok((index, id, Ok(message))) => retrieved.push((
                    index,
                    Delivery {
                        mailbox: mailbox.to_owned(),
                        remote_id: id,
                        bytes: message.content,
                        envelope: Some(message.envelope),
                        place_incoming_pdf: places_pdf(shared, mailbox),
                    },
                )),
                Ok((_, id, Err(error @ MailboxError::TooLarge { .. }))) => {
                    too_large = Some(format!("message {id}: {error}"));
                }
                Ok((_, id, Err(error))) => problem = Some(format!("message {id}: {error}")),
                Err(error) => problem = Some(error.to_string()),
            }
        }
        retrieved.sort_by_key(|(index, _)| *index);
        let count = retrieved.len() as u64;
        let recorded: BTreeSet<String> =
            retrieved.iter().map(|(_, d)| d.remote_id.clone()).collect();
        take_in(
            shared,
            seen,
            queue,
            retrieved.into_iter().map(|(_, d)| d).collect(),
        )
        .await
        .map_err(|e| format!("{e:#}"))?;
        received += count;
        // Only now, with the messages on disk, may they go from the mailbox: those recorded
        // now and those recorded before (a redelivery).
        for id in chunk {
            if recorded.contains(id) || seen.has_id(mailbox, id) {
                let (client, id) = (client.clone(), id.clone());
                deletions.spawn(async move { client.delete(&id).await });
            }
        }
        if problem.is_some() || !deletions.all_well_so_far() {
            break;
        }
    }
    let problem = problem.or(deletions.finish().await);
    match (problem, too_large) {
        (Some(problem), _) | (None, Some(problem)) => Err(problem),
        (None, None) => Ok(received),
    }
}

/// A folder mailbox.
struct Folder<'a> {
    path: &'a Path,
    max_message_bytes: u64,
}

async fn poll_folder(
    shared: &Shared,
    seen: &Seen,
    queue: &WorkQueue,
    mailbox: &str,
    folder: &Folder<'_>,
    stop: &watch::Receiver<bool>,
) -> Result<u64, String> {
    let (path, max_bytes) = (folder.path.to_path_buf(), folder.max_message_bytes);
    let (files, too_large) = off_the_runtime(move || waiting_files(&path, max_bytes)).await?;
    let done = folder.path.join("done");
    let mut received = 0;
    let mut rest = files.as_slice();
    let mut moves = Background::new();
    while let Some(chunk) = next_chunk(shared, queue, stop, &mut rest).await {
        let paths: Vec<PathBuf> = chunk.iter().map(|(_, path)| path.clone()).collect();
        let contents = off_the_runtime(move || read_files(&paths)).await?;
        let mut deliveries = Vec::new();
        for ((name, _), bytes) in chunk.iter().zip(contents) {
            if !seen.has_content(mailbox, name, &digest_of(&bytes)) {
                deliveries.push(Delivery {
                    mailbox: mailbox.to_owned(),
                    remote_id: name.clone(),
                    bytes,
                    envelope: None,
                    place_incoming_pdf: places_pdf(shared, mailbox),
                });
            }
        }
        received += deliveries.len() as u64;
        take_in(shared, seen, queue, deliveries)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let (from, to, recorded) = (folder.path.to_path_buf(), done.clone(), chunk.to_vec());
        moves.spawn_blocking(move || move_to_done(&from, &to, &recorded));
        if !moves.all_well_so_far() {
            break;
        }
    }
    if let Some(problem) = moves.finish().await {
        return Err(problem);
    }
    match too_large.first() {
        None => Ok(received),
        Some((name, size)) => Err(format!(
            "{} of {size} bytes is larger than the {} MiB a message may have \
             (max_message_mib); it stays in the folder{}",
            folder.path.join(name).display(),
            folder.max_message_bytes.div_ceil(1024 * 1024),
            match too_large.len() {
                1 => String::new(),
                n => format!(", as do {} more", n - 1),
            }
        )),
    }
}

/// Runs blocking file work off the async threads; its error as the mailbox problem.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| format!("{e:#}")),
        Err(error) => Err(error.to_string()),
    }
}

/// The contents of `paths`, in order.
fn read_files(paths: &[PathBuf]) -> anyhow::Result<Vec<Vec<u8>>> {
    paths
        .iter()
        .map(|path| std::fs::read(path).with_context(|| format!("Cannot read {}", path.display())))
        .collect()
}

/// The next messages to take in from `rest`: as many as the workers have room for (at most
/// [`BATCH`]), once they have room; `None` when all are taken or the daemon stops.
async fn next_chunk<'a, T>(
    shared: &Shared,
    queue: &WorkQueue,
    stop: &watch::Receiver<bool>,
    rest: &mut &'a [T],
) -> Option<&'a [T]> {
    // Nothing is retrieved that the log cannot record.
    if rest.is_empty() || shared.log.failure().is_some() {
        return None;
    }
    let room = queue.room_below(backlog(shared), stop).await.min(BATCH);
    if *stop.borrow() || shared.log.failure().is_some() {
        return None;
    }
    let (chunk, later) = rest.split_at(room.min(rest.len()));
    *rest = later;
    Some(chunk)
}

/// How many messages may wait for or be with a worker before a mailbox stops taking more in:
/// twice as many as there are workers, so that the workers place one set while the mailbox
/// retrieves and records the next, and the rest waits in the mailbox.
fn backlog(shared: &Shared) -> usize {
    shared.settings.workers * 2
}

/// Whether the mailbox's route places incoming PDF payloads.
fn places_pdf(shared: &Shared, mailbox: &str) -> bool {
    shared
        .settings
        .route_for_mailbox(mailbox)
        .is_some_and(|route| route.place_incoming_pdf)
}

/// Files waiting in a folder: those to take in (name, path), and those too large (name, size).
type Waiting = (Vec<(String, PathBuf)>, Vec<(String, u64)>);

/// The regular files waiting in a folder, oldest name first; hidden and partial files
/// (`.name`, `*.part`, `*.tmp`) are left alone until they are complete. Files larger than
/// `max_bytes` are not taken: they come back second, with their sizes.
fn waiting_files(folder: &Path, max_bytes: u64) -> anyhow::Result<Waiting> {
    let mut files = Vec::new();
    let mut too_large = Vec::new();
    for entry in
        std::fs::read_dir(folder).with_context(|| format!("Cannot read {}", folder.display()))?
    {
        let entry = entry.with_context(|| format!("Cannot read {}", folder.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp");
        if partial || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        match entry.metadata() {
            Ok(metadata) if metadata.len() > max_bytes => too_large.push((name, metadata.len())),
            _ => files.push((name, entry.path())),
        }
    }
    files.sort();
    too_large.sort();
    Ok((files, too_large))
}

/// Moves recorded files of `folder` to `done/` (each under a new name if one is there), then
/// syncs both folders once: a move that is lost in a crash only brings the file back, and
/// the next poll recognises it and moves it again.
fn move_to_done(folder: &Path, done: &Path, files: &[(String, PathBuf)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(done).with_context(|| format!("Cannot create {}", done.display()))?;
    for (name, path) in files {
        let mut target = done.join(name);
        let mut n = 1;
        while target.exists() {
            target = done.join(format!("{name}.{n}"));
            n += 1;
        }
        std::fs::rename(path, &target)
            .with_context(|| format!("Cannot move {} to {}", path.display(), target.display()))?;
    }
    for synced in [done, folder] {
        if let Ok(dir) = std::fs::File::open(synced) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

//! The mailbox pullers: each mailbox is polled until the daemon stops, through its adapter
//! (`ZorgMailClient`, `FolderMailbox`, chosen in `wiring.rs`), opened once; what a poll takes in is
//! recorded durably before it leaves the mailbox (ZorgMail: deleted; folder: moved to
//! `done/`), and what it cannot take in stays there, shown in the mailbox's health by id.

mod folder;
mod zorgmail;

use std::sync::Arc;

use tokio::sync::watch;

use super::dispatch::WorkQueue;
use super::seen::Seen;
use super::state::{PollOutcome, Shared};
use super::wiring::{self, MailboxAdapter};
use crate::config::Mailbox;
use crate::intake::{self, Arrival};

/// What a poll works with.
struct Puller<'a> {
    shared: &'a Shared,
    seen: &'a Seen,
    queue: &'a WorkQueue,
    mailbox: &'a Mailbox,
}

/// Polls one mailbox until `stop`.
pub async fn run(
    shared: Arc<Shared>,
    seen: Arc<Seen>,
    queue: WorkQueue,
    mailbox: Mailbox,
    mut stop: watch::Receiver<bool>,
) {
    let adapter = match wiring::mailbox(&mailbox) {
        Ok(adapter) => adapter,
        Err(problem) => {
            shared.mailbox_polled(&mailbox.name, PollOutcome::failed(problem));
            return;
        }
    };
    loop {
        let puller = Puller {
            shared: &shared,
            seen: &seen,
            queue: &queue,
            mailbox: &mailbox,
        };
        let outcome = match &adapter {
            MailboxAdapter::ZorgMail(client) => {
                zorgmail::poll(&puller, client.as_ref(), &stop).await
            }
            MailboxAdapter::Folder(folder) => folder::poll(&puller, folder, &stop).await,
        };
        if let Some(problem) = &outcome.problem {
            tracing::warn!(mailbox = %mailbox.name, %problem, "mailbox problem; retried on the next poll");
        }
        if let Some(not_taken) = outcome.not_taken.as_ref().filter(|n| !n.is_empty()) {
            tracing::warn!(
                mailbox = %mailbox.name,
                messages = not_taken.len(),
                first = %not_taken[0].problem,
                "messages that cannot be taken in stay in the mailbox"
            );
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

/// Resolves once the daemon stops.
async fn stopped(stop: &watch::Receiver<bool>) {
    let mut stop = stop.clone();
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// Records payloads durably (one append) and queues their messages that await delivery.
async fn take_in(puller: &Puller<'_>, arrivals: Vec<Arrival>) -> anyhow::Result<()> {
    if arrivals.is_empty() {
        return Ok(());
    }
    let names: Vec<(String, String)> = arrivals
        .iter()
        .map(|d| (d.mailbox.clone(), d.remote_id.clone()))
        .collect();
    let started = std::time::Instant::now();
    let received = puller
        .shared
        .on_log(move |log| intake::receive_and_process(log, arrivals))
        .await?;
    puller
        .shared
        .metrics
        .appended(started.elapsed().as_secs_f64());
    for ((mailbox, remote_id), received) in names.iter().zip(received) {
        puller.seen.add(mailbox, remote_id, &received.digest);
        for (message, awaits) in received.messages {
            if awaits {
                puller.queue.push(message);
            }
        }
    }
    Ok(())
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

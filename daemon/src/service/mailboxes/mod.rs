//! The mailbox pullers: each mailbox is polled until the daemon stops, through its adapter
//! (`ZorgMailClient`, `FolderMailbox`, chosen in `wiring.rs`), opened once; what a poll takes in is
//! recorded durably before it leaves the mailbox (ZorgMail: deleted; folder: moved to
//! `done/`), and what it cannot take in stays there, shown in the mailbox's health by id.

mod folder;
mod zorgmail;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::dispatch::WorkQueue;
use super::seen::Seen;
use super::state::{PollOutcome, Shared};
use super::wiring::{self, MailboxAdapter};
use crate::config::Mailbox;
use crate::intake::{self, Arrival};
use crate::telemetry::{
    LogAppended, MailboxProblem, MessageClassified, MessagesNotTaken, MessagesReceived, Stage,
};

/// What a poll works with.
struct Puller<'a> {
    shared: &'a Shared,
    seen: &'a Seen,
    queue: &'a WorkQueue,
    mailbox: &'a Mailbox,
}

/// Polls one mailbox until `stop`: a poll under way is cut at once (what it recorded is
/// deleted at the mailbox within a short grace, what it had not is left there).
///
/// # Errors
/// None yet: a mailbox's problems are shown in its health, and the polls go on.
pub async fn run(
    shared: Arc<Shared>,
    seen: Arc<Seen>,
    queue: WorkQueue,
    mailbox: Mailbox,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let adapter = match wiring::mailbox(&mailbox) {
        Ok(adapter) => adapter,
        Err(problem) => {
            shared.mailbox_polled(&mailbox.name, PollOutcome::failed(problem));
            return Ok(());
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
            MailboxProblem {
                mailbox: &mailbox.name,
                problem,
            }
            .report(&shared.metrics);
        }
        if let Some(not_taken) = outcome.not_taken.as_ref().filter(|n| !n.is_empty()) {
            MessagesNotTaken {
                mailbox: &mailbox.name,
                messages: not_taken.len(),
                first: &not_taken[0].problem,
            }
            .report(&shared.metrics);
        }
        shared.mailbox_polled(&mailbox.name, outcome);
        tokio::select! {
            () = tokio::time::sleep(mailbox.poll_interval) => {}
            () = stop.cancelled() => {}
        }
        if stop.is_cancelled() {
            return Ok(());
        }
    }
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
    let metrics = &puller.shared.metrics;
    LogAppended {
        stage: Stage::TakeIn,
        took: started.elapsed(),
    }
    .report(metrics);
    MessagesReceived {
        mailbox: &puller.mailbox.name,
        count: received.len() as u64,
    }
    .report(metrics);
    for ((mailbox, remote_id), received) in names.iter().zip(received) {
        puller.seen.add(mailbox, remote_id, &received.digest);
        for (message_id, category) in &received.classified {
            MessageClassified {
                message_id,
                category: *category,
            }
            .report(metrics);
        }
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
        .routing()
        .route_for_mailbox(mailbox)
        .is_some_and(|route| route.place_incoming_pdf)
}

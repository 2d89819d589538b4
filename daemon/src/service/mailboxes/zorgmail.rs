//! One poll of a ZorgMail mailbox (through the mailbox port): List, then Retrieve each id not recorded before, at most
//! `max_concurrent_requests` at a time and within the mailbox's memory budget; record what
//! arrives as it arrives (one durable append for all that arrived together), then Delete it.
//! An id recorded before is only deleted. A message that cannot be taken in stays in the
//! mailbox and is named; a slow one holds up no other; a stop cancels the calls under way.

use std::collections::VecDeque;
use std::time::Duration;

use ketenpost_domain::ports::{Mailbox, MailboxError, TakenMessage};
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::{backlog, places_pdf, take_in, Puller};
use crate::intake::Arrival;
use crate::service::background::Background;
use crate::service::state::{NotTaken, PollOutcome};

/// How long a stop lets the Deletes under way finish; one not done by then is repeated on
/// the next start (the message is recorded, so it is only deleted).
const STOP_GRACE: Duration = Duration::from_secs(1);

type Retrieval<H> = (String, Result<(TakenMessage, H), MailboxError>);

/// One poll of `client`, through the mailbox port: the same code for any mailbox whose
/// calls may run side by side (a clone per call under way).
pub(super) async fn poll<M: Mailbox + Clone + 'static>(
    puller: &Puller<'_>,
    client: &M,
    stop: &CancellationToken,
) -> PollOutcome {
    let listed = tokio::select! {
        listed = client.waiting() => listed,
        () = stop.cancelled() => return PollOutcome::default(),
    };
    let ids = match listed {
        Ok(ids) => ids,
        Err(error) => return PollOutcome::failed(error.to_string()),
    };
    let name = puller.mailbox.name.as_str();
    let mut deletions = Background::new();
    let mut waiting = VecDeque::new();
    for id in ids {
        if puller.seen.has_id(name, &id) {
            delete(&mut deletions, client, id);
        } else {
            waiting.push_back(id);
        }
    }
    let mut outcome = PollOutcome::default();
    let mut not_taken = Vec::new();
    let mut retrievals: JoinSet<Retrieval<M::Hold>> = JoinSet::new();
    // Retrieves that finished while the previous ones were being recorded.
    let mut arrived = Vec::new();
    loop {
        if outcome.problem.is_none() {
            start_retrievals(puller, client, &mut waiting, &mut retrievals, arrived.len());
        }
        if retrievals.is_empty() && arrived.is_empty() {
            // Nothing more is retrieved that the log cannot record.
            let log_failed = puller.shared.log.failure().is_some();
            if waiting.is_empty() || outcome.problem.is_some() || stop.is_cancelled() || log_failed
            {
                break;
            }
            // The workers have no room: wait for it.
            puller.queue.room_below(backlog(puller.shared), stop).await;
            continue;
        }
        if arrived.is_empty() {
            let first = tokio::select! {
                joined = retrievals.join_next() => joined,
                () = stop.cancelled() => break,
            };
            arrived.extend(first);
        }
        while let Some(joined) = retrievals.try_join_next() {
            arrived.push(joined);
        }
        let (arrivals, reservations) = sort_out(
            puller,
            std::mem::take(&mut arrived),
            &mut not_taken,
            &mut outcome.problem,
        );
        let recording = arrivals.len();
        let recorded: Vec<String> = arrivals.iter().map(|d| d.remote_id.clone()).collect();
        // Keep the calls going while these are recorded: a durable append takes longer
        // than a Retrieve, and the calls a mailbox may make at once are few.
        let appended = {
            let append = take_in(puller, arrivals);
            tokio::pin!(append);
            loop {
                if outcome.problem.is_none() {
                    start_retrievals(
                        puller,
                        client,
                        &mut waiting,
                        &mut retrievals,
                        recording + arrived.len(),
                    );
                }
                tokio::select! {
                    appended = &mut append => break appended,
                    Some(joined) = retrievals.join_next(), if !retrievals.is_empty() => {
                        arrived.push(joined);
                    }
                }
            }
        };
        if let Err(error) = appended {
            outcome.problem = Some(format!("{error:#}"));
            break;
        }
        drop(reservations);
        outcome.received += recorded.len() as u64;
        // Only now, with the messages on disk, may they go from the mailbox.
        for id in recorded {
            delete(&mut deletions, client, id);
        }
        if !deletions.all_well_so_far() {
            break;
        }
    }
    // Retrievals not finished are cancelled: their messages stay in the mailbox.
    drop(retrievals);
    let finish = deletions.finish();
    tokio::pin!(finish);
    let deleting = tokio::select! {
        problem = &mut finish => problem,
        () = stop.cancelled() => tokio::time::timeout(STOP_GRACE, &mut finish).await.unwrap_or(None),
    };
    if outcome.problem.is_none() {
        outcome.problem = deleting;
    }
    outcome.not_taken = Some(not_taken);
    outcome
}

/// Starts Retrieves of waiting ids: as many as calls may be under way, and as the workers
/// have room for beside those retrieved (`arrived`) but not yet recorded.
fn start_retrievals<M: Mailbox + Clone + 'static>(
    puller: &Puller<'_>,
    client: &M,
    waiting: &mut VecDeque<String>,
    retrievals: &mut JoinSet<Retrieval<M::Hold>>,
    arrived: usize,
) {
    if puller.shared.log.failure().is_some() {
        return;
    }
    let room = puller
        .queue
        .room_now(backlog(puller.shared))
        .saturating_sub(retrievals.len() + arrived);
    let slots = client.max_requests().saturating_sub(retrievals.len());
    for _ in 0..room.min(slots) {
        let Some(id) = waiting.pop_front() else {
            return;
        };
        let client = client.clone();
        retrievals.spawn(async move {
            let retrieved = client.take(&id).await;
            (id, retrieved)
        });
    }
}

/// Sorts finished Retrieves into the messages to record (each id once) with their memory
/// reservations, the messages that cannot be taken in, and a problem of the mailbox.
fn sort_out<H>(
    puller: &Puller<'_>,
    arrived: Vec<Result<Retrieval<H>, JoinError>>,
    not_taken: &mut Vec<NotTaken>,
    problem: &mut Option<String>,
) -> (Vec<Arrival>, Vec<H>) {
    let name = puller.mailbox.name.as_str();
    let mut arrivals: Vec<Arrival> = Vec::new();
    let mut reservations = Vec::new();
    for joined in arrived {
        match joined {
            Ok((id, Ok((message, reservation)))) => {
                // One id is one message, however often it was retrieved.
                if puller.seen.has_id(name, &id) || arrivals.iter().any(|d| d.remote_id == id) {
                    continue;
                }
                arrivals.push(Arrival {
                    mailbox: name.to_owned(),
                    remote_id: id,
                    bytes: message.content,
                    envelope: message.envelope,
                    place_incoming_pdf: places_pdf(puller.shared, name),
                });
                reservations.push(reservation);
            }
            Ok((id, Err(error))) if error.is_about_the_message() => not_taken.push(NotTaken {
                problem: format!("message {id:?}: {error}"),
                id,
            }),
            Ok((id, Err(error))) => {
                problem.get_or_insert(format!("message {id:?}: {error}"));
            }
            Err(error) => {
                problem.get_or_insert(error.to_string());
            }
        }
    }
    (arrivals, reservations)
}

/// Starts the Delete of a recorded message.
fn delete<M: Mailbox + Clone + 'static>(
    deletions: &mut Background<String>,
    client: &M,
    id: String,
) {
    let client = client.clone();
    deletions.spawn(async move {
        client
            .acknowledge(&id)
            .await
            .map_err(|error| format!("deleting message {id:?}: {error}"))
    });
}

//! One poll of a folder mailbox (its file IO is the adapter's `FolderMailbox`): each file is
//! recorded durably, then moved to `done/`. Files are taken a set at a time, the set no larger
//! than the mailbox's memory budget and the workers' room. A file is never named in a log line
//! or a problem (its name may hold a name or a BSN): it is recorded under a digest of its name
//! and named by its inode number (`find FOLDER -inum N`).

use ketenpost_adapters::event_log::digest_of;
use ketenpost_adapters::folder_mailbox::{FolderMailbox, WaitingFile};
use ketenpost_domain::ports::MailboxError;
use tokio_util::sync::CancellationToken;

use super::{backlog, places_pdf, take_in, Puller};
use crate::intake::Arrival;
use crate::service::background::Background;
use crate::service::state::{NotTaken, PollOutcome};

/// One poll.
pub(super) async fn poll(
    puller: &Puller<'_>,
    folder: &FolderMailbox,
    stop: &CancellationToken,
) -> PollOutcome {
    let listing = match folder.list().await {
        Ok(listing) => listing,
        Err(problem) => return PollOutcome::failed(problem.to_string()),
    };
    let not_taken = listing
        .too_large
        .iter()
        .map(|file| NotTaken {
            id: file.inode.to_string(),
            problem: folder.too_large_problem(file),
        })
        .collect();
    let mut outcome = PollOutcome {
        not_taken: Some(not_taken),
        ..PollOutcome::default()
    };
    let mut rest = listing.files.as_slice();
    let mut moves: Background<MailboxError> = Background::new();
    while let Some(set) = next_set(puller, folder, stop, &mut rest).await {
        let contents = match folder.read(set).await {
            Ok(contents) => contents,
            Err(problem) => {
                outcome.problem = Some(problem.to_string());
                break;
            }
        };
        let name = puller.mailbox.name.as_str();
        let mut arrivals = Vec::new();
        for (file, bytes) in set.iter().zip(contents) {
            if !puller
                .seen
                .has_content(name, &file.remote_id, &digest_of(&bytes))
            {
                arrivals.push(Arrival {
                    mailbox: name.to_owned(),
                    remote_id: file.remote_id.clone(),
                    bytes,
                    envelope: None,
                    place_incoming_pdf: places_pdf(puller.shared, name),
                });
            }
        }
        let count = arrivals.len() as u64;
        if let Err(error) = take_in(puller, arrivals).await {
            outcome.problem = Some(format!("{error:#}"));
            break;
        }
        outcome.received += count;
        // Only now, with the files' contents on disk, may they leave the folder.
        let (folder, recorded) = (folder.clone(), set.to_vec());
        moves.spawn(async move { folder.acknowledge_files(recorded).await });
        if !moves.all_well_so_far() {
            break;
        }
    }
    if let Some(problem) = moves.finish().await {
        outcome.problem.get_or_insert(problem);
    }
    outcome
}

/// The next files to take in from `rest`: as many as the workers have room for, no more
/// bytes together than the memory budget (but at least one file), once there is room;
/// `None` when all are taken or the daemon stops.
async fn next_set<'a>(
    puller: &Puller<'_>,
    folder: &FolderMailbox,
    stop: &CancellationToken,
    rest: &mut &'a [WaitingFile],
) -> Option<&'a [WaitingFile]> {
    // Nothing is read that the log cannot record.
    if rest.is_empty() || puller.shared.log.failure().is_some() {
        return None;
    }
    let room = puller.queue.room_below(backlog(puller.shared), stop).await;
    if stop.is_cancelled() || puller.shared.log.failure().is_some() {
        return None;
    }
    Some(folder.next_set(rest, room))
}

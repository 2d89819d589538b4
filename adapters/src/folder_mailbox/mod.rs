//! A drop folder as a mailbox: the files in it are the messages waiting, each recorded under a
//! digest of its name and named by its inode number, read within the mailbox's memory budget,
//! and moved to `done/` once durably recorded. It implements the domain's mailbox port one
//! file at a time, and offers the same steps for a set of files at once (one read, one move and
//! one folder sync per set), which is how the daemon polls it.

mod files;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ketenpost_domain::ports::mailbox::{Mailbox, MailboxError, TakenMessage};

use crate::budget::{MemoryBudget, Reservation};
pub use files::{remote_id, WaitingFile};

/// How many files are read at once through the port.
const READS_AT_ONCE: usize = 4;

/// What a look into the folder found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The files to take in, oldest name first.
    pub files: Vec<WaitingFile>,
    /// The files larger than a message may be: they stay in the folder.
    pub too_large: Vec<WaitingFile>,
}

/// A drop folder. Clones share the folder's memory budget and what was last listed.
#[derive(Debug, Clone)]
pub struct FolderMailbox {
    folder: PathBuf,
    max_message_bytes: u64,
    max_in_flight_bytes: u64,
    budget: MemoryBudget,
    /// The files last listed, by id: what [`Mailbox::take`] and [`Mailbox::acknowledge`] find.
    listed: Arc<Mutex<HashMap<String, WaitingFile>>>,
}

impl FolderMailbox {
    /// The folder at `folder`: files larger than `max_message_bytes` stay in it, and the files
    /// being taken in hold no more than `max_in_flight_bytes` together (one larger file alone).
    pub fn new(folder: PathBuf, max_message_bytes: u64, max_in_flight_bytes: u64) -> Self {
        Self {
            folder,
            max_message_bytes,
            max_in_flight_bytes,
            budget: MemoryBudget::new(max_in_flight_bytes),
            listed: Arc::default(),
        }
    }

    /// The folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The files waiting, oldest name first; hidden and partial files (`.name`, `*.part`,
    /// `*.tmp`) are left alone until they are complete.
    ///
    /// # Errors
    /// The folder cannot be read (a problem of the mailbox).
    pub async fn list(&self) -> Result<Listing, MailboxError> {
        let (folder, max) = (self.folder.clone(), self.max_message_bytes);
        let (files, too_large) = blocking(move || files::waiting_files(&folder, max)).await?;
        let mut listed = self.listed.lock().unwrap_or_else(PoisonError::into_inner);
        listed.clear();
        for file in files.iter().chain(&too_large) {
            listed.insert(file.remote_id.clone(), file.clone());
        }
        Ok(Listing { files, too_large })
    }

    /// Why `file` (one of [`Listing::too_large`]) stays in the folder, naming it by inode.
    pub fn too_large_problem(&self, file: &WaitingFile) -> String {
        format!(
            "the file with inode {} in {} (find it with -inum) of {} bytes is larger than the \
             {} MiB a message may have (max_message_mib); it stays in the folder",
            file.inode,
            self.folder.display(),
            file.size,
            self.max_message_bytes.div_ceil(1024 * 1024),
        )
    }

    /// Takes the next set off the front of `rest`: at most `room` files, no more bytes together
    /// than the memory budget, but at least one file (empty only when `rest` is).
    pub fn next_set<'a>(&self, rest: &mut &'a [WaitingFile], room: usize) -> &'a [WaitingFile] {
        let mut bytes = 0u64;
        let mut count = 0;
        for file in rest.iter().take(room) {
            if count > 0 && bytes + file.size > self.max_in_flight_bytes {
                break;
            }
            bytes += file.size;
            count += 1;
        }
        let (set, later) = rest.split_at(count.max(1).min(rest.len()));
        *rest = later;
        set
    }

    /// The contents of `files`, in order.
    ///
    /// # Errors
    /// A file cannot be read (named by inode); the poll stops there and the file stays.
    pub async fn read(&self, files: &[WaitingFile]) -> Result<Vec<Vec<u8>>, MailboxError> {
        let files = files.to_vec();
        blocking(move || files::read_files(&files)).await
    }

    /// Moves `files`, durably recorded, to `done/` (each under a new name if one is there)
    /// and syncs both folders once.
    ///
    /// # Errors
    /// A file cannot be moved (named by inode); it comes back on the next poll, is recognised
    /// as recorded and moved again.
    pub async fn acknowledge_files(&self, files: Vec<WaitingFile>) -> Result<(), MailboxError> {
        let (folder, done) = (self.folder.clone(), self.folder.join("done"));
        blocking(move || files::move_to_done(&folder, &done, &files)).await?;
        Ok(())
    }

    fn listed(&self, id: &str) -> Option<WaitingFile> {
        let listed = self.listed.lock().unwrap_or_else(PoisonError::into_inner);
        listed.get(id).cloned()
    }
}

/// Runs blocking file work off the async threads; its failure is a problem of the mailbox.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, MailboxError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(MailboxError::Mailbox),
        Err(error) => Err(MailboxError::Mailbox(error.to_string())),
    }
}

impl Mailbox for FolderMailbox {
    type Hold = Reservation;

    async fn waiting(&self) -> Result<Vec<String>, MailboxError> {
        let listing = self.list().await?;
        let all = listing.files.into_iter().chain(listing.too_large);
        Ok(all.map(|file| file.remote_id).collect())
    }

    async fn take(&self, id: &str) -> Result<(TakenMessage, Reservation), MailboxError> {
        let file = self
            .listed(id)
            .ok_or_else(|| MailboxError::Message(format!("no file is waiting as {id}")))?;
        if file.size > self.max_message_bytes {
            return Err(MailboxError::Message(self.too_large_problem(&file)));
        }
        let reservation = self.budget.reserve(file.size).await;
        let content = self
            .read(std::slice::from_ref(&file))
            .await
            .map_err(|error| MailboxError::Message(error.to_string()))?
            .into_iter()
            .next()
            .unwrap_or_default();
        let taken = TakenMessage {
            content,
            envelope: None,
        };
        Ok((taken, reservation))
    }

    async fn acknowledge(&self, id: &str) -> Result<(), MailboxError> {
        let file = self.listed(id).ok_or_else(|| {
            MailboxError::Mailbox(format!("no file is waiting as {id}: list the folder first"))
        })?;
        self.acknowledge_files(vec![file]).await?;
        let mut listed = self.listed.lock().unwrap_or_else(PoisonError::into_inner);
        listed.remove(id);
        Ok(())
    }

    fn max_requests(&self) -> usize {
        READS_AT_ONCE
    }
}

//! The daemon wired once: which adapter stands behind each port. The event log is the disk
//! log (opened in `start`), each record system an Ons client, each mailbox a ZorgMail client or
//! a drop folder. Everything else in the service reaches them through the domain's ports:
//! the workers are generic over `RecordSystem` (see `dispatch.rs`, `worker.rs`), the pullers
//! over `Mailbox`; a test or a second record system is a change here, not in the flow.

use std::collections::BTreeMap;

use anyhow::Context;
use ketenpost_adapters::folder_mailbox::FolderMailbox;
use ketenpost_adapters::ons::OnsClient;
use ketenpost_adapters::zorgmail::ZorgMailClient;

use crate::config::{Mailbox, MailboxKind, Settings};

/// The record systems by their configured name, each an implementation of the domain's
/// `RecordSystem` port.
pub type RecordSystems<R> = BTreeMap<String, R>;

/// A client per configured record system (Nedap Ons), its certificates read.
///
/// # Errors
/// A record system's certificates or key cannot be used; the error names its key.
pub fn record_systems(settings: &Settings) -> anyhow::Result<RecordSystems<OnsClient>> {
    settings
        .record_systems
        .iter()
        .map(|(name, config)| {
            let client = OnsClient::new(config.clone())
                .with_context(|| format!("record_systems.{name} cannot be used"))?;
            Ok((name.clone(), client))
        })
        .collect()
}

/// The adapter behind a configured mailbox, opened once when its puller starts.
pub enum MailboxAdapter {
    /// A ZorgMail mailbox (boxed: its client is large, and made once).
    ZorgMail(Box<ZorgMailClient>),
    /// A drop folder.
    Folder(FolderMailbox),
}

/// The adapter for `mailbox`.
///
/// # Errors
/// Why it cannot be used (shown as the mailbox's problem).
pub fn mailbox(mailbox: &Mailbox) -> Result<MailboxAdapter, String> {
    Ok(match &mailbox.kind {
        MailboxKind::ZorgMail(config) => MailboxAdapter::ZorgMail(Box::new(
            ZorgMailClient::new(config.clone()).map_err(|e| e.to_string())?,
        )),
        MailboxKind::Folder(path) => MailboxAdapter::Folder(FolderMailbox::new(
            path.clone(),
            mailbox.max_message_bytes,
            mailbox.max_in_flight_bytes,
        )),
    })
}

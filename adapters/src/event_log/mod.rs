//! The event log on its store (fjall, `store.rs`): gapless positions from a single writer with group commit and
//! fsync, duplicate suppression by event id, checksummed envelopes packed in chunks, encrypted payloads stored
//! once by digest, and projections that keep their checkpoint with their state.

mod backup;
mod chunk;
mod chunk_cache;
mod client_tokens;
mod codec;
mod disk_log;
mod fold;
mod format;
mod handoff;
mod hashing;
mod head_marker;
mod history;
mod index;
mod key_file;
mod log_tree;
mod message_keys;
mod open_receipts;
mod opening;
mod pages;
mod payloads;
mod period_keys;
mod projector;
mod received;
mod retention;
mod scan;
mod search_index;
mod search_query;
mod store;
mod trees;
mod upgrade;
mod verification;
mod writer;

pub use backup::{BackupError, BackupReport};
pub use disk_log::{DiskEventLog, LogOptions, OpenError};
pub use history::Forgotten;
pub use key_file::{load as load_key, load_or_create as load_or_create_key, KeyFileError};
pub use payloads::{digest_of, DiskPayloadStore};
pub use period_keys::DiskPeriodKeys;
pub use projector::Page;
pub use received::Received;
pub use retention::{Retention, SweepReport};
pub use store::StoreFigures;
pub use writer::GroupCommit;

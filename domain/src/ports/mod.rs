//! The ports the domain needs from the outside: the event log and payload store, the record
//! system and the document renderer. Adapters implement them; the domain and the daemon use
//! only these traits.

pub mod event_log;
pub mod mailbox;
pub mod period_keys;
pub mod read_side;
pub mod record_system;
pub mod render;

pub use event_log::{
    AppendError, Appended, EventLog, ExpectedVersion, PayloadStore, ReadError, StreamAppend,
    Subscription,
};
pub use mailbox::{Mailbox, MailboxError, TakenMessage};
pub use period_keys::{PeriodKey, PeriodKeyError, PeriodKeys};
pub use read_side::{CategoryPage, MessageDetail, ReadSide};
pub use record_system::{
    ClientLookup, DocumentMetadata, PlacedDocument, RecordSystem, RecordSystemError, StoredDocument,
};
pub use render::DocumentRenderer;

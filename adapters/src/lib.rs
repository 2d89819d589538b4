//! The IO behind ketenpost's domain: PDF rendering, the event log, the ZorgMail mail web
//! service client, the drop folder mailbox and the Nedap Ons client.

pub mod budget;
mod deflate;
pub mod event_log;
pub mod folder_mailbox;
mod http_error;
pub mod ons;
pub mod pdf;
mod read_side;
pub mod render;
pub mod sealed;
pub mod tls;
pub mod zorgmail;

//! The IO behind ketenpost's domain.

pub mod event_log;
pub mod pdf;

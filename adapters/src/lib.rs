//! The IO behind ketenpost's domain.

pub mod pdf;

//! The document renderer port: a printable document in, the bytes the record system stores
//! (a PDF) out. CPU only; the adapter owns the format.

use crate::document::Document;

/// Turns a printable document into the file placed in the record system.
pub trait DocumentRenderer: Send + Sync {
    /// The rendered file.
    ///
    /// # Errors
    /// The document cannot be rendered; the text says why (never the letter's content).
    fn render(&self, document: &Document) -> Result<Vec<u8>, String>;
}

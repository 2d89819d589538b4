//! PDF rendering of a [`Document`]: the printable form filed in the client's record.
//!
//! A4 portrait with 20 mm margins: the title large at the top of the first page, the header
//! fields as a "label: value" block, then the body (headings, wrapped paragraphs, tables),
//! and "pagina N van M" at the foot of every page. All text is in the PDF's text layer.
//!
//! Documents whose text is all WinAnsi use the built-in Helvetica fonts (nothing embedded,
//! the fast path, written by `builtin_writer.rs` without printpdf); any other character
//! switches to an embedded subset of DejaVu Sans (see `fonts.rs`), written with printpdf by
//! `writer.rs`. Output is deterministic: the same document gives the same bytes.

mod builtin_writer;
mod drawing;
mod fonts;
mod helvetica;
mod layout;
mod writer;

use ketenpost_domain::document::Document;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The embedded font could not be loaded or subset.
    #[error("font {font}: {reason}")]
    Font {
        /// Which font.
        font: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// printpdf reported an error while building the PDF.
    #[error("building the PDF failed: {0}")]
    Pdf(String),
    /// Serializing the PDF failed.
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

/// Renders `document` as a PDF file.
pub fn render(document: &Document) -> Result<Vec<u8>, RenderError> {
    let fonts = fonts::FontSet::for_document(document)?;
    let pages = layout::layout(document, &fonts);
    match fonts {
        fonts::FontSet::Builtin => builtin_writer::write(document, &pages),
        fonts::FontSet::Embedded(embedded) => writer::write(document, &pages, &embedded),
    }
}

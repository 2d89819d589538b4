//! PDF rendering of a [`Document`]: the printable form filed in the client's record.
//!
//! A4 portrait with 20 mm margins: the title large at the top of the first page, the header
//! fields as a "label: value" block, then the body (headings, wrapped paragraphs, tables),
//! and "pagina N van M" at the foot of every page. All text is in the PDF's text layer.
//!
//! Every file is PDF/A-2u (ISO 19005-2, level U): the text is in DejaVu Sans, embedded as a
//! subset with a `/ToUnicode` map (`fonts.rs`, `subset.rs`); the XMP metadata, the Info
//! dictionary and the sRGB OutputIntent are in `pdfa.rs`; `writer.rs` puts the objects
//! together and `content.rs` writes the pages. Output is deterministic: the same document
//! gives the same bytes. `docs/formats.md` lists which PDF/A rules the tests check.

mod content;
mod drawing;
mod emit;
mod fonts;
mod layout;
mod pdfa;
mod subset;
mod table;
mod wrap;
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
    /// Serializing the PDF failed.
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

/// Renders `document` as a PDF/A-2u file.
///
/// # Errors
///
/// [`RenderError`] when the font cannot be loaded or subset, or the file cannot be written.
pub fn render(document: &Document) -> Result<Vec<u8>, RenderError> {
    let fonts = fonts::FontSet::get()?;
    let pages = layout::layout(document, &fonts);
    writer::write(document, &pages, &fonts)
}

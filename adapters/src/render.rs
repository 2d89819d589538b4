//! The PDF renderer as the domain's document renderer port.

use ketenpost_domain::document::Document;
use ketenpost_domain::ports::DocumentRenderer;

/// Renders documents as PDF files with [`crate::pdf::render`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PdfRenderer;

impl DocumentRenderer for PdfRenderer {
    fn render(&self, document: &Document) -> Result<Vec<u8>, String> {
        crate::pdf::render(document).map_err(|e| e.to_string())
    }
}

//! The bytes of a PDF file, written straight as its objects are made: the header with its
//! binary comment, each object as `N 0 obj ... endobj`, streams with their `/Length`, and a
//! classic cross-reference table (entries of exactly 20 bytes) with the trailer.
//!
//! Every document has the same few kinds of objects, so they are written from byte strings
//! rather than built as a tree of objects and serialized afterwards (which cost more than
//! laying the pages out). Output is deterministic: the same calls give the same bytes.

use super::content::{hex, integer, literal_bytes};

/// The header and a comment of four bytes above 127, which marks the file as binary (PDF/A).
const HEADER: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";

/// An object number.
pub(crate) type ObjectId = u32;

/// A PDF file being written.
pub(crate) struct PdfFile {
    out: Vec<u8>,
    /// The offset of each object, by number minus one (0 until it is written).
    offsets: Vec<usize>,
}

impl PdfFile {
    /// A file with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(HEADER);
        Self {
            out,
            offsets: Vec::with_capacity(24),
        }
    }

    /// The number of a new object, to be written later with [`Self::object`] or
    /// [`Self::stream`].
    pub(crate) fn reserve(&mut self) -> ObjectId {
        self.offsets.push(0);
        ObjectId::try_from(self.offsets.len()).unwrap_or(ObjectId::MAX)
    }

    /// Writes object `id`; `body` appends its value (a dictionary, an array).
    pub(crate) fn object(&mut self, id: ObjectId, body: impl FnOnce(&mut Vec<u8>)) {
        self.open(id);
        body(&mut self.out);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    /// Writes object `id` as a stream: `entries` (the dictionary's entries other than
    /// `/Length`, e.g. `/Filter/FlateDecode`) and `data` as it is to be stored.
    pub(crate) fn stream(&mut self, id: ObjectId, entries: &[u8], data: &[u8]) {
        self.open(id);
        self.out.extend_from_slice(b"<<");
        self.out.extend_from_slice(entries);
        self.out.extend_from_slice(b"/Length ");
        integer(&mut self.out, data.len() as u64);
        self.out.extend_from_slice(b">>\nstream\n");
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    /// A new object written at once with [`Self::object`]; its number.
    pub(crate) fn add(&mut self, body: impl FnOnce(&mut Vec<u8>)) -> ObjectId {
        let id = self.reserve();
        self.object(id, body);
        id
    }

    /// A new stream written at once with [`Self::stream`]; its number.
    pub(crate) fn add_stream(&mut self, entries: &[u8], data: &[u8]) -> ObjectId {
        let id = self.reserve();
        self.stream(id, entries, data);
        id
    }

    fn open(&mut self, id: ObjectId) {
        if let Some(offset) = usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.offsets.get_mut(i))
        {
            *offset = self.out.len();
        }
        integer(&mut self.out, u64::from(id));
        self.out.extend_from_slice(b" 0 obj\n");
    }

    /// Ends the file: the cross-reference table and the trailer naming `root`, `info` and
    /// the file identifier `file_id` (written twice, as the permanent and the changing one).
    /// `None` when an object was reserved but never written.
    pub(crate) fn finish(
        mut self,
        root: ObjectId,
        info: ObjectId,
        file_id: &[u8],
    ) -> Option<Vec<u8>> {
        if self.offsets.contains(&0) {
            return None;
        }
        let start = self.out.len();
        let size = self.offsets.len() as u64 + 1;
        self.out.extend_from_slice(b"xref\n0 ");
        integer(&mut self.out, size);
        self.out.extend_from_slice(b"\n0000000000 65535 f \n");
        for offset in &self.offsets {
            let digits = format!("{offset:010}");
            self.out.extend_from_slice(digits.as_bytes());
            self.out.extend_from_slice(b" 00000 n \n");
        }
        self.out.extend_from_slice(b"trailer\n<</Size ");
        integer(&mut self.out, size);
        self.out.extend_from_slice(b"/Root ");
        reference(&mut self.out, root);
        self.out.extend_from_slice(b"/Info ");
        reference(&mut self.out, info);
        self.out.extend_from_slice(b"/ID[<");
        hex(&mut self.out, file_id);
        self.out.extend_from_slice(b"><");
        hex(&mut self.out, file_id);
        self.out.extend_from_slice(b">]>>\nstartxref\n");
        integer(&mut self.out, start as u64);
        self.out.extend_from_slice(b"\n%%EOF\n");
        Some(self.out)
    }
}

/// Appends `N 0 R`.
pub(crate) fn reference(out: &mut Vec<u8>, id: ObjectId) {
    integer(out, u64::from(id));
    out.extend_from_slice(b" 0 R");
}

/// Appends a literal string `(...)` holding `bytes`.
pub(crate) fn literal(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'(');
    literal_bytes(out, bytes);
    out.push(b')');
}

/// Appends a PDF text string: printable ASCII as a literal string, anything else as
/// UTF-16BE with a byte-order mark in a hexadecimal string.
pub(crate) fn text_string(out: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        literal(out, text.as_bytes());
    } else {
        out.push(b'<');
        hex(out, &[0xFE, 0xFF]);
        for unit in text.encode_utf16() {
            hex(out, &unit.to_be_bytes());
        }
        out.push(b'>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_has_its_objects_in_the_cross_reference_table() {
        let mut file = PdfFile::with_capacity(0);
        let info = file.reserve();
        let root = file.add(|out| out.extend_from_slice(b"<</Type/Catalog>>"));
        file.stream(info, b"/N 3", b"abc");
        let bytes = file.finish(root, info, &[0xAB, 0x01]).unwrap();
        assert!(bytes.starts_with(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"));
        // The header's binary comment is not UTF-8: offsets are counted in the bytes.
        let at = |needle: &str| {
            bytes
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap()
        };
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("1 0 obj\n<</N 3/Length 3>>\nstream\nabc\nendstream\nendobj\n"));
        assert!(text.contains(&format!(
            "xref\n0 3\n0000000000 65535 f \n{:010} 00000 n \n{:010} 00000 n \n",
            at("1 0 obj"),
            at("2 0 obj")
        )));
        assert!(text.contains("/Root 2 0 R/Info 1 0 R/ID[<AB01><AB01>]"));
        assert!(text.ends_with(&format!("startxref\n{}\n%%EOF\n", at("xref"))));
    }

    #[test]
    fn an_object_reserved_and_never_written_gives_no_file() {
        let mut file = PdfFile::with_capacity(0);
        let root = file.reserve();
        let _never = file.reserve();
        file.object(root, |out| out.extend_from_slice(b"<<>>"));
        assert!(file.finish(root, root, &[0]).is_none());
    }

    #[test]
    fn text_strings_escape_or_go_to_utf16() {
        let mut out = Vec::new();
        text_string(&mut out, "a (b) \\");
        assert_eq!(out, b"(a \\(b\\) \\\\)");
        out.clear();
        text_string(&mut out, "Ø");
        assert_eq!(out, b"<FEFF00D8>");
    }
}

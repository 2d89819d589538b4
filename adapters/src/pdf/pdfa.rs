//! What makes a file PDF/A-2u beyond its fonts: the XMP metadata packet, the Info dictionary
//! that must agree with it, the sRGB OutputIntent with its embedded ICC profile, and the
//! dates, written in Dutch local time with the offset that held on that day.

use std::sync::OnceLock;

use ketenpost_domain::date::{CalendarDate, TimeOfDay};
use ketenpost_domain::document::Document;

use super::emit::{literal, reference, text_string, ObjectId};
use crate::deflate::{deflate, Wrapper};

/// The sRGB profile of the OutputIntent (Debian's icc-profiles-free, zlib licence: see
/// `adapters/assets/LICENSE-sRGB-icc.txt`).
const SRGB_ICC: &[u8] = include_bytes!("../../assets/sRGB.icc");
/// Written as `/Producer` and `pdf:Producer`.
const PRODUCER: &str = concat!("ketenpost ", env!("CARGO_PKG_VERSION"));
/// Written as `/Creator` and `xmp:CreatorTool`.
const CREATOR: &str = "ketenpost";

/// Appends the `/OutputIntents` value of the catalog: sRGB, with its profile in object
/// `icc_profile` (see [`icc_profile`]).
pub(crate) fn output_intents(out: &mut Vec<u8>, icc_profile: ObjectId) {
    out.extend_from_slice(
        b"[<</Type/OutputIntent/S/GTS_PDFA1/OutputConditionIdentifier(sRGB IEC61966-2.1)\
          /Info(sRGB IEC61966-2.1)/DestOutputProfile ",
    );
    reference(out, icc_profile);
    out.extend_from_slice(b">>]");
}

/// The stream dictionary's entries of the ICC profile (three colour components).
pub(crate) const ICC_ENTRIES: &[u8] = b"/N 3/Filter/FlateDecode";

/// The ICC profile, zlib-compressed once per process.
pub(crate) fn icc_profile() -> &'static [u8] {
    static COMPRESSED: OnceLock<Vec<u8>> = OnceLock::new();
    COMPRESSED.get_or_init(|| deflate(SRGB_ICC, Wrapper::Zlib, 9))
}

/// The document's date and time as the metadata give it: the message's date, in Dutch time.
struct Moment {
    date: CalendarDate,
    time: Option<(TimeOfDay, i8)>,
}

impl Moment {
    fn of(document: &Document) -> Option<Self> {
        let date = document.info.date?;
        let time = document
            .info
            .time
            .map(|t| (t, amsterdam_offset_hours(date, t)));
        Some(Self { date, time })
    }

    /// `D:20240212110500+01'00'`, or `D:20240212` without a time.
    fn pdf(&self) -> String {
        let d = self.date;
        let mut out = format!("D:{:04}{:02}{:02}", d.year(), d.month(), d.day());
        if let Some((t, offset)) = self.time {
            out.push_str(&format!(
                "{:02}{:02}00+{offset:02}'00'",
                t.hour(),
                t.minute()
            ));
        }
        out
    }

    /// `2024-02-12T11:05:00+01:00`, or `2024-02-12` without a time.
    fn xmp(&self) -> String {
        let mut out = self.date.to_string();
        if let Some((t, offset)) = self.time {
            out.push_str(&format!("T{t}:00+{offset:02}:00"));
        }
        out
    }
}

/// Appends the Info dictionary: the same title, author, creator, producer and date as the
/// XMP packet.
pub(crate) fn info(out: &mut Vec<u8>, document: &Document) {
    out.extend_from_slice(b"<</Title ");
    text_string(out, &document.title);
    out.extend_from_slice(b"/Producer ");
    text_string(out, PRODUCER);
    out.extend_from_slice(b"/Creator ");
    text_string(out, CREATOR);
    if !document.info.author.trim().is_empty() {
        out.extend_from_slice(b"/Author ");
        text_string(out, document.info.author.trim());
    }
    if let Some(moment) = Moment::of(document) {
        out.extend_from_slice(b"/CreationDate ");
        literal(out, moment.pdf().as_bytes());
    }
    out.extend_from_slice(b">>");
}

/// The stream dictionary's entries of the XMP metadata (uncompressed, as PDF/A asks).
pub(crate) const METADATA_ENTRIES: &[u8] = b"/Type/Metadata/Subtype/XML";

/// The XMP metadata packet of the catalog.
pub(crate) fn metadata(document: &Document, document_id: &str) -> String {
    let mut xmp = String::with_capacity(2048);
    xmp.push_str(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\"\n\
         \x20 xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n\
         \x20 xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
         \x20 xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
         \x20 xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\"\n\
         \x20 xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n\
         <pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>U</pdfaid:conformance>\n\
         <dc:format>application/pdf</dc:format>\n",
    );
    xmp.push_str("<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    escape_xml(&document.title, &mut xmp);
    xmp.push_str("</rdf:li></rdf:Alt></dc:title>\n");
    if !document.info.author.trim().is_empty() {
        xmp.push_str("<dc:creator><rdf:Seq><rdf:li>");
        escape_xml(document.info.author.trim(), &mut xmp);
        xmp.push_str("</rdf:li></rdf:Seq></dc:creator>\n");
    }
    if let Some(moment) = Moment::of(document) {
        xmp.push_str(&format!(
            "<xmp:CreateDate>{}</xmp:CreateDate>\n",
            moment.xmp()
        ));
    }
    xmp.push_str(&format!(
        "<xmp:CreatorTool>{CREATOR}</xmp:CreatorTool>\n<pdf:Producer>{PRODUCER}</pdf:Producer>\n\
         <xmpMM:DocumentID>uuid:{document_id}</xmpMM:DocumentID>\n\
         <xmpMM:InstanceID>uuid:{document_id}</xmpMM:InstanceID>\n"
    ));
    xmp.push_str("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    xmp
}

/// Hours east of UTC in the Netherlands at local `date` `time`: +2 in summer time, else +1.
///
/// Summer time runs from the last Sunday of March, 02:00, to the last Sunday of October
/// (September before 1996), 03:00; the Netherlands has kept it since 1977. In the hour that
/// occurs twice in autumn, summer time is taken.
fn amsterdam_offset_hours(date: CalendarDate, time: TimeOfDay) -> i8 {
    let year = date.year();
    if year < 1977 {
        return 1;
    }
    let end_month = if year < 1996 { 9 } else { 10 };
    let start_day = last_sunday(year, 3, 31);
    let end_day = last_sunday(year, end_month, if end_month == 9 { 30 } else { 31 });
    let at = (date.month(), date.day(), time.hour());
    let summer = at >= (3, start_day, 2) && at < (end_month, end_day, 3);
    if summer {
        2
    } else {
        1
    }
}

/// The day of the month of the last Sunday of `month` (which has `days` days) in `year`.
fn last_sunday(year: u16, month: u8, days: u8) -> u8 {
    days - weekday(year, month, days)
}

/// Days since the last Sunday: 0 for Sunday .. 6 for Saturday (Sakamoto's method).
fn weekday(year: u16, month: u8, day: u8) -> u8 {
    const T: [u16; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let sum = y + y / 4 - y / 100 + y / 400 + T[usize::from(month - 1) % 12] + u16::from(day);
    u8::try_from(sum % 7).unwrap_or(0)
}

fn escape_xml(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// `text` as UTF-16BE with a byte-order mark.
pub(crate) fn utf16be_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 + text.len() * 2);
    bytes.extend_from_slice(&[0xFE, 0xFF]);
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::date::read_time;
    use ketenpost_domain::document::DocumentInfo;

    fn offset(y: u16, m: u8, d: u8, time: &str) -> i8 {
        let (hh, mm) = time.split_at(2);
        amsterdam_offset_hours(
            CalendarDate::new(y, m, d).unwrap(),
            read_time(hh, &mm[1..]).unwrap(),
        )
    }

    #[test]
    fn dutch_summer_time_starts_and_ends_on_the_last_sundays() {
        assert_eq!(weekday(2024, 3, 31), 0);
        assert_eq!(offset(2024, 2, 12, "11:05"), 1);
        assert_eq!(offset(2024, 3, 31, "01:59"), 1);
        assert_eq!(offset(2024, 3, 31, "02:00"), 2);
        assert_eq!(offset(2024, 7, 1, "12:00"), 2);
        assert_eq!(offset(2024, 10, 27, "02:30"), 2);
        assert_eq!(offset(2024, 10, 27, "03:00"), 1);
        assert_eq!(offset(1990, 9, 30, "12:00"), 1);
        assert_eq!(offset(1970, 7, 1, "12:00"), 1);
    }

    #[test]
    fn info_and_xmp_give_the_same_moment_title_and_author() {
        let document = Document {
            title: "Brief <1> & \"2\"".into(),
            header: vec![],
            blocks: vec![],
            info: DocumentInfo {
                author: "Dr. S. Bakker, Praktijk Ø".into(),
                date: CalendarDate::new(2024, 7, 1),
                time: read_time("09", "30"),
            },
        };
        let mut info_bytes = Vec::new();
        info(&mut info_bytes, &document);
        let info = String::from_utf8(info_bytes).unwrap();
        assert!(
            info.contains("/CreationDate (D:20240701093000+02'00')"),
            "{info}"
        );
        let mut author = Vec::new();
        text_string(&mut author, "Dr. S. Bakker, Praktijk Ø");
        assert!(info.contains(&format!("/Author {}", String::from_utf8(author).unwrap())));
        let xmp = metadata(&document, "00ff");
        assert!(xmp.contains("<xmp:CreateDate>2024-07-01T09:30:00+02:00</xmp:CreateDate>"));
        assert!(xmp.contains("x-default\">Brief &lt;1&gt; &amp; &quot;2&quot;</rdf:li>"));
        assert!(xmp.contains("<rdf:li>Dr. S. Bakker, Praktijk Ø</rdf:li>"));
        assert!(xmp.contains(&format!("<pdf:Producer>{PRODUCER}</pdf:Producer>")));
    }
}

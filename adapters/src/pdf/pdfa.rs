//! What makes a file PDF/A-2u beyond its fonts: the XMP metadata packet, the Info dictionary
//! that must agree with it, the sRGB OutputIntent with its embedded ICC profile, and the
//! dates, written in Dutch local time with the offset that held on that day.

use std::sync::OnceLock;

use ketenpost_domain::date::{CalendarDate, TimeOfDay};
use ketenpost_domain::document::Document;
use lopdf::{Dictionary, Object, Stream, StringFormat};

use crate::deflate::{deflate, Wrapper};

/// The sRGB profile of the OutputIntent (Debian's icc-profiles-free, zlib licence: see
/// `adapters/assets/LICENSE-sRGB-icc.txt`).
const SRGB_ICC: &[u8] = include_bytes!("../../assets/sRGB.icc");
/// Written as `/Producer` and `pdf:Producer`.
const PRODUCER: &str = concat!("ketenpost ", env!("CARGO_PKG_VERSION"));
/// Written as `/Creator` and `xmp:CreatorTool`.
const CREATOR: &str = "ketenpost";

/// The `/OutputIntents` entry of the catalog: sRGB, with its profile as `icc_profile`.
pub(crate) fn output_intent(icc_profile: Object) -> Object {
    Object::Array(vec![Object::Dictionary(Dictionary::from_iter([
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFA1".to_vec())),
        ("OutputConditionIdentifier", literal("sRGB IEC61966-2.1")),
        ("Info", literal("sRGB IEC61966-2.1")),
        ("DestOutputProfile", icc_profile),
    ]))])
}

/// The ICC profile stream (three colour components), compressed once per process.
pub(crate) fn icc_stream() -> Stream {
    static COMPRESSED: OnceLock<Vec<u8>> = OnceLock::new();
    let data = COMPRESSED.get_or_init(|| deflate(SRGB_ICC, Wrapper::Zlib, 9));
    let dict = Dictionary::from_iter([
        ("N", Object::Integer(3)),
        ("Filter", Object::Name(b"FlateDecode".to_vec())),
    ]);
    Stream::new(dict, data.clone()).with_compression(false)
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

/// The Info dictionary: the same title, author, creator, producer and date as the XMP packet.
pub(crate) fn info(document: &Document) -> Dictionary {
    let mut info = Dictionary::from_iter([
        ("Title", text_string(&document.title)),
        ("Producer", text_string(PRODUCER)),
        ("Creator", text_string(CREATOR)),
    ]);
    if !document.info.author.trim().is_empty() {
        info.set("Author", text_string(document.info.author.trim()));
    }
    if let Some(moment) = Moment::of(document) {
        info.set("CreationDate", literal(&moment.pdf()));
    }
    info
}

/// The XMP metadata stream of the catalog (uncompressed, as PDF/A asks).
pub(crate) fn metadata_stream(document: &Document, document_id: &str) -> Stream {
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
    let dict = Dictionary::from_iter([
        ("Type", Object::Name(b"Metadata".to_vec())),
        ("Subtype", Object::Name(b"XML".to_vec())),
    ]);
    Stream::new(dict, xmp.into_bytes()).with_compression(false)
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

fn literal(text: &str) -> Object {
    Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
}

/// A PDF text string: printable ASCII as it is, anything else as UTF-16BE with a byte-order
/// mark.
pub(crate) fn text_string(text: &str) -> Object {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return literal(text);
    }
    Object::String(utf16be_with_bom(text), StringFormat::Hexadecimal)
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
        let info = info(&document);
        assert_eq!(
            info.get(b"CreationDate").unwrap(),
            &literal("D:20240701093000+02'00'")
        );
        assert_eq!(
            info.get(b"Author").unwrap(),
            &text_string("Dr. S. Bakker, Praktijk Ø")
        );
        let xmp = String::from_utf8(metadata_stream(&document, "00ff").content).unwrap();
        assert!(xmp.contains("<xmp:CreateDate>2024-07-01T09:30:00+02:00</xmp:CreateDate>"));
        assert!(xmp.contains("x-default\">Brief &lt;1&gt; &amp; &quot;2&quot;</rdf:li>"));
        assert!(xmp.contains("<rdf:li>Dr. S. Bakker, Praktijk Ø</rdf:li>"));
        assert!(xmp.contains(&format!("<pdf:Producer>{PRODUCER}</pdf:Producer>")));
    }
}

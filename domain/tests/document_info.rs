//! What a document's metadata says (the PDF's author and creation date) and how its composite
//! fields read, for messages built in the test: the letter's own date, else the interchange's,
//! else a lab report's first specimen's; KOP names without the indicator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ketenpost_domain::document::Document;
use ketenpost_domain::edifact;
use ketenpost_domain::message::Message;

fn document(payload: &'static str) -> Document {
    let interchange = edifact::read(payload.as_bytes()).unwrap();
    Message::read_all(&interchange)[0].document().unwrap()
}

fn field<'d>(document: &'d Document, label: &str) -> Vec<&'d str> {
    document
        .header
        .iter()
        .filter(|f| f.label == label)
        .map(|f| f.value.as_str())
        .collect()
}

#[test]
fn a_letter_is_dated_by_its_det_and_written_by_its_sender() {
    let d = document(
        "UNB+UNOA:1+1+2+240301:0800+IC1'UNH+1+MEDVRI:1'GGA+Dr. S. Bakker++Praktijk De Linde'\
         DET+24:02:12+11:05'TXT+Hallo'UNT+5+1'UNZ+1+IC1'",
    );
    assert_eq!(d.info.author, "Dr. S. Bakker, Praktijk De Linde");
    assert_eq!(d.info.date.unwrap().to_string(), "2024-02-12");
    assert_eq!(d.info.time.unwrap().to_string(), "11:05");
}

#[test]
fn without_det_the_interchange_date_is_the_letters_date() {
    let d = document(
        "UNB+UNOA:1+1+2+240301:0815+IC1'UNH+1+MEDVRI:1'GGA+Dr. S. Bakker'TXT+Hallo'UNT+4+1'UNZ+1+IC1'",
    );
    assert_eq!(d.info.date.unwrap().to_string(), "2024-03-01");
    assert_eq!(d.info.time.unwrap().to_string(), "08:15");
}

#[test]
fn a_bare_lab_report_is_dated_by_its_first_specimen() {
    let d = document(
        "UNH+1+MEDLAB:1'ZKH+Streeklab Noordwest'KOP+J+Verpleeghuis De Es'\
         KOP+Wijkteam Noord:Zorggroep Midden'DET+24:02:09+09:20'IDE+C+1+bloed'UNT+6+1'",
    );
    assert_eq!(d.info.author, "Streeklab Noordwest");
    assert_eq!(d.info.date.unwrap().to_string(), "2024-02-09");
    assert_eq!(
        field(&d, "Kopie aan"),
        ["Verpleeghuis De Es", "Wijkteam Noord Zorggroep Midden"]
    );
}

#[test]
fn a_message_without_any_date_has_none() {
    let d = document("UNH+1+MEDVRI:1'GGA+Dr. S. Bakker'TXT+Hallo'UNT+4+1'");
    assert_eq!(d.info.date, None);
}

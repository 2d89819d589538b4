//! Every quirk of the EDIFACT syntax the format allows, read from the project's own fixtures in
//! `fixtures/messages`: white space, service characters, release characters, character sets,
//! interchanges of several messages, and their envelopes.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod fixture_support;

use ketenpost_domain::classify::classify_message;
use ketenpost_domain::edifact::{self, Charset};
use ketenpost_domain::message::Message;
use ketenpost_domain::people::BsnReading;

use fixture_support::{fixture, letter, messages};

const LINES: [&str; 7] = [
    "Geachte collega,",
    "",
    "Mevrouw werd op 12 februari gezien op het spreekuur.",
    "Beleid: controle over 3 maanden.",
    "",
    "Met vriendelijke groet,",
    "S. Bakker",
];

#[test]
fn every_whitespace_form_between_segments_reads_the_same_letter() {
    for name in [
        "medvri_lf.edi",
        "medvri_crlf.edi",
        "medvri_bare_cr.edi",
        "medvri_one_line.edi",
        "medvri_mixed_whitespace.edi",
        "medvri_no_counters.edi",
        "medvri_una_space_decimal.edi",
        "medvri_una_five_chars.edi",
        "medvri_bare_message.edi",
    ] {
        let messages = messages(name);
        assert_eq!(messages.len(), 1, "{name}");
        let letter = letter(&messages[0]);
        assert_eq!(letter.lines, LINES, "{name}");
        assert_eq!(
            letter.patient.name.display(),
            "JH de Bruin - van 't Wolf",
            "{name}"
        );
        assert_eq!(
            letter.patient.birth_date.map(|d| d.to_string()).as_deref(),
            Some("1988-06-21"),
            "{name}"
        );
        assert_eq!(
            letter.date.map(|d| d.to_string()).as_deref(),
            Some("2024-02-12"),
            "{name}"
        );
        assert_eq!(letter.sender.address.city, "Utrecht", "{name}");
        assert_eq!(
            letter.recipient.as_ref().map(|r| r.institution.as_ref()),
            Some("Zorggroep Midden"),
            "{name}"
        );
        assert!(
            matches!(&letter.patient.bsn, BsnReading::Valid(b) if b.expose() == "999990019"),
            "{name}"
        );
        assert_eq!(
            classify_message(&messages[0]),
            None,
            "{name}: awaits the record system"
        );
    }
}

#[test]
fn service_characters_come_from_una() {
    let bytes = fixture("medvri_una_space_decimal.edi");
    let interchange = edifact::read(&bytes).unwrap();
    assert_eq!(interchange.service_chars.decimal, b' ');
    let bytes = fixture("medvri_una_other_separators.edi");
    let interchange = edifact::read(&bytes).unwrap();
    assert_eq!(interchange.service_chars.terminator, b'~');
    let messages = Message::read_all(&interchange);
    assert_eq!(
        letter(&messages[0]).lines,
        ["Uitslag| Hb 8.6 (normaal) * ferritine volgt", "Vraag'"]
    );
    assert_eq!(letter(&messages[0]).patient.name.married_prefix, "van 't");
}

#[test]
fn release_characters_are_removed_also_before_ordinary_characters() {
    let messages = messages("medvri_release.edi");
    assert_eq!(
        letter(&messages[0]).lines,
        [
            "Tijd: 10:30, dosis 5+5 mg",
            "Vraagteken? en apostrof 't is goed",
            "Woonplaats Amsterdam (release voor een gewone letter)"
        ]
    );
}

#[test]
fn unoc_is_read_as_latin1() {
    let bytes = fixture("medvri_unoc_latin1.edi");
    let interchange = edifact::read(&bytes).unwrap();
    assert_eq!(interchange.declared_charset, Some(Charset::Latin1));
    let messages = Message::read_all(&interchange);
    assert_eq!(
        letter(&messages[0]).lines[0],
        "Cliënte heeft geen klachten meer; coördinatie met de diëtist."
    );
    assert_eq!(letter(&messages[0]).lines[2], "Naam: Müller, François");
}

#[test]
fn unoy_is_read_as_utf8_with_characters_outside_latin1() {
    let messages = messages("medvri_unoy_utf8.edi");
    let lines = &letter(&messages[0]).lines;
    assert_eq!(lines[0], "Bericht van collega Zażółć gęślą jaźń uit Łódź.");
    assert_eq!(lines[1], "Griekse letters: Ελληνικά, Russisch: Привет.");
    assert_eq!(lines[2], "Kosten: 12 € per consult, 3 µg, ≥ 5 mmol/l");
    assert!(
        messages[0].warnings.is_empty(),
        "{:?}",
        messages[0].warnings
    );
}

#[test]
fn lower_case_under_unoa_is_accepted_without_warning() {
    let messages = messages("medvri_unoa_lower_case.edi");
    assert_eq!(letter(&messages[0]).lines[0], "geachte collega,");
    assert!(
        messages[0].warnings.is_empty(),
        "{:?}",
        messages[0].warnings
    );
}

#[test]
fn an_interchange_with_two_messages_gives_two_messages_with_their_own_patients() {
    let messages = messages("medvri_two_messages.edi");
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (
            messages[0].message_ref.as_str(),
            messages[1].message_ref.as_str()
        ),
        ("2001", "2002")
    );
    assert_eq!(messages[1].interchange_ref.as_deref(), Some("IC2000"));
    assert_eq!(
        letter(&messages[1]).patient.name.display(),
        "Jan de Jong (J.)"
    );
    assert!(
        matches!(&letter(&messages[1]).patient.bsn, BsnReading::Valid(b) if b.expose() == "123456782")
    );
    assert_eq!(
        letter(&messages[1]).lines,
        ["Tweede brief, andere patiënt."]
    );
}

#[test]
fn a_bare_message_has_no_envelope() {
    let messages = messages("medvri_bare_message.edi");
    assert_eq!(messages[0].interchange_ref, None);
    assert_eq!(messages[0].sender_id, None);
    assert_eq!(messages[0].message_ref, "3001");
}

#[test]
fn mismatched_references_and_counts_are_warnings() {
    let messages = messages("medvri_mismatched_references.edi");
    let warnings: Vec<String> = messages[0]
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
    assert!(warnings
        .iter()
        .any(|w| w.contains("UNT counts \"99\" segments, the message has 14")));
    assert!(warnings
        .iter()
        .any(|w| w.contains("UNT reference \"4999\" differs from UNH reference \"4001\"")));
    assert!(warnings
        .iter()
        .any(|w| w.contains("UNZ counts \"3\" messages, the interchange has 1")));
    assert!(warnings
        .iter()
        .any(|w| w.contains("UNZ reference \"4001\" differs from UNB reference \"SNM4001\"")));
    assert!(
        warnings[0].starts_with("message 1, segment 15, byte "),
        "{}",
        warnings[0]
    );
}

//! What the project's own fixtures in `fixtures/messages` hold and how they are classified: the
//! BSN and its problems, lab reports, unsupported types and formats, and malformed payloads.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod fixture_support;

use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::classify::{classify_format, classify_message, classify_unreadable};
use ketenpost_domain::edifact::{self, ParseErrorKind};
use ketenpost_domain::medlab::ResultLine;
use ketenpost_domain::message::{Content, MessageKind};
use ketenpost_domain::payload::{read_payload, Format, Payload};
use ketenpost_domain::people::{BsnProblem, BsnReading};

use fixture_support::{fixture, letter, messages};

#[test]
fn the_bsn_is_found_in_element_4_when_element_5_is_absent() {
    let messages = messages("medvri_bsn_in_element_4.edi");
    assert!(
        matches!(&letter(&messages[0]).patient.bsn, BsnReading::Valid(b) if b.expose() == "999990019")
    );
}

#[test]
fn bsn_problems_are_missing_bsn_with_distinct_reasons() {
    let cases = [
        (
            "medvri_bsn_placeholder.edi",
            BsnProblem::Placeholder,
            "placeholder",
        ),
        ("medvri_bsn_missing.edi", BsnProblem::Missing, "missing"),
        (
            "medvri_bsn_elfproef_fails.edi",
            BsnProblem::Invalid(ketenpost_domain::bsn::BsnError::FailedElfproef),
            "invalid",
        ),
        (
            "medvri_bsn_wrong_length.edi",
            BsnProblem::Invalid(ketenpost_domain::bsn::BsnError::WrongLength(7)),
            "invalid",
        ),
    ];
    for (name, problem, short) in cases {
        let messages = messages(name);
        assert_eq!(
            letter(&messages[0]).patient.bsn,
            BsnReading::Problem(problem),
            "{name}"
        );
        assert_eq!(problem.as_str(), short);
        let classification = classify_message(&messages[0]).unwrap();
        assert_eq!(classification.category, Category::MissingBsn, "{name}");
    }
    let messages = messages("medvri_bsn_missing.edi");
    assert_eq!(letter(&messages[0]).patient.sender_reference, "12345");
}

#[test]
fn a_lab_report_has_specimens_headings_flags_ranges_remarks_and_pending_tests() {
    let messages = messages("medlab_full.edi");
    let Content::Medlab(report) = &messages[0].content else {
        panic!("not a MEDLAB")
    };
    assert_eq!(report.lab.name, "Streeklab Noordwest");
    assert_eq!(report.requester.as_ref().unwrap().code, "01012345");
    assert_eq!(report.department_doctors[0].name, "Dr. E. Verhoeven");
    assert_eq!(report.specimens.len(), 2);
    let first = &report.specimens[0];
    assert_eq!(
        (
            first.id.as_ref(),
            first.material.as_ref(),
            first.volume.as_ref()
        ),
        ("445566", "bloed", "5 ml")
    );
    assert_eq!(first.material_remarks, ["Licht gehemolyseerd"]);
    let headings: Vec<&str> = first
        .results
        .iter()
        .filter_map(|r| match r {
            ResultLine::Heading { text } => Some(text.as_ref()),
            ResultLine::Determination(_) => None,
        })
        .collect();
    assert_eq!(headings, ["HEMATOLOGIE", "MEDICIJNEN"]);
    let determinations: Vec<_> = first
        .results
        .iter()
        .filter_map(|r| match r {
            ResultLine::Determination(d) => Some(d),
            ResultLine::Heading { .. } => None,
        })
        .collect();
    assert_eq!(determinations.len(), 4);
    let leuko = determinations[1];
    assert_eq!(
        (
            leuko.result.as_ref(),
            leuko.unit.as_ref(),
            leuko.flag.as_ref()
        ),
        ("12.4", "10*9/l", "H")
    );
    assert_eq!(leuko.range(), "4.0 - 10.0");
    assert_eq!(leuko.remarks, ["Controle over 2 weken geadviseerd"]);
    assert_eq!(determinations[3].flag, "L");
    assert_eq!(first.pending[0].name, "Vitamine D");
    assert_eq!(
        first.pending[0].remarks,
        ["Uitslag volgt binnen 5 werkdagen"]
    );
    assert_eq!(first.remarks, ["Monster ontvangen om 10:15"]);
    assert_eq!(report.specimens[1].material, "urine");
    let text = messages[0].document().unwrap().plain_text();
    for needle in [
        "Hemoglobine (HB) | 8.6 | mmol/l | N | 8.5 - 11.0",
        "MEDICIJNEN",
        "Controle over 2 weken",
        "Vitamine D",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from\n{text}");
    }
}

#[test]
fn types_that_are_not_read_are_recognised_and_unsupported() {
    let cases = [
        ("medrad.edi", MessageKind::Medrad, "MEDRAD:1"),
        ("medspe.edi", MessageKind::Medspe, "MEDSPE:1"),
        (
            "medrpt32.edi",
            MessageKind::Medrpt,
            "MEDRPT:D:93A:UN:MRPN32",
        ),
        ("unknown_type.edi", MessageKind::Unknown, "ORDERS:D:96A:UN"),
    ];
    for (name, kind, identifier) in cases {
        let messages = messages(name);
        assert_eq!(messages[0].kind, kind, "{name}");
        let classification = classify_message(&messages[0]).unwrap();
        assert_eq!(classification.category, Category::Unsupported, "{name}");
        assert_eq!(
            classification.reason,
            Reason::UnsupportedType {
                identifier: identifier.into()
            }
        );
    }
}

#[test]
fn an_interchange_can_mix_a_letter_and_an_unsupported_type() {
    let messages = messages("interchange_medvri_and_medrpt.edi");
    assert_eq!(classify_message(&messages[0]), None);
    assert_eq!(
        classify_message(&messages[1]).unwrap().category,
        Category::Unsupported
    );
}

#[test]
fn other_formats_are_unsupported_not_malformed() {
    for (name, format) in [
        ("letter.xml", Format::Xml),
        ("letter.pdf", Format::Pdf),
        ("lab_result.hl7", Format::Hl7v2),
        ("note.txt", Format::Text),
    ] {
        let bytes = fixture(name);
        match read_payload(&bytes) {
            Ok(Payload::Other(found)) => assert_eq!(found, format, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            classify_format(format, false).unwrap().category,
            Category::Unsupported
        );
    }
}

#[test]
fn malformed_payloads_are_errors_that_say_where_and_what() {
    let cases = [
        (
            "malformed_truncated.edi",
            "UNT (end of the message)",
            Some(1),
        ),
        ("malformed_bad_tag.edi", "segment tag of 3 letters", Some(4)),
        (
            "malformed_segment_outside_message.edi",
            "expected UNH (start of a message) or UNZ, found TXT",
            Some(2),
        ),
        ("malformed_empty.edi", "the payload is empty", None),
        (
            "malformed_whitespace_only.edi",
            "the payload is empty",
            None,
        ),
        ("malformed_binary.bin", "binary content", None),
    ];
    for (name, expected, segment) in cases {
        let bytes = fixture(name);
        let error = read_payload(&bytes).expect_err(name);
        let text = error.to_string();
        assert!(text.contains(expected), "{name}: {text}");
        if let Some(segment) = segment {
            if error.kind != ParseErrorKind::Unrecognised && name != "malformed_truncated.edi" {
                assert_eq!(error.position.segment, Some(segment), "{name}: {text}");
            }
        }
        assert!(text.contains("byte "), "{name}: {text}");
        assert_eq!(classify_unreadable(&error).category, Category::Fallout);
    }
}

#[test]
fn a_truncated_message_names_the_message_it_is_in() {
    let bytes = fixture("malformed_truncated.edi");
    let error = edifact::read(&bytes).unwrap_err();
    assert_eq!(error.position.message, Some(1));
    assert!(
        error.to_string().starts_with("message 1, segment "),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .ends_with("expected UNT (end of the message), found the end of the payload"),
        "{error}"
    );
}

//! The public sample corpus in `../shared/samples` (or `$KETENPOST_SAMPLES`): each sample shows
//! the facts its README lists. Without the folder the tests skip with a message, except under `CI=true`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ketenpost_domain::category::{Category, Reason};
use ketenpost_domain::classify::classify_message;
use ketenpost_domain::edifact::{self, Charset};
use ketenpost_domain::medlab::{Medlab, ResultLine};
use ketenpost_domain::medvri::Medvri;
use ketenpost_domain::message::{Content, Message, MessageKind};
use ketenpost_domain::people::{BsnProblem, BsnReading};

fn samples_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KETENPOST_SAMPLES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the conformance corpus {} is absent, and CI=true requires it",
        dir.display()
    );
    eprintln!(
        "skipping: the conformance corpus {} is absent",
        dir.display()
    );
    None
}

/// The messages of a sample, or `None` when the corpus is absent.
fn sample(name: &str) -> Option<Vec<Message<'static>>> {
    let path = samples_dir()?.join(name);
    let bytes: &'static [u8] = Box::leak(
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .into_boxed_slice(),
    );
    let interchange = edifact::read(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    Some(Message::read_all(&interchange))
}

fn medvri<'m, 'a>(messages: &'m [Message<'a>]) -> &'m Medvri<'a> {
    assert_eq!(messages.len(), 1);
    match &messages[0].content {
        Content::Medvri(letter) => letter,
        other => panic!("expected MEDVRI, got {other:?}"),
    }
}

fn medlab<'m, 'a>(messages: &'m [Message<'a>]) -> &'m Medlab<'a> {
    assert_eq!(messages.len(), 1);
    match &messages[0].content {
        Content::Medlab(report) => report,
        other => panic!("expected MEDLAB, got {other:?}"),
    }
}

fn has_warning(message: &Message<'_>, needle: &str) -> bool {
    message.warnings.iter().any(|w| w.text.contains(needle))
}

fn valid_bsn(message: &Message<'_>) -> String {
    match &message.patient().expect("a patient").bsn {
        BsnReading::Valid(bsn) => bsn.expose().to_owned(),
        other => panic!("expected a valid BSN, got {other:?}"),
    }
}

#[test]
fn sample_01_repeated_counter_and_unz_reference_mismatch() {
    let Some(messages) = sample("01_mmerlijn_medvri_lf.edi") else {
        return;
    };
    let letter = medvri(&messages);
    assert_eq!(
        letter.lines,
        ["Hello World", "This is a message", "", "Greetings"]
    );
    assert_eq!(
        letter.date.map(|d| d.to_string()).as_deref(),
        Some("2021-06-08")
    );
    assert_eq!(valid_bsn(&messages[0]), "123456782");
    assert_eq!(messages[0].interchange_ref.as_deref(), Some("SNM1020"));
    assert!(has_warning(
        &messages[0],
        "UNZ reference \"1020\" differs from UNB reference \"SNM1020\""
    ));
    assert_eq!(classify_message(&messages[0]), None);
}

#[test]
fn sample_02_cr_terminators_release_in_name_no_det_and_an_empty_line() {
    let Some(messages) = sample("02_mmerlijn_medvri_release_cr.edi") else {
        return;
    };
    let letter = medvri(&messages);
    assert_eq!(letter.patient.name.married_prefix, "van 't");
    assert_eq!(letter.date, None);
    assert_eq!(
        letter.lines,
        ["Hello World", "this is a message", "", "greetings"]
    );
    assert_eq!(letter.sender.phone, "+31612341234");
}

#[test]
fn sample_03_txt_without_counters() {
    let Some(messages) = sample("03_mmerlijn_medvri_nocounters_cr.edi") else {
        return;
    };
    assert_eq!(
        medvri(&messages).lines,
        ["Hello World", "this is a message", "", "greetings"]
    );
}

#[test]
fn sample_04_no_pad_and_a_birth_name_without_prefix() {
    let Some(messages) = sample("04_mmerlijn_medvri_nopad.edi") else {
        return;
    };
    let letter = medvri(&messages);
    assert_eq!(letter.patient.address, None);
    assert_eq!(
        (
            letter.patient.name.birth_name.as_ref(),
            letter.patient.name.birth_prefix.as_ref()
        ),
        ("Jansen", "")
    );
    assert_eq!(letter.lines, ["Hello World"]);
}

#[test]
fn sample_05_tdm_report_with_counters_codes_remarks_and_stray_release() {
    let Some(messages) = sample("05_mmerlijn_medlab_tdm.edi") else {
        return;
    };
    let report = medlab(&messages);
    assert_eq!(report.requester.as_ref().unwrap().address.city, "Amsterdam");
    let results = &report.specimens[0].results;
    let headings: Vec<&str> = results
        .iter()
        .filter_map(|r| {
            if let ResultLine::Heading { text } = r {
                Some(text.as_ref())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(headings, ["MEDICIJNEN", "DIVERSEN"]);
    let Some(ResultLine::Determination(valproate)) = results.get(1) else {
        panic!("{results:?}")
    };
    assert_eq!(
        (
            valproate.name.as_ref(),
            valproate.result.as_ref(),
            valproate.unit.as_ref()
        ),
        ("Valproinezuur", "75", "mg/l")
    );
    assert_eq!(valproate.range(), "60 - 80");
    assert_eq!(valproate.code, "VALPB SI");
    assert_eq!(valproate.remarks.len(), 5);
    assert_eq!(valproate.remarks[4], "120 mg/l");
    let Some(ResultLine::Determination(intake)) = results.get(3) else {
        panic!("{results:?}")
    };
    assert_eq!(intake.code, "DINN10");
    assert!(has_warning(
        &messages[0],
        "UNT reference \"66001298496\" differs from UNH reference \"1020\""
    ));
}

#[test]
fn sample_06_una_with_space_decimal_unoc_and_placeholder_bsn_in_element_4() {
    let Some(dir) = samples_dir() else { return };
    let bytes = std::fs::read(dir.join("06_flexserve_medvri_una_unoc.edi")).unwrap();
    let interchange = edifact::read(&bytes).unwrap();
    assert_eq!(interchange.service_chars.decimal, b' ');
    assert_eq!(interchange.declared_charset, Some(Charset::Latin1));
    assert_eq!(interchange.header.as_ref().unwrap().sender_id, "500000000");
    let messages = Message::read_all(&interchange);
    let letter = medvri(&messages);
    assert_eq!(
        letter.patient.bsn,
        BsnReading::Problem(BsnProblem::Placeholder)
    );
    assert_eq!(letter.patient.name.display(), "TEST");
    assert_eq!(letter.lines.len(), 12);
    assert_eq!(letter.lines[1], "");
    let classification = classify_message(&messages[0]).unwrap();
    assert_eq!(
        (classification.category, classification.reason),
        (Category::MissingBsn, Reason::PlaceholderBsn)
    );
}

#[test]
fn sample_07_minimal_medlab_with_section_and_flags() {
    let Some(messages) = sample("07_zato_medlab_selective.edi") else {
        return;
    };
    let report = medlab(&messages);
    let results = &report.specimens[0].results;
    assert_eq!(
        results[0],
        ResultLine::Heading {
            text: "HEMATOLOGIE".into()
        }
    );
    let flags: Vec<&str> = results
        .iter()
        .filter_map(|r| {
            if let ResultLine::Determination(d) = r {
                Some(d.flag.as_ref())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        flags,
        ["N", "N", "H"],
        "element 1 = 1 marks ordinary results here, not headings"
    );
    assert_eq!(valid_bsn(&messages[0]), "999990019");
    assert_eq!(report.lab.phone, "+31107033800");
}

#[test]
fn sample_08_release_in_name_and_matching_envelope_references() {
    let Some(messages) = sample("08_zato_live_medvri_release.edi") else {
        return;
    };
    let letter = medvri(&messages);
    assert_eq!(letter.patient.name.married_prefix, "van 't");
    assert_eq!(
        letter.lines,
        [
            "Beste collega",
            "hierbij de afgesproken terugkoppeling",
            "",
            "met vriendelijke groet"
        ]
    );
    assert_eq!(messages[0].interchange_ref.as_deref(), Some("SNM7431"));
    assert_eq!(messages[0].message_ref, "7431");
    assert!(
        messages[0].warnings.is_empty(),
        "{:?}",
        messages[0].warnings
    );
}

#[test]
fn sample_09_medlab_with_unt_mismatch_and_stray_release() {
    let Some(messages) = sample("09_zato_live_medlab.edi") else {
        return;
    };
    let report = medlab(&messages);
    assert_eq!(report.requester.as_ref().unwrap().address.city, "Zwolle");
    assert!(has_warning(
        &messages[0],
        "UNT reference \"55002187364\" differs from UNH reference \"7431\""
    ));
    assert_eq!(messages[0].kind, MessageKind::Medlab);
}

#[test]
fn sample_10_medrpt_segments_are_read_and_the_fragment_is_not_a_message() {
    let Some(dir) = samples_dir() else { return };
    let text = std::fs::read_to_string(dir.join("10_medrpt32_segment_vectors.txt")).unwrap();
    let error = edifact::read(text.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("found BGM"), "{error}");
    // Segment level: the lines after the incomplete UNB, closed with a UNT, are a MEDRPT message.
    let body: Vec<&str> = text.lines().skip(1).collect();
    let message = format!("{}\nUNT+{}+31415926'", body.join("\n"), body.len() + 1);
    let interchange = edifact::read(message.as_bytes()).unwrap();
    let tags: Vec<&str> = interchange.segments().map(|s| s.tag()).collect();
    assert_eq!(tags.len(), body.len() + 1);
    assert_eq!(&tags[..3], ["UNH", "BGM", "DTM"]);
    let pna = interchange.segments().find(|s| s.tag() == "PNA").unwrap();
    assert_eq!(pna.field(2, 3), "999990019");
    assert_eq!(pna.field(5, 2), "Bakker");
    let rff = interchange.segments().find(|s| s.tag() == "RFF").unwrap();
    assert_eq!(rff.field(1, 2), "999990019");
    let ftx = interchange.segments().find(|s| s.tag() == "FTX").unwrap();
    assert_eq!(ftx.components(4).len(), 2);
    let messages = Message::read_all(&interchange);
    assert_eq!(messages[0].kind, MessageKind::Medrpt);
    assert_eq!(
        classify_message(&messages[0]).unwrap().category,
        Category::Unsupported
    );
}

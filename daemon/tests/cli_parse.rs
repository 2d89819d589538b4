//! The `ketenpost parse` command as a person runs it: the real binary on real files, its JSON
//! and its human summary, and the exit codes of malformed and missing files.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use serde_json::Value;

use binary::{fixture, ketenpost, parse_json};

#[test]
fn parse_json_gives_the_fields_of_a_letter() {
    let json = parse_json(&fixture("medvri_lf.edi"));
    let message = &json["messages"][0];
    assert_eq!(message["format"], "edifact");
    assert_eq!(message["kind"], "MEDVRI");
    assert_eq!(message["interchange_ref"], "IC1001");
    assert_eq!(message["message_ref"], "1001");
    assert_eq!(message["sender_id"], "500012345");
    assert_eq!(message["bsn"], "999990019");
    assert_eq!(message["bsn_problem"], Value::Null);
    assert_eq!(message["patient"]["birth_date"], "1988-06-21");
    assert_eq!(message["patient"]["sex"], "female");
    assert_eq!(message["patient"]["name"]["married_prefix"], "van 't");
    assert_eq!(message["category_hint"], Value::Null);
    let text = message["text"].as_str().unwrap();
    assert!(text.contains(
        "Mevrouw werd op 12 februari gezien op het spreekuur.\nBeleid: controle over 3 maanden."
    ));
    assert!(text.contains("BSN: 999990019"));
    assert_eq!(message["warnings"], serde_json::json!([]));
}

#[test]
fn parse_json_gives_one_entry_per_message_and_the_hints() {
    let json = parse_json(&fixture("interchange_medvri_and_medrpt.edi"));
    let messages = json["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["category_hint"], Value::Null);
    assert_eq!(messages[1]["kind"], "MEDRPT");
    assert_eq!(messages[1]["category_hint"], "unsupported");

    let placeholder = parse_json(&fixture("medvri_bsn_placeholder.edi"));
    assert_eq!(placeholder["messages"][0]["bsn"], Value::Null);
    assert_eq!(placeholder["messages"][0]["bsn_problem"], "placeholder");
    assert_eq!(placeholder["messages"][0]["category_hint"], "missing_bsn");
    let invalid = parse_json(&fixture("medvri_bsn_elfproef_fails.edi"));
    assert_eq!(invalid["messages"][0]["bsn_problem"], "invalid");
    let missing = parse_json(&fixture("medvri_bsn_missing.edi"));
    assert_eq!(missing["messages"][0]["bsn_problem"], "missing");
}

#[test]
fn other_formats_are_understood_as_unsupported() {
    for (name, format) in [
        ("letter.xml", "xml"),
        ("lab_result.hl7", "hl7v2"),
        ("note.txt", "text"),
    ] {
        let json = parse_json(&fixture(name));
        assert_eq!(json["messages"][0]["format"], format, "{name}");
        assert_eq!(json["messages"][0]["kind"], Value::Null, "{name}");
        assert_eq!(
            json["messages"][0]["category_hint"], "unsupported",
            "{name}"
        );
    }
}

#[test]
fn malformed_and_empty_files_exit_2_with_one_line_naming_file_and_position() {
    for name in [
        "malformed_truncated.edi",
        "malformed_bad_tag.edi",
        "malformed_empty.edi",
        "malformed_binary.bin",
    ] {
        let path = fixture(name);
        let output = ketenpost(&["parse", "--json", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.starts_with(path.to_str().unwrap()),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("byte "), "{name}: {stderr}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "{name}: one JSON line: {stdout}");
        let line: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(line["file"], path.to_str().unwrap(), "{name}");
        assert!(
            line["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}: {line}"
        );
        assert!(line["position"]["offset"].is_u64(), "{name}: {line}");
        assert!(line.get("messages").is_none(), "{name}: {line}");
    }
}

#[test]
fn a_missing_file_is_reported_and_the_others_are_still_parsed() {
    let missing = fixture("no_such_file.edi");
    let good = fixture("medvri_lf.edi");
    let output = ketenpost(&[
        "parse",
        "--json",
        missing.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no_such_file.edi"), "{stderr}");
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0]["error"]
        .as_str()
        .unwrap()
        .contains("no_such_file.edi"));
    assert_eq!(lines[1]["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn the_human_summary_prints_each_warning() {
    let output = ketenpost(&[
        "parse",
        fixture("medvri_mismatched_references.edi")
            .to_str()
            .unwrap(),
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  warning: "))
        .collect();
    assert_eq!(warnings.len(), 4, "{stdout}");
    assert!(
        warnings.iter().all(|w| w.len() > "  warning: ".len() + 5),
        "{stdout}"
    );
}

#[test]
fn good_files_are_still_reported_when_another_is_malformed() {
    let good = fixture("medvri_lf.edi");
    let bad = fixture("malformed_truncated.edi");
    let output = ketenpost(&[
        "parse",
        "--json",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["messages"].as_array().unwrap().len(), 1);
    assert!(lines[1]["error"].is_string(), "{stdout}");
}

#[test]
fn every_fixture_that_is_not_malformed_parses_with_exit_0() {
    let dir = fixture("");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let output = ketenpost(&["parse", path.to_str().unwrap()]);
        let expected = if name.starts_with("malformed_") { 2 } else { 0 };
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_human_summary_masks_the_bsn() {
    let output = ketenpost(&["parse", fixture("medvri_lf.edi").to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("BSN ******019"), "{stdout}");
    assert!(!stdout.contains("999990019"), "{stdout}");
}

/// A configuration with one route `ons` whose `place_incoming_pdf` is `places`.
fn route_config(places: bool) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ketenpost-parse-pdf-{places}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ketenpost.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = \"data\"\n[routes.ons]\nrecord_system = \"ons\"\nplace_incoming_pdf = {places}\n"
        ),
    )
    .unwrap();
    file
}

/// What the daemon records for a payload on a route with that setting.
fn daemon_category(bytes: &[u8], places: bool) -> String {
    use ketenpost_domain::events::{Event, EventId, StreamId, StreamKind};
    let receipt = StreamId::new(StreamKind::Receipt, EventId(1));
    let outcome =
        ketenpost_domain::processing::process_payload(&receipt, "d", bytes, places).remove(0);
    match outcome.next {
        Event::MessageClassified(c) => c.category.as_str().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_and_the_daemon_agree_on_a_pdf_under_either_route_setting() {
    let pdf = fixture("letter.pdf");
    let bytes = std::fs::read(&pdf).unwrap();
    for places in [true, false] {
        let config = route_config(places);
        let output = ketenpost(&[
            "parse",
            "--json",
            "--config",
            config.to_str().unwrap(),
            pdf.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        let daemon = daemon_category(&bytes, places);
        assert_eq!(
            json["messages"][0]["category_hint"],
            daemon.as_str(),
            "{places}"
        );
        assert_eq!(json["messages"][0]["note"], Value::Null);
    }
    assert_eq!(daemon_category(&bytes, true), "missing_bsn");
    assert_eq!(daemon_category(&bytes, false), "unsupported");
    // Without a configuration, parse says what the PDF becomes under each setting.
    let json = parse_json(&pdf);
    let entry = &json["messages"][0];
    assert_eq!(entry["by_setting"]["place_incoming_pdf"], "missing_bsn");
    assert_eq!(entry["by_setting"]["otherwise"], "unsupported");
    assert!(entry["note"]
        .as_str()
        .unwrap()
        .contains("place_incoming_pdf"));
    let text = ketenpost(&["parse", pdf.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("note: a PDF names no client"), "{stdout}");
}

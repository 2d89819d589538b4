//! `import`, `events`, `status`, `show`, `list` and `replay` as an operator uses them on a
//! data folder.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::timeline_types;
use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/messages")
        .join(name)
        .display()
        .to_string()
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-logcli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(data: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&stdout(&run(data, args))).unwrap()
}

#[test]
fn import_prints_one_line_per_message_and_status_counts_them() {
    let data = data_dir("import");
    let files = [
        fixture("medvri_two_messages.edi"),
        fixture("medvri_bsn_placeholder.edi"),
        fixture("medrpt32.edi"),
        fixture("malformed_truncated.edi"),
        fixture("letter.xml"),
    ];
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let printed = stdout(&run(&data, &args));
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 6, "{printed}");
    assert!(
        lines[0].starts_with("imported message-") && lines[0].ends_with("medvri_two_messages.edi")
    );
    assert!(lines[5].ends_with("letter.xml"));
    let status = json(&data, &["status", "--json"]);
    assert_eq!(status["awaiting_delivery"], 2);
    assert_eq!(status["missing_bsn"], 1);
    assert_eq!(status["unsupported"], 2);
    assert_eq!(status["fallout"], 1);
    assert_eq!(status["processed"], 0);
    let human = stdout(&run(&data, &["status"]));
    assert!(
        human.contains("Ontbrekende BSN") && human.contains("Uitval"),
        "{human}"
    );

    let key = data.join("data.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn show_gives_the_whole_timeline_and_events_the_log() {
    let data = data_dir("show");
    let printed = stdout(&run(
        &data,
        &["import", &fixture("medvri_bsn_elfproef_fails.edi")],
    ));
    let id = printed.split_whitespace().nth(1).unwrap().to_owned();
    let detail = json(&data, &["show", &id, "--json"]);
    assert_eq!(detail["message"]["state"], "missing_bsn");
    assert_eq!(detail["label"], "Ontbrekende BSN");
    assert_eq!(detail["message"]["mailbox"], "manual");
    assert!(detail["message"]["reason"]
        .as_str()
        .unwrap()
        .contains("elfproef"));
    let types = timeline_types(&detail);
    assert_eq!(
        types,
        ["MessageReceived", "MessageParsed", "MessageClassified"]
    );

    let events = stdout(&run(&data, &["events"]));
    let lines: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["position"], i);
        assert!(line["event_id"].as_str().unwrap().len() == 36);
        assert!(line["recorded_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(line["code_version"], env!("CARGO_PKG_VERSION"));
    }
    assert!(
        !events.contains("999990018"),
        "the BSN must not appear in the log summary"
    );
    let one = stdout(&run(&data, &["events", "--stream", &id]));
    assert_eq!(one.lines().count(), 2);
    let from = stdout(&run(&data, &["events", "--from", "2"]));
    assert_eq!(from.lines().count(), 1);
}

#[test]
fn list_pages_newest_first_and_replay_keeps_the_counts() {
    let data = data_dir("list");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let printed = stdout(&run(&data, &["import", &fixture("medvri_bsn_missing.edi")]));
        ids.push(printed.split_whitespace().nth(1).unwrap().to_owned());
    }
    let page = run(&data, &["list", "missing_bsn", "--limit", "2", "--json"]);
    let listed: Vec<String> = stdout(&page)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["stream"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(listed, [ids[2].clone(), ids[1].clone()]);
    let stderr = String::from_utf8(page.stderr).unwrap();
    let cursor = stderr.trim().strip_prefix("next page: --cursor ").unwrap();
    let rest = stdout(&run(
        &data,
        &[
            "list",
            "missing_bsn",
            "--limit",
            "2",
            "--json",
            "--cursor",
            cursor,
        ],
    ));
    assert!(rest.contains(&ids[0]));

    let before = json(&data, &["status", "--json"]);
    let replayed = stdout(&run(&data, &["replay"]));
    assert!(
        replayed.starts_with("rebuilt the projections from 9 events"),
        "{replayed}"
    );
    assert_eq!(json(&data, &["status", "--json"]), before);
}

#[test]
fn list_prints_a_table_for_people_and_show_keeps_its_timeline_in_columns() {
    let data = data_dir("list-table");
    let printed = stdout(&run(&data, &["import", &fixture("medvri_bsn_missing.edi")]));
    let id = printed.split_whitespace().nth(1).unwrap().to_owned();
    let table = stdout(&run(&data, &["list", "missing_bsn"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "a header and one row: {table}");
    assert!(lines[0].starts_with("since (UTC)"), "{table}");
    assert!(lines[1].contains(&id), "{table}");
    assert!(lines[1].contains("MEDVRI"), "{table}");
    assert!(!table.contains('{'), "no JSON in the table: {table}");
    assert_eq!(
        stdout(&run(&data, &["list", "unknown_bsn"])).trim(),
        "no messages"
    );

    let shown = stdout(&run(&data, &["show", &id]));
    let timeline: Vec<&str> = shown
        .lines()
        .skip_while(|l| *l != "timeline")
        .skip(1)
        .collect();
    assert!(timeline.len() >= 3, "{shown}");
    for line in timeline {
        let (position, rest) = line.split_at(10);
        assert!(
            position.starts_with("  ") && position.trim().parse::<u64>().is_ok(),
            "the position fills 8 columns, right-aligned: {line:?}"
        );
        assert!(
            rest.starts_with("  20"),
            "the time starts in column 13: {line:?}"
        );
    }
}

#[test]
fn resend_without_a_daemon_records_the_request_and_refuses_what_it_must() {
    let data = data_dir("resend");
    let printed = stdout(&run(&data, &["import", &fixture("medvri_bsn_missing.edi")]));
    let id = printed.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(json(&data, &["status", "--json"])["missing_bsn"], 1);
    let resent = stdout(&run(&data, &["resend", &id]));
    assert_eq!(resent.trim(), format!("resend {id}"));
    // The request is in the log and the message is back in flight until a daemon runs it.
    assert_eq!(json(&data, &["status", "--json"])["in_flight"], 1);
    let shown = json(&data, &["show", &id, "--json"]);
    let types = timeline_types(&shown);
    assert_eq!(types.last().map(String::as_str), Some("ResendRequested"));
    // A second resend while it is in flight, and an unknown id, are refused (exit 2).
    for wrong in [id.as_str(), "message-00000000-0000-0000-0000-000000000000"] {
        let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args(["resend", wrong, "--data"])
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains(wrong));
    }
}

#[test]
fn seal_prints_a_sealed_secret_that_opens_with_the_data_key_only() {
    use std::io::Write;
    let data = data_dir("seal");
    // seal creates a missing key file, never the folder it belongs in.
    std::fs::create_dir_all(&data).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["seal", "--data"])
        .arg(&data)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hunter2-password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let sealed = String::from_utf8(output.stdout).unwrap();
    assert!(sealed.starts_with("sealed:v1:") && !sealed.contains("hunter2"));
    let key = ketenpost_adapters::event_log::load_or_create_key(&data.join("data.key")).unwrap();
    assert_eq!(
        ketenpost_adapters::sealed::open(&key, &sealed).unwrap(),
        b"hunter2-password"
    );
}

#[test]
fn show_and_resend_give_the_same_exit_code_for_an_unknown_id() {
    let data = data_dir("unknown-id");
    run(&data, &["import", &fixture("medvri_bsn_missing.edi")]);
    for wrong in ["message-00000000-0000-0000-0000-000000000000", "not-an-id"] {
        for command in ["show", "resend"] {
            let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
                .args([command, wrong, "--data"])
                .arg(&data)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command} {wrong}: {stderr}");
            assert!(stderr.contains(wrong), "{command} {wrong}: {stderr}");
        }
    }
}

#[test]
fn a_reason_is_dutch_for_people_with_a_stable_code_for_machines() {
    let data = data_dir("reason-code");
    let printed = stdout(&run(
        &data,
        &["import", &fixture("malformed_truncated.edi")],
    ));
    let id = printed.split_whitespace().nth(1).unwrap().to_owned();
    let detail = json(&data, &["show", &id, "--json"]);
    assert_eq!(detail["message"]["reason_code"], "unreadable_edifact");
    let reason = detail["message"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Het bericht is niet leesbaar: "),
        "{reason}"
    );
    assert!(reason.contains("byte "), "the position is named: {reason}");
    for english in ["expected", "found", "payload", "the end", "message "] {
        assert!(!reason.contains(english), "{english:?} in {reason:?}");
    }
    let shown = stdout(&run(&data, &["show", &id]));
    assert!(
        shown.lines().any(
            |l| l.starts_with("reason      Het bericht is niet leesbaar")
                && l.ends_with("(unreadable_edifact)")
        ),
        "{shown}"
    );
    let listed = stdout(&run(&data, &["list", "fallout", "--json"]));
    let first: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(first["reason_code"], "unreadable_edifact", "{listed}");
}

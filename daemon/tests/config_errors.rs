//! Configuration problems as an operator meets them: every problem of a file at once, each
//! with its full dotted key and what is allowed, in plain words, and no follow-on problems.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn config(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-cfgerr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ketenpost.toml");
    std::fs::write(&file, text).unwrap();
    file
}

fn check(file: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["run", "--check", "--config"])
        .arg(file)
        .output()
        .unwrap()
}

/// The problems printed, one per line after the first.
fn problems(output: &Output) -> Vec<String> {
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .skip(1)
        .map(|line| line.trim().to_owned())
        .collect()
}

const VALID_ROUTE: &str = r#"
[routes.ok]
record_system = "ons"
[routes.ok.types.MEDLAB]
right_selection = "Me"
"#;

#[test]
fn every_problem_is_named_at_once_with_its_key_in_plain_words() {
    let file = config(
        "all",
        &format!(
            r#"workers = -3
data_dirr = "x"
[api]
token = "a-token-of-more-than-16"
listen = "127.0.0.1:8080"
lmits = {{}}
[[mailboxes]]
name = "drop"
kind = "folder"
path = "/tmp"
[[mailboxes]]
name = "other"
kind = "folder"
path = "/tmp"
route = "ok"
pol_interval = "5s"
{VALID_ROUTE}"#
        ),
    );
    let found = problems(&check(&file));
    let expected = [
        "workers = -3: use a whole number of 1 or more",
        "data_dirr is not a known key: did you mean data_dir?",
        "api.lmits is not a known key: did you mean limits?",
        "mailboxes[0].route is missing: it must be given, as text in quotes",
        "mailboxes[1].pol_interval is not a known key: did you mean poll_interval?",
    ];
    for problem in expected {
        assert!(
            found.iter().any(|p| p == problem),
            "{problem:?} not in {found:#?}"
        );
    }
    // The record system `ok` names is missing: said once, after the shape is read.
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("routes.ok.record_system")),
        "{found:#?}"
    );
    assert!(
        !found
            .iter()
            .any(|p| p.contains("expected") || p.contains("64-bit")),
        "no serde words: {found:#?}"
    );
}

#[test]
fn an_invalid_route_is_reported_once_and_not_as_missing() {
    let file = config(
        "follow-on",
        r#"manual_route = "r"
[api]
token = "a-token-of-more-than-16"
[[mailboxes]]
name = "drop"
kind = "folder"
path = "/tmp"
route = "r"
[routes.r]
record_system = 7
"#,
    );
    let found = problems(&check(&file));
    assert_eq!(
        found,
        vec!["routes.r.record_system = 7: use text in quotes".to_owned()],
        "no follow-on problems"
    );
}

#[test]
fn a_configuration_without_mailboxes_starts_with_a_warning() {
    let file = config(
        "no-mailbox",
        r#"[api]
token = "a-token-of-more-than-16"
"#,
    );
    let output = check(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("warning: no [[mailboxes]] is configured: nothing will be pulled"),
        "{stdout}"
    );
}

//! Every command that opens the data folder finds it the same way (`--config` or `--data`),
//! never creates one by only reading, and with `--config` uses only what it needs of the file,
//! with relative paths taken relative to the file.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-cmddata-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/messages")
        .join(name)
}

/// `ketenpost ARGS` run in `cwd`, with `stdin` as its input.
fn ketenpost(cwd: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that stops before reading its input closes the pipe: not this test's concern.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A configuration file whose paths are all relative, for an API on `port`.
fn relative_config(dir: &Path, port: u16) -> PathBuf {
    let file = dir.join("ketenpost.toml");
    std::fs::write(
        &file,
        format!(
            r#"data_dir = "data"
manual_route = "ons"
[api]
listen = "127.0.0.1:{port}"
token = "a-token-of-more-than-16"
[record_systems.ons]
kind = "nedap_ons"
base_url = "https://ons.example.invalid"
client_cert = "certs/ons.crt"
client_key = "certs/ons.key"
ca_cert = "certs/ca.crt"
employee_object_id = "1"
user_name = "u"
active_identity = "a"
[routes.ons]
record_system = "ons"
[routes.ons.types.MEDLAB]
right_selection = "Me"
"#
        ),
    )
    .unwrap();
    file
}

#[test]
fn import_events_replay_and_seal_use_the_data_folder_the_configuration_names() {
    let home = folder("named");
    let elsewhere = folder("named-elsewhere");
    let config = relative_config(&home, 1);
    let config = config.to_str().unwrap();
    let letter = fixture("medrpt32.edi");

    let import = ketenpost(
        &elsewhere,
        &["import", letter.to_str().unwrap(), "--config", config],
        "",
    );
    assert!(import.status.success(), "{}", text(&import.stderr));
    assert!(
        home.join("data").is_dir(),
        "the configured data folder, relative to the file"
    );
    assert!(
        !elsewhere.join("ketenpost-data").exists(),
        "nothing is written into the current folder"
    );

    let events = ketenpost(&elsewhere, &["events", "--config", config], "");
    assert!(events.status.success(), "{}", text(&events.stderr));
    assert!(
        text(&events.stdout).lines().count() >= 2,
        "the imported message's events: {}",
        text(&events.stdout)
    );

    let replay = ketenpost(&elsewhere, &["replay", "--config", config], "");
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    assert!(text(&replay.stdout).starts_with("rebuilt the projections from "));
    assert!(!text(&replay.stdout).contains(" from 0 events"));

    let seal = ketenpost(&elsewhere, &["seal", "--config", config], "secret-value\n");
    assert!(seal.status.success(), "{}", text(&seal.stderr));
    assert!(text(&seal.stdout).starts_with("sealed:v1:"));
    assert!(
        home.join("data/data.key").is_file(),
        "sealed with the configured key"
    );
    assert!(!elsewhere.join("ketenpost-data").exists());
}

#[test]
fn commands_that_read_refuse_a_missing_data_folder_and_create_nothing() {
    let dir = folder("missing");
    let typo = dir.join("typo");
    let typo_arg = typo.to_str().unwrap();
    for args in [
        vec!["status"],
        vec!["events"],
        vec!["replay"],
        vec!["list", "missing_bsn"],
        vec!["show", "message-00000000-0000-0000-0000-000000000000"],
        vec!["resend", "message-00000000-0000-0000-0000-000000000000"],
        vec!["repair-head"],
    ] {
        let mut all = args.clone();
        all.extend(["--data", typo_arg]);
        let output = ketenpost(&dir, &all, "");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("the data folder {typo_arg} does not exist")),
            "{args:?}: {stderr}"
        );
        assert!(!typo.exists(), "{args:?} created {typo_arg}");
        assert!(text(&output.stdout).is_empty(), "{args:?} printed counts");
    }

    let key = dir.join("nonexistent/dir/k");
    let seal = ketenpost(
        &dir,
        &["seal", "--key-file", key.to_str().unwrap()],
        "secret\n",
    );
    assert_eq!(seal.status.code(), Some(1));
    assert!(
        text(&seal.stderr).contains("does not exist"),
        "{}",
        text(&seal.stderr)
    );
    assert!(!dir.join("nonexistent").exists(), "seal created the folder");
}

#[test]
fn status_with_a_configuration_from_another_folder_needs_only_the_api() {
    let home = folder("api-only");
    let elsewhere = folder("api-only-elsewhere");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = relative_config(&home, port);
    // The daemon's API, as far as `status` uses it: one answer with the counts.
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0_u8; 4096];
        let n = stream.read(&mut request).unwrap();
        let request = String::from_utf8_lossy(&request[..n]).into_owned();
        let body = r#"{"counts":{"missing_bsn":7}}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        request
    });
    let status = ketenpost(
        &elsewhere,
        &["status", "--config", config.to_str().unwrap()],
        "",
    );
    let stdout = text(&status.stdout);
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("missing_bsn") && l.ends_with(" 7")),
        "{stdout}"
    );
    let request = server.join().unwrap();
    assert!(request.starts_with("GET /api/v1/counts"), "{request}");
    assert!(request
        .to_lowercase()
        .contains("authorization: bearer a-token-of-more-than-16"));
}

/// A daemon API that answers every request with `status` and an error body; returns the
/// request lines it saw once `count` requests were answered.
fn answering_api(status: &str, count: usize) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let status = status.to_owned();
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..count {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0_u8; 4096];
            let n = stream.read(&mut request).unwrap();
            let request = String::from_utf8_lossy(&request[..n]).into_owned();
            seen.push(request.lines().next().unwrap_or("").to_owned());
            let body = r#"{"error":"no message message-00000000-0000-0000-0000-000000000000"}"#;
            write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
        seen
    });
    (port, server)
}

#[test]
fn show_and_resend_through_the_daemon_give_one_exit_code_per_meaning() {
    let id = "message-00000000-0000-0000-0000-000000000000";
    // An unknown id is refused input (exit 2); a token the daemon does not accept means the
    // command was not done (exit 1): the same from both commands.
    for (answer, exit) in [("404 Not Found", 2), ("401 Unauthorized", 1)] {
        let home = folder(&format!("remote-{exit}"));
        let (port, server) = answering_api(answer, 2);
        let config = relative_config(&home, port);
        for command in ["show", "resend"] {
            let output = ketenpost(
                &home,
                &[command, id, "--config", config.to_str().unwrap()],
                "",
            );
            let stderr = text(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(exit),
                "{command} on {answer}: {stderr}"
            );
            if exit == 2 {
                assert!(stderr.contains(id), "{command}: {stderr}");
            }
        }
        assert_eq!(
            server.join().unwrap().len(),
            2,
            "both commands asked the daemon"
        );
    }
}

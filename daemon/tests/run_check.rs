//! `ketenpost run --check`: the dry run an operator (and the Debian package test) uses to see
//! whether a configuration can run, without starting anything.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::net::TcpListener;
use std::process::{Command, Output};

use harness::process::free_port;
use harness::Harness;

fn check(h: &Harness) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["run", "--check", "--config"])
        .arg(&h.config)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_usable_configuration_is_described_and_nothing_is_started() {
    let port = free_port();
    let h = Harness::start("run-check-ok", port, 2).await;
    let output = check(&h);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("configuration ok"), "{stdout}");
    assert!(stdout.contains("mailbox lab-noordwest"), "{stdout}");
    assert!(stdout.contains("record system    ons"), "{stdout}");
    assert!(
        !stdout.contains("secret-pw"),
        "no secret is printed: {stdout}"
    );
    assert!(!h.data().exists(), "a check creates no data folder");
    assert!(
        TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "a check binds no port"
    );
}

#[tokio::test]
async fn a_missing_certificate_fails_the_check_naming_the_record_system() {
    let h = Harness::start("run-check-cert", free_port(), 2).await;
    h.edit_config(|text| {
        text.lines()
            .map(|line| {
                if line.starts_with("client_cert = ") {
                    "client_cert = \"/nonexistent/ons.crt\"".to_owned()
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    let output = check(&h);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("record_systems.ons"), "{stderr}");
    assert!(stderr.contains("/nonexistent/ons.crt"), "{stderr}");
    assert!(!h.data().exists());
}

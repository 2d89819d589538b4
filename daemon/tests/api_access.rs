//! The API's views of a message, downloads of its attachments and resends are in the access log with
//! the token's name as the user: `[api] token` as `api`, a `[[api.tokens]]` entry by its own
//! name, with the message's client (the BSN opened by `ketenpost audit --client`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::process::Command;
use std::time::Duration;

use harness::{call, letter, message_in, wait_until, Harness, ACCOUNT, GP, TOKEN};

const UNKNOWN: &str = "123456782";
const MONITORING: &str = "monitoring-token-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_views_of_a_message_are_recorded_with_the_token_s_name() {
    let h = Harness::start("api-access", 0, 2).await;
    h.edit_config(|text| {
        text.replacen(
            "[[mailboxes]]",
            &format!(
                "[[api.tokens]]\nname = \"monitoring\"\ntoken = \"{MONITORING}\"\n[[mailboxes]]"
            ),
            1,
        )
    });
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_until("the unknown-BSN letter", Duration::from_secs(20), || {
        let address = address.clone();
        async move { !message_in(&address, "unknown_bsn").await.is_empty() }
    })
    .await;
    let id = message_in(&address, "unknown_bsn").await[0]["stream"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/messages/{id}");
    let (status, _) = call(&address, reqwest::Method::GET, &path, Some(TOKEN)).await;
    assert_eq!(status, 200);
    let (status, _) = call(&address, reqwest::Method::GET, &path, Some(MONITORING)).await;
    assert_eq!(status, 200, "a named token is let in");
    let (status, _) = call(
        &address,
        reqwest::Method::GET,
        &path,
        Some("not-a-token-at-all"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &address,
        reqwest::Method::GET,
        "/api/v1/counts",
        Some(MONITORING),
    )
    .await;
    assert_eq!(status, 200);
    // The attachments, as the portal offers them.
    let download = |path: String| {
        let address = address.clone();
        async move {
            let answer = reqwest::Client::new()
                .get(format!("http://{address}{path}"))
                .bearer_auth(MONITORING)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let kind = answer.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            (status, kind, answer.bytes().await.unwrap().to_vec())
        }
    };
    let (status, kind, pdf) = download(format!("{path}/document")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF"), "a PDF document");
    let (status, _, original) = download(format!("{path}/original")).await;
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&original).contains(UNKNOWN),
        "the message as it arrived"
    );
    let (status, _) = call(
        &address,
        reqwest::Method::GET,
        &format!("{path}/document"),
        None,
    )
    .await;
    assert_eq!(status, 401, "no download without a token");
    // A resend is a transfer to the record system: recorded too, with the token's name.
    let (status, _) = call(
        &address,
        reqwest::Method::POST,
        &format!("{path}/resend"),
        Some(MONITORING),
    )
    .await;
    assert_eq!(status, 202);
    wait_until("the resend's timeline", Duration::from_secs(20), || {
        let address = address.clone();
        let path = path.clone();
        async move {
            let (_, detail) = call(&address, reqwest::Method::GET, &path, Some(TOKEN)).await;
            detail.to_string().contains("api:monitoring")
        }
    })
    .await;
    running.stop().await.unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["audit", "--client", UNKNOWN, "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.len() >= 6,
        "views, two downloads and a resend, nothing for the counts: {stdout}"
    );
    assert!(
        lines[0].contains(&format!(
            "view by api:api (api, api) from 127.0.0.1 message {id} client {UNKNOWN}: success"
        )),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("view by api:monitoring"), "{}", lines[1]);
    for (line, action) in lines[2..]
        .iter()
        .zip(["download_pdf", "download_original", "resend"])
    {
        assert!(
            line.contains(&format!(
                "{action} by api:monitoring (api, api) from 127.0.0.1 message {id} client \
                 {UNKNOWN}: success"
            )),
            "{line}"
        );
    }
    assert!(
        lines[5..]
            .iter()
            .all(|l| l.contains("view by api:api (api, api)")),
        "after the resend only the test's own look at the timeline: {stdout}"
    );
    let verify = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["audit", "--verify", "--config"])
        .arg(&h.config)
        .output()
        .unwrap();
    assert!(verify.status.success());
}

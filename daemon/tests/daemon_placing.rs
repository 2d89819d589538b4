//! The daemon placing documents in the record system: an upload whose answer was lost, a
//! letter too large to prepare in place, and a retry that survives a restart.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{
    letter, message, message_in, wait_for_category, wait_for_processed, Harness, ACCOUNT, GP, KNOWN,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_answer_was_lost_is_found_by_reading_back_and_not_placed_twice() {
    let h = Harness::start("readback", 0, 5).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.faults().drop_connection_after_next_uploads(3);
    for n in 0..3 {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}")));
    }
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 3, Duration::from_secs(30)).await;
    let documents = h.ons.documents();
    let mut names: Vec<_> = documents
        .iter()
        .map(|d| d.file_name.clone().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(
        (documents.len(), names.len()),
        (3, 3),
        "no document placed twice"
    );
    let processed = message_in(&address, "processed").await;
    let id = processed[0]["stream"].as_str().unwrap();
    let detail = message(&address, id).await;
    assert_eq!(detail["placement"]["found_by_readback"], true, "{detail}");
    running.stop().await.unwrap();
}

/// The `/Count` of the page tree of a PDF ketenpost wrote (its fonts and colour profile make
/// even a one-page file some 20 KB, so sizes say little about length).
fn page_count(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let after = text
        .split("/Type/Pages/Count ")
        .nth(1)
        .expect("a page tree with a count");
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a page count")
}

/// A letter of `lines` extra text lines (about 64 bytes each) after those of the fixture.
fn long_letter(lines: usize) -> String {
    let base = letter(GP, KNOWN, "IC7");
    let extra: String = (0..lines)
        .map(|n| {
            format!(
                "TXT:{}+Regel {n} van een lange brief met uitslagen en beleid, ter informatie.'\n",
                n + 8
            )
        })
        .collect();
    base.replacen("GGO+", &format!("{extra}GGO+"), 1)
        .replace("UNT+14+", &format!("UNT+{}+", 14 + lines))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_too_large_to_prepare_in_place_is_placed_like_a_short_one() {
    let h = Harness::start("long-letter", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let long = long_letter(2_000);
    assert!(long.len() > 100 * 1024, "{} bytes", long.len());
    h.zorgmail.add_message(ACCOUNT, GP, long);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC8"));
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 2, Duration::from_secs(30)).await;
    let mut pages: Vec<usize> = h
        .ons
        .documents()
        .iter()
        .map(|d| {
            assert!(d.attachment.starts_with(b"%PDF"));
            page_count(&d.attachment)
        })
        .collect();
    pages.sort_unstable();
    assert_eq!(pages.len(), 2, "both letters placed once");
    assert!(
        pages[0] == 1 && pages[1] > 20,
        "the long letter runs to many pages: {pages:?}"
    );
    running.stop().await.unwrap();
}

/// The message awaiting delivery whose timeline has a failed attempt, if there is one.
async fn failed_once(address: &str) -> Option<String> {
    let waiting = message_in(address, "awaiting_delivery").await;
    let id = waiting.first()?["stream"].as_str()?.to_owned();
    let detail = message(address, &id).await;
    detail["timeline"]
        .as_array()?
        .iter()
        .any(|e| e["type"] == "DeliveryFailed")
        .then_some(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_retry_survives_a_restart() {
    let h = Harness::start("retry-restart", 0, 5).await;
    h.edit_config(|text| {
        text.replace("first_delay = \"50ms\"", "first_delay = \"2s\"")
            .replace("max_delay = \"200ms\"", "max_delay = \"2s\"")
    });
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.faults().unavailable_next_uploads(1);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));

    let (running, address) = h.start_daemon().await;
    let started = std::time::Instant::now();
    let id = loop {
        if let Some(id) = failed_once(&address).await {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no failed attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Stopped while the retry waits for its time; nothing is placed yet.
    running.stop().await.unwrap();
    assert!(h.ons.documents().is_empty());

    let (running, address) = h.start_daemon().await;
    wait_for_category(
        &address,
        &id,
        "processed",
        "the retry after the restart places it",
    )
    .await;
    assert_eq!(h.ons.documents().len(), 1);
    running.stop().await.unwrap();
}

//! The daemon against a hostile ZorgMail mailbox (the stand-in's fault switches) and a
//! hostile drop folder: an id listed twice is one message, an answer without usable content
//! leaves the message in the mailbox, every message that cannot be taken in is named by id at
//! once, a hung call holds up neither the others nor the stop, the calls under way and the
//! memory they hold are bounded, and a file's name is never shown.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{
    counts, get, letter, wait_for_mailbox_problem, wait_for_processed, wait_until, Harness,
    ACCOUNT, GP,
};
use ketenpost_fixtures::zorgmail::{ContentFault, Operation};
use serde_json::Value;

const KNOWN: &str = "999990019";
const MAILBOX: &str = "lab-noordwest";

/// Adds `lines` to the ZorgMail mailbox's configuration.
fn configure_mailbox(h: &Harness, lines: &str) {
    h.edit_config(|text| {
        text.replacen(
            "route = \"ons\"\n",
            &format!("route = \"ons\"\n{lines}\n"),
            1,
        )
    });
}

/// The ZorgMail mailbox's health from the API.
async fn health(address: &str) -> Value {
    get(address, "/api/v1/counts").await.1["mailboxes"][MAILBOX].clone()
}

/// The ids the mailbox's health lists as not taken in.
async fn not_taken(address: &str) -> Vec<String> {
    health(address).await["not_taken"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every message recorded, whatever its category.
async fn recorded(address: &str) -> i64 {
    counts(address)
        .await
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_i64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_listed_twice_is_retrieved_recorded_and_placed_once() {
    let h = Harness::start("hostile-twice", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    for reference in ["IC1", "IC2", "IC3"] {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, reference));
    }
    h.zorgmail.faults().list_each_id_twice(true);

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 3, Duration::from_secs(30)).await;
    wait_until("the mailbox is empty", Duration::from_secs(20), || async {
        h.zorgmail.remaining().is_empty()
    })
    .await;
    let total = recorded(&address).await;
    running.stop().await.unwrap();

    assert_eq!(h.zorgmail.retrieve_count(), 3, "one Retrieve per id");
    assert_eq!(total, 3, "one recorded message per id");
    assert_eq!(h.ons.documents().len(), 3, "one document per letter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_usable_content_leaves_the_message_in_the_mailbox_named() {
    let h = Harness::start("hostile-content", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let faults = [
        ContentFault::Missing,
        ContentFault::Nil,
        ContentFault::OtherNamespace,
        ContentFault::Empty,
    ];
    let mut spoiled = Vec::new();
    for (n, fault) in faults.into_iter().enumerate() {
        let id = h
            .zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}")));
        h.zorgmail.faults().spoil_content_of(&id, fault);
        spoiled.push(id);
    }
    let good = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC9"));

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(30)).await;
    wait_until(
        "every spoiled message named",
        Duration::from_secs(20),
        || async {
            let mut named = not_taken(&address).await;
            named.sort();
            named == spoiled
        },
    )
    .await;
    let shown = health(&address).await;
    for entry in shown["not_taken"].as_array().unwrap() {
        let problem = entry["problem"].as_str().unwrap();
        assert!(
            problem.contains("content") && problem.contains("stays in the mailbox"),
            "{problem}"
        );
    }
    assert_eq!(h.zorgmail.deleted_ids(), std::slice::from_ref(&good));
    assert_eq!(
        h.zorgmail.remaining(),
        spoiled,
        "nothing without content is deleted"
    );
    assert_eq!(recorded(&address).await, 1, "no empty payload is recorded");

    // Once the service answers properly, every letter is taken in: none was lost.
    h.zorgmail.faults().clear();
    wait_for_processed(&address, 5, Duration::from_secs(30)).await;
    wait_until(
        "the list is empty again",
        Duration::from_secs(20),
        || async { not_taken(&address).await.is_empty() },
    )
    .await;
    running.stop().await.unwrap();
    assert!(h.zorgmail.remaining().is_empty());
    assert_eq!(h.ons.documents().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_the_mailbox_cannot_take_is_named_by_id_at_once_and_the_rest_counted() {
    let h = Harness::start("hostile-stuck", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let huge = h
        .zorgmail
        .add_message(ACCOUNT, GP, vec![b'x'; 2 * 1024 * 1024]);
    let bad = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    h.zorgmail
        .faults()
        .spoil_content_of(&bad, ContentFault::NotBase64);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    let odd = ["   ".to_owned(), "a\nforged log line".to_owned()];
    h.zorgmail.faults().list_also(odd.to_vec());
    configure_mailbox(&h, "max_message_mib = 1");

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(30)).await;
    let mut expected = vec![huge.clone(), bad.clone(), odd[0].clone(), odd[1].clone()];
    expected.sort();
    wait_until("all four named", Duration::from_secs(20), || async {
        let mut named = not_taken(&address).await;
        named.sort();
        named == expected
    })
    .await;
    let shown = health(&address).await;
    running.stop().await.unwrap();

    assert_eq!(shown["not_taken_count"], 4, "{shown}");
    assert_eq!(
        shown["received"], 1,
        "a poll that also had problems counts what it took in: {shown}"
    );
    let problem = shown["problem"].as_str().unwrap();
    assert!(problem.contains("3 more"), "{problem}");
    for entry in shown["not_taken"].as_array().unwrap() {
        let text = entry["problem"].as_str().unwrap();
        assert!(!text.contains('\n'), "the id is escaped: {text:?}");
    }
    let by_id = |id: &str| {
        shown["not_taken"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()["problem"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(by_id(&huge).contains("1 MiB"));
    assert!(by_id(&bad).contains("base64"));
    assert!(by_id("   ").contains("message \"   \""), "{}", by_id("   "));
    assert!(by_id(&odd[1]).contains("message \"a\\nforged log line\""));
    let mut left = h.zorgmail.remaining();
    left.sort();
    let mut stuck = vec![huge, bad];
    stuck.sort();
    assert_eq!(left, stuck, "what cannot be taken in stays in the mailbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_retrieve_holds_up_neither_the_other_messages_nor_the_stop() {
    let h = Harness::start("hostile-stall", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            h.zorgmail
                .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}"))),
        );
    }
    // The first message's answer begins and never ends; the call is not cut off during
    // this test.
    h.zorgmail.faults().stall_retrieve_of(&ids[0]);
    configure_mailbox(&h, "timeout = \"10m\"");

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 11, Duration::from_secs(30)).await;
    tokio::time::timeout(Duration::from_secs(15), running.stop())
        .await
        .expect("the stop cancels the stalled call instead of waiting for it")
        .unwrap();

    assert_eq!(
        h.zorgmail.remaining(),
        [ids[0].clone()],
        "the stalled message stays"
    );
    assert!(!h.zorgmail.deleted_ids().contains(&ids[0]));
    assert_eq!(h.ons.documents().len(), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_never_answers_is_cut_off_by_the_mailbox_timeout() {
    let h = Harness::start("hostile-list", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    h.zorgmail.faults().hang_next_for(Operation::List, 1);
    configure_mailbox(&h, "timeout = \"1s\"");
    // The problem shows until the next poll: long enough to be seen.
    h.edit_config(|text| text.replacen("poll_interval = \"100ms\"", "poll_interval = \"3s\"", 1));

    let (running, address) = h.start_daemon().await;
    wait_for_mailbox_problem(
        &address,
        MAILBOX,
        "ListRequest call was cut off",
        Duration::from_secs(20),
    )
    .await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    running.stop().await.unwrap();
    assert!(h.zorgmail.remaining().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calls_under_way_at_one_mailbox_are_limited() {
    let h = Harness::start("hostile-limit", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    for n in 0..10 {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}")));
    }
    h.zorgmail.faults().delay(Duration::from_millis(150));
    configure_mailbox(&h, "max_concurrent_requests = 2");

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 10, Duration::from_secs(60)).await;
    running.stop().await.unwrap();
    assert!(
        h.zorgmail.most_requests_at_once() <= 2,
        "{} calls at once",
        h.zorgmail.most_requests_at_once()
    );
    assert_eq!(h.ons.documents().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_folder_file_is_named_by_inode_never_by_its_name() {
    use std::os::unix::fs::MetadataExt;
    let h = Harness::start("hostile-names", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let large = h.drop_folder.join("Wolf JH 999990019 too large.edi");
    std::fs::write(&large, vec![b'x'; 2 * 1024 * 1024]).unwrap();
    let inode = std::fs::metadata(&large).unwrap().ino().to_string();
    std::fs::write(
        h.drop_folder.join("Wolf JH 999990019 brief.edi"),
        letter(GP, KNOWN, "IC1"),
    )
    .unwrap();
    h.edit_config(|text| {
        text.replace(
            "route = \"ons\"\n",
            "route = \"ons\"\nmax_message_mib = 1\n",
        )
    });

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(30)).await;
    wait_for_mailbox_problem(
        &address,
        "drop",
        &format!("inode {inode}"),
        Duration::from_secs(20),
    )
    .await;
    let shown = get(&address, "/api/v1/counts").await.1;
    let (_, page) = get(&address, "/api/v1/messages?category=processed").await;
    let id = page["messages"][0]["stream"].as_str().unwrap().to_owned();
    let detail = get(&address, &format!("/api/v1/messages/{id}")).await.1;
    running.stop().await.unwrap();

    assert_eq!(
        shown["mailboxes"]["drop"]["not_taken"][0]["id"],
        inode.as_str()
    );
    let counts = shown.to_string();
    assert!(
        !counts.contains("Wolf") && !counts.contains("999990019"),
        "{counts}"
    );
    let remote_id = detail["remote_id"].as_str().unwrap();
    assert!(remote_id.starts_with("file-"), "{remote_id}");
    assert!(!detail.to_string().contains("Wolf JH"), "{detail}");
    assert!(large.exists(), "the large file stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_just_under_the_limit_all_go_through_a_budget_of_one_at_a_time() {
    let h = Harness::start("hostile-budget", 0, 2).await;
    for n in 0..6u8 {
        // Not EDIFACT: recorded, then to fallout.
        h.zorgmail
            .add_message(ACCOUNT, GP, vec![b'a' + n; 1024 * 1024 - 4096]);
    }
    configure_mailbox(
        &h,
        "max_message_mib = 1\nmax_in_flight_mib = 1\nmax_concurrent_requests = 4",
    );

    let (running, address) = h.start_daemon().await;
    wait_until("all taken in", Duration::from_secs(60), || async {
        h.zorgmail.remaining().is_empty()
    })
    .await;
    // The counts follow the log a moment after the last Delete.
    wait_until("all six counted", Duration::from_secs(30), || async {
        recorded(&address).await == 6
    })
    .await;
    let shown = health(&address).await;
    running.stop().await.unwrap();
    assert_eq!(shown["received"], 6, "{shown}");
    assert_eq!(h.zorgmail.retrieve_count(), 6);
}

//! `ketenpost audit --verify`, `--client BSN` and `--user EMAIL` on a data folder whose access
//! log holds entries from the portal and the API: an intact chain is confirmed, an entry that
//! does not follow the one before (replayed into the log) is found and named, the client's
//! entries are printed with the BSN opened, and a BSN that does not pass is refused.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use ketenpost_adapters::event_log::{load_or_create_key, DiskEventLog, LogOptions, Retention};
use ketenpost_domain::events::Role;
use ketenpost_domain::events::{Event, EventId, NewEvent, StreamId, ACCESS_STREAM};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};
use ketenpost_portal::access::{Access, AccessLog, Action, Entry};
use ketenpost_portal::identity::{self, Profile};
use ketenpost_portal::users;

const BSN: &str = "999990019";

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn audit(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .arg("audit")
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Three entries: two of a portal user on the client, one of the API token `monitor`.
fn record(data: &Path) {
    record_at(data, [1_000, 2_000, 3_000]);
}

/// The same three entries, made at these times (milliseconds since 1970).
fn record_at(data: &Path, at_ms: [i64; 3]) {
    let log = DiskEventLog::open(&LogOptions::new(data)).unwrap();
    let key = load_or_create_key(&data.join("data.key")).unwrap();
    users::add(
        &log,
        &key,
        &Profile {
            email: "anna@zorggroep.example".into(),
            name: "Anna de Vries".into(),
        },
        Role::Secretariaat,
        "test",
        0,
    )
    .unwrap();
    let writer = AccessLog::new(Arc::new(log.access_keys(Duration::from_secs(3600))));
    let address: IpAddr = "10.1.2.3".parse().unwrap();
    let anna = Access::portal(
        &identity::user_stream(&key, "anna@zorggroep.example"),
        "secretariaat",
        address,
    );
    let entry = |action, outcome| Entry {
        action,
        message: Some("message-1"),
        bsn: Some(BSN),
        detail: None,
        outcome,
    };
    writer
        .record(&log, at_ms[0], &anna, entry(Action::View, "success"))
        .unwrap();
    writer
        .record(&log, at_ms[1], &anna, entry(Action::DownloadPdf, "success"))
        .unwrap();
    writer
        .record(
            &log,
            at_ms[2],
            &Access::api("monitor", address),
            entry(Action::View, "success"),
        )
        .unwrap();
    log.close();
}

#[test]
fn an_intact_access_log_is_confirmed_and_a_client_s_entries_are_printed() {
    let data = data_dir("intact");
    record(&data);
    let verified = audit(&data, &["--verify"]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("intact: 3 entries"));

    let client = audit(&data, &["--client", BSN]);
    assert!(client.status.success(), "{}", text(&client.stderr));
    let lines: Vec<String> = text(&client.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].contains("view by anna@zorggroep.example (secretariaat, portal) from 10.1.2.3 message message-1 client 999990019: success"), "{}", lines[0]);
    assert!(
        lines[2].contains("by api:monitor (api, api)"),
        "{}",
        lines[2]
    );

    let user = audit(&data, &["--user", "anna@zorggroep.example"]);
    assert!(user.status.success(), "{}", text(&user.stderr));
    assert_eq!(text(&user.stdout).matches(" by anna@").count(), 2);

    let other = audit(&data, &["--client", "111222333"]);
    assert!(other.status.success());
    assert!(text(&other.stdout).is_empty());
    let wrong = audit(&data, &["--client", "12345"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("is not a BSN"));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_entry_replayed_into_the_access_log_is_found() {
    let data = data_dir("tampered");
    record(&data);
    {
        // Someone with the store copies the first entry to the end: well-formed, but it does
        // not follow the entry before it.
        let log = DiskEventLog::open(&LogOptions::new(&data)).unwrap();
        let stream = StreamId::parse(ACCESS_STREAM).unwrap();
        let history = log.read_stream(&stream).unwrap();
        let first = history[0].event.clone();
        assert!(matches!(first, Event::AccessLogged(_)));
        log.append(vec![StreamAppend {
            stream,
            expected: ExpectedVersion::Exactly(history.last().unwrap().version),
            events: vec![NewEvent {
                id: EventId(uuid::Uuid::now_v7().as_u128()),
                event: first,
            }],
        }])
        .unwrap();
        log.close();
    }
    let verified = audit(&data, &["--verify"]);
    assert!(!verified.status.success());
    let stderr = text(&verified.stderr);
    assert!(stderr.contains("tampered"), "{stderr}");
    assert!(stderr.contains("entry 3"), "{stderr}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn entries_past_keep_access_log_no_longer_say_which_client_and_the_chain_holds() {
    let data = data_dir("forgotten");
    // Two entries in a period long ago, one recent (keep an hour: periods of six minutes).
    let now_ms = 10 * 3_600_000;
    record_at(&data, [1_000, 2_000, now_ms - 1_000]);
    {
        let log = DiskEventLog::open(&LogOptions::new(&data)).unwrap();
        let hour = Duration::from_secs(3600);
        let rules = Retention {
            keep_processed: hour,
            keep_other: hour,
            keep_access_log: hour,
            keep_notes: hour,
            keep_history: hour,
        };
        let report = log.sweep_retention(rules, now_ms, false).unwrap();
        assert_eq!(report.access_periods_forgotten, 1);
        log.close();
    }
    let client = audit(&data, &["--client", BSN]);
    assert!(client.status.success(), "{}", text(&client.stderr));
    let lines: Vec<String> = text(&client.stdout).lines().map(str::to_owned).collect();
    assert_eq!(
        lines.len(),
        1,
        "only the recent entry is found by BSN: {lines:?}"
    );
    assert!(lines[0].contains("by api:monitor"), "{}", lines[0]);

    let user = audit(&data, &["--user", "anna@zorggroep.example"]);
    let said = text(&user.stdout);
    assert_eq!(
        said.matches(" by anna@").count(),
        2,
        "the entries stay: {said}"
    );
    assert_eq!(
        said.matches("client verwijderd na de bewaartermijn")
            .count(),
        2,
        "{said}"
    );
    assert!(!said.contains(BSN), "{said}");

    let verified = audit(&data, &["--verify"]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("intact: 3 entries"));
    let _ = std::fs::remove_dir_all(&data);
}

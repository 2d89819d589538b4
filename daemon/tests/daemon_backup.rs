//! Backup while running: `ketenpost backup --config` asks the running daemon for a consistent
//! copy while it takes in and places messages; the copy restores into an empty data folder and
//! holds every message recorded before the backup started, and the daemon keeps working.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod harness;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use harness::process::free_port;
use harness::{counts, get, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};

const STATES: [&str; 8] = [
    "in_flight",
    "awaiting_delivery",
    "processed",
    "unsupported",
    "missing_bsn",
    "unknown_bsn",
    "technical_error",
    "fallout",
];

/// Every message the daemon's lists show now (all of them are recorded in its log).
async fn listed(address: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for state in STATES {
        let (status, page) = get(
            address,
            &format!("/api/v1/messages?category={state}&limit=500"),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert!(page["next_cursor"].is_null(), "fewer than 500 per state");
        for message in page["messages"].as_array().unwrap() {
            ids.insert(message["stream"].as_str().unwrap().to_owned());
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_message_recorded_before_it() {
    let h = Arc::new(Harness::start("backup", free_port(), 2).await);
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let (running, address) = h.start_daemon().await;

    // Load: letters keep arriving while the backup is made.
    let feeding = Arc::new(AtomicBool::new(true));
    let feeder = {
        let (h, feeding) = (Arc::clone(&h), Arc::clone(&feeding));
        tokio::spawn(async move {
            let mut n = 0;
            while feeding.load(Ordering::Relaxed) && n < 400 {
                h.zorgmail
                    .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("IC{n}")));
                n += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            n
        })
    };
    wait_until("20 letters placed", Duration::from_secs(60), || async {
        counts(&address).await["processed"].as_i64().unwrap_or(0) >= 20
    })
    .await;

    let before = listed(&address).await;
    let target = h.dir.join("backup");
    let config = h.config.clone();
    let backup_to = target.clone();
    let output = tokio::task::spawn_blocking(move || {
        binary::ketenpost(&[
            "backup",
            "--to",
            backup_to.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("the key file is not in it"), "{said}");
    assert!(
        !target.join("data.key").exists(),
        "the key is never in a backup"
    );

    // The daemon kept working: letters that arrive after the backup are placed too.
    feeding.store(false, Ordering::Relaxed);
    let fed = feeder.await.unwrap();
    wait_until("every letter placed", Duration::from_secs(120), || async {
        counts(&address).await["processed"].as_i64().unwrap_or(0) == fed
    })
    .await;
    running.stop().await.unwrap();

    // Restore into an empty folder holding only the key file.
    let restored = h.dir.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(h.data().join("data.key"), restored.join("data.key")).unwrap();
    std::fs::set_permissions(
        restored.join("data.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let said = binary::run_ok(&restored, &["restore", "--from", target.to_str().unwrap()]);
    assert!(said.starts_with("restored "), "{said}");
    let events = binary::run_ok(&restored, &["events"]);
    let missing: Vec<_> = before
        .iter()
        .filter(|id| !events.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the restored folder: {missing:?}"
    );
    let status = binary::status(&restored);
    let total: i64 = status.values().sum();
    assert!(total >= i64::try_from(before.len()).unwrap(), "{status:?}");
    let one = before.iter().next().unwrap();
    let shown = binary::run_ok(&restored, &["show", one]);
    assert!(shown.contains(one.as_str()), "{shown}");

    // A second restore into a folder that is not empty is refused.
    let again = binary::run(&restored, &["restore", "--from", target.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

/// The folders in `folder` whose names start with `backup-`, sorted.
fn rotated(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("backup-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_folder_of_backups_gets_a_new_one_and_loses_those_older_than_kept() {
    let work = binary::work_dir("backup-rotation");
    let data = work.join("data");
    let input = binary::write_inputs(&work.join("in"), 1);
    std::fs::create_dir_all(&data).unwrap();
    binary::run_ok(&data, &["import", input[0].to_str().unwrap()]);
    let backups = work.join("backups");
    // Made by an earlier rotation, long ago; a folder named so but holding no backup; and
    // something else the operator keeps there.
    for name in [
        "backup-2026-01-01T02:00:00Z",
        "backup-2026-01-02T02:00:00Z",
        "manual",
    ] {
        std::fs::create_dir_all(backups.join(name)).unwrap();
    }
    std::fs::write(backups.join("backup-2026-01-01T02:00:00Z/log.head"), "0").unwrap();
    std::fs::write(backups.join("manual/log.head"), "0").unwrap();

    let into = backups.to_str().unwrap();
    let said = binary::run_ok(&data, &["backup", "--into", into, "--keep-for", "30d"]);
    assert!(said.contains("backed up "), "{said}");
    assert!(
        said.contains("removed the backup") && said.contains("backup-2026-01-01T02:00:00Z"),
        "{said}"
    );
    let left = rotated(&backups);
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(left[0], "backup-2026-01-02T02:00:00Z", "not a backup: kept");
    let made = backups.join(&left[1]);
    assert!(made.join("log.head").is_file() && made.join("store").is_dir());
    assert!(backups.join("manual/log.head").is_file());

    // Without --keep-for, nothing goes; a duration that is none is refused before any copy.
    std::thread::sleep(Duration::from_millis(1100));
    binary::run_ok(&data, &["backup", "--into", into]);
    assert_eq!(rotated(&backups).len(), 3);
    let refused = binary::run(&data, &["backup", "--into", into, "--keep-for", "a month"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--keep-for"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(rotated(&backups).len(), 3);
    // --keep-for rotates a folder of backups; with --to there is none.
    let alone = work.join("alone");
    let refused = binary::run(
        &data,
        &[
            "backup",
            "--to",
            alone.to_str().unwrap(),
            "--keep-for",
            "30d",
        ],
    );
    assert!(!refused.status.success());
    assert!(!alone.exists(), "no copy made");
}

#[test]
fn a_restore_checks_the_key_file_also_when_the_first_payloads_went_after_their_retention() {
    let work = binary::work_dir("backup-restore-key");
    let data = work.join("data");
    std::fs::create_dir_all(&data).unwrap();
    // The first interchange's letters lack a BSN, so they are decided at once, and their
    // retention ends at once: its payload goes. The second one's letters wait to be placed.
    let without_bsn = work.join("without-bsn.edi");
    std::fs::write(&without_bsn, binary::interchange(1, 2, false)).unwrap();
    binary::run_ok(&data, &["import", without_bsn.to_str().unwrap()]);
    let swept = binary::run_ok(
        &data,
        &["retention", "--keep-processed", "0s", "--keep-other", "0s"],
    );
    assert!(swept.contains("1 payloads"), "{swept}");
    let waiting = work.join("waiting.edi");
    std::fs::write(&waiting, binary::interchange(2, 2, true)).unwrap();
    binary::run_ok(&data, &["import", waiting.to_str().unwrap()]);
    let backup = work.join("backup");
    binary::run_ok(&data, &["backup", "--to", backup.to_str().unwrap()]);

    // Restored with another key file: refused, whatever the first messages' payloads became.
    let restored = work.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::write(restored.join("data.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(
        restored.join("data.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let refused = binary::run(&restored, &["restore", "--from", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("do not open with the key file"), "{said}");
}

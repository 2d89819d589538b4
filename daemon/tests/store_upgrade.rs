//! A data folder written by the version before the store changed (format 2: its trees in
//! sled, the folder `log`) is copied into the store of this version at the first open, and
//! nothing of it is lost: every event reads back byte for byte as that version printed it,
//! the payloads still open with the key file, and the old folder is kept aside.
//!
//! `tests/data/format2-data.tar.gz` is such a folder (23 MEDVRI letters imported by that
//! version, with its key file); `format2-events.jsonl` is what its `events` printed.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::path::Path;
use std::process::Command;

use binary::{run_ok, status, work_dir};

fn unpack_format_2(work: &Path) -> std::path::PathBuf {
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format2-data.tar.gz");
    let unpacked = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(work)
        .status()
        .unwrap();
    assert!(
        unpacked.success(),
        "tar could not unpack {}",
        archive.display()
    );
    work.join("data")
}

#[test]
fn a_format_2_folder_is_copied_into_the_store_once_and_loses_nothing() {
    let work = work_dir("store-upgrade");
    let data = unpack_format_2(&work);
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format2-events.jsonl"),
    )
    .unwrap();

    let events = run_ok(&data, &["events"]);
    assert_eq!(
        events, expected,
        "every event as the old version printed it"
    );
    assert!(data.join("store").is_dir(), "the store of this version");
    assert!(
        data.join("log.format-2").join("conf").is_file(),
        "the old folder is kept aside"
    );
    assert!(!data.join("log").exists(), "and not read again");

    // The copy is complete: the projections are rebuilt from it, a payload opens, and a
    // second open copies nothing again.
    let counts = status(&data);
    assert_eq!(counts.values().sum::<i64>(), 24, "{counts:?}");
    // A backup of it restores (the restore reads a payload back with the key file).
    let backup = work.join("backup");
    run_ok(&data, &["backup", "--to", backup.to_str().unwrap()]);
    let restored = work.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(data.join("data.key"), restored.join("data.key")).unwrap();
    let said = run_ok(&restored, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(said.starts_with("restored 71 events"), "{said}");
    assert_eq!(run_ok(&restored, &["events"]), expected);
    assert_eq!(run_ok(&data, &["events"]), expected);
    let _ = std::fs::remove_dir_all(&work);
}

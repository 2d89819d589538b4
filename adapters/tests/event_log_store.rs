//! The event log's folder: payloads stored once and encrypted, a store in an old format
//! refused clearly, a folder in use told apart from a damaged one, and damage to chunks found
//! by the background verification.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use std::path::PathBuf;

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PayloadStore};

use log_support::{
    append, flip_near_the_end, folder, message_stream, open, resend, store_of, tree,
};

#[test]
fn payloads_are_stored_once_encrypted_and_need_their_key() {
    let dir = folder("payloads");
    let secret = b"UNH+1+MEDVRI:1'PID+1980:10:25+V+Geheimenaam++BSN999990019'TXT+vertrouwelijke tekst'UNT+4+1'";
    let digest = {
        let log = open(&dir);
        let digest = log.payloads().put(secret).unwrap();
        assert_eq!(log.payloads().put(secret).unwrap(), digest);
        assert_eq!(
            log.payloads().get(&digest).unwrap().as_deref(),
            Some(&secret[..])
        );
        log.append(vec![append(
            &message_stream(),
            ExpectedVersion::Any,
            vec![resend()],
        )])
        .unwrap();
        digest
    };
    let mut on_disk = Vec::new();
    for entry in walk(&dir.join("store")) {
        on_disk.extend(std::fs::read(entry).unwrap());
    }
    for needle in [&b"Geheimenaam"[..], b"999990019", b"vertrouwelijke"] {
        assert!(
            !on_disk.windows(needle.len()).any(|w| w == needle),
            "{} is readable at rest",
            String::from_utf8_lossy(needle)
        );
    }
    let other_key = dir.join("other.key");
    let log = DiskEventLog::open(&LogOptions {
        key_file: other_key,
        ..LogOptions::new(&dir)
    })
    .unwrap();
    let error = log.payloads().get(&digest).unwrap_err();
    assert!(
        error.to_string().contains("does not decrypt with this key"),
        "{error}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_store_in_the_old_format_is_refused_clearly() {
    let dir = folder("old-format");
    {
        let db = sled::open(dir.join("log")).unwrap();
        db.open_tree("event_ids").unwrap();
        db.open_tree("log")
            .unwrap()
            .insert(0u64.to_be_bytes(), &b"{}"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let error = DiskEventLog::open(&LogOptions::new(&dir))
        .err()
        .expect("an old store must be refused")
        .to_string();
    assert!(
        error.contains("is not a store of format 2: open it with the version that wrote it"),
        "{error}"
    );
    assert!(
        dir.join("log").join("conf").exists(),
        "the old store is left as it was"
    );
    assert!(!dir.join("store").exists(), "no new store beside it");
}

#[test]
fn a_folder_another_process_holds_is_in_use_not_damaged() {
    let dir = folder("in-use");
    let holder = open(&dir);
    let error = DiskEventLog::open(&LogOptions::new(&dir))
        .err()
        .expect("a folder held by another opener must be refused")
        .to_string();
    assert!(
        error.contains("is in use by another process") && error.contains("nothing is damaged"),
        "{error}"
    );
    assert!(
        !error.contains("restore"),
        "no advice to restore a backup over a sound folder: {error}"
    );
    holder.close();
    drop(holder);
    let again = DiskEventLog::open(&LogOptions::new(&dir));
    assert!(again.is_ok(), "free again once closed");
}

/// The daemon's way of opening: the chunks are verified on a thread of their own while the log
/// takes appends.
fn open_verifying_later(dir: &std::path::Path) -> DiskEventLog {
    let mut options = LogOptions::new(dir);
    options.verify_at_open = false;
    DiskEventLog::open(&options).unwrap()
}

#[test]
fn appends_made_while_the_log_is_verified_in_the_background_are_not_damage() {
    let dir = folder("verify-later");
    let stream = message_stream();
    {
        let log = open(&dir);
        log.append(vec![append(&stream, ExpectedVersion::Any, vec![resend()])])
            .unwrap();
        log.close();
    }
    let log = open_verifying_later(&dir);
    for _ in 0..3 {
        log.append(vec![append(&stream, ExpectedVersion::Any, vec![resend()])])
            .unwrap();
    }
    log.verify_in_background().unwrap().join().unwrap();
    assert_eq!(log.failure(), None);
    assert_eq!(log.damage_found(), None);
}

/// Flips a byte of the first chunk of a closed log, or of the one before its last (an open
/// reads the last chunk to find the log's end and refuses it damaged).
fn damage_chunk(dir: &std::path::Path, recent: bool) {
    let store = store_of(dir);
    let chunks = tree(&store, "log");
    let (key, value) = if recent {
        chunks.iter().rev().nth(1)
    } else {
        chunks.iter().next()
    }
    .unwrap()
    .into_inner()
    .unwrap();
    flip_near_the_end(&store, &chunks, &key, &value);
}

/// Writes a log in `dir` of `appends` appends of one event each to `stream`, and closes it.
fn log_of_appends(dir: &std::path::Path, stream: &StreamId, appends: usize) {
    let log = open(dir);
    for _ in 0..appends {
        log.append(vec![append(stream, ExpectedVersion::Any, vec![resend()])])
            .unwrap();
    }
    log.close();
}

/// Opens the log the daemon's way, appends, and lets the background pass finish.
fn verify_and_append(dir: &std::path::Path, stream: &StreamId) {
    let log = open_verifying_later(dir);
    log.verify_in_background().unwrap().join().unwrap();
    assert_eq!(log.damage_found(), None);
    for _ in 0..2 {
        log.append(vec![append(stream, ExpectedVersion::Any, vec![resend()])])
            .unwrap();
    }
    log.close();
}

#[test]
fn the_background_verification_checks_each_chunk_once_from_where_the_last_pass_ended() {
    let stream = message_stream();
    let make = |name: &str| {
        let dir = folder(name);
        log_of_appends(&dir, &stream, 3);
        verify_and_append(&dir, &stream);
        dir
    };

    // Damage in a chunk appended after the last pass is found by the next one.
    let dir = make("verify-once-new");
    damage_chunk(&dir, true);
    let log = open_verifying_later(&dir);
    log.verify_in_background().unwrap().join().unwrap();
    assert!(log.damage_found().is_some(), "the new chunk is checked");
    drop(log);

    // A chunk a pass found sound is not read again by the next start's pass; every read of
    // it, and every command's open, still checks it.
    let dir = make("verify-once-old");
    damage_chunk(&dir, false);
    let log = open_verifying_later(&dir);
    log.verify_in_background().unwrap().join().unwrap();
    assert_eq!(log.damage_found(), None);
    assert!(log.read_stream(&stream).is_err(), "a read checks the chunk");
    drop(log);
    assert!(DiskEventLog::open(&LogOptions::new(&dir)).is_err());
}

#[test]
fn damage_the_background_verification_finds_stops_appends_with_the_refusal_of_an_open() {
    let dir = folder("verify-later-damaged");
    let stream = message_stream();
    log_of_appends(&dir, &stream, 3);
    {
        let store = store_of(&dir);
        let chunks = tree(&store, "log");
        let (key, value) = chunks.first_key_value().unwrap().into_inner().unwrap();
        flip_near_the_end(&store, &chunks, &key, &value);
    }
    let refusal = DiskEventLog::open(&LogOptions::new(&dir))
        .err()
        .expect("an open that verifies refuses the damaged log")
        .to_string();
    let log = open_verifying_later(&dir);
    log.verify_in_background().unwrap().join().unwrap();
    assert_eq!(log.damage_found(), Some(refusal.as_str()));
    let refused = log.append(vec![append(&stream, ExpectedVersion::Any, vec![resend()])]);
    assert!(refused.is_err(), "a damaged log takes no more appends");
}

#[test]
fn a_log_of_more_chunks_than_one_read_holds_is_verified_to_its_end() {
    let dir = folder("verify-many-chunks");
    let stream = message_stream();
    // One append, one chunk: more than the pass reads through one iterator (256).
    log_of_appends(&dir, &stream, 600);
    assert!(tree(&store_of(&dir), "log").iter().count() > 512);
    DiskEventLog::open(&LogOptions::new(&dir)).expect("a sound log opens");

    damage_chunk(&dir, true);
    let refusal = DiskEventLog::open(&LogOptions::new(&dir))
        .err()
        .expect("the damage near the end is found")
        .to_string();
    assert!(refusal.contains("damaged"), "{refusal}");
}

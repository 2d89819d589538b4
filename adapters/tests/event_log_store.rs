//! The sled event log's folder: payloads stored once and encrypted, and a store in an old format
//! refused clearly.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod log_support;

use std::path::PathBuf;

use ketenpost_adapters::event_log::{LogOptions, SledEventLog};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, PayloadStore};

use log_support::{append, folder, message_stream, open, resend};

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
    for entry in walk(&dir.join("log")) {
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
    let log = SledEventLog::open(&LogOptions {
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
    let error = SledEventLog::open(&LogOptions::new(&dir))
        .err()
        .expect("an old store must be refused")
        .to_string();
    assert!(
        error.contains("log format 1, this version reads format 2"),
        "{error}"
    );
}

//! Where the disk space of a data folder goes: `disk_usage DATA_DIR [MESSAGES]`. Prints the
//! size of the store's files (as `du` counts them, before the store opens the folder), then
//! per tree the number of entries and the bytes of their keys and values (the live data),
//! split by the first byte of the key (the kinds of entry a tree holds, see each tree's
//! module; not for a tree of digests, whose first bytes are all kinds). With MESSAGES, also
//! the bytes per message. Run it on a stopped daemon's folder: the store writes while it
//! opens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Bytes the files under `path` take on disk (allocated blocks, as `du`) and their lengths.
fn file_sizes(path: &Path, rows: &mut Vec<(String, u64, u64)>) {
    let Ok(read) = std::fs::read_dir(path) else {
        return;
    };
    for entry in read.flatten() {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() {
            file_sizes(&entry.path(), rows);
        } else {
            rows.push((
                entry.path().display().to_string(),
                meta.blocks() * 512,
                meta.len(),
            ));
        }
    }
}

#[derive(Default)]
struct Sum {
    entries: u64,
    keys: u64,
    values: u64,
}

impl Sum {
    fn add(&mut self, key: usize, value: usize) {
        self.entries += 1;
        self.keys += key as u64;
        self.values += value as u64;
    }
}

fn per(bytes: u64, messages: Option<u64>) -> String {
    match messages {
        Some(n) if n > 0 => format!("{:.0}", bytes as f64 / n as f64),
        _ => "-".into(),
    }
}

fn kind(byte: Option<&u8>) -> String {
    match byte {
        Some(b) if b.is_ascii_graphic() => format!("'{}'", *b as char),
        Some(b) => format!("0x{b:02x}"),
        None => "empty".into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(folder) = args.get(1) else {
        panic!("usage: disk_usage DATA_DIR [MESSAGES]");
    };
    let messages = args.get(2).and_then(|n| n.parse::<u64>().ok());
    let log = Path::new(folder).join("store");

    let mut files = Vec::new();
    file_sizes(&log, &mut files);
    files.sort();
    let on_disk: u64 = files.iter().map(|f| f.1).sum();
    println!("## The store's files in {}\n", log.display());
    println!("| file | on disk (bytes) | length (bytes) |");
    println!("|---|---:|---:|");
    for (name, blocks, len) in &files {
        println!("| {name} | {blocks} | {len} |");
    }
    println!(
        "| total ({} files) | {on_disk} | {} |",
        files.len(),
        files.iter().map(|f| f.2).sum::<u64>()
    );

    let db = fjall::Database::builder(&log)
        .open()
        .expect("open the store");
    let mut total = Sum::default();
    println!("\n## Live data per tree\n");
    println!("| tree | key kind | entries | key bytes | value bytes | live bytes per message |");
    println!("|---|---|---:|---:|---:|---:|");
    for name in db.list_keyspace_names() {
        let label = name.to_string();
        let tree = db
            .keyspace(&label, fjall::KeyspaceCreateOptions::default)
            .expect("open tree");
        let mut kinds: BTreeMap<String, Sum> = BTreeMap::new();
        let mut sum = Sum::default();
        for item in tree.iter() {
            let (key, value) = item.into_inner().expect("read entry");
            sum.add(key.len(), value.len());
            kinds
                .entry(kind(key.first()))
                .or_default()
                .add(key.len(), value.len());
        }
        println!(
            "| {label} | all | {} | {} | {} | {} |",
            sum.entries,
            sum.keys,
            sum.values,
            per(sum.keys + sum.values, messages)
        );
        if kinds.len() > 1 && kinds.len() <= 16 {
            for (k, s) in &kinds {
                println!(
                    "| | {k} | {} | {} | {} | {} |",
                    s.entries,
                    s.keys,
                    s.values,
                    per(s.keys + s.values, messages)
                );
            }
        }
        total.entries += sum.entries;
        total.keys += sum.keys;
        total.values += sum.values;
    }
    let live = total.keys + total.values;
    println!(
        "| total | | {} | {} | {} | {} |",
        total.entries,
        total.keys,
        total.values,
        per(live, messages)
    );
    println!(
        "\nfiles {on_disk} bytes ({} per message), live {live} bytes ({} per message), \
         {:.1}x; the store's own disk_space {}",
        per(on_disk, messages),
        per(live, messages),
        on_disk as f64 / live.max(1) as f64,
        db.disk_space().unwrap_or(0)
    );
}

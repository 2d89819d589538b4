//! Counts what a data folder's sled holds, per tree and per key prefix (the first byte): how
//! many entries and how many bytes of keys and values. sled 0.34 keeps a page of up to 16
//! entries per leaf and some bookkeeping in memory for every page, so the number of entries
//! per message is what makes the daemon's memory grow with the log (docs/performance.md,
//! "Months unattended"). `sled_census DATA_DIR` on a folder no daemon holds; it prints first
//! the resident memory after sled opened the folder (before anything is read), and after
//! reading. `sled_census DATA_DIR TREE` counts one tree; `--open-only` only opens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

fn main() {
    let data = std::env::args()
        .nth(1)
        .expect("usage: sled_census DATA_DIR");
    let db = sled::Config::new()
        .path(std::path::Path::new(&data).join("log"))
        .cache_capacity(24 << 20)
        .open()
        .expect("open sled");
    println!("after opening sled: {}", resident());
    if std::env::args().nth(2).as_deref() == Some("--open-only") {
        return;
    }
    let mut total = 0_u64;
    println!("| tree | prefix | entries | key bytes | value bytes |");
    println!("|---|---|---:|---:|---:|");
    let only = std::env::args().nth(2).filter(|a| !a.starts_with("--"));
    for name in db.tree_names() {
        if only
            .as_deref()
            .is_some_and(|o| o.as_bytes() != name.as_ref())
        {
            continue;
        }
        let tree = db.open_tree(&name).expect("open tree");
        let mut per_prefix: BTreeMap<u8, (u64, u64, u64)> = BTreeMap::new();
        for entry in tree.iter() {
            let (key, value) = entry.expect("read");
            let slot = per_prefix
                .entry(key.first().copied().unwrap_or(0))
                .or_default();
            slot.0 += 1;
            slot.1 += key.len() as u64;
            slot.2 += value.len() as u64;
        }
        let name = String::from_utf8_lossy(&name).into_owned();
        let prefixed = matches!(name.as_str(), "projections" | "retention" | "index");
        let mut sum = (0, 0, 0);
        for (prefix, (n, k, v)) in per_prefix {
            sum = (sum.0 + n, sum.1 + k, sum.2 + v);
            if prefixed {
                let shown = if prefix.is_ascii_graphic() {
                    (prefix as char).to_string()
                } else {
                    format!("0x{prefix:02x}")
                };
                println!("| {name} | {shown} | {n} | {k} | {v} |");
            }
        }
        total += sum.0;
        println!("| {name} | all | {} | {} | {} |", sum.0, sum.1, sum.2);
    }
    println!("| all trees | | {total} | | |");
    println!("after reading every entry: {}", resident());
}

/// The resident memory of this process, as /proc says.
fn resident() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

//! The access log (NEN 7513) on the command line: `ketenpost audit --client BSN` and the
//! access part of `--user EMAIL` (one line per view, download, search or resend: when, what,
//! who with their role, from where, which message and client, the outcome), and
//! `audit --verify`, which checks the hash chain of the whole log.

use std::collections::HashMap;

use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::events::StreamId;
use ketenpost_portal::access::{self, ReadEntry};
use ketenpost_portal::{identity, users};

use super::Outcome;
use crate::store;

/// Who a `user` field names: the address of a portal user, or the API token as written.
fn names(log: &DiskEventLog, key: &[u8; 32], entries: &[ReadEntry]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for entry in entries {
        let user = &entry.entry.user;
        if names.contains_key(user) {
            continue;
        }
        let name = StreamId::parse(user)
            .and_then(|stream| users::by_stream(log, &stream).ok().flatten())
            .and_then(|state| identity::open_profile(key, &state.profile).ok())
            .map_or_else(|| user.clone(), |profile| profile.email);
        names.insert(user.clone(), name);
    }
    names
}

/// Prints the entries of a client (`bsn`) or a user (their stream), oldest first; how many.
///
/// # Errors
/// The log cannot be read.
pub fn print(
    log: &DiskEventLog,
    key: &[u8; 32],
    bsn: Option<&str>,
    user: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> anyhow::Result<usize> {
    let all = access::entries(log)?;
    // Reading only: the period length of new keys does not matter here.
    let keys = log.access_keys(std::time::Duration::ZERO);
    let selected = access::select(&all, &keys, key, bsn, user, from_ms, to_ms);
    let names = names(log, key, &selected);
    for ReadEntry { entry, bsn } in &selected {
        println!(
            "{}  {} by {} ({}, {}) from {}{}{}: {}",
            store::rfc3339(entry.at_ms),
            entry.action,
            names.get(&entry.user).unwrap_or(&entry.user),
            entry.role,
            entry.on_behalf_of,
            entry.address,
            entry
                .message
                .as_deref()
                .map(|m| format!(" message {m}"))
                .unwrap_or_default(),
            bsn.as_deref()
                .map(|b| format!(" client {b}"))
                .unwrap_or_default(),
            entry.outcome
        );
    }
    Ok(selected.len())
}

/// `audit --verify`: checks the chain.
///
/// # Errors
/// The log cannot be read, or the chain is broken (exit 1, naming the entry).
pub fn verify(log: &DiskEventLog) -> anyhow::Result<Outcome> {
    match access::verify(log)? {
        Ok(count) => {
            println!("access log intact: {count} entries, each chained to the one before");
            Ok(Outcome::Understood)
        }
        Err(broken) => anyhow::bail!("the access log was tampered with: {broken}"),
    }
}

//! `ketenpost audit --user EMAIL [--from DATE] [--to DATE]`: the security log of one portal
//! user, one line per entry: when (RFC 3339, UTC) and what, without passwords, codes or
//! tokens, then their accesses to client data. The address is only used to find the streams
//! (see `ketenpost_portal::audit`). `--client BSN` prints the accesses to one client's data,
//! `--verify` checks the access log's hash chain (`access_log.rs`).

use anyhow::Context;
use ketenpost_adapters::event_log::load_or_create_key;
use ketenpost_domain::bsn::Bsn;
use ketenpost_portal::{audit, identity};

use super::{access_log, Outcome};
use crate::cli::DataArgs;
use crate::store;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Milliseconds since 1970 for `--from`/`--to`: a day (`2026-12-06`, its start in UTC; for
/// `--to` the end of it) or an RFC 3339 moment.
fn moment(text: &str, end_of_day: bool, flag: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let (parsed, whole_day) = if text.len() == 10 {
        (
            humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")),
            true,
        )
    } else {
        (humantime::parse_rfc3339_weak(text), false)
    };
    let time = parsed.with_context(|| {
        format!("{flag} {text:?}: use a day like 2026-12-06 or a moment like 2026-12-06T09:30:00Z")
    })?;
    let ms = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Ok(if whole_day && end_of_day {
        ms + DAY_MS
    } else {
        ms
    })
}

/// Prints the entries.
///
/// # Errors
/// Bad dates, or the data folder or key file cannot be used.
pub fn run(
    wanted: &Wanted,
    from: Option<&str>,
    to: Option<&str>,
    data: &DataArgs,
) -> anyhow::Result<Outcome> {
    let from_ms = from.map(|t| moment(t, false, "--from")).transpose()?;
    let to_ms = to.map(|t| moment(t, true, "--to")).transpose()?;
    let user = match wanted {
        Wanted::User(user) => user.as_str(),
        Wanted::Client(bsn) => {
            if let Err(error) = Bsn::parse(bsn) {
                eprintln!("ketenpost: --client {bsn:?} is not a BSN: {error}");
                return Ok(Outcome::Malformed);
            }
            let log = store::open(data)?;
            let key = key(data)?;
            let bsn = bsn.trim();
            let count = access_log::print(
                &log,
                &key,
                Some(bsn),
                None,
                from_ms.unwrap_or(i64::MIN),
                to_ms.unwrap_or(i64::MAX),
            )?;
            if count == 0 {
                eprintln!("ketenpost: no access log entries for that client in that time");
            }
            return Ok(Outcome::Understood);
        }
        Wanted::Verify => return access_log::verify(&store::open(data)?),
    };
    let log = store::open(data)?;
    let key_file = store::place(data)?.key_file;
    let key = load_or_create_key(&key_file)
        .with_context(|| format!("Failed to read the key file {}", key_file.display()))?;
    let entries = audit::entries(
        &log,
        &key,
        user,
        from_ms.unwrap_or(i64::MIN),
        to_ms.unwrap_or(i64::MAX),
    )
    .context("Failed to read the security log")?;
    for entry in &entries {
        println!("{}  {}", store::rfc3339(entry.at_ms), entry.what);
    }
    if entries.is_empty() {
        eprintln!("ketenpost: no security log entries for {user} in that time");
    }
    let stream = identity::user_stream(&key, user);
    access_log::print(
        &log,
        &key,
        None,
        Some(stream.as_str()),
        from_ms.unwrap_or(i64::MIN),
        to_ms.unwrap_or(i64::MAX),
    )?;
    Ok(Outcome::Understood)
}

/// What `audit` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// A portal user's security log and accesses.
    User(String),
    /// The accesses to one client's data.
    Client(String),
    /// Whether the access log's chain is whole.
    Verify,
}

/// The data key.
fn key(data: &DataArgs) -> anyhow::Result<[u8; 32]> {
    let key_file = store::place(data)?.key_file;
    load_or_create_key(&key_file)
        .with_context(|| format!("Failed to read the key file {}", key_file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_runs_from_its_start_to_its_end() {
        let from = moment("2026-12-06", false, "--from").unwrap();
        let to = moment("2026-12-06", true, "--to").unwrap();
        assert_eq!(to - from, DAY_MS);
        assert_eq!(from, 1_796_515_200_000);
        assert!(moment("6-12-2026", false, "--from")
            .unwrap_err()
            .to_string()
            .contains("--from"));
    }
}

//! An account's failed logins, kept in memory and derived again from its security stream the
//! first time the account is looked at after a start, so a lockout (and the slow-down before
//! it) survives a restart of the daemon. Every failure is a `login` entry with an outcome other
//! than `success`; a login completed with the second factor, or a password set through a
//! mailed link, clears them (as they do while the daemon runs).

use ketenpost_domain::events::{Event, StreamId};

use super::Portal;
use crate::audit::security_stream;
use crate::rules::lockout::{Failures, Gate, LOCK_AFTER};

/// The failures as the security stream of `user` tells them (none when it cannot be read: a
/// log that cannot be read also refuses the login itself).
fn replayed(portal: &Portal, user: &StreamId) -> Failures {
    let Ok(events) = portal.log.read_stream(&security_stream(user)) else {
        return Failures::default();
    };
    events
        .iter()
        .fold(Failures::default(), |failures, recorded| {
            let Event::SecurityLogged(entry) = &recorded.event else {
                return failures;
            };
            let completed = entry.outcome == "success"
                && (entry.action == "password_set"
                    || (entry.action == "login"
                        && matches!(entry.factor.as_deref(), Some("totp" | "recovery_code"))));
            if completed {
                Failures::default()
            } else if entry.action == "login" && entry.outcome != "success" {
                failures.after_failure(recorded.recorded_at_ms)
            } else {
                failures
            }
        })
}

/// The failures of `user` now: from memory, or replayed from the log the first time.
fn current(portal: &Portal, user: &StreamId) -> Failures {
    if let Some(known) = portal
        .failures
        .lock()
        .ok()
        .and_then(|f| f.get(user).copied())
    {
        return known;
    }
    let derived = replayed(portal, user);
    portal
        .failures
        .lock()
        .map(|mut f| *f.entry(user.clone()).or_insert(derived))
        .unwrap_or(derived)
}

/// Whether `user` may try now.
pub(crate) fn gate(portal: &Portal, user: &StreamId) -> Gate {
    current(portal, user).gate(portal.now())
}

/// Counts one more failure of `user`; the one that locks the account is a security log
/// entry (`lockout`).
pub(crate) fn record_failure(portal: &Portal, user: &StreamId, address: std::net::IpAddr) {
    let now = portal.now();
    let before = current(portal, user);
    let mut locked = false;
    if let Ok(mut failures) = portal.failures.lock() {
        if failures.len() > 100_000 {
            failures.retain(|_, f| f.at(now).count > 0);
        }
        let before = failures.get(user).copied().unwrap_or(before);
        let after = before.after_failure(now);
        locked = after.count == LOCK_AFTER;
        failures.insert(user.clone(), after);
    }
    if locked {
        tracing::warn!(target: "portal", user = %user, "account locked after repeated failed logins");
        portal.audit(user, "lockout", None, address, "locked");
    }
}

/// Clears an account's failures (a completed login, or a password set through a mailed link).
pub(crate) fn clear_failures(portal: &Portal, user: &StreamId) {
    if let Ok(mut failures) = portal.failures.lock() {
        failures.insert(user.clone(), Failures::default());
    }
}

//! Failed logins slow an account down and then lock it for a while; attempts from one address
//! are rate-limited whatever account they name.
//!
//! The account rule is a soft lock (ASVS 6.3.1 / 6.1.1): after [`FREE_FAILURES`] failures each
//! further attempt waits twice as long as the one before (1 s, 2 s, ... 64 s); from
//! [`LOCK_AFTER`] failures on the account is locked for [`LOCK_MS`]. The lock always ends by
//! itself, failures are forgotten [`FORGET_AFTER_MS`] after the last one, and a password reset
//! by e-mail (proof of the mailbox) clears them, so nobody can lock a colleague out for good:
//! the worst an attacker gets is 15-minute locks that the owner can lift, while the per-address
//! limit bounds how fast one address can keep them up.

/// Failures that cost nothing.
pub const FREE_FAILURES: u32 = 3;
/// Failures after which the account is locked.
pub const LOCK_AFTER: u32 = 10;
/// How long a lock lasts, in milliseconds (15 minutes).
pub const LOCK_MS: i64 = 15 * 60 * 1000;
/// After this long without a failure the count starts again, in milliseconds (1 hour).
pub const FORGET_AFTER_MS: i64 = 60 * 60 * 1000;

/// An account's recent failed logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    /// How many in a row (none forgotten).
    pub count: u32,
    /// When the last one was, milliseconds since 1970-01-01 UTC.
    pub last_ms: i64,
}

/// Whether an attempt may be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead.
    Open,
    /// Not before then (milliseconds since 1970-01-01 UTC); `locked` from [`LOCK_AFTER`]
    /// failures on.
    Wait {
        /// The earliest next attempt.
        until_ms: i64,
        /// Whether this is the lock rather than the slow-down.
        locked: bool,
    },
}

impl Failures {
    /// The failures as they count at `now_ms` (forgotten after [`FORGET_AFTER_MS`]).
    pub fn at(self, now_ms: i64) -> Self {
        if now_ms.saturating_sub(self.last_ms) >= FORGET_AFTER_MS {
            Self::default()
        } else {
            self
        }
    }

    /// The failures after one more at `now_ms`.
    pub fn after_failure(self, now_ms: i64) -> Self {
        let counted = self.at(now_ms);
        Self {
            count: counted.count.saturating_add(1),
            last_ms: now_ms,
        }
    }

    /// Whether an attempt may be made at `now_ms`.
    pub fn gate(self, now_ms: i64) -> Gate {
        let counted = self.at(now_ms);
        let (wait, locked) = if counted.count >= LOCK_AFTER {
            (LOCK_MS, true)
        } else if counted.count >= FREE_FAILURES {
            (1000_i64 << (counted.count - FREE_FAILURES), false)
        } else {
            return Gate::Open;
        };
        let until_ms = counted.last_ms.saturating_add(wait);
        if now_ms >= until_ms {
            Gate::Open
        } else {
            Gate::Wait { until_ms, locked }
        }
    }
}

/// The per-address limit: a bucket of [`ADDRESS_BURST`] attempts that refills one attempt
/// every [`ADDRESS_REFILL_MS`].
pub const ADDRESS_BURST: u32 = 20;
/// How often one attempt comes back, in milliseconds (6 s: 10 a minute sustained).
pub const ADDRESS_REFILL_MS: i64 = 6_000;

/// One address's bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressBucket {
    /// Attempts left.
    pub tokens: u32,
    /// When it was last refilled, milliseconds since 1970-01-01 UTC.
    pub refilled_ms: i64,
}

impl AddressBucket {
    /// A full bucket at `now_ms`.
    pub fn full(now_ms: i64) -> Self {
        Self {
            tokens: ADDRESS_BURST,
            refilled_ms: now_ms,
        }
    }

    /// Takes one attempt at `now_ms`: the bucket after it, and whether it was allowed.
    pub fn take(self, now_ms: i64) -> (Self, bool) {
        let elapsed = now_ms.saturating_sub(self.refilled_ms).max(0);
        let back = u32::try_from(elapsed / ADDRESS_REFILL_MS).unwrap_or(u32::MAX);
        let mut bucket = if back == 0 {
            self
        } else {
            Self {
                tokens: self.tokens.saturating_add(back).min(ADDRESS_BURST),
                refilled_ms: self.refilled_ms + i64::from(back) * ADDRESS_REFILL_MS,
            }
        };
        if bucket.tokens == 0 {
            return (bucket, false);
        }
        bucket.tokens -= 1;
        (bucket, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(times: u32, at_ms: i64) -> Failures {
        (0..times).fold(Failures::default(), |f, _| f.after_failure(at_ms))
    }

    #[test]
    fn the_first_failures_cost_nothing() {
        assert_eq!(failed(FREE_FAILURES - 1, 0).gate(0), Gate::Open);
    }

    #[test]
    fn further_failures_wait_twice_as_long_each() {
        assert_eq!(
            failed(3, 0).gate(0),
            Gate::Wait {
                until_ms: 1_000,
                locked: false
            }
        );
        assert_eq!(
            failed(5, 0).gate(0),
            Gate::Wait {
                until_ms: 4_000,
                locked: false
            }
        );
        assert_eq!(failed(5, 0).gate(4_000), Gate::Open);
    }

    #[test]
    fn ten_failures_lock_the_account_for_a_while_only() {
        let f = failed(LOCK_AFTER, 0);
        assert_eq!(
            f.gate(LOCK_MS - 1),
            Gate::Wait {
                until_ms: LOCK_MS,
                locked: true
            }
        );
        assert_eq!(f.gate(LOCK_MS), Gate::Open);
    }

    #[test]
    fn failures_are_forgotten_an_hour_after_the_last() {
        let f = failed(LOCK_AFTER + 5, 0);
        assert_eq!(f.at(FORGET_AFTER_MS), Failures::default());
        assert_eq!(f.after_failure(FORGET_AFTER_MS).count, 1);
    }

    #[test]
    fn an_address_gets_a_burst_then_one_attempt_per_refill() {
        let mut bucket = AddressBucket::full(0);
        for _ in 0..ADDRESS_BURST {
            let (next, ok) = bucket.take(0);
            assert!(ok);
            bucket = next;
        }
        let (bucket, ok) = bucket.take(ADDRESS_REFILL_MS - 1);
        assert!(!ok);
        let (bucket, ok) = bucket.take(ADDRESS_REFILL_MS);
        assert!(ok);
        assert!(!bucket.take(ADDRESS_REFILL_MS).1);
    }
}

//! When a session ends: after [`SessionLimits::idle_ms`] without a request, after
//! [`SessionLimits::absolute_ms`] whatever happens, or, with "Onthouden", after
//! [`SessionLimits::remember_ms`] (at most 14 days) while it is used within that time; and at
//! once when the user's password, second factor or state changed after it started.

/// The configured limits, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Idle timeout (default 30 minutes).
    pub idle_ms: i64,
    /// Absolute timeout (default 12 hours).
    pub absolute_ms: i64,
    /// How long "Onthouden" keeps a login, across browser restarts (at most 14 days).
    pub remember_ms: i64,
}

/// The longest "Onthouden" may keep a login: 14 days.
pub const MAX_REMEMBER_MS: i64 = 14 * 24 * 60 * 60 * 1000;

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle_ms: 30 * 60 * 1000,
            absolute_ms: 12 * 60 * 60 * 1000,
            remember_ms: MAX_REMEMBER_MS,
        }
    }
}

/// What the server keeps of a session's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// When the login completed.
    pub started_ms: i64,
    /// The last request.
    pub last_seen_ms: i64,
    /// Whether "Onthouden" was ticked.
    pub remember: bool,
}

impl SessionLimits {
    /// Whether a session with `times` is alive at `now_ms`, for a user whose sessions are valid
    /// from `valid_from_ms` (see `UserState::sessions_valid_from_ms`).
    pub fn alive(&self, times: SessionTimes, valid_from_ms: i64, now_ms: i64) -> bool {
        if times.started_ms < valid_from_ms {
            return false;
        }
        if times.remember {
            // A remembered login outlives the browser but not the remember period, and is
            // still idle-limited by that same period.
            let until = times
                .started_ms
                .saturating_add(self.remember_ms.min(MAX_REMEMBER_MS));
            return now_ms < until;
        }
        now_ms < times.started_ms.saturating_add(self.absolute_ms)
            && now_ms < times.last_seen_ms.saturating_add(self.idle_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * 1000;

    fn times(started: i64, last: i64, remember: bool) -> SessionTimes {
        SessionTimes {
            started_ms: started,
            last_seen_ms: last,
            remember,
        }
    }

    #[test]
    fn thirty_idle_minutes_end_a_session() {
        let limits = SessionLimits::default();
        assert!(limits.alive(times(0, 10 * MIN, false), 0, 40 * MIN - 1));
        assert!(!limits.alive(times(0, 10 * MIN, false), 0, 40 * MIN));
    }

    #[test]
    fn twelve_hours_end_a_session_in_use() {
        let limits = SessionLimits::default();
        let end = 12 * 60 * MIN;
        assert!(!limits.alive(times(0, end - MIN, false), 0, end));
    }

    #[test]
    fn onthouden_keeps_a_login_fourteen_days_at_most() {
        let limits = SessionLimits {
            remember_ms: 30 * MAX_REMEMBER_MS,
            ..SessionLimits::default()
        };
        assert!(limits.alive(times(0, 0, true), 0, MAX_REMEMBER_MS - 1));
        assert!(!limits.alive(times(0, 0, true), 0, MAX_REMEMBER_MS));
    }

    #[test]
    fn a_change_to_the_user_ends_older_sessions() {
        let limits = SessionLimits::default();
        assert!(!limits.alive(times(5, 5, true), 6, 7));
        assert!(limits.alive(times(6, 6, false), 6, 7));
    }
}

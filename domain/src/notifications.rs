//! When ketenpost mails whom: the rules of the notifier, pure, with the time passed in. The
//! state is a fold of the `notifications` stream, so a restart knows what was announced, what
//! was sent and what still waits to be sent.
//!
//! - The medical secretariat hears of messages waiting in Uitval, Ontbrekende BSN, Onbekende
//!   BSN or Technische fout: one notice when a category goes from none to some, then at most
//!   one digest per interval while some remain.
//! - The service desk hears once when a mailbox's or record system's problem starts and once
//!   when it has been over for a minute, not on every failed poll in between.
//! - A notice that could not be mailed is tried again after a growing delay.

use std::collections::{BTreeMap, BTreeSet};

use crate::category::Category;
use crate::events::{
    Event, Notice, NotificationDecided, NotificationFailed, ProblemSource, WaitingCleared,
};

/// The categories the medical secretariat is told about, in the portal's tab order.
pub const WATCHED: [Category; 4] = [
    Category::Fallout,
    Category::MissingBsn,
    Category::UnknownBsn,
    Category::TechnicalError,
];

/// The first delay before a failed notice is tried again, in milliseconds.
pub const FIRST_RETRY_MS: i64 = 2_000;

/// The longest delay between attempts, in milliseconds.
pub const MAX_RETRY_MS: i64 = 5 * 60 * 1000;

/// How long an announced category must stay empty before a new message in it is news again,
/// in milliseconds: a message resent and falling out again is not a new incident.
pub const EMPTY_FOR_MS: i64 = 60 * 1000;

/// How long a mailbox or record system with an announced problem must answer without one
/// before the problem is told to have ended, in milliseconds: a source that fails now and then
/// gives one start and one end, not a pair per failure.
pub const QUIET_FOR_MS: i64 = 60 * 1000;

/// How a mailbox or record system is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHealth {
    /// Mailbox or record system.
    pub source: ProblemSource,
    /// Its name.
    pub name: String,
    /// Its problem, while it lasts.
    pub problem: Option<String>,
    /// Whether it answered as asked since the daemon started (until then, no problem shown
    /// does not mean a problem announced before has ended).
    pub answered_since_start: bool,
}

/// What the notifier sees when it looks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// The count of messages per category (others than [`WATCHED`] are ignored).
    pub counts: Vec<(Category, i64)>,
    /// Every mailbox and record system.
    pub health: Vec<SourceHealth>,
}

/// A decided notice not sent yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The id of its `NotificationDecided` event.
    pub id: String,
    /// What it says.
    pub notice: Notice,
    /// Attempts that failed so far.
    pub failed_attempts: u32,
    /// When it may be tried (ms since 1970-01-01 UTC).
    pub due_ms: i64,
}

/// The notifier's state: a fold of the `notifications` stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifierState {
    /// Watched categories announced as holding messages and not seen empty since.
    announced: BTreeSet<Category>,
    /// When the last notice about waiting messages was decided.
    last_waiting_ms: Option<i64>,
    /// Problems announced as started and not as ended.
    open_problems: BTreeSet<(ProblemSource, String)>,
    /// Decided and not sent, by id.
    pending: BTreeMap<String, Pending>,
    /// Since when each announced category has been seen empty (what was seen, not recorded:
    /// after a restart the wait starts again).
    empty_since: BTreeMap<Category, i64>,
    /// Since when each source with an announced problem has answered without one (seen).
    healthy_since: BTreeMap<(ProblemSource, String), i64>,
}

impl NotifierState {
    /// Folds one event of the stream: its event id (as text), when it was recorded, and it.
    pub fn apply(&mut self, id: &str, at_ms: i64, event: &Event) {
        match event {
            Event::NotificationDecided(NotificationDecided { notice }) => {
                match notice {
                    Notice::Waiting { counts, .. } => {
                        self.last_waiting_ms = Some(at_ms);
                        self.announced
                            .extend(counts.iter().filter(|(_, n)| *n > 0).map(|(c, _)| *c));
                    }
                    Notice::ProblemStarted { source, name, .. } => {
                        self.open_problems.insert((*source, name.clone()));
                    }
                    Notice::ProblemEnded { source, name } => {
                        self.open_problems.remove(&(*source, name.clone()));
                        self.healthy_since.remove(&(*source, name.clone()));
                    }
                }
                self.pending.insert(
                    id.to_owned(),
                    Pending {
                        id: id.to_owned(),
                        notice: notice.clone(),
                        failed_attempts: 0,
                        due_ms: at_ms,
                    },
                );
            }
            Event::NotificationSent(sent) => {
                self.pending.remove(&sent.decided);
            }
            Event::NotificationFailed(failed) => {
                if let Some(pending) = self.pending.get_mut(&failed.decided) {
                    pending.failed_attempts = failed.attempt;
                    pending.due_ms = failed.retry_at_ms;
                }
            }
            Event::WaitingCleared(WaitingCleared { categories }) => {
                for category in categories {
                    self.announced.remove(category);
                    self.empty_since.remove(category);
                }
            }
            _ => {}
        }
    }

    /// What is to be recorded now, given what the notifier sees at `now_ms`, with digests at
    /// most every `digest_interval_ms`. Notes how long announced categories have been empty.
    pub fn decide(
        &mut self,
        seen: &Observation,
        now_ms: i64,
        digest_interval_ms: i64,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        let count = |category: Category| {
            seen.counts
                .iter()
                .filter(|(c, _)| *c == category)
                .map(|(_, n)| *n)
                .sum::<i64>()
        };
        let counts: Vec<(Category, i64)> = WATCHED.iter().map(|c| (*c, count(*c))).collect();
        for (category, n) in &counts {
            if *n > 0 || !self.announced.contains(category) {
                self.empty_since.remove(category);
            } else {
                self.empty_since.entry(*category).or_insert(now_ms);
            }
        }
        let emptied: Vec<Category> = self
            .empty_since
            .iter()
            .filter(|(_, since)| now_ms.saturating_sub(**since) >= EMPTY_FOR_MS)
            .map(|(c, _)| *c)
            .collect();
        if !emptied.is_empty() {
            events.push(Event::WaitingCleared(WaitingCleared {
                categories: emptied,
            }));
        }
        let new: Vec<Category> = counts
            .iter()
            .filter(|(c, n)| *n > 0 && !self.announced.contains(c))
            .map(|(c, _)| *c)
            .collect();
        let some = counts.iter().any(|(_, n)| *n > 0);
        let digest_due = self
            .last_waiting_ms
            .is_none_or(|last| now_ms.saturating_sub(last) >= digest_interval_ms);
        if !new.is_empty() || (some && digest_due) {
            events.push(decided(Notice::Waiting { counts, new }));
        }
        for health in &seen.health {
            let key = (health.source, health.name.clone());
            let open = self.open_problems.contains(&key);
            let answering = health.problem.is_none() && health.answered_since_start;
            if !(open && answering) {
                self.healthy_since.remove(&key);
            }
            match (&health.problem, open) {
                (Some(problem), false) => events.push(decided(Notice::ProblemStarted {
                    source: health.source,
                    name: health.name.clone(),
                    problem: problem.clone(),
                })),
                (None, true) if answering => {
                    let since = *self.healthy_since.entry(key).or_insert(now_ms);
                    if now_ms.saturating_sub(since) >= QUIET_FOR_MS {
                        events.push(decided(Notice::ProblemEnded {
                            source: health.source,
                            name: health.name.clone(),
                        }));
                    }
                }
                _ => {}
            }
        }
        events
    }

    /// The decided notices not sent yet whose time has come, oldest first.
    pub fn due(&self, now_ms: i64) -> Vec<Pending> {
        let mut due: Vec<Pending> = self
            .pending
            .values()
            .filter(|p| p.due_ms <= now_ms)
            .cloned()
            .collect();
        due.sort_by(|a, b| a.id.cmp(&b.id));
        due
    }

    /// How many decided notices are not sent yet.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// The most failed attempts of any notice not sent yet (0: none failed).
    pub fn most_failed_attempts(&self) -> u32 {
        self.pending
            .values()
            .map(|p| p.failed_attempts)
            .max()
            .unwrap_or(0)
    }
}

fn decided(notice: Notice) -> Event {
    Event::NotificationDecided(NotificationDecided { notice })
}

/// The event recording that attempt `attempt` (from 1) of notice `id` failed at `now_ms`: the
/// next attempt after a delay that doubles from [`FIRST_RETRY_MS`] up to [`MAX_RETRY_MS`].
pub fn failed(id: &str, attempt: u32, error: &str, now_ms: i64) -> Event {
    let doublings = attempt.saturating_sub(1).min(20);
    let delay = FIRST_RETRY_MS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_MS);
    Event::NotificationFailed(NotificationFailed {
        decided: id.to_owned(),
        attempt,
        error: error.to_owned(),
        retry_at_ms: now_ms.saturating_add(delay),
    })
}

#[cfg(test)]
#[path = "notifications_tests.rs"]
mod tests;

//! One test per rule of the notifier.

use super::*;
use crate::events::NotificationSent;

const HOUR: i64 = 3_600_000;

fn seen(unknown: i64) -> Observation {
    Observation {
        counts: vec![(Category::Processed, 7), (Category::UnknownBsn, unknown)],
        health: Vec::new(),
    }
}

/// Applies `events` as if recorded at `at`, with ids `e<n>` from `next`.
fn apply(state: &mut NotifierState, events: &[Event], at: i64) {
    for (i, event) in events.iter().enumerate() {
        state.apply(&format!("e{at}-{i}"), at, event);
    }
}

fn waiting_notices(events: &[Event]) -> Vec<&Notice> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::NotificationDecided(d) => Some(&d.notice),
            _ => None,
        })
        .collect()
}

#[test]
fn a_category_going_from_none_to_some_is_told_at_once() {
    let mut state = NotifierState::default();
    let events = state.decide(&seen(1), 0, HOUR);
    let notices = waiting_notices(&events);
    assert_eq!(notices.len(), 1);
    let Notice::Waiting { counts, new } = notices[0] else {
        panic!("{notices:?}")
    };
    assert_eq!(new, &vec![Category::UnknownBsn]);
    assert!(counts.contains(&(Category::UnknownBsn, 1)));
    assert!(!counts.iter().any(|(c, _)| *c == Category::Processed));
}

#[test]
fn more_messages_in_an_announced_category_wait_for_the_digest() {
    let mut state = NotifierState::default();
    let first = state.decide(&seen(1), 0, HOUR);
    apply(&mut state, &first, 0);
    for (minute, count) in [(1, 10), (2, 50), (59, 50)] {
        assert!(state.decide(&seen(count), minute * 60_000, HOUR).is_empty());
    }
    let digest = state.decide(&seen(50), HOUR, HOUR);
    let notices = waiting_notices(&digest);
    assert!(matches!(notices[..], [Notice::Waiting { new, .. }] if new.is_empty()));
}

#[test]
fn nothing_is_told_while_nothing_waits() {
    let mut state = NotifierState::default();
    assert!(state.decide(&seen(0), 5 * HOUR, HOUR).is_empty());
}

#[test]
fn an_emptied_category_is_news_again_when_it_fills() {
    let mut state = NotifierState::default();
    let first = state.decide(&seen(3), 0, HOUR);
    apply(&mut state, &first, 0);
    assert!(state.decide(&seen(0), 60_000, HOUR).is_empty());
    let cleared = state.decide(&seen(0), 60_000 + EMPTY_FOR_MS, HOUR);
    assert!(matches!(cleared[..], [Event::WaitingCleared(_)]));
    apply(&mut state, &cleared, 60_000 + EMPTY_FOR_MS);
    let again = state.decide(&seen(1), 200_000, HOUR);
    assert!(matches!(
        waiting_notices(&again)[..],
        [Notice::Waiting { new, .. }] if new == &vec![Category::UnknownBsn]
    ));
}

#[test]
fn a_category_empty_for_a_moment_is_not_news_again() {
    // A message resent leaves its category and falls out again a moment later.
    let mut state = NotifierState::default();
    let first = state.decide(&seen(1), 0, HOUR);
    apply(&mut state, &first, 0);
    assert!(state.decide(&seen(0), 10_000, HOUR).is_empty());
    assert!(state.decide(&seen(1), 12_000, HOUR).is_empty());
    assert!(state.decide(&seen(0), 20_000, HOUR).is_empty());
    assert!(state
        .decide(&seen(1), 20_000 + EMPTY_FOR_MS - 1, HOUR)
        .is_empty());
}

fn mailbox(problem: Option<&str>, answered: bool) -> Observation {
    Observation {
        counts: Vec::new(),
        health: vec![SourceHealth {
            source: ProblemSource::Mailbox,
            name: "lab".into(),
            problem: problem.map(str::to_owned),
            answered_since_start: answered,
        }],
    }
}

#[test]
fn a_problem_is_told_once_when_it_starts_and_once_when_it_ends() {
    let mut state = NotifierState::default();
    let started = state.decide(&mailbox(Some("HTTP 500"), false), 0, HOUR);
    assert!(matches!(
        waiting_notices(&started)[..],
        [Notice::ProblemStarted { name, .. }] if name == "lab"
    ));
    apply(&mut state, &started, 0);
    for retry in 1..5 {
        assert!(state
            .decide(&mailbox(Some("HTTP 500"), true), retry * 30_000, HOUR)
            .is_empty());
    }
    assert!(state.decide(&mailbox(None, true), 200_000, HOUR).is_empty());
    let ended = state.decide(&mailbox(None, true), 200_000 + QUIET_FOR_MS, HOUR);
    assert!(matches!(
        waiting_notices(&ended)[..],
        [Notice::ProblemEnded { .. }]
    ));
    apply(&mut state, &ended, 200_000 + QUIET_FOR_MS);
    assert!(state.decide(&mailbox(None, true), 400_000, HOUR).is_empty());
}

#[test]
fn after_a_restart_an_open_problem_ends_only_once_the_source_has_answered() {
    let mut state = NotifierState::default();
    let started = state.decide(&mailbox(Some("down"), false), 0, HOUR);
    apply(&mut state, &started, 0);
    assert!(state.decide(&mailbox(None, false), 1, HOUR).is_empty());
    assert!(state
        .decide(&mailbox(None, false), 1 + QUIET_FOR_MS, HOUR)
        .is_empty());
    assert!(state
        .decide(&mailbox(None, true), 2 + QUIET_FOR_MS, HOUR)
        .is_empty());
    assert_eq!(
        state
            .decide(&mailbox(None, true), 2 + 2 * QUIET_FOR_MS, HOUR)
            .len(),
        1
    );
}

#[test]
fn a_source_failing_now_and_then_gives_one_start_and_no_end_until_it_is_quiet() {
    let mut state = NotifierState::default();
    let started = state.decide(&mailbox(Some("down"), true), 0, HOUR);
    apply(&mut state, &started, 0);
    for second in 1..100 {
        let problem = (second % 2 == 0).then_some("down");
        let now = second * 1000;
        assert!(
            state.decide(&mailbox(problem, true), now, HOUR).is_empty(),
            "{second}"
        );
    }
}

#[test]
fn a_decided_notice_is_due_until_sent_and_a_failed_one_waits_for_its_retry() {
    let mut state = NotifierState::default();
    let first = state.decide(&seen(1), 0, HOUR);
    apply(&mut state, &first, 0);
    let due = state.due(0);
    assert_eq!(due.len(), 1);
    let id = due[0].id.clone();
    state.apply("f1", 10, &failed(&id, 1, "connection refused", 10));
    assert!(state.due(10).is_empty());
    assert_eq!(state.due(10 + FIRST_RETRY_MS).len(), 1);
    assert_eq!(state.most_failed_attempts(), 1);
    state.apply(
        "s1",
        20,
        &Event::NotificationSent(NotificationSent {
            decided: id,
            recipients: 1,
        }),
    );
    assert!(state.due(i64::MAX).is_empty());
    assert_eq!(state.pending_count(), 0);
}

#[test]
fn the_delay_between_attempts_doubles_up_to_its_limit() {
    let delay = |attempt| match failed("x", attempt, "e", 0) {
        Event::NotificationFailed(f) => f.retry_at_ms,
        _ => unreachable!(),
    };
    assert_eq!(delay(1), FIRST_RETRY_MS);
    assert_eq!(delay(2), 2 * FIRST_RETRY_MS);
    assert_eq!(delay(3), 4 * FIRST_RETRY_MS);
    assert_eq!(delay(40), MAX_RETRY_MS);
}

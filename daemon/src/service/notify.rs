//! The notifier: looks at the counts per category and the health of every mailbox and record
//! system once a second, records what the rules of `ketenpost_domain::notifications` decide
//! (durable before any mail goes out), and mails what is decided and not sent through
//! `[smtp]`, one mail per recipient, recording each notice as sent or failed. A failed notice
//! is tried again after a growing delay; a restart folds the stream and sends what was decided
//! and not sent, never what was sent.
//!
//! Recipients: the medical secretariat of the configuration version in force
//! ([`crate::config::ActiveRouting::secretariat_address`]) for waiting messages; every portal
//! user with role `servicedesk` who is not disabled for problems. Addresses are never logged.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::events::{
    Event, NewEvent, Notice, NotificationSent, ProblemSource, Role, StreamId, NOTIFICATIONS_STREAM,
};
use ketenpost_domain::notifications::{self, NotifierState, Observation, Pending, SourceHealth};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, ReadSide, StreamAppend};
use ketenpost_portal::mail::{self, SmtpSettings};
use ketenpost_portal::notices::{self, MailHealth, MailState};
use tokio_util::sync::CancellationToken;

use super::state::{now_ms, Shared};
use crate::telemetry::{NotificationMailed, NotificationNotMailed};

/// How often the notifier looks.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// What the notifier needs besides the shared state.
pub struct Notifier {
    /// The mail server.
    pub smtp: SmtpSettings,
    /// The data key (to open the service desk users' sealed addresses).
    pub key: [u8; 32],
    /// Where its health is shown (the portal's home page).
    pub health: Arc<MailHealth>,
}

fn stream() -> StreamId {
    StreamId::fixed(NOTIFICATIONS_STREAM)
}

/// Runs the notifier until `stop`.
///
/// # Errors
/// The notifications stream cannot be read at the start.
pub async fn run(
    shared: Arc<Shared>,
    notifier: Notifier,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut state = shared
        .on_log(|log| {
            let mut state = NotifierState::default();
            for recorded in log.read_stream(&stream())? {
                state.apply(
                    &recorded.id.to_string(),
                    recorded.recorded_at_ms,
                    &recorded.event,
                );
            }
            Ok(state)
        })
        .await
        .context("Failed to read the notifications stream")?;
    let interval_ms = i64::try_from(shared.settings.notifications.digest_interval.as_millis())
        .unwrap_or(i64::MAX);
    let notifier = Arc::new(notifier);
    loop {
        if let Err(error) = look_once(&shared, &notifier, &mut state, interval_ms).await {
            tracing::error!(error = format!("{error:#}"), "notifier: a round failed");
        }
        tokio::select! {
            () = tokio::time::sleep(LOOK_EVERY) => {}
            () = stop.cancelled() => return Ok(()),
        }
    }
}

/// One round: decide, record, send what is due, show the health.
async fn look_once(
    shared: &Arc<Shared>,
    notifier: &Arc<Notifier>,
    state: &mut NotifierState,
    interval_ms: i64,
) -> anyhow::Result<()> {
    let counts = shared
        .on_log(|log| Ok(log.category_counts()?))
        .await?
        .into_iter()
        .filter_map(|(s, n)| match s {
            ketenpost_domain::projections::State::Category(c) => Some((c, n)),
            _ => None,
        })
        .collect();
    let seen = Observation {
        counts,
        health: health_of(shared),
    };
    let now = now_ms();
    let decided = state.decide(&seen, now, interval_ms);
    if !decided.is_empty() {
        record(shared, state, decided).await?;
    }
    for pending in state.due(now_ms()) {
        let outcome = send(shared, notifier, &pending).await;
        let event = match outcome {
            Ok(recipients) => {
                NotificationMailed {
                    id: &pending.id,
                    kind: kind(&pending.notice),
                    recipients,
                }
                .report(&shared.metrics);
                Event::NotificationSent(NotificationSent {
                    decided: pending.id.clone(),
                    recipients,
                })
            }
            Err(error) => {
                let error = format!("{error:#}");
                let attempt = pending.failed_attempts + 1;
                NotificationNotMailed {
                    id: &pending.id,
                    attempt,
                    error: &error,
                }
                .report(&shared.metrics);
                notifications::failed(&pending.id, attempt, &error, now_ms())
            }
        };
        let failed = matches!(event, Event::NotificationFailed(_));
        record(shared, state, vec![event]).await?;
        if failed {
            // The server is down: the others wait for their own retry.
            break;
        }
    }
    shared.metrics.notifications_pending(state.pending_count());
    notifier.health.set(MailState {
        pending: state.pending_count(),
        failing: (state.most_failed_attempts() > 0).then(|| "the SMTP server".to_owned()),
    });
    Ok(())
}

/// Appends `events` to the notifications stream and folds them in.
async fn record(
    shared: &Arc<Shared>,
    state: &mut NotifierState,
    events: Vec<Event>,
) -> anyhow::Result<()> {
    let news: Vec<NewEvent> = events
        .into_iter()
        .map(|event| NewEvent {
            id: crate::intake::new_id(),
            event,
        })
        .collect();
    let appended = news.clone();
    shared
        .on_log(move |log: &DiskEventLog| {
            log.append(vec![StreamAppend {
                stream: stream(),
                expected: ExpectedVersion::Any,
                events: appended,
            }])?;
            Ok(())
        })
        .await
        .context("Failed to record a notification")?;
    let now = now_ms();
    for new in &news {
        state.apply(&new.id.to_string(), now, &new.event);
    }
    Ok(())
}

/// Every mailbox and record system as the daemon's health shows it.
pub(super) fn health_of(shared: &Shared) -> Vec<SourceHealth> {
    let mailboxes = shared
        .mailbox_health()
        .into_iter()
        .map(|(name, h)| SourceHealth {
            source: ProblemSource::Mailbox,
            name,
            answered_since_start: h.last_success.is_some(),
            problem: h.problem,
        });
    let record_systems = shared
        .record_system_health()
        .into_iter()
        .map(|(name, h)| SourceHealth {
            source: ProblemSource::RecordSystem,
            name,
            answered_since_start: h.last_success.is_some(),
            problem: h.problem,
        });
    mailboxes.chain(record_systems).collect()
}

fn kind(notice: &Notice) -> &'static str {
    match notice {
        Notice::Waiting { .. } => "waiting",
        Notice::ProblemStarted { .. } => "problem_started",
        Notice::ProblemEnded { .. } => "problem_ended",
    }
}

/// Mails `pending` to its recipients: how many there were.
async fn send(
    shared: &Arc<Shared>,
    notifier: &Arc<Notifier>,
    pending: &Pending,
) -> anyhow::Result<u32> {
    let recipients: Vec<String> = match pending.notice {
        Notice::Waiting { .. } => shared.routing().secretariat_address().into_iter().collect(),
        Notice::ProblemStarted { .. } | Notice::ProblemEnded { .. } => {
            let key = notifier.key;
            shared
                .on_log(move |log| {
                    Ok(ketenpost_portal::users::list(log, &key)?
                        .into_iter()
                        .filter(|(user, _)| user.role == Role::Servicedesk && !user.disabled)
                        .map(|(_, profile)| profile.email)
                        .collect::<Vec<String>>())
                })
                .await
                .context("Failed to find the service desk's addresses")?
        }
    };
    let public_url = shared
        .settings
        .portal
        .as_ref()
        .map(|p| p.public_url.clone())
        .unwrap_or_default();
    let every = in_dutch(shared.settings.notifications.digest_interval);
    let mails: Vec<mail::Mail> = recipients
        .iter()
        .map(|to| notices::mail_of(&pending.notice, to, &public_url, &every))
        .collect();
    let smtp = notifier.smtp.clone();
    let count = u32::try_from(mails.len()).unwrap_or(u32::MAX);
    let sent = tokio::task::spawn_blocking(move || {
        for one in &mails {
            mail::send(&smtp, one)?;
        }
        Ok::<_, mail::MailError>(())
    })
    .await
    .context("The mail task failed")?;
    if let Err(error) = sent {
        // A server's refusal may quote the address: it is not kept.
        let mut text = error.to_string();
        for to in &recipients {
            text = text.replace(to.as_str(), "<recipient>");
        }
        anyhow::bail!(text);
    }
    Ok(count)
}

/// A digest interval as people read it: `1 uur`, `30 minuten`, `1 dag`.
fn in_dutch(interval: Duration) -> String {
    let secs = interval.as_secs().max(1);
    let (n, one, many) = if secs.is_multiple_of(86_400) {
        (secs / 86_400, "dag", "dagen")
    } else if secs.is_multiple_of(3_600) {
        (secs / 3_600, "uur", "uur")
    } else if secs.is_multiple_of(60) {
        (secs / 60, "minuut", "minuten")
    } else {
        (secs, "seconde", "seconden")
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_reads_as_dutch() {
        assert_eq!(in_dutch(Duration::from_secs(3600)), "1 uur");
        assert_eq!(in_dutch(Duration::from_secs(1800)), "30 minuten");
        assert_eq!(in_dutch(Duration::from_secs(86_400)), "1 dag");
        assert_eq!(in_dutch(Duration::from_secs(7_200)), "2 uur");
    }
}

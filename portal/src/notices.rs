//! The e-mail notices (Dutch, plain text) the daemon's notifier sends, written from a decided
//! [`Notice`]: counts per category with a link to each tab for the medical secretariat, a
//! mailbox's or record system's problem for the service desk. Never a name, BSN or letter text:
//! a notice holds none. Also the notifier's health as the portal's home page shows it.

use std::sync::Mutex;

use ketenpost_domain::events::{Notice, ProblemSource};

use crate::mail::Mail;

/// The mail of `notice` to `to`; `public_url` is the portal's address (links), `digest_every`
/// the digest interval as people read it (e.g. `1 uur`).
pub fn mail_of(notice: &Notice, to: &str, public_url: &str, digest_every: &str) -> Mail {
    let base = public_url.trim_end_matches('/');
    let (subject, body) = match notice {
        Notice::Waiting { counts, new } => {
            let lines: String = counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(category, n)| {
                    let link = if base.is_empty() {
                        String::new()
                    } else {
                        format!("  {base}/berichten?tab={}\n", category.as_str())
                    };
                    format!(
                        "  {}: {n} {}\n{link}",
                        category.label(),
                        if *n == 1 { "bericht" } else { "berichten" },
                    )
                })
                .collect();
            let subject = if new.is_empty() {
                "ketenpost: overzicht van berichten die op actie wachten".to_owned()
            } else {
                let names: Vec<&str> = new.iter().map(|c| c.label()).collect();
                format!("ketenpost: nieuwe berichten in {}", names.join(", "))
            };
            (
                subject,
                format!(
                    "Beste medisch secretariaat,\n\n\
                     In ketenpost wachten berichten tot iemand ernaar kijkt:\n\n{lines}\n\
                     Open het portaal via de link, los op wat nodig is en herzend de berichten.\n\
                     Zolang er berichten wachten, ontvangt u hooguit eens per {digest_every} \
                     een overzicht.\n"
                ),
            )
        }
        Notice::ProblemStarted {
            source,
            name,
            problem,
        } => (
            format!("ketenpost: probleem met {} {name}", what(*source)),
            format!(
                "Beste servicedesk,\n\n\
                 ketenpost heeft een probleem met {} {name}:\n\n  {problem}\n\n\
                 ketenpost blijft het opnieuw proberen. U ontvangt één bericht wanneer het \
                 probleem voorbij is.\n\nStatus: {base}/\n",
                what(*source)
            ),
        ),
        Notice::ProblemEnded { source, name } => (
            format!("ketenpost: {} {name} werkt weer", what(*source)),
            format!(
                "Beste servicedesk,\n\n\
                 Het probleem met {} {name} is voorbij: het antwoordt weer zoals gevraagd.\n",
                what(*source)
            ),
        ),
    };
    Mail {
        to: to.to_owned(),
        subject,
        body,
    }
}

fn what(source: ProblemSource) -> &'static str {
    match source {
        ProblemSource::Mailbox => "postbus",
        ProblemSource::RecordSystem => "het cliëntdossier",
    }
}

/// How the mailing of notices is doing, as the notifier last saw it.
#[derive(Debug, Default)]
pub struct MailHealth(Mutex<MailState>);

/// A copy of [`MailHealth`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailState {
    /// Decided notices not sent yet.
    pub pending: usize,
    /// The last attempt's error while notices cannot be mailed (no address in it).
    pub failing: Option<String>,
}

impl MailHealth {
    /// Records what the notifier sees now.
    pub fn set(&self, state: MailState) {
        if let Ok(mut current) = self.0.lock() {
            *current = state;
        }
    }

    /// What it last saw.
    pub fn get(&self) -> MailState {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The warning for the home page while notices cannot be mailed (Dutch), else `None`.
    pub fn warning(&self) -> Option<String> {
        let state = self.get();
        state.failing.as_ref()?;
        Some(format!(
            "E-mailmeldingen kunnen nu niet worden verstuurd: de mailserver is niet bereikbaar \
             of weigert. {} {} wacht{} en wordt later opnieuw geprobeerd.",
            state.pending,
            if state.pending == 1 {
                "melding"
            } else {
                "meldingen"
            },
            if state.pending == 1 { "" } else { "en" },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::category::Category;

    #[test]
    fn the_secretariat_gets_counts_and_links_to_the_tabs() {
        let notice = Notice::Waiting {
            counts: vec![(Category::Fallout, 0), (Category::UnknownBsn, 50)],
            new: vec![Category::UnknownBsn],
        };
        let mail = mail_of(&notice, "s@z.example", "https://p.example/", "1 uur");
        assert!(mail.subject.contains("Onbekende BSN"), "{}", mail.subject);
        assert!(mail.body.contains("Onbekende BSN: 50 berichten"));
        assert!(mail
            .body
            .contains("https://p.example/berichten?tab=unknown_bsn"));
        assert!(!mail.body.contains("Uitval"));
    }

    #[test]
    fn the_home_page_warns_only_while_mailing_fails() {
        let health = MailHealth::default();
        assert_eq!(health.warning(), None);
        health.set(MailState {
            pending: 2,
            failing: Some("connection refused".into()),
        });
        assert!(health.warning().unwrap_or_default().contains("2 meldingen"));
    }
}

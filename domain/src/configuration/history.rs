//! The `configuration` stream folded: every version with its status, and the version in force;
//! and the rules of review (four eyes): who may approve or reject what, and when a proposal
//! is stale. The daemon checks a version's content before it asks for an approval.

use std::collections::BTreeMap;

use crate::events::{
    ConfigurationActivated, ConfigurationApproved, ConfigurationProposed, ConfigurationRejected,
    Event,
};

use super::RoutingConfig;

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for review ("Wacht op beoordeling").
    Proposed,
    /// Another version was activated after it was proposed: it can no longer be approved.
    Stale,
    /// Rejected, with a reason.
    Rejected,
    /// In force.
    Active,
    /// Was in force; a later version replaced it.
    Superseded,
}

impl Status {
    /// Its name in the portal.
    pub fn dutch(self) -> &'static str {
        match self {
            Status::Proposed => "Wacht op beoordeling",
            Status::Stale => "Verouderd",
            Status::Rejected => "Afgewezen",
            Status::Active => "Actief",
            Status::Superseded => "Vervangen",
        }
    }
}

/// One version and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    /// The proposal.
    pub proposal: ConfigurationProposed,
    /// Approved (by, when).
    pub approved: Option<(String, i64)>,
    /// Rejected (by, when, why).
    pub rejected: Option<(String, i64, String)>,
    /// Activated (when).
    pub activated_at_ms: Option<i64>,
}

/// The configuration stream, folded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Every version by number.
    pub versions: BTreeMap<u64, VersionRecord>,
    /// The version in force (the last activated).
    pub in_force: Option<u64>,
}

/// Why a review step is refused; the text is shown in the portal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such version.
    #[error("versie {0} bestaat niet")]
    Unknown(u64),
    /// The version was already approved, rejected or activated.
    #[error("versie {0} is al beoordeeld")]
    Decided(u64),
    /// Another version was activated after this one was proposed.
    #[error("versie {version} is verouderd: versie {in_force} werd intussen actief; stel de wijziging opnieuw voor")]
    Stale {
        /// The version.
        version: u64,
        /// The version in force now.
        in_force: u64,
    },
    /// The author cannot review their own proposal.
    #[error("een voorstel wordt beoordeeld door een ander dan wie het voorstelde")]
    OwnProposal,
    /// Only the service desk reviews.
    #[error("alleen de servicedesk beoordeelt voorstellen")]
    NotServiceDesk,
    /// A rejection needs a reason.
    #[error("geef een reden voor de afwijzing")]
    NoReason,
    /// The proposal does not pass the configuration's rules.
    #[error("het voorstel kan zo niet worden gebruikt: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl History {
    /// Folds the events of the `configuration` stream (others are ignored).
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut history = Self::default();
        for event in events {
            match event {
                Event::ConfigurationProposed(p) => {
                    history.versions.insert(
                        p.version,
                        VersionRecord {
                            proposal: p.clone(),
                            approved: None,
                            rejected: None,
                            activated_at_ms: None,
                        },
                    );
                }
                Event::ConfigurationApproved(a) => {
                    if let Some(v) = history.versions.get_mut(&a.version) {
                        v.approved = Some((a.by.clone(), a.at_ms));
                    }
                }
                Event::ConfigurationRejected(r) => {
                    if let Some(v) = history.versions.get_mut(&r.version) {
                        v.rejected = Some((r.by.clone(), r.at_ms, r.reason.clone()));
                    }
                }
                Event::ConfigurationActivated(a) => {
                    if let Some(v) = history.versions.get_mut(&a.version) {
                        v.activated_at_ms = Some(a.at_ms);
                        history.in_force = Some(a.version);
                    }
                }
                _ => {}
            }
        }
        history
    }

    /// The status of `version`.
    pub fn status(&self, version: u64) -> Option<Status> {
        let record = self.versions.get(&version)?;
        Some(if self.in_force == Some(version) {
            Status::Active
        } else if record.activated_at_ms.is_some() {
            Status::Superseded
        } else if record.rejected.is_some() {
            Status::Rejected
        } else if record.proposal.base != self.in_force.unwrap_or(0) {
            Status::Stale
        } else {
            Status::Proposed
        })
    }

    /// The configuration in force, with its version.
    pub fn in_force(&self) -> Option<(u64, &RoutingConfig)> {
        let version = self.in_force?;
        Some((version, &self.versions.get(&version)?.proposal.routing))
    }

    /// The proposals waiting for review, oldest first.
    pub fn waiting(&self) -> Vec<&VersionRecord> {
        self.versions
            .values()
            .filter(|v| self.status(v.proposal.version) == Some(Status::Proposed))
            .collect()
    }

    /// The number the next proposal gets.
    pub fn next_version(&self) -> u64 {
        self.versions.keys().next_back().map_or(1, |v| v + 1)
    }

    /// A proposal of `routing` by `author`, made from the version in force.
    pub fn propose(&self, author: &str, at_ms: i64, routing: RoutingConfig) -> Event {
        Event::ConfigurationProposed(ConfigurationProposed {
            version: self.next_version(),
            base: self.in_force.unwrap_or(0),
            author: author.to_owned(),
            at_ms,
            routing,
        })
    }

    /// Checks that `reviewer` may decide on `version` now.
    fn reviewable(&self, version: u64, reviewer: &str, service_desk: bool) -> Result<(), Refusal> {
        let record = self
            .versions
            .get(&version)
            .ok_or(Refusal::Unknown(version))?;
        match self.status(version) {
            Some(Status::Proposed) => {}
            Some(Status::Stale) => {
                return Err(Refusal::Stale {
                    version,
                    in_force: self.in_force.unwrap_or(0),
                })
            }
            _ => return Err(Refusal::Decided(version)),
        }
        if !service_desk {
            return Err(Refusal::NotServiceDesk);
        }
        if record.proposal.author == reviewer {
            return Err(Refusal::OwnProposal);
        }
        Ok(())
    }

    /// Approves `version` and activates it at once: the events to append. `problems` are
    /// what the configuration's rules found in it (an invalid version cannot be approved).
    ///
    /// # Errors
    /// Why it may not be approved.
    pub fn approve(
        &self,
        version: u64,
        reviewer: &str,
        service_desk: bool,
        at_ms: i64,
        problems: Vec<String>,
    ) -> Result<Vec<Event>, Refusal> {
        self.reviewable(version, reviewer, service_desk)?;
        if !problems.is_empty() {
            return Err(Refusal::Invalid(problems));
        }
        Ok(vec![
            Event::ConfigurationApproved(ConfigurationApproved {
                version,
                by: reviewer.to_owned(),
                at_ms,
            }),
            Event::ConfigurationActivated(ConfigurationActivated {
                version,
                by: reviewer.to_owned(),
                at_ms,
            }),
        ])
    }

    /// Rejects `version` with `reason`.
    ///
    /// # Errors
    /// Why it may not be rejected.
    pub fn reject(
        &self,
        version: u64,
        reviewer: &str,
        service_desk: bool,
        at_ms: i64,
        reason: &str,
    ) -> Result<Event, Refusal> {
        self.reviewable(version, reviewer, service_desk)?;
        if reason.trim().is_empty() {
            return Err(Refusal::NoReason);
        }
        Ok(Event::ConfigurationRejected(ConfigurationRejected {
            version,
            by: reviewer.to_owned(),
            at_ms,
            reason: reason.trim().to_owned(),
        }))
    }

    /// The first version, taken from the configuration file: proposed, approved and
    /// activated at once by `configuratiebestand`.
    pub fn from_file(at_ms: i64, routing: RoutingConfig) -> Vec<Event> {
        let by = super::FROM_FILE.to_owned();
        vec![
            Event::ConfigurationProposed(ConfigurationProposed {
                version: 1,
                base: 0,
                author: by.clone(),
                at_ms,
                routing,
            }),
            Event::ConfigurationApproved(ConfigurationApproved {
                version: 1,
                by: by.clone(),
                at_ms,
            }),
            Event::ConfigurationActivated(ConfigurationActivated {
                version: 1,
                by,
                at_ms,
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> (History, Vec<Event>) {
        let mut events = History::from_file(1, RoutingConfig::default());
        let history = History::fold(&events);
        events.push(history.propose("user-a", 2, RoutingConfig::default()));
        (History::fold(&events), events)
    }

    #[test]
    fn the_file_version_is_in_force_and_a_proposal_waits() {
        let (history, _) = started();
        assert_eq!(history.in_force, Some(1));
        assert_eq!(history.status(2), Some(Status::Proposed));
        assert_eq!(history.waiting().len(), 1);
    }

    #[test]
    fn the_author_cannot_approve_their_own_proposal() {
        let (history, _) = started();
        assert_eq!(
            history.approve(2, "user-a", true, 3, vec![]),
            Err(Refusal::OwnProposal)
        );
        assert_eq!(
            history.approve(2, "user-b", false, 3, vec![]),
            Err(Refusal::NotServiceDesk)
        );
        assert!(history.approve(2, "user-b", true, 3, vec![]).is_ok());
    }

    #[test]
    fn an_invalid_proposal_cannot_be_approved() {
        let (history, _) = started();
        let refused = history
            .approve(
                2,
                "user-b",
                true,
                3,
                vec!["routes.ons.types.MEDLAB.right_selection is missing".into()],
            )
            .unwrap_err();
        assert!(matches!(refused, Refusal::Invalid(_)));
    }

    #[test]
    fn a_proposal_is_stale_once_another_version_is_activated() {
        let (history, mut events) = started();
        events.push(history.propose("user-c", 3, RoutingConfig::default()));
        let history = History::fold(&events);
        events.extend(history.approve(3, "user-b", true, 4, vec![]).unwrap());
        let history = History::fold(&events);
        assert_eq!(history.in_force, Some(3));
        assert_eq!(history.status(1), Some(Status::Superseded));
        assert_eq!(history.status(2), Some(Status::Stale));
        assert_eq!(
            history.approve(2, "user-b", true, 5, vec![]),
            Err(Refusal::Stale {
                version: 2,
                in_force: 3
            })
        );
    }

    #[test]
    fn a_rejection_needs_a_reason_and_decides_the_version() {
        let (history, mut events) = started();
        assert_eq!(
            history.reject(2, "user-b", true, 3, " "),
            Err(Refusal::NoReason)
        );
        events.push(
            history
                .reject(2, "user-b", true, 3, "label onbekend")
                .unwrap(),
        );
        let history = History::fold(&events);
        assert_eq!(history.status(2), Some(Status::Rejected));
        assert_eq!(
            history.approve(2, "user-b", true, 4, vec![]),
            Err(Refusal::Decided(2))
        );
    }
}

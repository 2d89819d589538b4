//! Routing settings and the rules that use them: which record system a mailbox's messages go
//! to, which senders' letters become documents, and with which labels, document actions and
//! visibility each message type is placed. Pure: the daemon loads and validates the settings.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::category::{Category, Classification, Reason};
use crate::message::MessageKind;

/// Who may see a placed document (the record system's `rightSelection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RightSelection {
    /// Only the employee who placed it.
    Me,
    /// The expertise groups and profiles listed.
    Group,
    /// Education.
    Education,
    /// Every employee (and perhaps the client's portal).
    All,
    /// Nobody.
    Nobody,
}

/// How one message type is placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeSettings {
    /// Labels (the record system's tags), e.g. `labuitslag`.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Document actions: the expertise groups that must act on it.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Visibility. Required: a type without it is never placed.
    pub right_selection: Option<RightSelection>,
    /// Expertise group ids, for `Group`.
    #[serde(default)]
    pub expertise_groups: Vec<String>,
    /// Expertise profile ids, for `Group`.
    #[serde(default)]
    pub expertise_profiles: Vec<String>,
}

/// The retry budget for the record system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The delay before the second attempt.
    pub first_delay: Duration,
    /// The longest delay between attempts.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The delay before attempt `attempt` (2 = the first retry): doubling from `first_delay`,
    /// capped at `max_delay`, then spread by `jitter` (0.0..=1.0, supplied by the caller) over
    /// 50%..100% of that. `None` when the budget is spent.
    pub fn delay_before(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        if attempt < 2 || attempt > self.attempts {
            return None;
        }
        let doubled = self
            .first_delay
            .saturating_mul(1u32 << (attempt - 2).min(20));
        let capped = doubled.min(self.max_delay);
        Some(capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
    }
}

/// A route: where a mailbox's messages go and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route's name.
    pub name: String,
    /// The record system's name.
    pub record_system: String,
    /// MEDVRI from these sender ids becomes a document; from others it is unsupported.
    pub medvri_pdf_senders: Vec<String>,
    /// Whether payloads that are PDF documents are placed.
    pub place_incoming_pdf: bool,
    /// The retry budget.
    pub retry: RetryPolicy,
    /// Settings per message type (`MEDVRI`, `MEDLAB`).
    pub types: BTreeMap<String, TypeSettings>,
}

/// Something wrong with a route's settings, named by its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteProblem {
    /// A type without visibility would be placed visible to everyone: refused.
    #[error("routes.{route}.types.{message_type}.right_selection is missing: a type without visibility is never placed")]
    NoVisibility {
        /// The route.
        route: String,
        /// The type.
        message_type: String,
    },
    /// `Group` without any group or profile.
    #[error("routes.{route}.types.{message_type}: right_selection = \"Group\" needs expertise_groups or expertise_profiles")]
    EmptyGroup {
        /// The route.
        route: String,
        /// The type.
        message_type: String,
    },
    /// `All` may show the document in the client's portal.
    #[error("routes.{route}.types.{message_type}.right_selection = \"All\" may show documents to every employee and in the client portal: not allowed")]
    VisibleToAll {
        /// The route.
        route: String,
        /// The type.
        message_type: String,
    },
    /// A type ketenpost does not place.
    #[error("routes.{route}.types.{message_type}: ketenpost places MEDVRI and MEDLAB only")]
    UnknownType {
        /// The route.
        route: String,
        /// The type.
        message_type: String,
    },
    /// A retry budget of no attempts.
    #[error("routes.{route}.retry.attempts must be at least 1")]
    NoAttempts {
        /// The route.
        route: String,
    },
}

impl Route {
    /// Every problem with these settings; empty when they can be used.
    pub fn problems(&self) -> Vec<RouteProblem> {
        let mut problems = Vec::new();
        let route = || self.name.clone();
        if self.retry.attempts == 0 {
            problems.push(RouteProblem::NoAttempts { route: route() });
        }
        for (message_type, settings) in &self.types {
            let message_type = message_type.clone();
            if !matches!(message_type.as_str(), "MEDVRI" | "MEDLAB") {
                problems.push(RouteProblem::UnknownType {
                    route: route(),
                    message_type,
                });
                continue;
            }
            match settings.right_selection {
                None => problems.push(RouteProblem::NoVisibility {
                    route: route(),
                    message_type,
                }),
                Some(RightSelection::Group)
                    if settings.expertise_groups.is_empty()
                        && settings.expertise_profiles.is_empty() =>
                {
                    problems.push(RouteProblem::EmptyGroup {
                        route: route(),
                        message_type,
                    });
                }
                Some(RightSelection::All) => problems.push(RouteProblem::VisibleToAll {
                    route: route(),
                    message_type,
                }),
                Some(_) => {}
            }
        }
        problems
    }

    /// How a message of `kind` from `sender` is placed, or why it is unsupported on this route.
    ///
    /// # Errors
    /// The classification `unsupported` with its reason: a type the route does not configure,
    /// or a MEDVRI from a sender not listed.
    pub fn settings_for(
        &self,
        kind: MessageKind,
        identifier: &str,
        sender: Option<&str>,
    ) -> Result<&TypeSettings, Classification> {
        let unsupported = |reason| Classification {
            category: Category::Unsupported,
            reason,
        };
        let type_name = match kind {
            MessageKind::Medvri => "MEDVRI",
            MessageKind::Medlab => "MEDLAB",
            _ => {
                return Err(unsupported(Reason::UnsupportedType {
                    identifier: identifier.to_owned(),
                }))
            }
        };
        let settings = self.types.get(type_name).ok_or_else(|| {
            unsupported(Reason::TypeNotRouted {
                identifier: identifier.to_owned(),
                route: self.name.clone(),
            })
        })?;
        if kind == MessageKind::Medvri
            && !sender.is_some_and(|s| self.medvri_pdf_senders.iter().any(|listed| listed == s))
        {
            return Err(unsupported(Reason::SenderNotRouted {
                sender: sender.unwrap_or_default().to_owned(),
                route: self.name.clone(),
            }));
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible(groups: &[&str]) -> TypeSettings {
        TypeSettings {
            labels: vec!["brief".into()],
            actions: vec!["SOG".into()],
            right_selection: Some(RightSelection::Group),
            expertise_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            expertise_profiles: Vec::new(),
        }
    }

    fn route() -> Route {
        Route {
            name: "ons".into(),
            record_system: "ons".into(),
            medvri_pdf_senders: vec!["500012345".into()],
            place_incoming_pdf: true,
            retry: RetryPolicy {
                attempts: 8,
                first_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(600),
            },
            types: BTreeMap::from([
                ("MEDVRI".to_owned(), visible(&["12"])),
                ("MEDLAB".to_owned(), visible(&["12"])),
            ]),
        }
    }

    #[test]
    fn good_settings_have_no_problems() {
        assert!(route().problems().is_empty());
    }

    #[test]
    fn a_type_without_visibility_is_a_problem_named_by_its_key() {
        let mut r = route();
        r.types.get_mut("MEDLAB").unwrap().right_selection = None;
        r.types.get_mut("MEDVRI").unwrap().expertise_groups.clear();
        let problems: Vec<String> = r.problems().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems
            .iter()
            .any(|p| p.starts_with("routes.ons.types.MEDLAB.right_selection is missing")));
        assert!(problems
            .iter()
            .any(|p| p.contains("routes.ons.types.MEDVRI: right_selection = \"Group\" needs")));
    }

    #[test]
    fn a_medvri_from_a_sender_not_listed_is_unsupported_with_that_reason() {
        let r = route();
        assert!(r
            .settings_for(MessageKind::Medvri, "MEDVRI:1", Some("500012345"))
            .is_ok());
        let c = r
            .settings_for(MessageKind::Medvri, "MEDVRI:1", Some("500099999"))
            .unwrap_err();
        assert_eq!(c.category, Category::Unsupported);
        assert!(
            c.reason.describe().contains("500099999"),
            "{}",
            c.reason.describe()
        );
        assert!(r
            .settings_for(MessageKind::Medlab, "MEDLAB:1", Some("500099999"))
            .is_ok());
    }

    #[test]
    fn a_type_the_route_does_not_configure_is_unsupported() {
        let mut r = route();
        r.types.remove("MEDLAB");
        let c = r
            .settings_for(MessageKind::Medlab, "MEDLAB:1", None)
            .unwrap_err();
        assert_eq!(
            c.reason,
            Reason::TypeNotRouted {
                identifier: "MEDLAB:1".into(),
                route: "ons".into()
            }
        );
    }

    #[test]
    fn retries_double_up_to_the_cap_and_stop_at_the_budget() {
        let policy = RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(3),
        };
        let delays: Vec<_> = (1..=6).map(|a| policy.delay_before(a, 1.0)).collect();
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(delays, [None, secs(1), secs(2), secs(3), secs(3), None]);
        assert_eq!(
            policy.delay_before(2, 0.0),
            Some(Duration::from_millis(500))
        );
    }
}

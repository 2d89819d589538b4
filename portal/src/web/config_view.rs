//! What the Configuratie pages show: the version in force per section (Organisatie, Accounts,
//! Extra instellingen), the proposals waiting for review with their differences (a secret's
//! only as "gewijzigd"), and the service desk's queue. Never a secret's value.

use ketenpost_domain::configuration::{differences, History, RoutingConfig, Status};
use ketenpost_domain::events::ProblemSource;
use ketenpost_domain::notifications::SourceHealth;
use ketenpost_domain::organisation::ContactRole;

use crate::clock;

/// One contact row of the Organisatie section.
pub struct ContactView {
    /// The configuration key (`medisch_secretariaat`).
    pub key: String,
    /// Its name in the portal.
    pub label: String,
    /// Naam.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Telefoonnummer.
    pub phone: String,
}

/// One row of the Accounts list.
pub struct AccountView {
    /// Account.
    pub name: String,
    /// Type: Enovation EDI, Nedap Ons or map.
    pub kind: String,
    /// Status.
    pub status: String,
    /// Postbus nummer (EDI only).
    pub mailbox_number: String,
    /// Whether it is an EDI account (wijzig / verwijderen on this page).
    pub edi: bool,
    /// Whether an access key is set (never its value).
    pub has_key: bool,
}

/// One message type of an Extra instellingen section.
pub struct TypeView {
    /// `MEDVRI` or `MEDLAB`.
    pub name: String,
    /// Labels, comma separated.
    pub labels: String,
    /// Document actions, comma separated.
    pub actions: String,
    /// Visibility (`Me`, `Group`, ... or empty).
    pub visibility: String,
    /// Expertise groups, comma separated.
    pub groups: String,
}

/// The Extra instellingen of one record-system account (a route).
pub struct RouteView {
    /// The route.
    pub name: String,
    /// The record-system account.
    pub record_system: String,
    /// MEDVRI senders, comma separated.
    pub senders: String,
    /// Whether incoming PDFs are placed.
    pub place_pdf: bool,
    /// The employee documents are placed as.
    pub employee: String,
    /// Per message type.
    pub types: Vec<TypeView>,
}

/// A difference as shown.
pub struct DiffView {
    /// The key.
    pub key: String,
    /// Before ("-" when not set).
    pub before: String,
    /// After ("-" when removed).
    pub after: String,
}

/// A proposal as shown.
pub struct ProposalView {
    /// Its version.
    pub version: u64,
    /// Who proposed it (their name, or the configuration file).
    pub author: String,
    /// When.
    pub at: String,
    /// Where it stands (Dutch).
    pub status: String,
    /// Whether it waits for review.
    pub waiting: bool,
    /// What it changes.
    pub differences: Vec<DiffView>,
    /// What the rules find wrong in it (it cannot be approved while there are any).
    pub problems: Vec<String>,
    /// Why it was rejected.
    pub reason: String,
}

/// The sections of the version in force.
pub struct Sections {
    /// The version in force.
    pub version: u64,
    /// Organisatienaam.
    pub org_name: String,
    /// KvK.
    pub kvk: String,
    /// BTW nummer.
    pub vat: String,
    /// Contacts, all seven roles.
    pub contacts: Vec<ContactView>,
    /// Accounts.
    pub accounts: Vec<AccountView>,
    /// Extra instellingen per route.
    pub routes: Vec<RouteView>,
}

fn joined(items: &[String]) -> String {
    items.join(", ")
}

/// How an account is doing, in the portal's words: `storing` while it has a problem, `actief`
/// once it answered as asked, `wacht op eerste contact` before that, `niet gestart` when the
/// daemon does not run it (yet).
fn status_of(health: &[SourceHealth], source: ProblemSource, name: &str) -> String {
    match health.iter().find(|h| h.source == source && h.name == name) {
        Some(h) if h.problem.is_some() => "storing",
        Some(h) if h.answered_since_start => "actief",
        Some(_) => "wacht op eerste contact",
        None => "niet gestart",
    }
    .to_owned()
}

/// The sections of `config`, each account with its status from `health`.
pub fn sections(version: u64, config: &RoutingConfig, health: &[SourceHealth]) -> Sections {
    let org = config.organisation.as_ref();
    let contacts = ContactRole::ALL
        .iter()
        .map(|role| {
            let c = org.and_then(|o| o.contacts.get(role.key()));
            ContactView {
                key: role.key().to_owned(),
                label: role.dutch().to_owned(),
                name: c.map(|c| c.name.clone()).unwrap_or_default(),
                email: c.map(|c| c.email.clone()).unwrap_or_default(),
                phone: c.and_then(|c| c.phone.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let mut accounts: Vec<AccountView> = config
        .mailboxes
        .iter()
        .map(|m| AccountView {
            name: m.name.clone(),
            kind: if m.kind == "zorgmail" {
                "Enovation EDI"
            } else {
                "map"
            }
            .to_owned(),
            status: status_of(health, ProblemSource::Mailbox, &m.name),
            mailbox_number: m.account_id.clone().unwrap_or_default(),
            edi: m.kind == "zorgmail",
            has_key: m.password.is_some(),
        })
        .collect();
    accounts.extend(config.record_systems.keys().map(|name| AccountView {
        name: name.clone(),
        kind: "Nedap Ons".to_owned(),
        status: status_of(health, ProblemSource::RecordSystem, name),
        mailbox_number: String::new(),
        edi: false,
        has_key: false,
    }));
    let routes = config
        .routes
        .iter()
        .map(|(name, route)| RouteView {
            name: name.clone(),
            record_system: route.record_system.clone(),
            senders: joined(&route.medvri_pdf_senders),
            place_pdf: route.place_incoming_pdf,
            employee: config
                .record_systems
                .get(&route.record_system)
                .map(|r| r.employee_object_id.clone())
                .unwrap_or_default(),
            types: ["MEDVRI", "MEDLAB"]
                .iter()
                .map(|t| {
                    let s = route.types.get(*t);
                    TypeView {
                        name: (*t).to_owned(),
                        labels: s.map(|s| joined(&s.labels)).unwrap_or_default(),
                        actions: s.map(|s| joined(&s.actions)).unwrap_or_default(),
                        visibility: s
                            .and_then(|s| s.right_selection)
                            .map(|r| format!("{r:?}"))
                            .unwrap_or_default(),
                        groups: s.map(|s| joined(&s.expertise_groups)).unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect();
    Sections {
        version,
        org_name: org.map(|o| o.name.clone()).unwrap_or_default(),
        kvk: org.map(|o| o.kvk.clone()).unwrap_or_default(),
        vat: org.and_then(|o| o.vat.clone()).unwrap_or_default(),
        contacts,
        accounts,
        routes,
    }
}

/// Every proposal that is not the version in force, newest first; `author_name` names a
/// user stream id; `problems` checks a waiting one by the start-up rules.
pub fn proposals(
    history: &History,
    author_name: &dyn Fn(&str) -> String,
    problems: &dyn Fn(&RoutingConfig) -> Vec<String>,
) -> Vec<ProposalView> {
    let empty = RoutingConfig::default();
    history
        .versions
        .values()
        .rev()
        .filter(|v| v.proposal.version != history.in_force.unwrap_or(0))
        .filter(|v| v.proposal.base != 0)
        .map(|v| {
            let status = history.status(v.proposal.version).unwrap_or(Status::Stale);
            let base = history
                .versions
                .get(&v.proposal.base)
                .map_or(&empty, |b| &b.proposal.routing);
            let waiting = status == Status::Proposed;
            ProposalView {
                version: v.proposal.version,
                author: author_name(&v.proposal.author),
                at: clock::dutch_time(v.proposal.at_ms),
                status: status.dutch().to_owned(),
                waiting,
                differences: differences(base, &v.proposal.routing)
                    .into_iter()
                    .map(|d| DiffView {
                        key: d.key,
                        before: d.before.unwrap_or_else(|| "-".into()),
                        after: d.after.unwrap_or_else(|| "-".into()),
                    })
                    .collect(),
                problems: if waiting {
                    problems(&v.proposal.routing)
                } else {
                    Vec::new()
                },
                reason: v.rejected.as_ref().map(|r| r.2.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(problem: Option<&str>, answered: bool) -> Vec<SourceHealth> {
        vec![SourceHealth {
            source: ProblemSource::Mailbox,
            name: "lab".into(),
            problem: problem.map(str::to_owned),
            answered_since_start: answered,
        }]
    }

    #[test]
    fn an_account_with_a_problem_is_in_storing() {
        let health = health(Some("HTTP 500"), true);
        assert_eq!(status_of(&health, ProblemSource::Mailbox, "lab"), "storing");
    }

    #[test]
    fn an_account_that_answered_is_actief() {
        let health = health(None, true);
        assert_eq!(status_of(&health, ProblemSource::Mailbox, "lab"), "actief");
    }

    #[test]
    fn an_account_not_yet_answered_waits_for_first_contact() {
        let health = health(None, false);
        let status = status_of(&health, ProblemSource::Mailbox, "lab");
        assert_eq!(status, "wacht op eerste contact");
    }

    #[test]
    fn an_account_the_daemon_does_not_run_is_not_started() {
        let health = health(None, true);
        let other_kind = status_of(&health, ProblemSource::RecordSystem, "lab");
        assert_eq!(other_kind, "niet gestart");
        assert_eq!(
            status_of(&health, ProblemSource::Mailbox, "ons"),
            "niet gestart"
        );
    }
}

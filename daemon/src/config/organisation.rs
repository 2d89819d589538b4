//! `[organisation]`: the care organisation's name, KvK and VAT numbers, and its contacts by
//! concern (`[organisation.contacts.<role>]`). Optional; the medical secretariat's contact is
//! the one told when messages wait for someone to act.

use std::collections::BTreeMap;

use ketenpost_domain::organisation::{Contact, ContactRole, Kvk, Organisation};
use serde::Deserialize;

use super::schema::{optional, required, Key, Kind};

const CONTACT: &[Key] = &[
    required("name", Kind::Text),
    required("email", Kind::Text),
    optional("phone", Kind::Text),
];

/// The keys of `[organisation]`.
pub const KEYS: &[Key] = &[
    required("name", Kind::Text),
    required("kvk", Kind::Text),
    optional("vat", Kind::Text),
    optional("contacts", Kind::Named(CONTACT)),
];

/// `[organisation]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationFile {
    /// Organisatienaam.
    pub name: String,
    /// Kamer van Koophandel number.
    pub kvk: String,
    /// BTW nummer.
    pub vat: Option<String>,
    /// Contacts by role key.
    #[serde(default)]
    pub contacts: BTreeMap<String, ContactFile>,
}

/// `[organisation.contacts.<role>]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactFile {
    /// Naam.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Telefoonnummer.
    pub phone: Option<String>,
}

/// Validates `[organisation]`, adding each problem to `problems`.
pub fn validate(file: OrganisationFile, problems: &mut Vec<String>) -> Option<Organisation> {
    let before = problems.len();
    if file.name.trim().is_empty() {
        problems.push("organisation.name is empty".to_owned());
    }
    let kvk = Kvk::parse(&file.kvk)
        .map_err(|e| problems.push(format!("organisation.kvk = {:?}: {e}", file.kvk)))
        .ok();
    let mut contacts = BTreeMap::new();
    for (key, contact) in file.contacts {
        let Some(role) = ContactRole::from_key(&key) else {
            let known: Vec<&str> = ContactRole::ALL.iter().map(|r| r.key()).collect();
            problems.push(format!(
                "organisation.contacts.{key} is not a known role: use one of {}",
                known.join(", ")
            ));
            continue;
        };
        if !plausible_email(&contact.email) {
            problems.push(format!(
                "organisation.contacts.{key}.email = {:?}: use an address like \
                 secretariaat@zorggroep.example",
                contact.email
            ));
        }
        contacts.insert(
            role,
            Contact {
                name: contact.name,
                email: contact.email.trim().to_owned(),
                phone: contact.phone.filter(|p| !p.trim().is_empty()),
            },
        );
    }
    let kvk = kvk?;
    (problems.len() == before).then(|| Organisation {
        name: file.name.trim().to_owned(),
        kvk,
        vat: file.vat.filter(|v| !v.trim().is_empty()),
        contacts,
    })
}

/// One `@` with text on both sides and no spaces: enough to catch a slip of the keyboard.
fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(kvk: &str, contacts: &[(&str, &str)]) -> OrganisationFile {
        OrganisationFile {
            name: "Zorggroep De Es".to_owned(),
            kvk: kvk.to_owned(),
            vat: None,
            contacts: contacts
                .iter()
                .map(|(role, email)| {
                    let contact = ContactFile {
                        name: "Secretariaat".to_owned(),
                        email: (*email).to_owned(),
                        phone: None,
                    };
                    ((*role).to_owned(), contact)
                })
                .collect(),
        }
    }

    #[test]
    fn a_complete_organisation_is_read_with_its_contacts() {
        let mut problems = Vec::new();
        let organisation = validate(
            file("12345678", &[("medisch_secretariaat", "ms@zorg.example")]),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let contact = organisation
            .as_ref()
            .and_then(|o| o.contact(ContactRole::MedischSecretariaat));
        assert_eq!(contact.map(|c| c.email.as_str()), Some("ms@zorg.example"));
    }

    #[test]
    fn a_kvk_number_that_is_not_eight_digits_is_named() {
        let mut problems = Vec::new();
        assert!(validate(file("1234", &[]), &mut problems).is_none());
        assert_eq!(
            problems,
            ["organisation.kvk = \"1234\": a KvK number has exactly 8 digits"]
        );
    }

    #[test]
    fn an_unknown_role_is_named_with_the_known_ones() {
        let mut problems = Vec::new();
        validate(
            file("12345678", &[("directie", "d@zorg.example")]),
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("organisation.contacts.directie is not a known role"));
        assert!(problems[0].contains("medisch_secretariaat"));
    }

    #[test]
    fn an_address_without_at_is_named() {
        let mut problems = Vec::new();
        validate(
            file("12345678", &[("privacy", "privacy.zorg.example")]),
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("organisation.contacts.privacy.email"));
    }
}

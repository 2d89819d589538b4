//! The care organisation itself: its name, its Chamber of Commerce number, its VAT number and
//! the people to contact for each concern (the medical secretariat is told when messages wait).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The organisation as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Organisatienaam.
    pub name: String,
    /// Kamer van Koophandel number.
    pub kvk: Kvk,
    /// BTW nummer, when given.
    pub vat: Option<String>,
    /// Who to contact, by concern.
    pub contacts: BTreeMap<ContactRole, Contact>,
}

impl Organisation {
    /// The contact for `role`, when one is configured.
    pub fn contact(&self, role: ContactRole) -> Option<&Contact> {
        self.contacts.get(&role)
    }
}

/// A Kamer van Koophandel number: exactly eight digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Kvk(String);

/// Why text is not a KvK number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a KvK number has exactly 8 digits")]
pub struct NotAKvk;

impl Kvk {
    /// Reads a KvK number; surrounding spaces are ignored.
    pub fn parse(text: &str) -> Result<Self, NotAKvk> {
        let text = text.trim();
        if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(NotAKvk)
        }
    }

    /// The eight digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Kvk {
    type Error = NotAKvk;
    fn try_from(text: String) -> Result<Self, NotAKvk> {
        Self::parse(&text)
    }
}

impl From<Kvk> for String {
    fn from(kvk: Kvk) -> String {
        kvk.0
    }
}

impl fmt::Display for Kvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person to contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Naam.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Telefoonnummer.
    pub phone: Option<String>,
}

/// The concerns an organisation names a contact for, in the portal's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Functioneel.
    Functioneel,
    /// Technisch.
    Technisch,
    /// Privacy.
    Privacy,
    /// Helpdesk & ondersteuning.
    Helpdesk,
    /// Offertes.
    Offertes,
    /// Facturen.
    Facturen,
    /// Medisch secretariaat: told when messages wait for someone to act.
    MedischSecretariaat,
}

impl ContactRole {
    /// Every role, in the portal's order.
    pub const ALL: [ContactRole; 7] = [
        ContactRole::Functioneel,
        ContactRole::Technisch,
        ContactRole::Privacy,
        ContactRole::Helpdesk,
        ContactRole::Offertes,
        ContactRole::Facturen,
        ContactRole::MedischSecretariaat,
    ];

    /// The key in the configuration file (`[organisation.contacts.<key>]`).
    pub fn key(self) -> &'static str {
        match self {
            ContactRole::Functioneel => "functioneel",
            ContactRole::Technisch => "technisch",
            ContactRole::Privacy => "privacy",
            ContactRole::Helpdesk => "helpdesk",
            ContactRole::Offertes => "offertes",
            ContactRole::Facturen => "facturen",
            ContactRole::MedischSecretariaat => "medisch_secretariaat",
        }
    }

    /// The role named by a configuration key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.key() == key)
    }

    /// Its name in the portal.
    pub fn dutch(self) -> &'static str {
        match self {
            ContactRole::Functioneel => "Functioneel",
            ContactRole::Technisch => "Technisch",
            ContactRole::Privacy => "Privacy",
            ContactRole::Helpdesk => "Helpdesk & ondersteuning",
            ContactRole::Offertes => "Offertes",
            ContactRole::Facturen => "Facturen",
            ContactRole::MedischSecretariaat => "Medisch secretariaat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kvk_number_has_eight_digits() {
        assert_eq!(
            Kvk::parse(" 12345678 ").map(|k| k.to_string()),
            Ok("12345678".to_owned())
        );
    }

    #[test]
    fn a_kvk_number_of_another_length_is_refused() {
        assert_eq!(Kvk::parse("1234567"), Err(NotAKvk));
        assert_eq!(Kvk::parse("123456789"), Err(NotAKvk));
    }

    #[test]
    fn a_kvk_number_with_other_characters_is_refused() {
        assert_eq!(Kvk::parse("1234567a"), Err(NotAKvk));
        assert_eq!(Kvk::parse("1234 678"), Err(NotAKvk));
    }

    #[test]
    fn every_role_is_found_by_its_key() {
        for role in ContactRole::ALL {
            assert_eq!(ContactRole::from_key(role.key()), Some(role));
        }
        assert_eq!(ContactRole::from_key("directie"), None);
    }
}

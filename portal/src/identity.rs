//! Who a user is, kept out of plain event text: the stream id is a keyed hash of the e-mail
//! address (so a login finds the stream without an index that names anyone, and the same
//! address cannot be added twice), and the address and name travel sealed with the data key in
//! `UserAdded::profile`, the way payloads are kept encrypted.

use hmac::{Hmac, Mac};
use ketenpost_adapters::sealed::{open, seal, SealError};
use ketenpost_domain::events::{EventId, StreamId, StreamKind};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The e-mail address and name of a user: personal data, never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The e-mail address, as normalized by [`normalize_email`].
    pub email: String,
    /// The name.
    pub name: String,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Profile(***)")
    }
}

/// An address as it is compared: trimmed and in lower case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether `email` looks like an address a mail can go to: one `@`, something on each side,
/// a dot in the domain, no spaces or control characters, at most 254 characters.
pub fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

/// The user stream of the address `email` under the data key `key`: HMAC-SHA-256 of the
/// normalized address with a key derived from the data key, its first 128 bits as the id.
pub fn user_stream(key: &[u8; 32], email: &str) -> StreamId {
    let mut id = [0u8; 16];
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) {
        mac.update(b"ketenpost user stream v1\0");
        mac.update(normalize_email(email).as_bytes());
        id.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    }
    StreamId::new(StreamKind::User, EventId(u128::from_be_bytes(id)))
}

/// Seals a profile for `UserAdded::profile`.
///
/// # Errors
/// No randomness for the nonce.
pub fn seal_profile(key: &[u8; 32], profile: &Profile) -> Result<String, SealError> {
    let json = serde_json::to_vec(profile).map_err(|_| SealError::Malformed)?;
    seal(key, &json)
}

/// Opens a sealed profile.
///
/// # Errors
/// Another key, or altered.
pub fn open_profile(key: &[u8; 32], sealed: &str) -> Result<Profile, SealError> {
    let json = open(key, sealed)?;
    serde_json::from_slice(&json).map_err(|_| SealError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_the_same_for_the_same_address_in_any_case() {
        let key = [1u8; 32];
        let a = user_stream(&key, " Anna@Zorggroep.example ");
        assert_eq!(a, user_stream(&key, "anna@zorggroep.example"));
        assert_ne!(a, user_stream(&key, "bert@zorggroep.example"));
        assert_ne!(a, user_stream(&[2u8; 32], "anna@zorggroep.example"));
        assert!(a.as_str().starts_with("user-") && !a.as_str().contains("anna"));
    }

    #[test]
    fn a_profile_is_sealed_and_opens_with_the_key() {
        let key = [1u8; 32];
        let profile = Profile {
            email: "anna@zorggroep.example".into(),
            name: "Anna de Vries".into(),
        };
        let sealed = seal_profile(&key, &profile).unwrap();
        assert!(!sealed.contains("Anna") && !sealed.contains("anna"));
        assert_eq!(open_profile(&key, &sealed).unwrap(), profile);
        assert_eq!(format!("{profile:?}"), "Profile(***)");
    }

    #[test]
    fn plausible_addresses() {
        assert!(plausible_email("anna@zorggroep.example"));
        for bad in ["", "anna", "anna@", "@x.nl", "a@b", "a b@c.nl", "a@b.nl>"] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}

//! Random tokens, recovery codes and the hashes kept of them; password hashing with argon2id.
//! Tokens and codes are kept only as SHA-256 hashes: they are random (128 bits or more), so a
//! fast hash is enough; passwords are chosen by people and get argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use sha2::{Digest, Sha256};

/// No randomness could be had from the operating system.
#[derive(Debug, thiserror::Error)]
#[error("no randomness available: {0}")]
pub struct NoRandomness(String);

/// `N` random bytes.
///
/// # Errors
/// The operating system gave no randomness.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(bytes)
}

/// A token for a link or a session id: 256 random bits, base64url without padding.
///
/// # Errors
/// No randomness.
pub fn new_token() -> Result<String, NoRandomness> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// SHA-256 of a token or code, hex: what is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Ten recovery codes of 10 characters from an alphabet of 31 without look-alikes (about 49
/// bits each), written `xxxxx-xxxxx`.
///
/// # Errors
/// No randomness.
pub fn new_recovery_codes() -> Result<Vec<String>, NoRandomness> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(10);
    for _ in 0..10 {
        let bytes = random_bytes::<10>()?;
        let chars: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        codes.push(format!("{}-{}", &chars[..5], &chars[5..]));
    }
    Ok(codes)
}

/// A recovery code as typed, in the form it was hashed in (lower case, spaces dropped).
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// The argon2id parameters: OWASP's password storage recommendation (19 MiB, 2 passes,
/// 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// No randomness for the salt.
    #[error(transparent)]
    Random(#[from] NoRandomness),
    /// argon2 refused.
    #[error("the password could not be hashed: {0}")]
    Argon2(String),
}

/// The argon2id hash of `password` in PHC form, with a random salt.
///
/// # Errors
/// No randomness, or argon2 refused.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| HashError::Argon2(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Argon2(e.to_string()))
}

/// A hash of a password nobody has, checked when an account does not exist or has no password,
/// so that the answer takes as long as for one that does.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$6Wm0nQJjxjBcsWbq/2Ju7q+jtLOvbnX4Ru4HzJDo8Wk"
}

/// Whether `password` matches the PHC `hash`; a malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("kastanjeboom in de tuin").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("kastanjeboom in de tuin", &hash));
        assert!(!verify_password("kastanjeboom in de tuiN", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let a = new_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_token().unwrap());
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn ten_distinct_recovery_codes() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        assert_eq!(normalize_recovery_code(" ABCDE-fghjk "), "abcde-fghjk");
    }
}

//! Secrets stored encrypted: a mailbox password or the record system's client key sealed with
//! the data key (XChaCha20-Poly1305, a random nonce per seal), written as
//! `sealed:v1:<base64 of nonce and ciphertext>`. A configuration file or key file that leaks
//! without the data key gives nothing away.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// What a sealed secret starts with.
pub const PREFIX: &str = "sealed:v1:";

/// Why a sealed secret could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not base64, or too short to hold a nonce.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Sealed with another key, or altered.
    #[error("the sealed value does not open with this data key (another key, or altered)")]
    WrongKey,
    /// No randomness for a nonce.
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Whether `text` is a sealed secret.
pub fn is_sealed(text: &str) -> bool {
    text.trim_start().starts_with(PREFIX)
}

/// Seals `secret` with `key`.
///
/// # Errors
/// No randomness for the nonce.
pub fn seal(key: &[u8; 32], secret: &[u8]) -> Result<String, SealError> {
    let mut nonce = [0u8; 24];
    getrandom::getrandom(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), secret)
        .map_err(|_| SealError::Malformed)?;
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    Ok(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Opens a sealed secret.
///
/// # Errors
/// A malformed value, or one sealed with another key.
pub fn open(key: &[u8; 32], text: &str) -> Result<Vec<u8>, SealError> {
    let body = text
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(SealError::Malformed)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| SealError::Malformed)?;
    if bytes.len() < 24 + 16 {
        return Err(SealError::Malformed);
    }
    let (nonce, sealed) = bytes.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), sealed)
        .map_err(|_| SealError::WrongKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"hunter2").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("hunter2"));
        assert_eq!(open(&key, &sealed).unwrap(), b"hunter2");
        assert_ne!(
            seal(&key, b"hunter2").unwrap(),
            sealed,
            "a fresh nonce per seal"
        );
        assert_eq!(open(&[8u8; 32], &sealed), Err(SealError::WrongKey));
        assert_eq!(open(&key, "sealed:v1:!!"), Err(SealError::Malformed));
    }
}

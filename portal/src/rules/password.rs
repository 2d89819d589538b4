//! The password policy (OWASP ASVS 5.0 level 2, chapter 6): at least 12 characters, at most
//! 128, no composition rules, and not one of the common passwords shipped with the project.
//!
//! The list (`portal/assets/common-passwords.txt`) is the 30,000 most common passwords of the
//! "passwords" frequency list that zxcvbn (Dropbox's strength estimator, MIT licence) ships,
//! taken from the PyPI package `zxcvbn` 4.5.0 (`zxcvbn/frequency_lists.py`), one a line, most
//! common first. Only its entries of 12 characters or more can match a password that passes the
//! length rule; the whole list is kept so its origin stays checkable line by line.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// The most characters a password may have (argon2 hashes any length; this bounds the work).
pub const MAX_CHARS: usize = 128;

const COMMON: &str = include_str!("../../assets/common-passwords.txt");

/// Why a new password is refused; the text is shown to the user (Dutch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefused {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("Het wachtwoord moet minstens 12 tekens lang zijn.")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("Het wachtwoord mag hoogstens 128 tekens lang zijn.")]
    TooLong,
    /// In the list of common passwords.
    #[error(
        "Dit wachtwoord komt voor in een lijst van veelgebruikte wachtwoorden; kies een ander."
    )]
    Common,
}

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Checks a new password against the policy. Characters are Unicode scalar values; spaces
/// count (a passphrase is welcome), nothing is trimmed.
///
/// # Errors
/// Too short, too long, or common.
pub fn check_new(password: &str) -> Result<(), PasswordRefused> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordRefused::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordRefused::TooLong);
    }
    if common().contains(password.to_lowercase().as_str()) {
        return Err(PasswordRefused::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_characters_are_too_few_and_twelve_enough() {
        assert_eq!(check_new("abcdefghijk"), Err(PasswordRefused::TooShort));
        assert_eq!(check_new("kastanjeboom"), Ok(()));
    }

    #[test]
    fn characters_not_bytes_are_counted() {
        // 11 characters, 22 bytes: still too short.
        assert_eq!(check_new("ééééééééééé"), Err(PasswordRefused::TooShort));
    }

    #[test]
    fn more_than_128_characters_are_refused() {
        assert_eq!(check_new(&"a b ".repeat(32)), Ok(()));
        assert_eq!(check_new(&"a".repeat(129)), Err(PasswordRefused::TooLong));
    }

    #[test]
    fn no_composition_rules() {
        assert_eq!(check_new("alleen kleine letters hier"), Ok(()));
    }

    #[test]
    fn a_common_password_is_refused_whatever_its_case() {
        assert!(common().len() >= 10_000);
        assert_eq!(check_new("1qaz2wsx3edc"), Err(PasswordRefused::Common));
        assert_eq!(check_new("1QAZ2WSX3EDC"), Err(PasswordRefused::Common));
    }
}

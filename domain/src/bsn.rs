//! The burgerservicenummer (BSN): nine digits that pass the elfproef, never shown whole by accident.

use std::fmt;

/// A BSN that passed the elfproef. Only [`Bsn::parse`] builds one.
///
/// `Display` and `Debug` mask all but the last three digits (`******019`), so a BSN cannot
/// reach a log line by accident; [`Bsn::expose`] gives the full number where it is needed
/// (the record system's lookup, the document's header).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bsn(String);

/// Why a text is not a BSN.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BsnError {
    /// `000000000`: a placeholder senders use when they have no BSN.
    #[error("000000000 is a placeholder, not a BSN")]
    Placeholder,
    /// Not 8 or 9 characters.
    #[error("a BSN has 9 digits (or 8, read with a leading zero), found {0} characters")]
    WrongLength(usize),
    /// Holds something other than digits.
    #[error("a BSN holds only digits")]
    NotDigits,
    /// Nine digits that fail the elfproef.
    #[error("the number fails the elfproef")]
    FailedElfproef,
}

impl Bsn {
    /// Parses a BSN: 9 digits, or 8 digits read with a leading zero, passing the elfproef
    /// (weights 9..2 on digits 1..8 and -1 on digit 9; the sum divisible by 11 and not 0).
    ///
    /// # Errors
    /// [`BsnError`] says which rule failed; `000000000` is [`BsnError::Placeholder`].
    pub fn parse(text: &str) -> Result<Self, BsnError> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BsnError::NotDigits);
        }
        let digits = match text.len() {
            9 => text.to_owned(),
            8 => format!("0{text}"),
            n => return Err(BsnError::WrongLength(n)),
        };
        if digits == "000000000" {
            return Err(BsnError::Placeholder);
        }
        let sum: i64 = digits
            .bytes()
            .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
            .map(|(digit, weight)| i64::from(digit - b'0') * weight)
            .sum();
        if sum == 0 || sum % 11 != 0 {
            return Err(BsnError::FailedElfproef);
        }
        Ok(Self(digits))
    }

    /// The full nine digits. Call this only where the number itself is needed, never for a log.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The masked form, `******019`.
    pub fn masked(&self) -> String {
        format!("******{}", &self.0[6..])
    }
}

impl fmt::Display for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsn({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_test_numbers_pass() {
        assert_eq!(Bsn::parse("999990019").unwrap().expose(), "999990019");
        assert_eq!(Bsn::parse("123456782").unwrap().expose(), "123456782");
    }

    #[test]
    fn eight_digits_get_a_leading_zero() {
        // 012345672: 0*9+1*8+2*7+3*6+4*5+5*4+6*3+7*2-2 = 110 = 10*11.
        assert_eq!(Bsn::parse("12345672").unwrap().expose(), "012345672");
    }

    #[test]
    fn the_placeholder_is_its_own_reason() {
        assert_eq!(Bsn::parse("000000000"), Err(BsnError::Placeholder));
    }

    #[test]
    fn wrong_length_says_how_long() {
        assert_eq!(Bsn::parse("1234567"), Err(BsnError::WrongLength(7)));
        assert_eq!(Bsn::parse("1234567890"), Err(BsnError::WrongLength(10)));
        assert_eq!(Bsn::parse(""), Err(BsnError::WrongLength(0)));
    }

    #[test]
    fn non_digits_are_rejected() {
        assert_eq!(Bsn::parse("99999001X"), Err(BsnError::NotDigits));
        assert_eq!(Bsn::parse("999 990 019"), Err(BsnError::NotDigits));
    }

    #[test]
    fn a_failed_elfproef_is_rejected() {
        assert_eq!(Bsn::parse("999990018"), Err(BsnError::FailedElfproef));
        assert_eq!(Bsn::parse("123456789"), Err(BsnError::FailedElfproef));
    }

    #[test]
    fn display_and_debug_mask_all_but_the_last_three_digits() {
        let bsn = Bsn::parse("999990019").unwrap();
        assert_eq!(bsn.to_string(), "******019");
        assert_eq!(format!("{bsn:?}"), "Bsn(******019)");
        assert!(!format!("{bsn} {bsn:?} {bsn:#?}").contains("99999"));
    }
}

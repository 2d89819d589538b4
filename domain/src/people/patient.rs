//! The patient as PID and PAD write them: birth date, sex, name, address and the BSN, with
//! what was found where the BSN should be.

use serde::Serialize;

use super::{Address, PersonName, Text};
use crate::bsn::{Bsn, BsnError};
use crate::date::CalendarDate;
use crate::edifact::{Segment, Warning};

/// The patient's sex as PID element 2 gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `M`.
    Male,
    /// `V` (vrouw), also `F`.
    Female,
    /// Any other value, kept as written.
    Other(String),
}

/// What was found where the BSN should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BsnReading {
    /// A BSN that passed the elfproef.
    Valid(Bsn),
    /// No usable BSN, and why.
    Problem(BsnProblem),
}

/// Why a message has no usable BSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BsnProblem {
    /// No `BSN...` value in PID element 5 or 4.
    Missing,
    /// `BSN000000000`.
    Placeholder,
    /// A value that is not a BSN: wrong length, non-digits or a failed elfproef.
    Invalid(BsnError),
}

impl BsnProblem {
    /// The short name used in JSON: `missing`, `placeholder` or `invalid`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Placeholder => "placeholder",
            Self::Invalid(_) => "invalid",
        }
    }
}

/// The patient: PID and PAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient<'a> {
    /// PID element 3.
    pub name: PersonName<'a>,
    /// PID element 1, when it is a real date.
    pub birth_date: Option<CalendarDate>,
    /// PID element 2.
    pub sex: Option<Sex>,
    /// The BSN from PID element 5, else 4.
    pub bsn: BsnReading,
    /// PID element 4 when it is not the BSN: the sender's own patient number.
    pub sender_reference: Text<'a>,
    /// PAD element 1.
    pub address: Option<Address<'a>>,
    /// PAD element 2.
    pub phone: Text<'a>,
}

impl Default for Patient<'_> {
    fn default() -> Self {
        Self {
            name: PersonName::default(),
            birth_date: None,
            sex: None,
            bsn: BsnReading::Problem(BsnProblem::Missing),
            sender_reference: Text::Borrowed(""),
            address: None,
            phone: Text::Borrowed(""),
        }
    }
}

impl<'a> Patient<'a> {
    /// Reads a PID segment; what cannot be read becomes a warning.
    pub fn read_pid(&mut self, pid: &Segment<'_, 'a>, warnings: &mut Vec<Warning>) {
        let [year, month, day] = [1, 2, 3].map(|c| pid.field(1, c));
        self.birth_date = CalendarDate::from_parts(&year, &month, &day);
        if self.birth_date.is_none() && !(year.is_empty() && month.is_empty() && day.is_empty()) {
            warnings.push(Warning {
                position: pid.position(),
                text: format!("PID birth date {year}:{month}:{day} is not a date"),
            });
        }
        let sex = pid.text(2);
        self.sex = match sex.trim().to_ascii_uppercase().as_str() {
            "" => None,
            "M" => Some(Sex::Male),
            "V" | "F" => Some(Sex::Female),
            _ => Some(Sex::Other(sex.trim().to_owned())),
        };
        self.name = PersonName::read(pid, 3);
        let element_5 = pid.text(5);
        let element_4 = pid.text(4);
        self.bsn = match bsn_value(&element_5).or_else(|| bsn_value(&element_4)) {
            None => BsnReading::Problem(BsnProblem::Missing),
            Some(digits) => match Bsn::parse(digits) {
                Ok(bsn) => BsnReading::Valid(bsn),
                Err(BsnError::Placeholder) => BsnReading::Problem(BsnProblem::Placeholder),
                Err(other) => BsnReading::Problem(BsnProblem::Invalid(other)),
            },
        };
        if bsn_value(&element_4).is_none() {
            self.sender_reference = element_4;
        }
    }

    /// Reads a PAD segment.
    pub fn read_pad(&mut self, pad: &Segment<'_, 'a>) {
        self.address = Some(Address::read(pad, 1));
        self.phone = pad.text(2);
    }
}

/// The digits after a `BSN` prefix, if the value has one.
fn bsn_value(value: &str) -> Option<&str> {
    let value = value.trim();
    let prefix = value.get(..3)?;
    prefix.eq_ignore_ascii_case("BSN").then(|| &value[3..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bsn_prefix_is_read_case_insensitively() {
        assert_eq!(bsn_value("BSN999990019"), Some("999990019"));
        assert_eq!(bsn_value("bsn999990019"), Some("999990019"));
        assert_eq!(bsn_value("12345"), None);
        assert_eq!(bsn_value("é"), None);
    }
}

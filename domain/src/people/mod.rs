//! People and places as the Medeur formats write them: name and address composites, parties
//! (GGA/GGO); the patient (PID/PAD) with the BSN is in `patient.rs`.

use std::borrow::Cow;

use serde::Serialize;

use crate::edifact::Segment;

mod patient;

pub use patient::{BsnProblem, BsnReading, Patient, Sex};

/// A text value as read from a payload: borrowed where it could be.
pub type Text<'a> = Cow<'a, str>;

/// Data element `element` of `segment` as a person reads it: its components joined by a
/// space, empty ones left out (`Bakker:S.` reads `Bakker S.`). Names and identifications are
/// composites in some writers' hands; no separator reaches the page.
pub fn element_text<'a>(segment: &Segment<'_, 'a>, element: usize) -> Text<'a> {
    let components = segment.components(element);
    if components.len() <= 1 {
        return segment.text(element);
    }
    Text::Owned(join_present(components.iter().map(|c| c.as_ref()), " "))
}

/// Data elements `from` to the end of `segment` as a person reads them: each as
/// [`element_text`], joined by `, `, empty ones left out.
pub fn elements_text(segment: &Segment<'_, '_>, from: usize) -> String {
    join_present(
        (from..=segment.element_count())
            .map(|e| element_text(segment, e))
            .collect::<Vec<_>>()
            .iter()
            .map(|t| t.as_ref()),
        ", ",
    )
}

fn join_present<'s>(parts: impl Iterator<Item = &'s str>, separator: &str) -> String {
    parts
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// The name composite: married name : its prefix : birth name : its prefix : first name : initials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersonName<'a> {
    /// Position 1: the partner's surname as used (e.g. `Berg`).
    pub married_name: Text<'a>,
    /// Position 2: its prefix (e.g. `van de`).
    pub married_prefix: Text<'a>,
    /// Position 3: the birth name (e.g. `Jansen`).
    pub birth_name: Text<'a>,
    /// Position 4: its prefix.
    pub birth_prefix: Text<'a>,
    /// Position 5: the first name.
    pub first_name: Text<'a>,
    /// Position 6: initials (e.g. `P.`).
    pub initials: Text<'a>,
}

impl<'a> PersonName<'a> {
    /// Reads the name composite of `element` of `segment`.
    pub fn read(segment: &Segment<'_, 'a>, element: usize) -> Self {
        Self {
            married_name: segment.field(element, 1),
            married_prefix: segment.field(element, 2),
            birth_name: segment.field(element, 3),
            birth_prefix: segment.field(element, 4),
            first_name: segment.field(element, 5),
            initials: segment.field(element, 6),
        }
    }

    /// The name as shown to people: given name or initials, then the birth name with its
    /// prefix, then the married name (`P. van Jansen - van de Berg`). Writers disagree on
    /// which position holds a man's own name, so every part that is there is shown.
    pub fn display(&self) -> String {
        let joined = |parts: &[&str]| {
            parts
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.trim())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let given = if self.first_name.trim().is_empty() {
            &self.initials
        } else {
            &self.first_name
        };
        let birth = joined(&[&self.birth_prefix, &self.birth_name]);
        let married = joined(&[&self.married_prefix, &self.married_name]);
        let surname = match (birth.is_empty(), married.is_empty()) {
            (false, false) => format!("{birth} - {married}"),
            (false, true) => birth,
            (true, _) => married,
        };
        let mut shown = joined(&[given, &surname]);
        if !self.first_name.trim().is_empty() && !self.initials.trim().is_empty() {
            shown = format!("{shown} ({})", self.initials.trim());
        }
        shown
    }

    /// Whether no part holds text.
    pub fn is_empty(&self) -> bool {
        self.display().is_empty()
    }
}

/// The address composite: street : house number : PO box : city : postcode : province : country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address<'a> {
    /// Position 1.
    pub street: Text<'a>,
    /// Position 2.
    pub house_number: Text<'a>,
    /// Position 3.
    pub po_box: Text<'a>,
    /// Position 4.
    pub city: Text<'a>,
    /// Position 5.
    pub postcode: Text<'a>,
    /// Position 6.
    pub province: Text<'a>,
    /// Position 7.
    pub country: Text<'a>,
}

impl<'a> Address<'a> {
    /// Reads the address composite of `element` of `segment`.
    pub fn read(segment: &Segment<'_, 'a>, element: usize) -> Self {
        Self {
            street: segment.field(element, 1),
            house_number: segment.field(element, 2),
            po_box: segment.field(element, 3),
            city: segment.field(element, 4),
            postcode: segment.field(element, 5),
            province: segment.field(element, 6),
            country: segment.field(element, 7),
        }
    }

    /// One line: `Blue street 43b, Postbus 12, 1040BB Amsterdam, Noord-Holland, NL`.
    pub fn display(&self) -> String {
        let words = |parts: &[&str]| {
            parts
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let po_box = if self.po_box.trim().is_empty() {
            String::new()
        } else {
            format!("Postbus {}", self.po_box.trim())
        };
        [
            words(&[&self.street, &self.house_number]),
            po_box,
            words(&[&self.postcode, &self.city]),
            self.province.trim().to_owned(),
            self.country.trim().to_owned(),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// A sender or recipient (GGA, GGO): element 1 person; 2 department; 3 institution; 4 address; 5 phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party<'a> {
    /// The person.
    pub name: Text<'a>,
    /// The department.
    pub department: Text<'a>,
    /// The institution.
    pub institution: Text<'a>,
    /// The postal address.
    pub address: Address<'a>,
    /// The phone number.
    pub phone: Text<'a>,
}

impl<'a> Party<'a> {
    /// Reads a GGA or GGO segment.
    pub fn read(segment: &Segment<'_, 'a>) -> Self {
        Self {
            name: element_text(segment, 1),
            department: element_text(segment, 2),
            institution: element_text(segment, 3),
            address: Address::read(segment, 4),
            phone: segment.text(5),
        }
    }

    /// Name, department and institution on one line, without repeats: a part is left out
    /// when it is another part or the first words of one (`Huisartsenpraktijk` beside
    /// `Huisartsenpraktijk De Linde`).
    pub fn display(&self) -> String {
        let all: Vec<&str> = [&self.name, &self.department, &self.institution]
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        let repeats = |part: &str, other: &str| {
            other.len() > part.len()
                && other
                    .get(..part.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(part))
                && other[part.len()..].starts_with(' ')
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in &all {
            if !parts.iter().any(|p| p.eq_ignore_ascii_case(part))
                && !all.iter().any(|other| repeats(part, other))
            {
                parts.push(part);
            }
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(parts: [&'static str; 6]) -> PersonName<'static> {
        let [a, b, c, d, e, f] = parts.map(Cow::Borrowed);
        PersonName {
            married_name: a,
            married_prefix: b,
            birth_name: c,
            birth_prefix: d,
            first_name: e,
            initials: f,
        }
    }

    #[test]
    fn a_name_shows_birth_name_first_then_married_name() {
        assert_eq!(
            name(["Berg", "van de", "Jansen", "van", "", "P."]).display(),
            "P. van Jansen - van de Berg"
        );
    }

    #[test]
    fn a_name_with_only_the_first_position_is_shown_as_is() {
        assert_eq!(name(["TEST", "", "", "", "", ""]).display(), "TEST");
    }

    #[test]
    fn first_name_and_initials_both_show() {
        assert_eq!(
            name(["", "", "Groot", "de", "Karin", "KM"]).display(),
            "Karin de Groot (KM)"
        );
    }

    #[test]
    fn a_party_shows_each_part_once() {
        let party = |name, department, institution| Party {
            name: Cow::Borrowed(name),
            department: Cow::Borrowed(department),
            institution: Cow::Borrowed(institution),
            ..Party::default()
        };
        assert_eq!(
            party(
                "Dr. S. Bakker",
                "Huisartsenpraktijk",
                "Huisartsenpraktijk De Linde"
            )
            .display(),
            "Dr. S. Bakker, Huisartsenpraktijk De Linde"
        );
        assert_eq!(
            party("Organisation name", "Fill work", "Organisation name").display(),
            "Organisation name, Fill work"
        );
        assert_eq!(
            party("Zorgteam Oost", "Verpleeghuis De Es", "Zorggroep Midden").display(),
            "Zorgteam Oost, Verpleeghuis De Es, Zorggroep Midden"
        );
    }
}

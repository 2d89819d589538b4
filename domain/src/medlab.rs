//! MEDLAB:1, laboratory results: the lab, the requester, and per specimen the determinations
//! with result, unit, normality flag and range, headings, remarks and pending tests.

use serde::Serialize;

use crate::date::{CalendarDate, TimeOfDay};
use crate::edifact::{Segment, Warning};
use crate::medvri::read_det;
use crate::people::{element_text, elements_text, Address, Patient, Text};

/// A MEDLAB report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Medlab<'a> {
    /// ZKH: the sending lab or hospital.
    pub lab: Lab<'a>,
    /// PID and PAD.
    #[serde(skip)]
    pub patient: Patient<'a>,
    /// ART: the requesting doctor.
    pub requester: Option<Requester<'a>>,
    /// AFD: the department.
    pub department: Option<Contact<'a>>,
    /// ARA: the department's doctors.
    pub department_doctors: Vec<Contact<'a>>,
    /// KOP: copy recipients, one per KOP, as readable names (the indicator in element 1 and
    /// the separators left out).
    pub copies: Vec<String>,
    /// BLG: its elements as readable text (its meaning is not public).
    pub attachments: Vec<String>,
    /// The specimens (each starts with DET or IDE).
    pub specimens: Vec<Specimen<'a>>,
}

/// ZKH: 1 name; 2 address; 3 phone; 4 code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lab<'a> {
    /// The lab's name.
    pub name: Text<'a>,
    /// Its address.
    pub address: Address<'a>,
    /// Its phone number.
    pub phone: Text<'a>,
    /// Its code.
    pub code: Text<'a>,
}

/// ART: 1 type; 2 code; 3 name; 4 address; 5 phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Requester<'a> {
    /// The kind of requester (e.g. `S`).
    pub kind: Text<'a>,
    /// The requester's code (AGB).
    pub code: Text<'a>,
    /// The name.
    pub name: Text<'a>,
    /// The address.
    pub address: Address<'a>,
    /// The phone number.
    pub phone: Text<'a>,
}

/// AFD or ARA: name and phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact<'a> {
    /// The name.
    pub name: Text<'a>,
    /// The phone number.
    pub phone: Text<'a>,
}

/// One specimen or request and what was determined in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Specimen<'a> {
    /// DET element 1.
    pub date: Option<CalendarDate>,
    /// DET element 2.
    pub time: Option<TimeOfDay>,
    /// IDE element 1: `J` or `C` when the request is complete.
    pub complete: Text<'a>,
    /// IDE element 2: the specimen or request id.
    pub id: Text<'a>,
    /// IDE element 3: the material.
    pub material: Text<'a>,
    /// IDE element 4: the volume.
    pub volume: Text<'a>,
    /// OPM: remarks on the material.
    pub material_remarks: Vec<Text<'a>>,
    /// SEC headings and BEP determinations in file order.
    pub results: Vec<ResultLine<'a>>,
    /// NUB: determinations still pending, with their OPU remarks.
    pub pending: Vec<Pending<'a>>,
    /// COM: general remarks.
    pub remarks: Vec<Text<'a>>,
}

/// A line of a specimen's results.
///
/// A BEP is a heading when it has a name and nothing from element 3 on: writers disagree on
/// the meaning of element 1, so it is not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResultLine<'a> {
    /// A section title: SEC, or a BEP whose result (element 3) is empty.
    Heading {
        /// The title.
        text: Text<'a>,
    },
    /// A BEP with a result.
    Determination(Box<Determination<'a>>),
}

/// BEP: 1 type; 2 name; 3 result; 4 changed flag; 5 unit; 6 normality flag; 7 lower; 8 upper; 9 code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Determination<'a> {
    /// Element 1, as written (writers disagree on its meaning).
    pub kind: Text<'a>,
    /// The name of what was determined.
    pub name: Text<'a>,
    /// The result, as written.
    pub result: Text<'a>,
    /// Whether the result changed since an earlier report.
    pub changed: Text<'a>,
    /// The unit.
    pub unit: Text<'a>,
    /// The normality flag (e.g. `N`, `H`, `L`).
    pub flag: Text<'a>,
    /// The lower bound of the reference range.
    pub lower: Text<'a>,
    /// The upper bound of the reference range.
    pub upper: Text<'a>,
    /// The lab's code for the determination.
    pub code: Text<'a>,
    /// OPB: remarks on this determination.
    pub remarks: Vec<Text<'a>>,
}

impl Determination<'_> {
    /// The reference range as shown, `60 - 80`, or empty.
    pub fn range(&self) -> String {
        match (self.lower.trim(), self.upper.trim()) {
            ("", "") => String::new(),
            (lower, "") => format!("> {lower}"),
            ("", upper) => format!("< {upper}"),
            (lower, upper) => format!("{lower} - {upper}"),
        }
    }
}

/// NUB: a determination still pending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pending<'a> {
    /// Its name.
    pub name: Text<'a>,
    /// OPU: remarks on it.
    pub remarks: Vec<Text<'a>>,
}

impl<'a> Medlab<'a> {
    /// Reads the segments between UNH and UNT. Segments that do not belong in a MEDLAB become
    /// warnings, never errors.
    pub fn read<'i>(
        body: impl Iterator<Item = Segment<'i, 'a>>,
        warnings: &mut Vec<Warning>,
    ) -> Self
    where
        'a: 'i,
    {
        let mut report = Self::default();
        for segment in body {
            match segment.tag() {
                "ZKH" => {
                    report.lab = Lab {
                        name: element_text(&segment, 1),
                        address: Address::read(&segment, 2),
                        phone: segment.text(3),
                        code: segment.text(4),
                    }
                }
                "PID" => report.patient.read_pid(&segment, warnings),
                "PAD" => report.patient.read_pad(&segment),
                "BLG" => report.attachments.push(elements_text(&segment, 1)),
                "ART" => {
                    report.requester = Some(Requester {
                        kind: segment.text(1),
                        code: segment.text(2),
                        name: element_text(&segment, 3),
                        address: Address::read(&segment, 4),
                        phone: segment.text(5),
                    })
                }
                "AFD" => {
                    report.department = Some(Contact {
                        name: element_text(&segment, 1),
                        phone: segment.text(2),
                    })
                }
                "ARA" => report.department_doctors.push(Contact {
                    name: element_text(&segment, 1),
                    phone: segment.text(2),
                }),
                "KOP" => {
                    let names = read_kop(&segment);
                    if !names.is_empty() {
                        report.copies.push(names);
                    }
                }
                "DET" => {
                    let (date, time) = read_det(&segment, warnings);
                    report.specimens.push(Specimen {
                        date,
                        time,
                        ..Specimen::default()
                    });
                }
                "IDE" => {
                    let specimen = report.open_specimen(true);
                    specimen.complete = segment.text(1);
                    specimen.id = segment.text(2);
                    specimen.material = segment.text(3);
                    specimen.volume = segment.text(4);
                }
                "OPM" => report
                    .open_specimen(false)
                    .material_remarks
                    .push(segment.text_from(1)),
                "SEC" => report
                    .open_specimen(false)
                    .results
                    .push(ResultLine::Heading {
                        text: segment.text_from(1),
                    }),
                "BEP" => report.open_specimen(false).results.push(read_bep(&segment)),
                "OPB" => {
                    let specimen = report.open_specimen(false);
                    match specimen.results.last_mut() {
                        Some(ResultLine::Determination(d)) => d.remarks.push(segment.text_from(1)),
                        _ => specimen.material_remarks.push(segment.text_from(1)),
                    }
                }
                "NUB" => report.open_specimen(false).pending.push(Pending {
                    name: Text::Owned(elements_text(&segment, 1)),
                    remarks: Vec::new(),
                }),
                "OPU" => {
                    let specimen = report.open_specimen(false);
                    match specimen.pending.last_mut() {
                        Some(pending) => pending.remarks.push(segment.text_from(1)),
                        None => specimen.remarks.push(segment.text_from(1)),
                    }
                }
                "COM" => report
                    .open_specimen(false)
                    .remarks
                    .push(segment.text_from(1)),
                other => warnings.push(Warning {
                    position: segment.position(),
                    text: format!("segment {other} is not part of MEDLAB:1 and was not read"),
                }),
            }
        }
        report
    }

    /// The specimen segments go to: the last one, or a new one when there is none yet or (for
    /// an IDE) the last one already has its IDE.
    fn open_specimen(&mut self, for_ide: bool) -> &mut Specimen<'a> {
        let needs_new = match self.specimens.last() {
            None => true,
            Some(last) => for_ide && (!last.id.is_empty() || !last.results.is_empty()),
        };
        if needs_new {
            self.specimens.push(Specimen::default());
        }
        let last = self.specimens.len() - 1;
        &mut self.specimens[last]
    }
}

/// KOP: element 1 is an indicator (`J`) when it is a single letter, the names follow; a
/// writer that starts with the name loses nothing.
fn read_kop(kop: &Segment<'_, '_>) -> String {
    let first = kop.text(1);
    let from = if first.trim().chars().count() <= 1 && kop.components(1).len() <= 1 {
        2
    } else {
        1
    };
    elements_text(kop, from)
}

fn read_bep<'a>(bep: &Segment<'_, 'a>) -> ResultLine<'a> {
    if (3..=9).all(|element| bep.text(element).trim().is_empty()) {
        return ResultLine::Heading { text: bep.text(2) };
    }
    ResultLine::Determination(Box::new(Determination {
        kind: bep.text(1),
        name: bep.text(2),
        result: bep.text(3),
        changed: bep.text(4),
        unit: bep.text(5),
        flag: bep.text(6),
        lower: bep.text(7),
        upper: bep.text(8),
        code: bep.text(9),
        remarks: Vec::new(),
    }))
}

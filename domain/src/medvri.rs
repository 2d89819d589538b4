//! MEDVRI:1, the free-text letter: sender, date, patient, the letter's lines, recipient.

use serde::Serialize;

use crate::date::{read_time, CalendarDate, TimeOfDay};
use crate::edifact::{Segment, Warning};
use crate::people::{Party, Patient, Text};

/// A MEDVRI letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Medvri<'a> {
    /// GGA: who wrote it.
    pub sender: Party<'a>,
    /// DET element 1, when it is a real date.
    pub date: Option<CalendarDate>,
    /// DET element 2, `hh:mm`.
    pub time: Option<TimeOfDay>,
    /// PID and PAD.
    pub patient: Patient<'a>,
    /// TXT: the lines of the letter in file order; an empty TXT is an empty line.
    pub lines: Vec<Text<'a>>,
    /// GGO: to whom.
    pub recipient: Option<Party<'a>>,
}

impl<'a> Medvri<'a> {
    /// Reads the segments between UNH and UNT. Missing parts and segments that do not belong
    /// in a MEDVRI become warnings, never errors.
    pub fn read<'i>(
        body: impl Iterator<Item = Segment<'i, 'a>>,
        warnings: &mut Vec<Warning>,
    ) -> Self
    where
        'a: 'i,
    {
        let (lower, upper) = body.size_hint();
        let mut letter = Self {
            lines: Vec::with_capacity(upper.unwrap_or(lower)),
            ..Self::default()
        };
        for segment in body {
            match segment.tag() {
                "GGA" => letter.sender = Party::read(&segment),
                "DET" => {
                    (letter.date, letter.time) = read_det(&segment, warnings);
                }
                "PID" => letter.patient.read_pid(&segment, warnings),
                "PAD" => letter.patient.read_pad(&segment),
                "TXT" => letter.lines.push(segment.text_from(1)),
                "GGO" => letter.recipient = Some(Party::read(&segment)),
                other => warnings.push(Warning {
                    position: segment.position(),
                    text: format!("segment {other} is not part of MEDVRI:1 and was not read"),
                }),
            }
        }
        letter
    }

    /// The letter body: the TXT lines joined by newlines.
    pub fn body(&self) -> String {
        self.lines.join("\n")
    }
}

/// Reads DET: element 1 `yy:mm:dd`, element 2 `hh:mm`.
pub(crate) fn read_det(
    det: &Segment<'_, '_>,
    warnings: &mut Vec<Warning>,
) -> (Option<CalendarDate>, Option<TimeOfDay>) {
    let [y, m, d] = [1, 2, 3].map(|c| det.field(1, c));
    let date = CalendarDate::from_short_parts(&y, &m, &d);
    let (hh, mm) = (det.field(2, 1), det.field(2, 2));
    let time = read_time(&hh, &mm);
    if date.is_none() && !(y.is_empty() && m.is_empty() && d.is_empty()) {
        warnings.push(Warning {
            position: det.position(),
            text: format!("DET date {y}:{m}:{d} is not a date"),
        });
    }
    if time.is_none() && !(hh.is_empty() && mm.is_empty()) {
        warnings.push(Warning {
            position: det.position(),
            text: format!("DET time {hh}:{mm} is not a time"),
        });
    }
    (date, time)
}

/// The JSON form of a letter.
impl Serialize for Medvri<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Medvri", 5)?;
        s.serialize_field("sender", &self.sender)?;
        s.serialize_field("date", &self.date)?;
        s.serialize_field("time", &self.time)?;
        s.serialize_field("lines", &self.lines)?;
        s.serialize_field("recipient", &self.recipient)?;
        s.end()
    }
}

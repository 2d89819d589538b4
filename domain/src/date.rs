//! Calendar dates and times as the Medeur formats write them (`yyyy:mm:dd`, `yy:mm:dd`, `hh:mm`).

use std::fmt;

/// A valid calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarDate {
    year: u16,
    month: u8,
    day: u8,
}

impl CalendarDate {
    /// A date from its parts; `None` when it does not exist (month 13, 30 February, year 0).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year > 0 && (1..=days).contains(&day)).then_some(Self { year, month, day })
    }

    /// Reads a four-digit year, month and day given as separate texts (`PID` element 1).
    pub fn from_parts(year: &str, month: &str, day: &str) -> Option<Self> {
        if year.len() != 4 {
            return None;
        }
        Self::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
    }

    /// Reads a two-digit year (`DET` element 1): 70..99 are 1970..1999, 00..69 are 2000..2069.
    pub fn from_short_parts(year: &str, month: &str, day: &str) -> Option<Self> {
        if year.len() != 2 {
            return None;
        }
        let short: u16 = year.parse().ok()?;
        let year = if short >= 70 {
            1900 + short
        } else {
            2000 + short
        };
        Self::new(year, month.parse().ok()?, day.parse().ok()?)
    }

    /// The year, e.g. 2024.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The Dutch way of writing it, `25-10-1980`.
    pub fn dutch(&self) -> String {
        format!("{:02}-{:02}-{:04}", self.day, self.month, self.year)
    }
}

/// ISO 8601, `1980-10-25`.
impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for CalendarDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A time of day, `hh:mm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

impl TimeOfDay {
    /// The hour, 0 to 23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub fn minute(&self) -> u8 {
        self.minute
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl serde::Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a time of day from two-digit hours and minutes; `None` when it is not one.
pub fn read_time(hours: &str, minutes: &str) -> Option<TimeOfDay> {
    let hour: u8 = hours.parse().ok()?;
    let minute: u8 = minutes.parse().ok()?;
    (hours.len() == 2 && minutes.len() == 2 && hour < 24 && minute < 60)
        .then_some(TimeOfDay { hour, minute })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        assert!(CalendarDate::new(2023, 2, 29).is_none());
        assert!(CalendarDate::new(2024, 2, 29).is_some());
        assert!(CalendarDate::new(1900, 2, 29).is_none());
        assert!(CalendarDate::new(0, 1, 1).is_none());
        assert!(CalendarDate::from_parts("1980", "13", "01").is_none());
        assert!(CalendarDate::from_parts("0000", "01", "01").is_none());
    }

    #[test]
    fn iso_and_dutch_forms() {
        let date = CalendarDate::from_parts("1980", "10", "25").unwrap();
        assert_eq!(date.to_string(), "1980-10-25");
        assert_eq!(date.dutch(), "25-10-1980");
    }

    #[test]
    fn two_digit_years_pivot_at_seventy() {
        assert_eq!(
            CalendarDate::from_short_parts("21", "06", "08")
                .unwrap()
                .to_string(),
            "2021-06-08"
        );
        assert_eq!(
            CalendarDate::from_short_parts("98", "06", "08")
                .unwrap()
                .to_string(),
            "1998-06-08"
        );
    }

    #[test]
    fn times_are_checked() {
        assert_eq!(
            read_time("15", "32").map(|t| t.to_string()).as_deref(),
            Some("15:32")
        );
        assert_eq!(read_time("25", "00"), None);
        assert_eq!(read_time("1", "5"), None);
    }
}

//! Times as people in the Netherlands read them: `dd-mm-jjjj hh:mm`, Europe/Amsterdam. The
//! offset follows the EU rule in force since 1996 (summer time from the last Sunday of March
//! 01:00 UTC to the last Sunday of October 01:00 UTC), computed here rather than reading a
//! time zone database: the daemon has no other use for one.

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const HOUR_MS: i64 = 60 * 60 * 1000;

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day count since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The last Sunday of `month` in `year` at 01:00 UTC, in milliseconds.
fn last_sunday_0100(year: i64, month: u32) -> i64 {
    let last_day = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) % 7 == 0 is a Sunday.
    let sunday = last_day - (last_day + 4).rem_euclid(7);
    sunday * DAY_MS + HOUR_MS
}

/// The offset of Amsterdam from UTC at `utc_ms`, in milliseconds.
fn amsterdam_offset(utc_ms: i64) -> i64 {
    let (year, _, _) = civil(utc_ms.div_euclid(DAY_MS));
    if utc_ms >= last_sunday_0100(year, 3) && utc_ms < last_sunday_0100(year, 10) {
        2 * HOUR_MS
    } else {
        HOUR_MS
    }
}

/// `dd-mm-jjjj hh:mm` in Europe/Amsterdam for milliseconds since 1970-01-01 UTC.
pub fn dutch_time(utc_ms: i64) -> String {
    let local = utc_ms + amsterdam_offset(utc_ms);
    let (year, month, day) = civil(local.div_euclid(DAY_MS));
    let in_day = local.rem_euclid(DAY_MS);
    format!(
        "{day:02}-{month:02}-{year:04} {:02}:{:02}",
        in_day / HOUR_MS,
        in_day % HOUR_MS / 60_000
    )
}

/// The start (00:00 Europe/Amsterdam) of the day a person wrote, as milliseconds since
/// 1970-01-01 UTC: `jjjj-mm-dd` (what a date field sends) or `dd-mm-jjjj`; `None` when it is
/// not a date.
pub fn day_start_ms(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.trim().split('-').collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 {
        (
            a.parse::<i64>().ok()?,
            b.parse::<u32>().ok()?,
            c.parse::<u32>().ok()?,
        )
    } else {
        (
            c.parse::<i64>().ok()?,
            b.parse::<u32>().ok()?,
            a.parse::<u32>().ok()?,
        )
    };
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if civil(days) != (year, month, day) {
        return None;
    }
    let local_midnight = days * DAY_MS;
    // Midnight is never in a change of the clock (those are at 02:00 and 03:00): the offset
    // an hour before it in UTC terms is the offset at it.
    Some(local_midnight - amsterdam_offset(local_midnight - 2 * HOUR_MS))
}

/// The start of the day after the one `day_start` begins (a day is 23, 24 or 25 hours).
pub fn next_day_start_ms(day_start: i64) -> i64 {
    let local = day_start + amsterdam_offset(day_start);
    let (year, month, day) = civil(local.div_euclid(DAY_MS) + 1);
    let next = days_from_civil(year, month, day) * DAY_MS;
    next - amsterdam_offset(next - 2 * HOUR_MS)
}

/// A period people read, in its largest whole unit ("180 dagen", "1 uur", "30 seconden"),
/// rounded down.
pub fn dutch_duration(period: std::time::Duration) -> String {
    let seconds = period.as_secs();
    let (count, one, many) = match seconds {
        s if s >= 86_400 => (s / 86_400, "dag", "dagen"),
        s if s >= 3_600 => (s / 3_600, "uur", "uur"),
        s if s >= 60 => (s / 60, "minuut", "minuten"),
        s => (s, "seconde", "seconden"),
    };
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_said_in_its_largest_whole_unit() {
        let said = |s| dutch_duration(std::time::Duration::from_secs(s));
        assert_eq!(said(180 * 86_400), "180 dagen");
        assert_eq!(said(86_400 + 3_600), "1 dag");
        assert_eq!(said(2 * 3_600), "2 uur");
        assert_eq!(said(60), "1 minuut");
        assert_eq!(said(30), "30 seconden");
        assert_eq!(said(1), "1 seconde");
    }

    #[test]
    fn a_dutch_day_starts_at_local_midnight() {
        let winter = day_start_ms("13-12-2026").unwrap();
        assert_eq!(dutch_time(winter), "13-12-2026 00:00");
        assert_eq!(day_start_ms("2026-12-13"), Some(winter));
        assert_eq!(dutch_time(winter - 60_000), "12-12-2026 23:59");
        let summer = day_start_ms("2026-07-01").unwrap();
        assert_eq!(dutch_time(summer), "01-07-2026 00:00");
        // The day the clock goes forward has 23 hours.
        let short = day_start_ms("29-03-2026").unwrap();
        assert_eq!(next_day_start_ms(short) - short, 23 * HOUR_MS);
        assert_eq!(dutch_time(next_day_start_ms(short)), "30-03-2026 00:00");
        assert_eq!(day_start_ms("31-02-2026"), None);
        assert_eq!(day_start_ms("gisteren"), None);
    }

    #[test]
    fn winter_is_one_hour_ahead_of_utc() {
        // 2026-12-13T05:25:00Z
        assert_eq!(dutch_time(1_797_139_500_000), "13-12-2026 06:25");
    }

    #[test]
    fn summer_time_starts_and_ends_on_the_last_sundays_at_one_utc() {
        // 2026-03-29T00:59:00Z and 01:00:00Z; 2026-10-25T00:59:00Z and 01:00:00Z.
        assert_eq!(dutch_time(1_774_745_940_000), "29-03-2026 01:59");
        assert_eq!(dutch_time(1_774_746_000_000), "29-03-2026 03:00");
        assert_eq!(dutch_time(1_792_889_940_000), "25-10-2026 02:59");
        assert_eq!(dutch_time(1_792_890_000_000), "25-10-2026 02:00");
    }

    #[test]
    fn leap_days_are_dates() {
        // 2028-02-29T12:00:00Z
        assert_eq!(dutch_time(1_835_438_400_000), "29-02-2028 13:00");
    }
}

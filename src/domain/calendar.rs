//! The calendar the service's users live by: China Standard Time (UTC+8, no daylight saving).
//! Deadlines are dates there, so "overdue" turns at local midnight, not at UTC's.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// China Standard Time, UTC+8.
pub const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The date in China at `at`.
#[must_use]
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&CHINA).date_naive()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_date_turns_at_midnight_in_china() {
        let at = |h, m, s| {
            Utc.with_ymd_and_hms(2026, 12, 7, h, m, s)
                .single()
                .expect("a time")
        };
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("a date");
        assert_eq!(china_date(at(15, 59, 59)), day(7));
        assert_eq!(china_date(at(16, 0, 0)), day(8));
    }
}

//! Calendar arithmetic for the few places that print dates (HTTP `Date`
//! headers, RFC 3339 timestamps in notifications) without a time crate.

/// The civil date (year, month 1..=12, day 1..=31, proleptic Gregorian) of
/// a day counted from 1970-01-01 (day 0).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // 400-year eras starting on 1 March, so the leap day ends the year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(20_426), (2025, 12, 4));
    }
}

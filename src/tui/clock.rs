//! Times as the console says them, relative to now: how long ago, how long until, when.

use jiff::tz::TimeZone;

use crate::time::Millis;

/// "12s ago", "3m ago": the one way the product says an age.
pub use crate::time::ago;

/// "in 6d 23h", "in 4m 10s", "now".
pub fn countdown(now: Millis, at: Millis) -> String {
    let s = (at - now) / 1000;
    if s <= 0 {
        return "now".into();
    }
    let (d, h, mi, se) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("in {d}d {h}h")
    } else if h > 0 {
        format!("in {h}h {mi}m")
    } else if mi > 0 {
        format!("in {mi}m {se}s")
    } else {
        format!("in {se}s")
    }
}

/// When something happened, as short as a table cell, in the operator's `zone` (as the
/// timeline says times): its time when it was today, its day this year, else its year:
/// `14:05`, `3 Dec`, `2025`.
pub fn day_or_time(now: Millis, at: Millis, zone: &TimeZone) -> String {
    let (Ok(now), Ok(at)) = (
        jiff::Timestamp::from_millisecond(now),
        jiff::Timestamp::from_millisecond(at),
    ) else {
        return String::new();
    };
    let (now, at) = (now.to_zoned(zone.clone()), at.to_zoned(zone.clone()));
    let format = if now.date() == at.date() {
        "%H:%M"
    } else if now.year() == at.year() {
        "%-d %b"
    } else {
        "%Y"
    };
    at.strftime(format).to_string()
}

/// The time of day of an RFC 3339 stamp in `zone`, to the second (a timeline entry's);
/// a stamp that does not parse is shown as it is.
pub fn time_of_day(stamp: &str, zone: &TimeZone) -> String {
    match stamp.parse::<jiff::Timestamp>() {
        Ok(t) => t.to_zoned(zone.clone()).strftime("%H:%M:%S").to_string(),
        Err(_) => stamp.to_owned(),
    }
}

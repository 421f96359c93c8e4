//! Wall-clock time as unix milliseconds: the one representation stored and compared; RFC
//! 3339 in UTC for operators and JSON, and for text a person reads (a message to a customer)
//! the local time zone with its name.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the unix epoch.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 in UTC, to the second, as shown to operators and in JSON.
pub fn rfc3339(ms: Millis) -> String {
    let secs = u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

pub fn add(ms: Millis, d: Duration) -> Millis {
    ms.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration in whole milliseconds, saturating.
pub fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The operator's time zone: `TZ`, else `/etc/localtime`, else UTC.
pub fn local_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC)
}

/// A time as a person reads it, in `zone` with the zone's name:
/// `Friday 11 December 2026, 14:05 CET`.
pub fn for_people(ms: Millis, zone: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned(zone.clone())
            .strftime("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
        Err(_) => rfc3339(ms),
    }
}

/// The same for an RFC 3339 time (as views carry them); `None` when it does not parse.
pub fn rfc3339_for_people(text: &str, zone: &jiff::tz::TimeZone) -> Option<String> {
    let t: jiff::Timestamp = text.parse().ok()?;
    Some(for_people(t.as_millisecond(), zone))
}

/// How long ago, in the largest whole unit: `12s`, `5m`, `3h`, `2d`; a clock that went
/// back is no negative age.
pub fn age(now: Millis, then: Millis) -> String {
    let s = ((now - then) / 1000).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The same, said: `12s ago`, `3m ago`.
pub fn ago(now: Millis, then: Millis) -> String {
    format!("{} ago", age(now, then))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_uses_the_largest_whole_unit() {
        assert_eq!(age(100_000, 100_000), "0s");
        assert_eq!(age(159_000, 100_000), "59s");
        assert_eq!(age(160_000, 100_000), "1m");
        assert_eq!(age(100_000 + 3_600_000, 100_000), "1h");
        assert_eq!(age(100_000 + 86_400_000 * 2, 100_000), "2d");
        // A clock that went back is not a negative age.
        assert_eq!(age(100_000, 200_000), "0s");
        assert_eq!(ago(100_000 + 3 * 60_000 + 59_000, 100_000), "3m ago");
        assert_eq!(ago(100_000, 200_000), "0s ago");
    }

    #[test]
    fn formats_epoch_and_adds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(add(0, Duration::from_secs(90))),
            "1970-01-01T00:01:30Z"
        );
        assert!(now_ms() > 1_700_000_000_000);
    }

    #[test]
    fn people_read_times_in_their_zone_with_its_name() {
        let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("the bundled tzdb");
        // 2026-12-11T13:05:00Z
        let ms = 1_796_994_300_000;
        assert_eq!(rfc3339(ms), "2026-12-11T13:05:00Z");
        assert_eq!(for_people(ms, &paris), "Friday 11 December 2026, 14:05 CET");
        assert_eq!(
            for_people(ms, &jiff::tz::TimeZone::UTC),
            "Friday 11 December 2026, 13:05 UTC"
        );
        // Summer time has its own name.
        assert_eq!(
            rfc3339_for_people("2026-07-01T08:00:00Z", &paris).as_deref(),
            Some("Wednesday 1 July 2026, 10:00 CEST")
        );
        assert_eq!(rfc3339_for_people("soon", &paris), None);
    }
}

/// A duration in the largest unit that divides it, as an operator types one: `45d`, `36h`,
/// `90m`, `20s`; mixed units only when nothing divides it (`1h 30m 5s`).
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if s >= n && s.is_multiple_of(n) {
            return format!("{}{unit}", s / n);
        }
    }
    if s < 60 {
        return format!("{s}s");
    }
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if sec > 0 {
        parts.push(format!("{sec}s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod short_tests {
    use super::*;

    #[test]
    fn durations_read_as_typed() {
        let f = |s| short_duration(Duration::from_secs(s));
        assert_eq!(f(45 * 86_400), "45d");
        assert_eq!(f(36 * 3_600), "36h");
        assert_eq!(f(90 * 60), "90m");
        assert_eq!(f(20), "20s");
        assert_eq!(f(0), "0s");
        assert_eq!(f(3_600 + 30 * 60 + 5), "1h 30m 5s");
    }
}

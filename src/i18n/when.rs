//! A date and time as a person reads it in their language (the ready-to-send message's
//! expiry): the names of days and months and the order of the parts come from the
//! language's `date-time`, `weekday` and `month` messages; hours on a 24-hour clock and the
//! zone's abbreviation, as `crate::time::for_people` writes them in English.

use super::{Lang, text};

/// `t` in `lang`: `Tuesday 8 December 2026, 13:00 CET`, `Dienstag, 8. Dezember 2026, 13:00 CET`.
pub fn date_time(lang: Lang, t: &jiff::Zoned) -> String {
    let weekday = text(
        lang,
        "weekday",
        &[("n", i64::from(t.weekday().to_monday_one_offset()).into())],
    );
    let month = text(lang, "month", &[("n", i64::from(t.month()).into())]);
    let time = t.strftime("%H:%M").to_string();
    let zone = t.strftime("%Z").to_string();
    text(
        lang,
        "date-time",
        &[
            ("weekday", (&weekday).into()),
            ("day", i64::from(t.day()).into()),
            ("month", (&month).into()),
            ("year", i64::from(t.year()).into()),
            ("time", (&time).into()),
            ("zone", (&zone).into()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(rfc3339: &str) -> jiff::Zoned {
        let t: jiff::Timestamp = rfc3339.parse().expect("a time");
        t.to_zoned(jiff::tz::TimeZone::get("Europe/Paris").expect("the bundled tzdb"))
    }

    #[test]
    fn english_reads_as_the_message_reads_today() {
        let t = paris("2026-12-08T12:00:00Z");
        assert_eq!(
            date_time(Lang::EN, &t),
            "Tuesday 8 December 2026, 13:00 CET"
        );
        assert_eq!(
            date_time(Lang::EN, &t),
            crate::time::for_people(t.timestamp().as_millisecond(), t.time_zone())
        );
    }

    #[test]
    fn every_language_names_the_day_and_month_in_itself() {
        let t = paris("2026-07-01T08:05:00Z");
        let tag = |tag: &str| Lang::from_tag(tag).expect("supported");
        assert_eq!(
            date_time(tag("de"), &t),
            "Mittwoch, 1. Juli 2026, 10:05 CEST"
        );
        assert_eq!(
            date_time(tag("fr"), &t),
            "mercredi 1 juillet 2026 à 10:05 CEST"
        );
        assert_eq!(
            date_time(tag("es"), &t),
            "miércoles, 1 de julio de 2026, 10:05 CEST"
        );
        assert_eq!(
            date_time(tag("pt-BR"), &t),
            "quarta-feira, 1 de julho de 2026, às 10:05 CEST"
        );
        assert_eq!(date_time(tag("ja"), &t), "2026年7月1日（水） 10:05 CEST");
    }
}

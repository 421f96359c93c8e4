//! A consent link's lifetime: between [`MIN_LINK_TTL`] and [`MAX_LINK_TTL`], typed by an
//! operator as a duration (`30m`, `24h`, `7d`). The one parser the CLI and the console
//! share; the engine checks the same range when it issues a link.

use std::time::Duration;

/// The shortest lifetime a link may have.
pub const MIN_LINK_TTL: Duration = Duration::from_secs(60);
/// The longest lifetime a link may have.
pub const MAX_LINK_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// A link's lifetime when the operator names none in the console (the demo's sample's too).
pub const DEFAULT_LINK_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A link lifetime as typed (surrounding spaces ignored); the error says what is expected
/// and repeats what was typed.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let d = humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 30m, 24h, 7d)"))?;
    if !(MIN_LINK_TTL..=MAX_LINK_TTL).contains(&d) {
        return Err(format!("{text} is out of range: use 1m to 30d"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lifetime_is_a_duration_from_a_minute_to_thirty_days() {
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl(" 7d "), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_ttl("1m"), Ok(MIN_LINK_TTL));
        assert_eq!(parse_ttl("30d"), Ok(MAX_LINK_TTL));
        for (typed, says) in [
            ("59s", "59s is out of range: use 1m to 30d"),
            ("31d", "31d is out of range: use 1m to 30d"),
            ("soon", "(examples: 30m, 24h, 7d)"),
            ("", "(examples: 30m, 24h, 7d)"),
        ] {
            let e = parse_ttl(typed).unwrap_err();
            assert!(e.contains(says), "{typed:?}: {e}");
        }
    }
}

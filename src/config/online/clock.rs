//! `google.clock`: this machine's clock against the `Date` header of Google's answer (to
//! the redirect check's authorization request). ID tokens and their expiry are checked against this
//! clock: a few seconds are harmless, a minute is not.

use std::time::{Duration, SystemTime};

use super::{CheckLine, Level};

const NAME: &str = "google.clock";
/// Beyond this the line warns.
pub const WARN_AFTER: Duration = Duration::from_secs(5);
/// Beyond this it fails: id_tokens start to look issued in the future, or expired.
pub const FAIL_AFTER: Duration = Duration::from_secs(60);

/// What was measured: Google's `Date` and the local time halfway through the request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    pub google: SystemTime,
    pub local: SystemTime,
}

impl Sample {
    /// The sample of an answer to a request sent at `sent` (`None`: no readable `Date`).
    pub(super) fn of(sent: SystemTime, headers: &reqwest::header::HeaderMap) -> Option<Self> {
        let local = sent + SystemTime::now().duration_since(sent).unwrap_or_default() / 2;
        headers
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .map(|google| Sample { google, local })
    }
}

/// The line for `sample` (`None`: no answer had a readable `Date`).
pub(super) fn verdict(sample: Option<Sample>) -> CheckLine {
    let Some(s) = sample else {
        return CheckLine::new(
            NAME,
            Level::Warn,
            "could not tell: Google's answer had no readable Date header",
            "",
        );
    };
    // `Date` has whole seconds: Google's time lies within the second after it.
    let google = s.google + Duration::from_millis(500);
    let (skew, way) = match s.local.duration_since(google) {
        Ok(ahead) => (ahead, "ahead of"),
        Err(behind) => (behind.duration(), "behind"),
    };
    let said = format!("this machine's clock is {}s {way} Google's", skew.as_secs());
    let fix = "run time synchronisation (chrony or systemd-timesyncd: `timedatectl set-ntp true`)";
    if skew > FAIL_AFTER {
        CheckLine::new(NAME, Level::Fail, said, fix)
    } else if skew > WARN_AFTER {
        CheckLine::new(NAME, Level::Warn, said, fix)
    } else {
        CheckLine::ok(
            NAME,
            format!("within {}s of Google's", WARN_AFTER.as_secs()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_seconds_are_ok_more_warn_a_minute_fails() {
        let google = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let at = |secs: i64| {
            let local = if secs >= 0 {
                google + Duration::from_secs(secs as u64)
            } else {
                google - Duration::from_secs(secs.unsigned_abs())
            };
            verdict(Some(Sample { google, local })).level
        };
        assert_eq!(at(0), Level::Ok);
        assert_eq!(at(4), Level::Ok);
        assert_eq!(at(-4), Level::Ok);
        assert_eq!(at(10), Level::Warn);
        assert_eq!(at(-10), Level::Warn);
        assert_eq!(at(90), Level::Fail);
        assert_eq!(at(-90), Level::Fail);
        assert_eq!(verdict(None).level, Level::Warn);
        let line = verdict(Some(Sample {
            google,
            local: google - Duration::from_secs(120),
        }));
        assert!(line.detail.contains("120s behind"), "{line:?}");
        assert!(line.fix.contains("timedatectl"), "{line:?}");
    }
}

//! Retry and poll delays: exponential backoff with jitter that honours `Retry-After`.

use std::time::Duration;

use rand::Rng;

/// Delay before retry number `attempt + 1`: "equal jitter" (half fixed, half random) on
/// `base * 2^attempt`, capped at `max`, and never shorter than the server's `Retry-After`
/// (itself taken as at most [`crate::blaxel::MAX_RETRY_AFTER`]).
pub fn retry_delay(
    attempt: u32,
    base: Duration,
    max: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(20)).min(max);
    let half = exp / 2;
    let jitter = rand::thread_rng().gen_range(0..=half.as_millis().max(1) as u64);
    let delay = half + Duration::from_millis(jitter);
    match retry_after {
        Some(ra) => delay.max(ra.min(crate::blaxel::MAX_RETRY_AFTER)),
        None => delay,
    }
}

/// Delay before deploy poll number `attempt + 1`: grows by half each time up to `max`,
/// with ±10% jitter so many tenants do not poll in step.
pub fn poll_delay(attempt: u32, first: Duration, max: Duration) -> Duration {
    let grown = first.as_secs_f64() * 1.5f64.powi(attempt.min(30) as i32);
    let capped = grown.min(max.as_secs_f64());
    let jitter = rand::thread_rng().gen_range(0.9..=1.1);
    Duration::from_secs_f64(capped * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn retry_delay_stays_within_bounds(attempt in 0u32..64, base_ms in 1u64..2000, max_ms in 1u64..120_000) {
            let base = Duration::from_millis(base_ms);
            let max = Duration::from_millis(max_ms);
            let d = retry_delay(attempt, base, max, None);
            let exp = base.saturating_mul(1u32 << attempt.min(20)).min(max);
            prop_assert!(d >= exp / 2, "{d:?} < half of {exp:?}");
            prop_assert!(d <= exp + Duration::from_millis(1), "{d:?} > {exp:?}");
        }

        #[test]
        fn retry_after_is_honoured(ra_ms in 0u64..100_000) {
            let ra = Duration::from_millis(ra_ms);
            let d = retry_delay(0, Duration::from_millis(10), Duration::from_millis(20), Some(ra));
            prop_assert!(d >= ra);
        }

        #[test]
        fn poll_delay_is_capped(attempt in 0u32..100) {
            let d = poll_delay(attempt, Duration::from_millis(500), Duration::from_secs(10));
            prop_assert!(d <= Duration::from_secs(11));
            prop_assert!(d >= Duration::from_millis(450));
        }
    }

    #[test]
    fn retry_delay_grows() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(60);
        assert!(retry_delay(0, base, max, None) <= Duration::from_millis(101));
        assert!(retry_delay(6, base, max, None) >= Duration::from_millis(3200));
    }
}

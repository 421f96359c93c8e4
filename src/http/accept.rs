//! What an accept loop (the listener's, the control socket's) does when it cannot take a
//! connection as it is: back off on accept errors (out of descriptors and the like), and
//! log such events once a minute each with how many there were, so a flood does not flood
//! the log.

use std::time::{Duration, Instant};

/// How often one kind of event is logged at most.
pub const LOG_WINDOW: Duration = Duration::from_secs(60);
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// Counts an event; says when to log it (the first time, then once per [`LOG_WINDOW`]),
/// with how many there were since the last line.
#[derive(Debug, Default)]
pub struct LogEvery {
    last: Option<Instant>,
    count: u64,
}

impl LogEvery {
    /// Count one; `Some(n)`: log now, `n` of them since the last line (this one included).
    pub fn note(&mut self) -> Option<u64> {
        self.note_at(Instant::now())
    }

    fn note_at(&mut self, now: Instant) -> Option<u64> {
        self.count += 1;
        if self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < LOG_WINDOW)
        {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.count))
    }
}

/// Accept errors in a row: each pause twice the last, up to a second.
#[derive(Debug, Default)]
pub struct AcceptErrors {
    pause: Option<Duration>,
    log: LogEvery,
}

impl AcceptErrors {
    /// An accept worked: the next error starts over with a short pause.
    pub fn ok(&mut self) {
        self.pause = None;
    }

    /// An accept on `socket` failed: when it was for want of descriptors, `make_room`
    /// (close a connection: a descriptor for what must go on); log, then pause.
    pub async fn failed(
        &mut self,
        socket: &'static str,
        e: &std::io::Error,
        make_room: impl FnOnce(),
    ) {
        let out_of_files = matches!(
            e.raw_os_error(),
            Some(code) if code == rustix::io::Errno::MFILE.raw_os_error()
                || code == rustix::io::Errno::NFILE.raw_os_error()
        );
        if out_of_files {
            make_room();
        }
        let pause = self.next_pause();
        if let Some(n) = self.log.note() {
            tracing::warn!(socket, error = %e, failures = n, ?pause, "accept failed (logged once a minute, with the failures since the last line)");
        }
        tokio::time::sleep(pause).await;
    }

    fn next_pause(&mut self) -> Duration {
        let p = self.pause.map_or(FIRST_PAUSE, |p| (p * 2).min(MAX_PAUSE));
        self.pause = Some(p);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_logged_once_per_window_with_its_count() {
        let mut l = LogEvery::default();
        let t = Instant::now();
        assert_eq!(l.note_at(t), Some(1));
        for i in 1..1000 {
            assert_eq!(l.note_at(t + Duration::from_millis(i * 50)), None);
        }
        assert_eq!(l.note_at(t + LOG_WINDOW), Some(1000));
        assert_eq!(l.note_at(t + LOG_WINDOW), None);
    }

    #[test]
    fn pauses_grow_to_a_second_and_start_over_after_a_success() {
        let mut e = AcceptErrors::default();
        let pauses: Vec<Duration> = (0..10).map(|_| e.next_pause()).collect();
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert!(pauses.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(pauses[9], MAX_PAUSE);
        e.ok();
        assert_eq!(e.next_pause(), FIRST_PAUSE);
    }
}

//! Which open connection makes room when the listener is full, a pure choice. First one of
//! the network (IPv4 /24, IPv6 /48), then of the client address, holding the most
//! connections, so a flood from a few places pushes out its own; then a quiet one (nothing
//! sent or answered for the minimum age) before one in use just now, so a customer's
//! connection between two quick requests is not cut under them; then the one open longest
//! (a flood's connections are older than a customer who just came); then a kept-alive one
//! idle between requests (closed at once) before one answered before whose next request is
//! being answered (closed after that answer) and before one that has not sent a whole
//! request yet. Never chosen: a first request being answered, and a connection open for
//! less than the minimum age, counted from accept so no client can restart it (a
//! customer's browser gets that long to send its request, a TLS handshake included, and
//! its next ones on the same connection).

use std::cmp::Reverse;
use std::time::{Duration, Instant};

/// Where a connection stands, as far as making room goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Answered before, no request in progress: closed at once.
    Kept,
    /// Answered before, its next request in progress: closed once that is answered.
    Reused,
    /// No whole request yet (headers, and the body to its end).
    New,
    /// Its first request is being answered, or it was told to close already: never.
    Untouchable,
}

/// One open connection, as the choice sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub class: Class,
    pub accepted: Instant,
    /// Its last answer, if any.
    pub answered: Option<Instant>,
    /// Connections open from its network, and from its client address.
    pub network_holds: usize,
    pub client_holds: usize,
}

type Key = (usize, usize, bool, Reverse<Instant>, Reverse<Class>);

/// The order of preference: the greatest goes first.
fn key(c: &Candidate, now: Instant, min_age: Duration) -> Key {
    let last = c.answered.unwrap_or(c.accepted);
    let quiet = c.class != Class::Reused && last + min_age <= now;
    (
        c.network_holds,
        c.client_holds,
        quiet,
        Reverse(c.accepted),
        Reverse(c.class),
    )
}

/// What the choice came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice<K> {
    /// This one goes.
    Take(K),
    /// None may go yet; one may from then on.
    NotBefore(Instant),
    /// None may go: each is answering its first request (or closing already).
    Nobody,
}

/// The connection to close among `open`, once it is `min_age` old (else when the first
/// will be).
pub fn choose<K: Copy>(
    open: impl IntoIterator<Item = (K, Candidate)>,
    now: Instant,
    min_age: Duration,
) -> Choice<K> {
    let mut best: Option<(K, Key)> = None;
    let mut soonest: Option<Instant> = None;
    for (k, c) in open {
        if c.class == Class::Untouchable {
            continue;
        }
        let ready = c.accepted + min_age;
        if ready > now {
            soonest = Some(soonest.map_or(ready, |s| s.min(ready)));
            continue;
        }
        let ck = key(&c, now, min_age);
        if best.as_ref().is_none_or(|(_, b)| ck > *b) {
            best = Some((k, ck));
        }
    }
    match (best, soonest) {
        (Some((k, _)), _) => Choice::Take(k),
        (None, Some(at)) => Choice::NotBefore(at),
        (None, None) => Choice::Nobody,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(1);

    /// A candidate accepted `open_ms` ago, last answered `answered_ms` ago.
    fn c(
        class: Class,
        open_ms: u64,
        answered_ms: Option<u64>,
        holds: usize,
        now: Instant,
    ) -> Candidate {
        let ago = |ms| now - Duration::from_millis(ms);
        Candidate {
            class,
            accepted: ago(open_ms),
            answered: answered_ms.map(ago),
            network_holds: holds,
            client_holds: holds,
        }
    }

    #[test]
    fn the_busiest_network_goes_first_then_a_quiet_one_then_the_one_open_longest() {
        let now = Instant::now();
        // A crowd's connection asking twice a second goes before a lone customer's.
        let open = [
            ("customer", c(Class::Kept, 5_000, Some(3_000), 1, now)),
            ("crowd", c(Class::Kept, 1_000, Some(10), 200, now)),
        ];
        assert_eq!(choose(open, now, MIN), Choice::Take("crowd"));
        // With as many each: a silent flooder before a customer between two requests.
        let open = [
            ("customer", c(Class::Kept, 1_500, Some(5), 1, now)),
            ("silent", c(Class::New, 1_200, None, 1, now)),
        ];
        assert_eq!(choose(open, now, MIN), Choice::Take("silent"));
        // A chatty flooder open for long before a customer who came later.
        let open = [
            ("customer", c(Class::Kept, 1_500, Some(5), 1, now)),
            ("chatty", c(Class::Kept, 60_000, Some(100), 1, now)),
        ];
        assert_eq!(choose(open, now, MIN), Choice::Take("chatty"));
        // As old: the one closed at once before the one answering.
        let open = [
            ("reused", c(Class::Reused, 9_000, Some(5_000), 4, now)),
            ("kept", c(Class::Kept, 9_000, Some(100), 4, now)),
        ];
        assert_eq!(choose(open, now, MIN), Choice::Take("kept"));
    }

    #[test]
    fn a_young_connection_and_a_first_request_are_never_chosen() {
        let now = Instant::now();
        let open = [
            ("young", c(Class::New, 200, None, 500, now)),
            ("younger", c(Class::Kept, 100, Some(50), 500, now)),
            ("first", c(Class::Untouchable, 9_000, None, 500, now)),
        ];
        assert_eq!(
            choose(open, now, MIN),
            Choice::NotBefore(now + Duration::from_millis(800))
        );
        assert_eq!(choose(open[2..].iter().copied(), now, MIN), Choice::Nobody);
        assert_eq!(choose(open, now, Duration::ZERO), Choice::Take("young"));
    }
}

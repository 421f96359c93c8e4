//! The descriptor budget: at start the soft `RLIMIT_NOFILE` is raised to the hard limit,
//! and the public listener may hold what is left of it after a fixed reserve, so a flood
//! of connections can never take the descriptors a consent needs (the code exchange at
//! Google, the calls to Blaxel), nor those of the store and the control socket.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Outbound calls: Google's token and revoke endpoints and token checks, Blaxel (at most
/// `provision.concurrency` at once, 8 by default), webhooks and mail.
pub const RESERVED_OUTBOUND: u64 = 256;
/// The control socket and its clients (at most [`crate::control::MAX_CONNECTIONS`]), the
/// `/metrics` listener and its connections, and a few to spare.
pub const RESERVED_CONTROL: u64 =
    (crate::control::MAX_CONNECTIONS + super::metrics::MAX_CONNECTIONS) as u64 + 16;
/// The store's files, the log files, the standard streams and the runtime's own.
pub const RESERVED_STORE: u64 = 64;
/// Descriptors the public listener never takes.
pub const RESERVED: u64 = RESERVED_OUTBOUND + RESERVED_CONTROL + RESERVED_STORE;
/// The listener gets at least this many connections, however low the limit is.
pub const MIN_LISTENER: usize = 32;
/// What an unlimited hard limit is raised to (the kernel's usual `nr_open`).
const UNLIMITED: u64 = 1 << 20;

/// The descriptor limit in force, and what it was before [`raise_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub now: u64,
    pub before: u64,
}

/// The soft descriptor limit of this process (`u64::MAX`: none).
pub fn descriptor_limit() -> u64 {
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Raise the soft descriptor limit to the hard one, as far as the kernel allows.
pub fn raise_limit() -> Limit {
    let cur = getrlimit(Resource::Nofile);
    let before = cur.current.unwrap_or(u64::MAX);
    let target = cur.maximum.unwrap_or(UNLIMITED);
    if target > before {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: cur.maximum,
            },
        );
    }
    Limit {
        now: descriptor_limit(),
        before,
    }
}

/// Log the budget the owner runs with, and warn when the limit cannot keep the reserve.
pub fn report(limit: Limit, listener: usize) {
    tracing::info!(
        descriptors = limit.now,
        raised_from = limit.before,
        listener_connections = listener,
        reserved = RESERVED,
        "descriptor budget"
    );
    if too_low(limit.now) {
        tracing::warn!(
            descriptors = limit.now,
            reserved = RESERVED,
            "the descriptor limit is too low to keep {RESERVED} descriptors beside the listener's {MIN_LISTENER}; raise it (LimitNOFILE= under systemd, ulimit -n in a shell)"
        );
    }
}

/// The listener's connection cap: `configured`, or what the descriptor `limit` leaves
/// after [`RESERVED`] when that is lower (never under [`MIN_LISTENER`]).
pub fn listener_cap(configured: usize, limit: u64) -> usize {
    let room = usize::try_from(limit.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
    configured.min(room.max(MIN_LISTENER)).max(1)
}

/// Whether `limit` is too low to keep the whole reserve beside [`MIN_LISTENER`].
pub fn too_low(limit: u64) -> bool {
    limit < RESERVED + MIN_LISTENER as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listener_gets_what_the_reserve_leaves_and_never_more_than_configured() {
        assert_eq!(RESERVED, 544);
        assert_eq!(listener_cap(1024, 1024), 480);
        assert_eq!(listener_cap(1024, 65_536), 1024);
        assert_eq!(listener_cap(100, 1024), 100);
        assert_eq!(listener_cap(1024, u64::MAX), 1024);
        assert_eq!(listener_cap(1024, 256), MIN_LISTENER);
        assert!(too_low(512) && !too_low(1024));
    }

    #[test]
    fn raising_keeps_the_limit_at_or_above_where_it_was() {
        let l = raise_limit();
        assert!(l.now >= l.before, "{l:?}");
        assert_eq!(descriptor_limit(), l.now);
    }
}

//! The Google stand-in's state: its client, the codes issued and not yet redeemed, the
//! refresh tokens issued (and which are revoked), counters, and the test knobs. All of it
//! sits behind one mutex that is never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long an authorization code may wait to be redeemed.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// Test knobs, changeable while the server runs.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// Grant only these scopes whatever the customer ticks.
    pub grant_only: Option<Vec<String>>,
    pub omit_refresh_token: bool,
    pub omit_id_token: bool,
    /// Answer the code exchange with this OAuth error.
    pub fail_exchange: Option<String>,
    /// Take this long to answer the code exchange.
    pub exchange_delay: Duration,
    /// Claims to set in (or, as `null`, leave out of) the id_token, e.g. another `aud`.
    pub id_token_claims: Option<serde_json::Value>,
    /// Answer every refresh with this HTTP status and OAuth error code (an empty code: a
    /// body that is not JSON, as a failing proxy sends), e.g. `(503, "")`, `(429,
    /// "rate_limit_exceeded")`, `(401, "invalid_client")`.
    pub fail_refresh: Option<(u16, String)>,
}

#[derive(Debug, Clone)]
pub struct SandboxGoogleConfig {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub default_email: String,
}

pub(super) struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scopes: Vec<String>,
    pub email: String,
    pub issued: Instant,
}

#[derive(Default)]
pub(super) struct Inner {
    pub codes: HashMap<String, PendingCode>,
    /// Refresh token -> (the account it was issued to, revoked).
    pub refresh: HashMap<String, (String, bool)>,
    pub knobs: Knobs,
    pub exchanges: u32,
    pub refreshes: u32,
    /// Requests to the token endpoint, counted as they arrive (before any delay).
    pub token_requests: u32,
}

#[derive(Clone)]
pub struct GoogleSandbox {
    pub(super) cfg: Arc<SandboxGoogleConfig>,
    inner: Arc<Mutex<Inner>>,
}

impl GoogleSandbox {
    pub fn new(cfg: SandboxGoogleConfig) -> Self {
        Self {
            cfg: Arc::new(cfg),
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        self.lock().knobs = knobs;
    }

    /// Refresh tokens issued and not revoked.
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        self.lock()
            .refresh
            .iter()
            .filter(|(_, (_, revoked))| !revoked)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// The customer removes the app's access (or the token expires): every refresh token
    /// issued to `email` stops working, as at Google.
    pub fn revoke_account(&self, email: &str) -> usize {
        let mut n = 0;
        for (who, revoked) in self.lock().refresh.values_mut() {
            if who == email && !*revoked {
                *revoked = true;
                n += 1;
            }
        }
        n
    }

    /// Refreshes answered (successfully or not).
    pub fn refreshes(&self) -> u32 {
        self.lock().refreshes
    }

    pub fn revoked_count(&self) -> usize {
        self.lock().refresh.values().filter(|(_, r)| *r).count()
    }

    pub fn exchanges(&self) -> u32 {
        self.lock().exchanges
    }

    /// Requests the token endpoint has received so far, answered or not yet.
    pub fn token_requests(&self) -> u32 {
        self.lock().token_requests
    }
}

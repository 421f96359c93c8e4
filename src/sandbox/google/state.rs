//! The Google stand-in's state: its clients (the configured one, and any a test adds), the
//! codes issued and not yet redeemed, the refresh tokens issued (to which account, through
//! which client, and which are revoked), counters, and the test knobs. All of it sits
//! behind one mutex that is never held across an `.await`.

use std::collections::{BTreeMap, HashMap};
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
    /// Answer every authorization request with this error, where Google says it (see
    /// [`crate::domain::google_errors`]): one of Google's own page on an error page of its
    /// own (the customer never comes back), any other in the redirect back (`?error=`).
    pub authorize_error: Option<crate::domain::google_errors::GoogleCode>,
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

/// A refresh token as Google keeps it: issued to one account through one client.
pub(super) struct Issued {
    pub email: String,
    pub client_id: String,
    pub revoked: bool,
}

#[derive(Default)]
pub(super) struct Inner {
    /// The OAuth clients it knows: id -> secret.
    pub clients: BTreeMap<String, String>,
    pub codes: HashMap<String, PendingCode>,
    pub refresh: HashMap<String, Issued>,
    pub knobs: Knobs,
    pub exchanges: u32,
    pub refreshes: u32,
    /// Requests to the token endpoint, counted as they arrive (before any delay).
    pub token_requests: u32,
    /// The `User-Agent` of every request to the token and revoke endpoints, in order.
    pub user_agents: Vec<String>,
}

#[derive(Clone)]
pub struct GoogleSandbox {
    pub(super) cfg: Arc<SandboxGoogleConfig>,
    inner: Arc<Mutex<Inner>>,
}

impl GoogleSandbox {
    pub fn new(cfg: SandboxGoogleConfig) -> Self {
        let inner = Inner {
            clients: BTreeMap::from([(cfg.client_id.clone(), cfg.client_secret.clone())]),
            ..Inner::default()
        };
        Self {
            cfg: Arc::new(cfg),
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    /// Know one more OAuth client (of the same project: the same redirect URIs), as a
    /// company that registers a client of its own for one integration.
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        self.lock()
            .clients
            .insert(client_id.to_owned(), client_secret.to_owned());
    }

    /// The client is deleted (in Google's console): every request it makes from now on is
    /// answered `invalid_client`, until it is added again.
    pub fn delete_client(&self, client_id: &str) {
        self.lock().clients.remove(client_id);
    }

    /// Whether `client_id` with `secret` is a client it knows.
    pub(super) fn client_is(&self, client_id: &str, secret: Option<&str>) -> bool {
        self.lock()
            .clients
            .get(client_id)
            .is_some_and(|s| secret.is_none_or(|given| given == s))
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
            .filter(|(_, i)| !i.revoked)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// The live refresh tokens issued through `client_id`.
    pub fn live_refresh_tokens_of(&self, client_id: &str) -> Vec<String> {
        self.lock()
            .refresh
            .iter()
            .filter(|(_, i)| !i.revoked && i.client_id == client_id)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// The customer removes the app's access (or the token expires): every refresh token
    /// issued to `email` stops working, as at Google.
    pub fn revoke_account(&self, email: &str) -> usize {
        let mut n = 0;
        for i in self.lock().refresh.values_mut() {
            if i.email == email && !i.revoked {
                i.revoked = true;
                n += 1;
            }
        }
        n
    }

    /// One refresh token stops working and the grant stays, as Google retires an account's
    /// oldest token past 100 for one client. `false`: no such live token.
    pub fn retire_token(&self, token: &str) -> bool {
        match self.lock().refresh.get_mut(token) {
            Some(i) if !i.revoked => {
                i.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Refreshes answered (successfully or not).
    pub fn refreshes(&self) -> u32 {
        self.lock().refreshes
    }

    pub fn revoked_count(&self) -> usize {
        self.lock().refresh.values().filter(|i| i.revoked).count()
    }

    pub fn exchanges(&self) -> u32 {
        self.lock().exchanges
    }

    /// Requests the token endpoint has received so far, answered or not yet.
    pub fn token_requests(&self) -> u32 {
        self.lock().token_requests
    }

    /// The `User-Agent` of every token and revoke request so far (who sent each).
    pub fn user_agents(&self) -> Vec<String> {
        self.lock().user_agents.clone()
    }
}

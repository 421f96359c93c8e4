//! A Google-like OAuth 2.0 server: consent page with Allow/Deny and per-scope checkboxes
//! (granular consent), exact redirect-URI match, client secret and PKCE S256 checks,
//! single-use codes that expire, refresh and id tokens, and revocation. It knows one OAuth
//! client or more: an id_token is issued for the client that asked, a refresh token works
//! for its own client alone, and a revoke ends one account's grant to one client.
//!
//! Knobs let tests grant fewer scopes, omit the refresh token, fail the exchange, or answer
//! the authorization with any Google error where Google says it (its own page, or the
//! redirect back); a
//! client can be added or deleted, and one token retired, while it runs.
//!
//! Its parts depend on each other in one direction: `server` (routes) → `consent` (the
//! consent page) and `token` (token and revoke endpoints) → `tokens` (what is issued) and
//! `answers` (error answers) → `state`.

mod answers;
mod consent;
mod server;
mod state;
mod token;
mod tokens;

pub use consent::allow_form;
pub use server::{APPROVE_PATH, AUTH_PATH, REVOKE_PATH, TOKEN_PATH};
pub use state::{CODE_TTL, GoogleSandbox, Knobs, SandboxGoogleConfig};

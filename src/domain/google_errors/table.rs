//! The entries of the table: every error Google is known to send at the callback or from
//! its token endpoint, or to show on its own page, with its three texts.

use super::{GoogleErrorEntry, Stage};
use crate::domain::model::FailureKind;

use FailureKind::{ConsentDenied, ConsentError, ExchangeFailed, NoRefreshToken};
use Stage::{Authorization, GooglePage, Token};

/// Our name for a token answer without a refresh token (Google sends no error then).
pub const NO_REFRESH_TOKEN: &str = "no_refresh_token";

const RETRY_SOON: &str = "Nothing to change on our side: Google failed. The customer can open \
    the link again in a few minutes; if it lasts, see Google's status page \
    (https://www.google.com/appsstatus).";

/// Every known error, in the order the README lists them.
pub const ENTRIES: &[GoogleErrorEntry] = &[
    GoogleErrorEntry {
        code: "access_denied",
        at: Authorization,
        customer: Some("denied"),
        reason: "the customer declined access at Google",
        fix: "Nothing is wrong with the set-up. Ask the customer whether they meant to decline; \
              the link works again until it expires, or `mcp-onboard link {slug}` issues a new one.",
        kind: ConsentDenied,
    },
    GoogleErrorEntry {
        code: "invalid_scope",
        at: Authorization,
        customer: Some("google-setup"),
        reason: "Google refused the scopes asked for",
        fix: "Enable the {api} in the Google Cloud project of the OAuth client (APIs & Services \
              > Library) and add the scopes {scopes} under Google Auth Platform > Data access; \
              then send the customer the link again.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "unauthorized_client",
        at: Authorization,
        customer: Some("google-setup"),
        reason: "Google says the OAuth client may not ask for this authorization",
        fix: "Check the OAuth client in Google Cloud (Google Auth Platform > Clients): it must be \
              of type Web application, enabled, and its id the configured google.client_id; then \
              send the customer the link again.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "invalid_request",
        at: Authorization,
        customer: Some("google-setup"),
        reason: "Google found the authorization request malformed",
        fix: "A parameter is missing, repeated or refused: check that google.auth_url is \
              Google's (https://accounts.google.com/o/oauth2/v2/auth) and that no proxy rewrites \
              it, and that {redirect_uri} is registered exactly; Google's description is in the \
              reason.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "unsupported_response_type",
        at: Authorization,
        customer: Some("google-setup"),
        reason: "Google does not take the response type asked for",
        fix: "mcp-onboard always asks response_type=code: something between us and Google \
              rewrote the request. Point google.auth_url at \
              https://accounts.google.com/o/oauth2/v2/auth.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "server_error",
        at: Authorization,
        customer: Some("google-busy"),
        reason: "Google had an internal error during the sign-in",
        fix: RETRY_SOON,
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "temporarily_unavailable",
        at: Authorization,
        customer: Some("google-busy"),
        reason: "Google's sign-in was temporarily unavailable",
        fix: RETRY_SOON,
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "invalid_client",
        at: Token,
        customer: Some("google-setup"),
        reason: "Google's token endpoint did not accept the OAuth client's id and secret",
        fix: "Check google.client_id and google.client_secret (GOOGLE_CLIENT_ID, \
              GOOGLE_CLIENT_SECRET; an integration's own client where it has one) against the \
              OAuth client {client_id} in Google Cloud (Google Auth Platform > Clients): a reset secret or a \
              deleted client gives this. Restart the owner after changing them, then send the \
              customer the link again.",
        kind: ExchangeFailed,
    },
    GoogleErrorEntry {
        code: "invalid_grant",
        at: Token,
        customer: Some("google-retry"),
        reason: "Google refused the authorization code (expired, used already, or issued for \
                 another redirect URI or PKCE verifier)",
        fix: "Usually passing: the customer can open the link again. If it repeats, check that \
              this machine's clock is right (within seconds) and that {redirect_uri} is the \
              redirect URI registered for the OAuth client.",
        kind: ExchangeFailed,
    },
    GoogleErrorEntry {
        code: "redirect_uri_mismatch",
        at: Token,
        customer: Some("google-setup"),
        reason: "Google's token endpoint says the redirect URI does not match",
        fix: "Register exactly this URI under Authorized redirect URIs of the OAuth client in \
              Google Cloud (Google Auth Platform > Clients): {redirect_uri} (scheme, host, port \
              and path as written, no trailing slash).",
        kind: ExchangeFailed,
    },
    GoogleErrorEntry {
        code: "unauthorized_client",
        at: Token,
        customer: Some("google-setup"),
        reason: "Google says the OAuth client may not redeem authorization codes",
        fix: "The OAuth client must be of type Web application (Google Auth Platform > \
              Clients): create one of that type, configure its id and secret, and send the \
              customer the link again.",
        kind: ExchangeFailed,
    },
    GoogleErrorEntry {
        code: "invalid_request",
        at: Token,
        customer: Some("google-setup"),
        reason: "Google found the token request malformed",
        fix: "Check that google.token_url is Google's (https://oauth2.googleapis.com/token) and \
              that no proxy rewrites the request; Google's description is in the reason.",
        kind: ExchangeFailed,
    },
    GoogleErrorEntry {
        code: "unsupported_grant_type",
        at: Token,
        customer: Some("google-setup"),
        reason: "Google's token endpoint does not take the grant type sent",
        fix: "mcp-onboard sends grant_type=authorization_code: something between us and Google \
              rewrote the request. Point google.token_url at https://oauth2.googleapis.com/token.",
        kind: ExchangeFailed,
    },
    GoogleErrorEntry {
        code: NO_REFRESH_TOKEN,
        at: Token,
        customer: Some("no-refresh-token"),
        reason: "Google returned no refresh token",
        fix: "Either the request lacked access_type=offline (mcp-onboard always sends it with \
              prompt=consent: check that nothing strips them from google.auth_url), or the \
              account had granted this app already and Google issued no new token: ask the \
              customer to remove the app at https://myaccount.google.com/permissions, then send \
              the link again.",
        kind: NoRefreshToken,
    },
    GoogleErrorEntry {
        code: "redirect_uri_mismatch",
        at: GooglePage,
        customer: None,
        reason: "Google showed redirect_uri_mismatch on its own page",
        fix: "Register exactly this URI under Authorized redirect URIs of the OAuth client in \
              Google Cloud (Google Auth Platform > Clients): {redirect_uri}.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "invalid_client",
        at: GooglePage,
        customer: None,
        reason: "Google showed invalid_client on its own page",
        fix: "Google does not know the OAuth client {client_id}: check google.client_id \
              against Google Auth Platform > Clients (GOOGLE_CLIENT_ID; an integration's own \
              client where it has one), then send the customer the link again.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "deleted_client",
        at: GooglePage,
        customer: None,
        reason: "Google showed deleted_client on its own page: the OAuth client was deleted",
        fix: "The OAuth client {client_id} was deleted: restore it in Google Auth Platform > \
              Clients (within 30 days of the deletion), or create a new one of type Web \
              application and configure its id and secret; then send the customer the link \
              again.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "invalid_scope",
        at: GooglePage,
        customer: None,
        reason: "Google refused the scopes asked for, on its own page",
        fix: "Enable the {api} in the Google Cloud project of the OAuth client (APIs & Services \
              > Library) and add the scopes {scopes} under Google Auth Platform > Data access; \
              then send the customer the link again.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "invalid_request",
        at: GooglePage,
        customer: None,
        reason: "Google blocked the sign-in as an invalid request on its own page (\"Access \
                 blocked\")",
        fix: "Google refused how the authorization was asked: check that google.auth_url is \
              Google's (https://accounts.google.com/o/oauth2/v2/auth) and that no proxy rewrites \
              it, that {redirect_uri} is registered exactly for the OAuth client {client_id}, \
              and that the customer opened the link in a browser (not an app's own one).",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "access_denied",
        at: GooglePage,
        customer: None,
        reason: "Google blocked the app on its own page (an unverified app, or an app in Testing \
                 and an account that is not a test user)",
        fix: "In Google Auth Platform > Audience, add the customer's account as a test user \
              while the app is in Testing, or publish the app (and have it verified for the \
              {api}'s scope).",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "admin_policy_enforced",
        at: GooglePage,
        customer: None,
        reason: "the customer's Google Workspace admin blocks the app",
        fix: "Ask the customer's Workspace admin to trust the app by its OAuth client id \
              {client_id} (Admin console > Security > Access and data control > API controls > App access \
              control), then send the link again.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "org_internal",
        at: GooglePage,
        customer: None,
        reason: "the app is limited to its own organisation's accounts",
        fix: "The OAuth consent screen's audience is Internal: set it to External in Google \
              Auth Platform > Audience, or have the customer sign in with an account of the \
              project's organisation.",
        kind: ConsentError,
    },
    GoogleErrorEntry {
        code: "disallowed_useragent",
        at: GooglePage,
        customer: None,
        reason: "Google refuses sign-ins from embedded browsers",
        fix: "The customer opened the link inside an app's own browser (a chat or mail app): ask \
              them to open it in Chrome, Safari, Firefox or Edge.",
        kind: ConsentError,
    },
];

/// What an error no entry names gets (its code is named in the texts), at the callback or
/// on Google's own page.
pub const UNKNOWN: GoogleErrorEntry = GoogleErrorEntry {
    code: "",
    at: Authorization,
    customer: Some("google-error"),
    reason: "Google returned an error this release does not know",
    fix: "Look up {code} in Google's OAuth documentation \
          (https://developers.google.com/identity/protocols/oauth2/web-server); Google's \
          description is in the reason.",
    kind: ConsentError,
};

/// What an error no entry names gets when the token endpoint said it: the exchange failed.
pub const UNKNOWN_AT_TOKEN: GoogleErrorEntry = GoogleErrorEntry {
    at: Token,
    kind: ExchangeFailed,
    ..UNKNOWN
};

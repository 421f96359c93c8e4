//! What the customer's browser is shown: plain words, no internal detail. The HTTP layer
//! renders these; the operator's detail goes to the tenant's timeline instead.

/// The interstitial page's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interstitial {
    pub display_name: String,
    pub access: String,
    pub account_hint: Option<String>,
    pub continue_path: String,
    /// The Continue form's token (tied to the browser's cookie and the link).
    pub token: String,
}

/// A final page: success or a failure with what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPage {
    pub status: u16,
    pub success: bool,
    pub title: String,
    pub message: String,
    /// Where the customer goes next: the company's own page (`listener.return_url`, or the
    /// tenant's), with `?tenant=SLUG&outcome=connected|pending|denied|failed`.
    pub next: Option<Next>,
}

/// The way back to the company's frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub url: String,
    /// Send the browser there by itself (a 303) instead of offering a link.
    pub redirect: bool,
}

impl CustomerPage {
    /// What the hand-off URL's `outcome` says about this page.
    pub fn hand_off(&self) -> &'static str {
        match (self.success, self.title.as_str()) {
            (true, "Almost done") => "pending",
            (true, _) => "connected",
            (false, "Access not granted") => "denied",
            (false, _) => "failed",
        }
    }
}

const AGAIN: &str = "Open the link you were sent again to retry.";

fn fail(status: u16, title: &str, message: String) -> CustomerPage {
    CustomerPage {
        status,
        success: false,
        title: title.to_owned(),
        message,
        next: None,
    }
}

impl CustomerPage {
    pub fn connected(display_name: &str, email: Option<&str>) -> Self {
        let who = email.map(|e| format!(" as {e}")).unwrap_or_default();
        Self {
            status: 200,
            success: true,
            title: "You're connected".into(),
            message: format!(
                "{display_name} is now connected to your Google account{who}. You can close this window."
            ),
            next: None,
        }
    }

    /// The consent is kept, but by another account than before: the operator checks it.
    pub fn awaiting_approval(display_name: &str, email: Option<&str>) -> Self {
        let who = email.map(|e| format!(" ({e})")).unwrap_or_default();
        Self {
            status: 200,
            success: true,
            title: "Almost done".into(),
            message: format!(
                "Thank you. The Google account you signed in with{who} is not the one connected before, so the connection for {display_name} waits for a check by the administrator who sent you the link. Nothing more is needed from you; you can close this window."
            ),
            next: None,
        }
    }

    pub fn link_unknown() -> Self {
        fail(404, "Link not recognised", "This link is not valid. Check that it was copied completely, or ask the sender for a new one.".into())
    }

    pub fn link_gone(why: &str) -> Self {
        fail(
            410,
            "Link no longer valid",
            format!("{why} Ask the sender for a new link."),
        )
    }

    pub fn not_configured() -> Self {
        fail(
            503,
            "Not available right now",
            "Sign-in is not available at the moment. Please try again later or contact the sender."
                .into(),
        )
    }

    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal failure while serving a customer page");
        fail(
            500,
            "Something went wrong",
            format!("We could not complete this step. {AGAIN}"),
        )
    }

    pub fn callback_incomplete() -> Self {
        fail(
            400,
            "Sign-in response incomplete",
            format!(
                "This page expects a response from Google's sign-in, and it was incomplete. {AGAIN}"
            ),
        )
    }

    pub fn state_unknown() -> Self {
        fail(
            400,
            "Sign-in not recognised",
            format!("This sign-in response was not recognised or has expired. {AGAIN}"),
        )
    }

    pub fn replayed() -> Self {
        fail(
            400,
            "Sign-in already used",
            format!(
                "This sign-in response was already used. If you are not connected yet: {AGAIN}"
            ),
        )
    }

    pub fn flow_expired() -> Self {
        fail(
            400,
            "Sign-in expired",
            format!("The sign-in took longer than 10 minutes and expired. {AGAIN}"),
        )
    }

    pub fn denied() -> Self {
        fail(
            400,
            "Access not granted",
            format!(
                "You chose not to grant access, so nothing was shared. If that was a mistake: {AGAIN}"
            ),
        )
    }

    pub fn google_error() -> Self {
        fail(
            400,
            "Google reported a problem",
            format!("Google could not complete the sign-in. {AGAIN}"),
        )
    }

    pub fn exchange_failed() -> Self {
        fail(
            400,
            "Sign-in could not be completed",
            format!(
                "We could not finish the sign-in with Google. {AGAIN} If it keeps failing, contact the sender."
            ),
        )
    }

    pub fn no_refresh_token() -> Self {
        fail(
            400,
            "Lasting access not granted",
            format!(
                "Google did not grant lasting access. {AGAIN} If it happens again, remove this app under \"Third-party apps\" at myaccount.google.com/permissions first."
            ),
        )
    }

    pub fn scope_missing() -> Self {
        fail(
            400,
            "A permission was not ticked",
            format!(
                "Every permission on Google's screen is needed, and at least one was left unticked. {AGAIN} Then tick every box."
            ),
        )
    }

    pub fn wrong_account(signed_in: Option<&str>, expected: &str) -> Self {
        let who = signed_in.map(|e| format!(" as {e}")).unwrap_or_default();
        fail(
            400,
            "Different Google account expected",
            format!(
                "You signed in{who}, but this invitation is for {expected}. {AGAIN} Then choose that account."
            ),
        )
    }

    pub fn wrong_browser() -> Self {
        fail(
            400,
            "Open the link in the browser you sign in with",
            "This sign-in came back to a different browser than the one where the link was opened, so it was not used. Open the link you were sent again, in the browser you will sign in with.".into(),
        )
    }

    pub fn continue_refused() -> Self {
        fail(
            403,
            "Please open the link you were sent",
            "This page only works when it is opened from the link you were sent, in the same browser. Open the link again.".into(),
        )
    }

    pub fn rate_limited() -> Self {
        fail(
            429,
            "Too many requests",
            "Please wait a minute, then try again.".into(),
        )
    }

    pub fn not_found() -> Self {
        fail(404, "Not found", "There is nothing at this address.".into())
    }
}

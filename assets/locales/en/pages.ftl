## The customer's pages and the ready-to-send message, in English: the reference language.
## Every other language has exactly these messages and attributes. Above each message, its
## variables: `$name (String)` or `$name (Number)`, and `one of:` the values a selector
## takes. Every variable is HTML-escaped by the page renderer.
##
## The company that asks is the brand ($brand); $google_app is its app's name at Google;
## the tenant ($tenant) is who the access is for, never the party that asks.

## Every page

# The browser tab's title.
# Variables:
#   $title (String) - the page's heading
#   $brand (String) - the company that asks
page-title = { $title } – { $brand }
skip-to-content = Skip to content
# The label of the list of languages.
language-menu = Language
# Who asks, and for which tenant: two labels of a list of facts.
fact-requested-by = Requested by
fact-for = For
# Variables:
#   $brand (String) - the company that asks
footer-support = Questions? Contact { $brand }:
footer-privacy = Privacy policy
footer-terms = Terms of service
# Followed by a link to myaccount.google.com/permissions.
revoke = You can withdraw this access at any time in your Google account:
# The way back to the company's own website.
# Variables:
#   $host (String) - the website's host name
next-continue = Continue to { $host }
# Variables:
#   $host (String) - the website's host name
next-back = Back to { $host }
close-window = You can close this window.
# Variables:
#   $email (String) - the Google account the customer signed in with
signed-in-as = You signed in as { $email }.

-again = Open the link you were sent again to retry.

## The page a consent link opens

# Variables:
#   $brand (String) - the company that asks
#   $tenant (String) - who the access is for
ask = { $brand } asks for access to your Google account, for { $tenant }.
    .title = Connect your Google account
# Variables:
#   $google_app (String) - the app's name on Google's consent screen
ask-next = Next, Google will ask you to sign in, then show that “{ $google_app }” wants access to your Google account.
# Shown when the app's name at Google is not the company's name.
# Variables:
#   $google_app (String) - the app's name on Google's consent screen
#   $brand (String) - the company that asks
ask-app-name = “{ $google_app }” is the name { $brand } is registered under at Google.
# Followed by the list of what is allowed (allow-*).
# Variables:
#   $google_app (String) - the app's name on Google's consent screen
ask-allowed = “{ $google_app }” will be allowed to:
allow-gmail = Send email as you (Gmail “send” only: it cannot read your mail)
allow-google-drive = See, edit, create and delete only the Google Drive files you use with this app
allow-identity = See your name and email address
# Variables:
#   $email (String) - the Google account to sign in with
ask-account-email = Please sign in with { $email }.
# Variables:
#   $domain (String) - the Google Workspace domain to sign in with
ask-account-domain = Please sign in with an account of { $domain }.
ask-continue = Continue to Google

## After Google's consent screen

# Variables:
#   $brand (String) - the company that asks
#   $tenant (String) - who the access is for
connected = { $brand } is now connected to your Google account, for { $tenant }.
    .title = You're connected
# Followed by the list of what is allowed (allow-*).
# Variables:
#   $google_app (String) - the app's name on Google's consent screen
allowed-now = “{ $google_app }” is now allowed to:
# The name of each integration, as the texts below insert it ($integration).
integration-gmail = Gmail
integration-google-drive = Google Drive
# The heading after a consent when the link asks for another one too.
# Variables:
#   $integration (String) - what was just connected (integration-*)
#   $done (Number) - the consents given through the link so far
#   $total (Number) - the consents the link asks for in all
connected-partly = { $integration } is connected ({ $done } of { $total })
# The heading after the last of several consents through one link.
# Variables:
#   $done (Number) - the consents given through the link
#   $total (Number) - the consents the link asks for in all
connected-all = You're connected ({ $done } of { $total })
# Before the button that goes on to the next consent.
# Variables:
#   $integration (String) - the next one to connect (integration-*)
next-consent = Google asks for each access separately. Next: { $integration }.
# The button back to the link's page, for the next consent.
# Variables:
#   $integration (String) - the next one to connect (integration-*)
next-consent-continue = Continue with { $integration }
# Instead of the button, when the callback did not get this link's own cookie (Continue
# was pressed on another link in the same browser before Google came back).
# Variables:
#   $integration (String) - the next one to connect (integration-*)
next-consent-open-link = To connect { $integration } too, open the link you were sent again.
# Variables:
#   $brand (String) - the company that asks
#   $tenant (String) - who the access is for
awaiting-approval = Thank you. The Google account you signed in with is not the one connected before, so the connection for { $tenant } waits for a check by { $brand }. Nothing more is needed from you.
    .title = Almost done

## Failures and refusals

# Variables:
#   $brand (String) - the company that asks
link-unknown = This link is not valid. Check that it was copied completely, or ask { $brand } for a new one.
    .title = Link not recognised
# Variables:
#   $reason (String) - one of: used, withdrawn, superseded, expired, inactive
#   $brand (String) - the company that asks
link-gone =
    { $reason ->
        [used] This link was already used to connect an account.
        [withdrawn] This link was withdrawn.
        [superseded] A newer link was used to connect an account.
        [expired] This link has expired.
       *[inactive] This invitation is no longer active.
    } Ask { $brand } for a new link.
    .title = Link no longer valid
# Variables:
#   $brand (String) - the company that asks
not-configured = Sign-in is not available at the moment. Please try again later, or contact { $brand }.
    .title = Not available right now
internal = We could not complete this step. { -again }
    .title = Something went wrong
callback-incomplete = This page expects an answer from Google's sign-in, and it was incomplete. { -again }
    .title = Sign-in answer incomplete
state-unknown = This sign-in answer was not recognised or has expired. { -again }
    .title = Sign-in not recognised
replayed = This sign-in answer was already used. If you are not connected yet: { -again }
    .title = Sign-in already used
# Variables:
#   $minutes (Number) - how long a sign-in may take
flow-expired =
    The sign-in took longer than { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    } and expired. { -again }
    .title = Sign-in expired
denied = You chose not to grant access, so nothing was shared. If that was a mistake: { -again }
    .title = Access not granted
google-error = Google could not complete the sign-in. { -again }
    .title = Google reported a problem
# Google refused because of how the asking company's app is set up: they must fix it.
# Variables:
#   $brand (String) - the company that asks
google-setup = Google refused this sign-in because of a setting on { $brand }’s side, so nothing was shared. Please let { $brand } know; once they have fixed it, open the link you were sent again.
    .title = A setting needs fixing
google-busy = Google is having a temporary problem, so nothing was shared. Wait a few minutes, then open the link you were sent again.
    .title = Google is temporarily unavailable
google-retry = Google did not accept the answer of this sign-in (it may have taken too long), so nothing was shared. { -again }
    .title = Sign-in not accepted by Google
# Under the text of a Google error, for the customer to quote when asking for help.
# Variables:
#   $code (String) - Google's error code, e.g. invalid_scope
google-code = Google’s error code: { $code }
# Variables:
#   $brand (String) - the company that asks
exchange-failed = We could not finish the sign-in with Google. { -again } If it keeps failing, contact { $brand }.
    .title = Sign-in could not be completed
# Variables:
#   $google_app (String) - the app's name on Google's consent screen
no-refresh-token = Google did not grant lasting access. { -again } If it happens again, first remove “{ $google_app }” from the apps with access to your Google account (myaccount.google.com/permissions).
    .title = Lasting access not granted
scope-missing = Every permission on Google's screen is needed, and at least one was left unticked. { -again } Then tick every box.
    .title = A permission was not ticked
# Variables:
#   $kind (String) - one of: email, domain
#   $expected (String) - the email address or Workspace domain expected
wrong-account =
    { $kind ->
        [domain] This invitation is for an account of { $expected }.
       *[email] This invitation is for { $expected }.
    } { -again } Then choose that account.
    .title = Different Google account expected
wrong-browser = This sign-in came back to a different browser than the one where the link was opened, so it was not used. Open the link you were sent again, in the browser you will sign in with.
    .title = Open the link in the browser you sign in with
continue-refused = This page only works when it is opened from the link you were sent, in the same browser. Open the link again.
    .title = Please open the link you were sent
rate-limited = Please wait a minute, then try again.
    .title = Too many requests
not-found = There is nothing at this address.
    .title = Not found
uri-too-long = This address is too long to be valid.
    .title = Address too long
headers-too-large = The request headers are too large.
    .title = Request too large

## The ready-to-send message (message.txt beside this file): its subject and fill-ins

# Variables:
#   $brand (String) - the company that asks
#   $tenant (String) - who the access is for
message-subject = { $brand }: connect your Google account for { $tenant }
# What Google will ask, as {{access}} in message.txt.
message-access-gmail = send email as you (Gmail "send" only: it cannot read your mail)
message-access-google-drive = see, edit, create and delete only the Google Drive files you use with this app
# {{account}} in message.txt, right after a sentence.
# Variables:
#   $email (String) - the Google account to sign in with
message-account-email = {" "}Please sign in with { $email }.
# Variables:
#   $domain (String) - the Google Workspace domain to sign in with
message-account-domain = {" "}Please sign in with your { $domain } account.

## A date and time, as {{expires}} in message.txt

# Variables:
#   $weekday (String) - the day of the week (weekday)
#   $day (Number) - the day of the month
#   $month (String) - the month's name (month)
#   $year (Number) - the year
#   $time (String) - hours and minutes, 24-hour clock, e.g. 13:05
#   $zone (String) - the time zone's abbreviation, e.g. CET
date-time = { $weekday } { $day } { $month } { $year }, { $time } { $zone }
# Variables:
#   $n (Number) - one of: 1, 2, 3, 4, 5, 6, 7
weekday =
    { $n ->
        [1] Monday
        [2] Tuesday
        [3] Wednesday
        [4] Thursday
        [5] Friday
        [6] Saturday
       *[7] Sunday
    }
# Variables:
#   $n (Number) - one of: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
month =
    { $n ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    }

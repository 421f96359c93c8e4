//! The registry: every way to reach a command, in the order the hints bar and the help list
//! them. A row is keys in a scope, or names typed in the palette; the same action may have
//! several rows (`n` in the table and in the link view, `:link`). What an action works on
//! and whether it asks first is the action's own ([`super::Action::target`]).

use crossterm::event::KeyCode;

use super::keys::{Key, code, ctrl, k};
use super::{Action, Scope};

/// One way to reach a command.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub on: On,
    pub action: Action,
    /// A word or two for the hints bar; empty: not in the bar.
    pub hint: &'static str,
    /// What it does, for the help.
    pub help: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum On {
    /// These keys, in this scope.
    Keys(Scope, &'static [Key]),
    /// These names typed in the palette (the first is the one shown), and what follows
    /// the name (for the help).
    Typed(&'static [&'static str], &'static str),
}

const fn key(
    scope: Scope,
    keys: &'static [Key],
    action: Action,
    hint: &'static str,
    help: &'static str,
) -> Entry {
    Entry {
        on: On::Keys(scope, keys),
        action,
        hint,
        help,
    }
}

const fn typed(
    names: &'static [&'static str],
    args: &'static str,
    action: Action,
    help: &'static str,
) -> Entry {
    Entry {
        on: On::Typed(names, args),
        action,
        hint: "",
        help,
    }
}

use Action as A;
use KeyCode as C;
use Scope as S;

const ENTER: Key = code(C::Enter);
const ESC: Key = code(C::Esc);
const UP: Key = code(C::Up);
const DOWN: Key = code(C::Down);

#[rustfmt::skip]
pub const REGISTRY: &[Entry] = &[
    // The tenants table.
    key(S::Table, &[k('a')], A::Add, "add", "add a tenant (and issue its first link)"),
    key(S::Table, &[ENTER, k('l')], A::Open, "link", "open the link view of the selected tenant"),
    key(S::Table, &[k('n')], A::NewLink, "new link",
        "issue a new consent link (asks about earlier active ones)"),
    key(S::Table, &[k('m')], A::Mail, "mail", "mail a new consent link to the selected tenant's address"),
    key(S::Table, &[k('M')], A::MailAll, "",
        "mail a new link to every tenant the table shows, naming those without an address"),
    key(S::Table, &[k('e')], A::Edit, "edit", "edit the selected tenant"),
    key(S::Table, &[k('r')], A::Retry, "retry", "retry the selected tenant's stopped provisioning"),
    key(S::Table, &[k('h')], A::CheckToken, "",
        "check the selected tenant's refresh token at Google now"),
    key(S::Table, &[k('A')], A::Approve, "",
        "approve the consent by another Google account waiting for the selected tenant"),
    key(S::Table, &[k('c')], A::CopyMcpUrl, "copy URL",
        "copy the selected tenant's MCP URL (OSC 52), whole even where it is cut on screen"),
    key(S::Table, &[k('d')], A::Details, "details",
        "show all of the selected tenant: every fact, its provisioning and its whole timeline, uncut"),
    key(S::Table, &[k('[')], A::TimelineBack, "timeline",
        "scroll the selected tenant's timeline back (its newest entry stays in view)"),
    key(S::Table, &[k(']')], A::TimelineOn, "", "scroll the timeline on, toward its newest entries"),
    key(S::Table, &[k('X')], A::Reject, "", "reject it: its grant is given back at Google and wiped"),
    key(S::Table, &[k('O')], A::Offboard, "",
        "offboard the selected tenant: grant back to Google, Blaxel resources deleted, secrets wiped"),
    key(S::Table, &[k('w')], A::Withdraw, "withdraw", "withdraw every unused link of the selected tenant"),
    key(S::Table, &[k('/')], A::Filter, "filter", "filter the table (esc clears)"),
    key(S::Table, &[k('s')], A::Sort, "sort", "sort by slug, status, last change, name"),
    key(S::Table, &[k(':')], A::Palette, "command", "command palette (tab completes)"),
    key(S::Table, &[k('?')], A::Help, "help", "this help"),
    key(S::Table, &[k('q'), ctrl('c')], A::Quit, "quit", "quit (asks first if that would cut others off)"),
    key(S::Table, &[UP, k('k')], A::Up, "", "move up"),
    key(S::Table, &[DOWN, k('j')], A::Down, "", "move down"),
    key(S::Table, &[code(C::PageUp)], A::PageUp, "", "page up"),
    key(S::Table, &[code(C::PageDown)], A::PageDown, "", "page down"),
    key(S::Table, &[code(C::Home), k('g')], A::Top, "", "first tenant"),
    key(S::Table, &[code(C::End), k('G')], A::Bottom, "", "last tenant"),
    key(S::Table, &[ESC], A::ClearFilter, "", "clear the filter"),
    // Typing the filter: other keys are text.
    key(S::Filter, &[ENTER], A::KeepFilter, "keep", "keep the filter and go back to the table"),
    key(S::Filter, &[ESC], A::ClearFilter, "clear", "clear the filter"),
    key(S::Filter, &[UP], A::Up, "", "keep the filter and move up"),
    key(S::Filter, &[DOWN], A::Down, "", "keep the filter and move down"),
    // The palette: other keys are text.
    key(S::Palette, &[code(C::Tab)], A::Complete, "", "complete what is typed"),
    key(S::Palette, &[ENTER], A::Run, "", "run it"),
    key(S::Palette, &[ESC], A::Cancel, "", "close the palette"),
    // The link view.
    key(S::Link, &[k('c')], A::CopyLink, "copy link",
        "copy the link (OSC 52: works over SSH and in tmux with set-clipboard on)"),
    key(S::Link, &[k('t')], A::CopyMessage, "copy message", "copy a ready-to-send message with the link"),
    key(S::Link, &[k('m')], A::Mail, "mail", "mail this link to the tenant's address"),
    key(S::Link, &[k('e')], A::Export, "export PNG/SVG", "write the QR code as PNG and SVG files"),
    key(S::Link, &[k('n')], A::NewLink, "new link", "issue a new link (asks about earlier active ones)"),
    key(S::Link, &[k('w')], A::Withdraw, "withdraw", "withdraw every unused link of this tenant"),
    key(S::Link, &[k('?')], A::Help, "help", "this help"),
    key(S::Link, &[ESC, k('q')], A::Back, "back", "back to the tenants"),
    // The full view of a tenant.
    key(S::Details, &[DOWN, k('j')], A::Down, "scroll", "scroll down"),
    key(S::Details, &[UP, k('k')], A::Up, "", "scroll up"),
    key(S::Details, &[code(C::PageDown)], A::PageDown, "", "a page down"),
    key(S::Details, &[code(C::PageUp)], A::PageUp, "", "a page up"),
    key(S::Details, &[code(C::End), k('G')], A::Bottom, "", "to the end"),
    key(S::Details, &[code(C::Home), k('g')], A::Top, "", "to the top"),
    key(S::Details, &[k('c')], A::CopyMcpUrl, "copy URL", "copy the tenant's MCP URL (OSC 52), whole"),
    key(S::Details, &[k('?')], A::Help, "help", "this help"),
    key(S::Details, &[ESC, k('q')], A::Back, "back", "back to the tenants"),
    // The add and edit forms: other keys are text.
    key(S::Form, &[code(C::Tab), DOWN], A::NextField, "next", "next field"),
    key(S::Form, &[Key(C::BackTab, crossterm::event::KeyModifiers::SHIFT), UP], A::PrevField,
        "previous", "previous field"),
    key(S::Form, &[ENTER], A::Submit, "save", "save"),
    key(S::Form, &[ESC], A::Cancel, "cancel", "cancel"),
    // The help.
    key(S::Help, &[ESC, k('q'), k('?')], A::Back, "close", "close the help"),
    key(S::Help, &[UP, k('k')], A::Up, "", "scroll up"),
    key(S::Help, &[DOWN, k('j')], A::Down, "", "scroll down"),
    // A question.
    key(S::Confirm, &[k('y'), ENTER], A::Confirm, "yes", "go ahead"),
    key(S::Confirm, &[k('n'), ESC], A::Cancel, "no", "cancel"),
    // A new link while earlier ones are active.
    key(S::EarlierLinks, &[k('k')], A::KeepLinks, "keep them", "issue the new link; the earlier ones stay valid"),
    key(S::EarlierLinks, &[k('w')], A::WithdrawLinks, "withdraw them",
        "issue the new link and withdraw the earlier ones with it"),
    key(S::EarlierLinks, &[ESC], A::Cancel, "cancel", "issue nothing"),
    // The first-run set-up panel.
    key(S::Setup, &[ENTER], A::Continue, "continue", "continue to the console as it is"),
    key(S::Setup, &[k('c')], A::CopyRedirect, "copy redirect URI", "copy the redirect URI to register"),
    key(S::Setup, &[k('o')], A::CheckOnline, "check online",
        "run the online checks (config check --online): Google, Blaxel, /healthz, TLS, the clock"),
    key(S::Setup, &[UP, k('k')], A::Up, "", "scroll up"),
    key(S::Setup, &[DOWN, k('j')], A::Down, "", "scroll down"),
    key(S::Setup, &[code(C::PageUp)], A::PageUp, "", "a page up"),
    key(S::Setup, &[code(C::PageDown)], A::PageDown, "", "a page down"),
    key(S::Setup, &[k('q'), ESC], A::Quit, "quit", "quit (back to the table when opened with :setup)"),
    // The palette's commands (`:`).
    typed(&["add"], "", A::Add, "add a tenant"),
    typed(&["edit"], "SLUG", A::Edit, "edit a tenant"),
    typed(&["link"], "SLUG [TTL]", A::NewLink, "issue a consent link (TTL like 30m, 24h, 7d)"),
    typed(&["mail"], "SLUG", A::Mail, "mail a new consent link to a tenant's address"),
    typed(&["mail-all"], "", A::MailAll,
        "mail a new consent link to every tenant the table shows"),
    typed(&["open"], "SLUG", A::Open, "show a tenant's link view"),
    typed(&["withdraw"], "SLUG", A::Withdraw, "withdraw a tenant's unused links"),
    typed(&["retry"], "SLUG", A::Retry, "retry a tenant's stopped provisioning"),
    typed(&["details"], "SLUG", A::Details, "show all of a tenant, uncut"),
    typed(&["filter"], "TEXT", A::Filter, "filter the table by text"),
    typed(&["status"], "STATUS", A::StatusFilter, "show only tenants in a status (e.g. failed); none: all"),
    typed(&["sort"], "slug|status|changed|name", A::Sort, "sort the table"),
    typed(&["setup"], "", A::Setup, "the set-up panel, with the online checks"),
    typed(&["check"], "", A::CheckOnline, "run the online checks and show them in the set-up panel"),
    typed(&["help"], "", A::Help, "the keys"),
    typed(&["quit", "q"], "", A::Quit, "quit"),
];

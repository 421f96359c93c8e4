//! The console's keys: one table says which key does what where, and drives the key hints
//! bar and the help screen, so they can never disagree with what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Quit,
    Help,
    Palette,
    Filter,
    Sort,
    Add,
    Edit,
    NewLink,
    Withdraw,
    Retry,
    CheckToken,
    Approve,
    Reject,
    Offboard,
    CopyLink,
    CopyMessage,
    Export,
    NextField,
    PrevField,
    Submit,
    Confirm,
    Cancel,
    Continue,
    CopyRedirect,
    CopyMcpUrl,
    TimelineBack,
    TimelineOn,
}

/// Where a key applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Tenants,
    Link,
    Form,
    Help,
    Confirm,
    Setup,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Tenants => "Tenants",
            Context::Link => "Link view",
            Context::Form => "Add / edit form",
            Context::Help => "Help",
            Context::Confirm => "Confirm",
            Context::Setup => "Set up",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Key(pub KeyCode, pub KeyModifiers);

const fn k(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::NONE)
}

const fn code(c: KeyCode) -> Key {
    Key(c, KeyModifiers::NONE)
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// A word or two for the hints bar; empty: not in the bar.
    pub hint: &'static str,
    pub help: &'static str,
    /// Asks to confirm first; marked `!` in the bar.
    pub danger: bool,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        hint,
        help,
        danger: false,
    }
}

const fn danger(mut b: Binding) -> Binding {
    b.danger = true;
    b
}

use Action as A;
use Context as C;

pub const BINDINGS: &[Binding] = &[
    b(
        C::Tenants,
        &[k('a')],
        A::Add,
        "add",
        "add a tenant (and issue its first link)",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::Enter), k('l')],
        A::Open,
        "link",
        "open the link view of the selected tenant",
    ),
    b(
        C::Tenants,
        &[k('n')],
        A::NewLink,
        "new link",
        "issue a new consent link for the selected tenant",
    ),
    b(
        C::Tenants,
        &[k('e')],
        A::Edit,
        "edit",
        "edit the selected tenant",
    ),
    b(
        C::Tenants,
        &[k('r')],
        A::Retry,
        "retry",
        "retry the selected tenant's stopped provisioning",
    ),
    b(
        C::Tenants,
        &[k('h')],
        A::CheckToken,
        "",
        "check the selected tenant's refresh token at Google now",
    ),
    b(
        C::Tenants,
        &[k('A')],
        A::Approve,
        "",
        "approve the consent by another Google account waiting for the selected tenant",
    ),
    b(
        C::Tenants,
        &[k('c')],
        A::CopyMcpUrl,
        "copy URL",
        "copy the selected tenant's MCP URL (OSC 52), whole even where it is cut on screen",
    ),
    b(
        C::Tenants,
        &[k('[')],
        A::TimelineBack,
        "timeline",
        "scroll the selected tenant's timeline back (its newest entry stays in view)",
    ),
    b(
        C::Tenants,
        &[k(']')],
        A::TimelineOn,
        "",
        "scroll the timeline on, toward its newest entries",
    ),
    danger(b(
        C::Tenants,
        &[k('X')],
        A::Reject,
        "",
        "reject it: its grant is given back at Google and wiped",
    )),
    danger(b(
        C::Tenants,
        &[k('O')],
        A::Offboard,
        "",
        "offboard the selected tenant: grant back to Google, Blaxel resources deleted, secrets wiped",
    )),
    danger(b(
        C::Tenants,
        &[k('w')],
        A::Withdraw,
        "withdraw",
        "withdraw every unused link of the selected tenant",
    )),
    b(
        C::Tenants,
        &[k('/')],
        A::Filter,
        "filter",
        "filter the table (esc clears)",
    ),
    b(
        C::Tenants,
        &[k('s')],
        A::Sort,
        "sort",
        "sort by slug, status, last change, name",
    ),
    b(
        C::Tenants,
        &[k(':')],
        A::Palette,
        "command",
        "command palette (tab completes)",
    ),
    b(C::Tenants, &[k('?')], A::Help, "help", "this help"),
    b(
        C::Tenants,
        &[k('q'), Key(KeyCode::Char('c'), KeyModifiers::CONTROL)],
        A::Quit,
        "quit",
        "quit (asks first if that would cut others off)",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::Up), k('k')],
        A::Up,
        "",
        "move up",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::Down), k('j')],
        A::Down,
        "",
        "move down",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::PageUp)],
        A::PageUp,
        "",
        "page up",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::PageDown)],
        A::PageDown,
        "",
        "page down",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::Home), k('g')],
        A::Top,
        "",
        "first tenant",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::End), k('G')],
        A::Bottom,
        "",
        "last tenant",
    ),
    b(
        C::Tenants,
        &[code(KeyCode::Esc)],
        A::Back,
        "",
        "clear the filter",
    ),
    b(
        C::Link,
        &[k('c')],
        A::CopyLink,
        "copy link",
        "copy the link (OSC 52: works over SSH and in tmux with set-clipboard on)",
    ),
    b(
        C::Link,
        &[k('t')],
        A::CopyMessage,
        "copy message",
        "copy a ready-to-send message with the link",
    ),
    b(
        C::Link,
        &[k('e')],
        A::Export,
        "export PNG/SVG",
        "write the QR code as PNG and SVG files",
    ),
    b(
        C::Link,
        &[k('n')],
        A::NewLink,
        "new link",
        "issue a new link (the old ones stay valid until used)",
    ),
    danger(b(
        C::Link,
        &[k('w')],
        A::Withdraw,
        "withdraw",
        "withdraw every unused link of this tenant",
    )),
    b(C::Link, &[k('?')], A::Help, "help", "this help"),
    b(
        C::Link,
        &[code(KeyCode::Esc), k('q')],
        A::Back,
        "back",
        "back to the tenants",
    ),
    b(
        C::Form,
        &[code(KeyCode::Tab), code(KeyCode::Down)],
        A::NextField,
        "next",
        "next field",
    ),
    b(
        C::Form,
        &[
            Key(KeyCode::BackTab, KeyModifiers::SHIFT),
            code(KeyCode::Up),
        ],
        A::PrevField,
        "previous",
        "previous field",
    ),
    b(C::Form, &[code(KeyCode::Enter)], A::Submit, "save", "save"),
    b(
        C::Form,
        &[code(KeyCode::Esc)],
        A::Cancel,
        "cancel",
        "cancel",
    ),
    b(
        C::Help,
        &[code(KeyCode::Esc), k('q'), k('?')],
        A::Back,
        "close",
        "close the help",
    ),
    b(
        C::Help,
        &[code(KeyCode::Up), k('k')],
        A::Up,
        "",
        "scroll up",
    ),
    b(
        C::Help,
        &[code(KeyCode::Down), k('j')],
        A::Down,
        "",
        "scroll down",
    ),
    b(
        C::Confirm,
        &[k('y'), code(KeyCode::Enter)],
        A::Confirm,
        "yes",
        "go ahead",
    ),
    b(
        C::Confirm,
        &[k('n'), code(KeyCode::Esc)],
        A::Cancel,
        "no",
        "cancel",
    ),
    b(
        C::Setup,
        &[code(KeyCode::Enter)],
        A::Continue,
        "continue",
        "continue to the console as it is",
    ),
    b(
        C::Setup,
        &[k('c')],
        A::CopyRedirect,
        "copy redirect URI",
        "copy the redirect URI to register",
    ),
    b(
        C::Setup,
        &[k('q'), code(KeyCode::Esc)],
        A::Quit,
        "quit",
        "quit",
    ),
];

fn matches(key: &Key, ev: &KeyEvent) -> bool {
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    let want = key.1 - KeyModifiers::SHIFT;
    match (key.0, ev.code) {
        // A shifted letter arrives as the upper case letter, with or without SHIFT.
        (KeyCode::Char(a), KeyCode::Char(b)) => a == b && mods == want,
        (a, b) => a == b && mods == want,
    }
}

/// What `ev` does in `ctx`, if anything.
pub fn action(ctx: Context, ev: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.context == ctx)
        .find(|b| b.keys.iter().any(|k| matches(k, ev)))
        .map(|b| b.action)
}

pub fn label(key: &Key) -> String {
    let base = match key.0 {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "⏎".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "⇧tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::PageUp => "pgup".into(),
        KeyCode::PageDown => "pgdn".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        other => format!("{other:?}").to_lowercase(),
    };
    if key.1.contains(KeyModifiers::CONTROL) {
        format!("^{base}")
    } else {
        base
    }
}

/// The hints bar of a context: `(keys, hint, danger)`.
pub fn hints(ctx: Context) -> Vec<(String, &'static str, bool)> {
    hints_with(ctx, true)
}

/// The actions that work on the selected tenant.
pub fn needs_tenant(a: Action) -> bool {
    matches!(
        a,
        Action::Open
            | Action::NewLink
            | Action::Edit
            | Action::Retry
            | Action::Withdraw
            | Action::CheckToken
            | Action::Approve
            | Action::Reject
            | Action::Offboard
            | Action::CopyMcpUrl
            | Action::TimelineBack
            | Action::TimelineOn
    )
}

/// The hints, without those that need a selected tenant when there is none.
pub fn hints_with(ctx: Context, tenant: bool) -> Vec<(String, &'static str, bool)> {
    hints_where(ctx, |a| {
        tenant || ctx != Context::Tenants || !needs_tenant(a)
    })
}

/// The hints of the actions `keep` says can be used now.
pub fn hints_where(
    ctx: Context,
    keep: impl Fn(Action) -> bool,
) -> Vec<(String, &'static str, bool)> {
    BINDINGS
        .iter()
        .filter(|b| b.context == ctx && !b.hint.is_empty() && keep(b.action))
        .map(|b| (label(&b.keys[0]), b.hint, b.danger))
        .collect()
}

/// Every binding of a context for the help screen: `(all keys, what it does, danger)`.
pub fn help(ctx: Context) -> Vec<(String, &'static str, bool)> {
    BINDINGS
        .iter()
        .filter(|b| b.context == ctx)
        .map(|b| {
            (
                b.keys.iter().map(label).collect::<Vec<_>>().join(" "),
                b.help,
                b.danger,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_map_to_actions_in_their_context_only() {
        assert_eq!(
            action(C::Tenants, &ev(KeyCode::Char('a'), KeyModifiers::NONE)),
            Some(A::Add)
        );
        assert_eq!(
            action(C::Link, &ev(KeyCode::Char('a'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            action(C::Tenants, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(A::Bottom)
        );
        assert_eq!(
            action(C::Tenants, &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(A::Quit)
        );
        assert_eq!(
            action(C::Tenants, &ev(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(A::CopyMcpUrl),
            "c without Ctrl copies; Ctrl-C quits"
        );
        assert_eq!(
            action(C::Form, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(A::PrevField)
        );
    }

    #[test]
    fn no_key_does_two_things_in_one_context() {
        for ctx in [C::Tenants, C::Link, C::Form, C::Help, C::Confirm, C::Setup] {
            let mut seen: Vec<String> = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.context == ctx) {
                for key in b.keys {
                    let l = label(key);
                    assert!(!seen.contains(&l), "{l} twice in {ctx:?}");
                    seen.push(l);
                }
            }
        }
    }

    #[test]
    fn dangerous_actions_are_marked_in_the_hints() {
        let h = hints(C::Tenants);
        assert!(h.iter().any(|(k, w, d)| k == "w" && *w == "withdraw" && *d));
        assert!(h.iter().all(|(_, w, _)| !w.is_empty()));
    }
}

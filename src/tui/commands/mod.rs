//! The console's commands: one registry ([`registry::REGISTRY`]) says which key does what
//! in which scope and which name the palette knows it by, with the words of the hints bar
//! and the help. Keys, the palette, its completion, the hints bar and the help all read
//! it; what each command needs (a tenant, a waiting consent, a link issued here, ...) is
//! computed from the model ([`available`]), so the hints and the help show what can be
//! done now.

pub mod available;
pub mod complete;
pub mod keys;
pub mod registry;

use crossterm::event::KeyEvent;

pub use available::Availability;
pub use keys::Key;
pub use registry::{Entry, On, REGISTRY};

use super::model::{ConfirmAction, Mode};

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
    /// Done typing the filter: it stays.
    KeepFilter,
    ClearFilter,
    /// Only the tenants in one status (`:status`).
    StatusFilter,
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
    /// Run the online checks and show them in the set-up panel.
    CheckOnline,
    /// Open the set-up panel.
    Setup,
    CopyMcpUrl,
    /// The full view of a tenant: every fact, its provisioning and its whole timeline.
    Details,
    TimelineBack,
    TimelineOn,
    /// Complete what is typed in the palette.
    Complete,
    /// Run what is typed in the palette.
    Run,
    /// A new link: the tenant's earlier links stay valid.
    KeepLinks,
    /// A new link: the tenant's earlier links are withdrawn with it.
    WithdrawLinks,
    /// Mail a link to the tenant's address: a new one from the table, the one shown in
    /// the link view.
    Mail,
    /// Mail a new link to every tenant the table shows (asks first).
    MailAll,
}

/// What a command works on: it decides whether the command needs a selected tenant, and
/// what the palette takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Nothing,
    /// A tenant: the selected one for a key, `SLUG` (completed) in the palette.
    Tenant,
    /// `STATUS` in the palette (completed).
    Status,
    /// `slug|status|changed|name` in the palette.
    SortKey,
    /// Free text in the palette.
    Text,
}

impl Action {
    pub fn target(self) -> Target {
        use Action as A;
        match self {
            A::Open
            | A::NewLink
            | A::Edit
            | A::Retry
            | A::Withdraw
            | A::CheckToken
            | A::Approve
            | A::Reject
            | A::Offboard
            | A::CopyMcpUrl
            | A::Details
            | A::TimelineBack
            | A::TimelineOn
            | A::Mail => Target::Tenant,
            A::StatusFilter => Target::Status,
            A::Sort => Target::SortKey,
            A::Filter => Target::Text,
            _ => Target::Nothing,
        }
    }

    /// Whether it asks to confirm first (marked `!` in the bar).
    pub fn danger(self) -> bool {
        matches!(
            self,
            Action::Withdraw | Action::Reject | Action::Offboard | Action::MailAll
        )
    }
}

/// Where keys apply: what the console is doing decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Table,
    Filter,
    Palette,
    Link,
    /// The full view of the selected tenant.
    Details,
    Form,
    Help,
    Confirm,
    /// A new link while earlier ones are active: keep them or withdraw them.
    EarlierLinks,
    Setup,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Table => "Tenants",
            Scope::Filter => "Filter",
            Scope::Palette => "Command palette",
            Scope::Link => "Link view",
            Scope::Details => "Full view of a tenant",
            Scope::Form => "Add / edit form",
            Scope::Help => "Help",
            Scope::Confirm => "Confirm",
            Scope::EarlierLinks => "Earlier links",
            Scope::Setup => "Set up",
        }
    }
}

/// The scope of the keys in `mode`.
pub fn scope(mode: &Mode) -> Scope {
    match mode {
        Mode::Table => Scope::Table,
        Mode::Filter => Scope::Filter,
        Mode::Palette(_) => Scope::Palette,
        Mode::Form(_) => Scope::Form,
        Mode::Link(_) => Scope::Link,
        Mode::Details { .. } => Scope::Details,
        Mode::Help { .. } => Scope::Help,
        Mode::Confirm { confirm, .. } => question_scope(&confirm.action),
        Mode::Setup => Scope::Setup,
    }
}

/// The scope of the keys that answer a question.
pub fn question_scope(action: &ConfirmAction) -> Scope {
    match action {
        ConfirmAction::EarlierLinks { .. } => Scope::EarlierLinks,
        _ => Scope::Confirm,
    }
}

/// What `ev` does in `scope`, if anything.
pub fn action(scope: Scope, ev: &KeyEvent) -> Option<Action> {
    REGISTRY
        .iter()
        .find(|e| matches!(e.on, On::Keys(s, keys) if s == scope && keys.iter().any(|k| keys::matches(k, ev))))
        .map(|e| e.action)
}

/// The palette's command called `name` (or one of its other names).
pub fn typed(name: &str) -> Option<&'static Entry> {
    REGISTRY
        .iter()
        .find(|e| matches!(e.on, On::Typed(names, _) if names.contains(&name)))
}

/// The palette's commands, in order: `(name, arguments, entry)`.
pub fn typed_commands() -> impl Iterator<Item = (&'static str, &'static str, &'static Entry)> {
    REGISTRY.iter().filter_map(|e| match e.on {
        On::Typed(names, args) => names.first().map(|n| (*n, args, e)),
        On::Keys(..) => None,
    })
}

/// The entries with keys in `scope`, in order, with those keys.
pub fn bound(scope: Scope) -> impl Iterator<Item = (&'static [Key], &'static Entry)> {
    REGISTRY.iter().filter_map(move |e| match e.on {
        On::Keys(s, keys) if s == scope => Some((keys, e)),
        _ => None,
    })
}

/// The first key of `action` in `scope`, as the hints bar names it (`n`).
pub fn key_of(scope: Scope, action: Action) -> Option<String> {
    bound(scope)
        .find(|(keys, e)| e.action == action && !keys.is_empty())
        .map(|(keys, _)| keys::label(&keys[0]))
}

/// How the console issues a link, in what it says: the table's key for it.
pub fn new_link_key() -> String {
    key_of(Scope::Table, Action::NewLink).unwrap_or_else(|| ":link".into())
}

/// One key of the hints bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub key: String,
    pub word: &'static str,
    pub danger: bool,
    pub action: Action,
}

/// Every hint of `scope`, available now or not.
pub fn hints(scope: Scope) -> Vec<Hint> {
    bound(scope)
        .filter(|(keys, e)| !e.hint.is_empty() && !keys.is_empty())
        .map(|(keys, e)| Hint {
            key: keys::label(&keys[0]),
            word: e.hint,
            danger: e.action.danger(),
            action: e.action,
        })
        .collect()
}

/// One line of the help: every key of a command in a scope, and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    pub keys: String,
    pub what: &'static str,
    pub danger: bool,
    pub action: Action,
}

/// Every command of `scope` for the help.
pub fn help(scope: Scope) -> Vec<HelpLine> {
    bound(scope)
        .map(|(keys, e)| HelpLine {
            keys: keys.iter().map(keys::label).collect::<Vec<_>>().join(" "),
            what: e.help,
            danger: e.action.danger(),
            action: e.action,
        })
        .collect()
}

//! Colours and glyphs. Every status has a colour **and** a glyph, so that under `NO_COLOR`
//! (or on a monochrome terminal) the glyph and the word carry it alone. Only the 16 named
//! colours are used, which every terminal over SSH has.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::model::{FailureKind, TenantStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

/// How a status reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Waiting for the customer (created, link issued or opened).
    Customer,
    /// Provisioning under way.
    Progress,
    Deployed,
    Failed,
    Reconsent,
    /// A consent by another account waits for the operator.
    Approval,
    Leaving,
}

pub fn group(s: TenantStatus) -> Group {
    match s {
        TenantStatus::Created | TenantStatus::LinkIssued | TenantStatus::LinkOpened => {
            Group::Customer
        }
        TenantStatus::Consented | TenantStatus::ConnectionReady | TenantStatus::ServerCreated => {
            Group::Progress
        }
        TenantStatus::Deployed => Group::Deployed,
        TenantStatus::Failed => Group::Failed,
        TenantStatus::NeedsReconsent => Group::Reconsent,
        TenantStatus::AwaitingApproval => Group::Approval,
        TenantStatus::Offboarding | TenantStatus::Offboarded => Group::Leaving,
    }
}

impl Group {
    /// Its place in `ALL`.
    pub fn index(self) -> usize {
        match self {
            Group::Deployed => 0,
            Group::Progress => 1,
            Group::Customer => 2,
            Group::Failed => 3,
            Group::Reconsent => 4,
            Group::Approval => 5,
            Group::Leaving => 6,
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Group::Customer => "✉",
            Group::Progress => "◐",
            Group::Deployed => "●",
            Group::Failed => "✖",
            Group::Reconsent => "⚠",
            Group::Approval => "◆",
            Group::Leaving => "⊘",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::Customer => "waiting for customer",
            Group::Progress => "provisioning",
            Group::Deployed => "deployed",
            Group::Failed => "failed",
            Group::Reconsent => "re-consent",
            Group::Approval => "awaiting approval",
            Group::Leaving => "offboarded",
        }
    }

    pub fn color(self) -> Color {
        match self {
            Group::Customer => Color::Blue,
            Group::Progress => Color::Yellow,
            Group::Deployed => Color::Green,
            Group::Failed => Color::Red,
            Group::Reconsent => Color::Magenta,
            Group::Approval => Color::Cyan,
            Group::Leaving => Color::DarkGray,
        }
    }

    pub const ALL: [Group; 7] = [
        Group::Deployed,
        Group::Progress,
        Group::Customer,
        Group::Failed,
        Group::Reconsent,
        Group::Approval,
        Group::Leaving,
    ];
}

/// A status as the table shows it: `● deployed`.
pub fn status_text(s: TenantStatus) -> String {
    format!("{} {}", group(s).glyph(), s.as_str().replace('_', " "))
}

/// A tenant's status as the console shows it: `✖ declined` when the customer pressed Deny
/// (the stored status stays `failed`, with its reason), else as [`status_text`].
pub fn tenant_status(s: TenantStatus, failure: Option<FailureKind>) -> String {
    if s == TenantStatus::Failed {
        format!(
            "{} {}",
            group(s).glyph(),
            crate::domain::before_consent::failed_word(failure)
        )
    } else {
        status_text(s)
    }
}

impl Theme {
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn status(self, s: TenantStatus) -> Style {
        self.fg(group(s).color())
    }

    pub fn group(self, g: Group) -> Style {
        self.fg(g.color())
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn danger(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }

    /// The selected row: reversed, which reads without colour too.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A QR code: black modules on a white field whatever the theme (it must scan).
    pub fn qr(self) -> Style {
        Style::new().fg(Color::Black).bg(Color::White)
    }
}

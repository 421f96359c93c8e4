//! The ready-to-send message for a consent link: the template in `assets/message.txt`
//! (or `message.txt` in the config directory, when there is one) with the tenant's name,
//! the link, its expiry and what the customer will be asked filled in.

use std::path::Path;

use crate::domain::model::{ExpectedAccount, Integration};

const DEFAULT: &str = include_str!("../assets/message.txt");

/// What goes into the message.
pub struct MessageFacts<'a> {
    pub tenant: &'a str,
    pub link: &'a str,
    pub expires: &'a str,
    pub integration: Integration,
    pub expected: Option<&'a ExpectedAccount>,
}

/// The template: `config_dir/message.txt` if it exists and reads, else the built-in one.
pub fn template(config_dir: Option<&Path>) -> String {
    config_dir
        .map(|d| d.join("message.txt"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| DEFAULT.to_owned())
}

pub fn render(template: &str, f: &MessageFacts<'_>) -> String {
    let account = match f.expected {
        Some(ExpectedAccount::Email(m)) => format!(" Please sign in with {m}."),
        Some(ExpectedAccount::Domain(d)) => format!(" Please sign in with your {d} account."),
        None => String::new(),
    };
    crate::text::fill(
        template,
        &[
            ("tenant", f.tenant),
            ("link", f.link),
            ("expires", f.expires),
            ("access", f.integration.access_summary()),
            ("account", &account),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_tenant_the_link_and_the_expiry() {
        let m = render(
            &template(None),
            &MessageFacts {
                tenant: "Acme Ltd",
                link: "https://onboard.example.com/c/abc",
                expires: "2026-12-08T12:00:00Z",
                integration: Integration::Gmail,
                expected: Some(&ExpectedAccount::Email("ann@acme.com".into())),
            },
        );
        assert!(m.starts_with("Hello Acme Ltd,"), "{m}");
        assert!(m.contains("https://onboard.example.com/c/abc"));
        assert!(m.contains("expires 2026-12-08T12:00:00Z"));
        assert!(m.contains("Please sign in with ann@acme.com."));
        assert!(m.contains("send email as you"));
        assert!(!m.contains("{{"), "{m}");
    }
}

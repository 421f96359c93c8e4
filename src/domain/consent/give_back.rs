//! Whether an unwanted grant may be given back at Google. Google revokes an account's whole
//! grant to our client, every refresh token with it: a grant is kept when its account is
//! unknown, or when a tenant holds a consent by that account.

use crate::domain::integration::Integration;

/// What to do with a grant nobody keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveBack {
    Revoke,
    /// Kept at Google; why, for the operator.
    Keep(String),
}

/// `a, b hold` / `a holds`: the tenants holding a consent by one account.
pub fn holding(holders: &[String]) -> String {
    format!(
        "{} hold{}",
        holders.join(", "),
        if holders.len() == 1 { "s" } else { "" }
    )
}

/// Who else holds a consent by an account when one integration of a tenant (`leaving`:
/// its slug and integration) gives its own up: from each tenant holding consents by that
/// account and the integrations that hold them, every tenant still holding one (the
/// leaving tenant itself when another of its integrations does, named with those).
pub fn holders_besides(
    leaving: (&str, Integration),
    holding: &[(String, Vec<Integration>)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (slug, integrations) in holding {
        if slug != leaving.0 {
            if !integrations.is_empty() {
                out.push(slug.clone());
            }
            continue;
        }
        let rest: Vec<&str> = integrations
            .iter()
            .filter(|i| **i != leaving.1)
            .map(|i| i.name())
            .collect();
        if !rest.is_empty() {
            out.push(format!("{slug} ({})", rest.join(", ")));
        }
    }
    out
}

/// A grant by the account `sub` (`None`: unknown), which `holders` hold a consent by.
pub fn give_back(sub: Option<&str>, holders: &[String]) -> GiveBack {
    if sub.is_none() {
        return GiveBack::Keep(
            "the account is unknown, and giving it back could end another tenant's consent by the same account".into(),
        );
    }
    if holders.is_empty() {
        GiveBack::Revoke
    } else {
        GiveBack::Keep(format!(
            "{} a consent by this Google account, which giving it back would end",
            holding(holders)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_goes_back_only_when_its_account_is_known_and_held_by_nobody() {
        assert_eq!(give_back(Some("1"), &[]), GiveBack::Revoke);
        assert!(matches!(give_back(None, &[]), GiveBack::Keep(w) if w.contains("unknown")));
        let one = give_back(Some("1"), &["acme".into()]);
        assert_eq!(
            one,
            GiveBack::Keep(
                "acme holds a consent by this Google account, which giving it back would end"
                    .into()
            )
        );
        let two = give_back(Some("1"), &["acme".into(), "beta".into()]);
        assert!(matches!(two, GiveBack::Keep(w) if w.starts_with("acme, beta hold ")));
    }

    #[test]
    fn removing_one_integration_keeps_the_grant_while_any_other_holds_a_consent() {
        use Integration::{Gmail, GoogleDrive};
        let leaving = ("acme", GoogleDrive);
        // Drive alone held it: given back.
        let alone = holders_besides(leaving, &[("acme".into(), vec![GoogleDrive])]);
        assert!(alone.is_empty());
        assert_eq!(give_back(Some("1"), &alone), GiveBack::Revoke);
        // The tenant's own Gmail holds a consent by the same account: kept, and said.
        let own = holders_besides(leaving, &[("acme".into(), vec![Gmail, GoogleDrive])]);
        assert_eq!(own, ["acme (gmail)"]);
        assert_eq!(
            give_back(Some("1"), &own),
            GiveBack::Keep(
                "acme (gmail) holds a consent by this Google account, which giving it back would end"
                    .into()
            )
        );
        // Another tenant's integration holds one: kept.
        let other = holders_besides(
            leaving,
            &[
                ("acme".into(), vec![GoogleDrive]),
                ("beta".into(), vec![GoogleDrive]),
            ],
        );
        assert_eq!(other, ["beta"]);
        assert!(matches!(give_back(Some("1"), &other), GiveBack::Keep(_)));
    }
}

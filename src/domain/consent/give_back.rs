//! Whether an unwanted grant may be given back at Google. Google revokes an account's whole
//! grant to our client, every refresh token with it: a grant is kept when its account is
//! unknown, or when a tenant holds a consent by that account.

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
}

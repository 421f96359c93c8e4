//! What a consent and a withdrawal do to a tenant's links, as data: the links to write
//! back. A link serves one consent; once a consent went through one, the tenant's other
//! links that could still start a flow are superseded. A withdrawal marks links revoked.

use crate::domain::model::{ConsentLink, LinkState};
use crate::time::Millis;

/// A link to write back: its hash (its key) and its new record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChange {
    pub hash: Vec<u8>,
    pub link: ConsentLink,
}

/// A consent went through the link `used` (one of the tenant's `links`, with their hashes)
/// at `now`: it is used, and every other link that could still start a flow is
/// superseded. `Err` says why the link cannot take the consent (gone, used, withdrawn or
/// superseded meanwhile); a link that expired after its flow started still can.
pub fn consume_link(
    links: &[(Vec<u8>, ConsentLink)],
    used: &[u8],
    now: Millis,
) -> Result<Vec<LinkChange>, String> {
    let (_, link) = links
        .iter()
        .find(|(h, _)| h == used)
        .ok_or_else(|| "the consent link is gone".to_owned())?;
    match link.state(now) {
        LinkState::Active | LinkState::Expired => {}
        s => return Err(format!("the consent link is {s}")),
    }
    let mut changes = Vec::new();
    for (hash, l) in links {
        let mut l = l.clone();
        if hash == used {
            l.used_at = Some(now);
        } else if l.state(now) == LinkState::Active {
            l.superseded_at = Some(now);
        } else {
            continue;
        }
        changes.push(LinkChange {
            hash: hash.clone(),
            link: l,
        });
    }
    Ok(changes)
}

/// Which links a withdrawal takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// Every link not used and not withdrawn yet (`link --revoke`).
    Unused,
    /// The links that could still start a flow (`link --replace`, offboarding).
    Active,
}

/// Withdraw the tenant's links that `which` takes, at `now`.
pub fn withdraw(
    links: &[(Vec<u8>, ConsentLink)],
    which: Withdrawal,
    now: Millis,
) -> Vec<LinkChange> {
    withdraw_these(
        links,
        |l| match which {
            Withdrawal::Unused => l.used_at.is_none() && !l.revoked,
            Withdrawal::Active => l.state(now) == LinkState::Active,
        },
        now,
    )
}

/// Withdraw the tenant's links `taken` says, at `now`.
pub fn withdraw_these(
    links: &[(Vec<u8>, ConsentLink)],
    taken: impl Fn(&ConsentLink) -> bool,
    now: Millis,
) -> Vec<LinkChange> {
    links
        .iter()
        .filter(|(_, l)| taken(l))
        .map(|(hash, l)| {
            let mut link = l.clone();
            link.revoked = true;
            link.revoked_at = Some(now);
            LinkChange {
                hash: hash.clone(),
                link,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: &str, expires_at: Millis) -> ConsentLink {
        ConsentLink::new("acme", id, 0, expires_at)
    }

    fn links() -> Vec<(Vec<u8>, ConsentLink)> {
        let mut used = link("used", 1000);
        used.used_at = Some(5);
        let mut revoked = link("revoked", 1000);
        revoked.revoked = true;
        vec![
            (vec![1], link("a", 1000)),
            (vec![2], link("b", 1000)),
            (vec![3], link("expired", 50)),
            (vec![4], used),
            (vec![5], revoked),
        ]
    }

    fn ids(changes: &[LinkChange]) -> Vec<&str> {
        changes.iter().map(|c| c.link.id.as_str()).collect()
    }

    #[test]
    fn a_consent_uses_its_link_and_supersedes_the_other_live_ones() {
        let c = consume_link(&links(), &[1], 100).unwrap();
        assert_eq!(ids(&c), ["a", "b"]);
        assert_eq!(c[0].link.used_at, Some(100));
        assert_eq!(c[0].link.state(100), LinkState::Used);
        assert_eq!(c[1].link.superseded_at, Some(100));
        assert_eq!(c[1].link.state(100), LinkState::Superseded);
    }

    #[test]
    fn a_link_that_expired_after_its_flow_began_still_takes_the_consent() {
        let c = consume_link(&links(), &[3], 100).unwrap();
        assert_eq!(ids(&c), ["a", "b", "expired"]);
        assert_eq!(c[2].link.used_at, Some(100));
    }

    #[test]
    fn a_used_withdrawn_or_missing_link_takes_no_consent() {
        assert_eq!(
            consume_link(&links(), &[4], 100),
            Err("the consent link is used".into())
        );
        assert_eq!(
            consume_link(&links(), &[5], 100),
            Err("the consent link is revoked".into())
        );
        assert_eq!(
            consume_link(&links(), &[9], 100),
            Err("the consent link is gone".into())
        );
    }

    #[test]
    fn withdrawing_unused_links_takes_expired_ones_too_but_not_used_or_withdrawn() {
        let w = withdraw(&links(), Withdrawal::Unused, 100);
        assert_eq!(ids(&w), ["a", "b", "expired"]);
        assert!(
            w.iter()
                .all(|c| c.link.revoked && c.link.revoked_at == Some(100))
        );
        assert!(w.iter().all(|c| c.link.state(100) == LinkState::Revoked));
    }

    #[test]
    fn withdrawing_active_links_leaves_every_other() {
        let w = withdraw(&links(), Withdrawal::Active, 100);
        assert_eq!(ids(&w), ["a", "b"]);
        assert_eq!(w[0].hash, vec![1]);
    }
}

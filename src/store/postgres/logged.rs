//! A commit as the change log keeps it (a row's `body`, see `migrations/0003`): its
//! changes with their numbers and what they change in a node's read model, as JSON whose
//! records are those of `store::sled::layout`. Only what every node shares is kept: tenants
//! written or removed, links written, expired links swept; the pending flows and the
//! counts not written yet stay each node's own.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::pipe::Pipe;
use super::shared::Effect;
use super::tx::big;
use crate::domain::model::{ConsentLink, ProvisionerState, Tenant, TimelineEntry};
use crate::store::index_update::IndexUpdate;
use crate::store::sled::layout::{decode, encode};
use crate::store::{Change, Committed, StoreError};

// Borrowed when written, read once into the store's own types: never kept.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Logged<'a> {
    Tenant {
        seq: u64,
        tenant: Cow<'a, Tenant>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<Cow<'a, TimelineEntry>>,
    },
    TenantRemoved {
        seq: u64,
        slug: Cow<'a, str>,
    },
    Link {
        seq: u64,
        link: Cow<'a, ConsentLink>,
    },
    Provisioner {
        seq: u64,
        state: Cow<'a, ProvisionerState>,
    },
}

/// A read model's update; one that repeats a change's record names that change.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Update<'a> {
    /// The tenant of change `of` (by its place in the body).
    TenantOf {
        of: usize,
    },
    Tenant {
        tenant: Cow<'a, Tenant>,
    },
    RemoveTenant {
        slug: Cow<'a, str>,
    },
    /// The link of change `of`, under `hash`.
    LinkOf {
        hash: Cow<'a, [u8]>,
        of: usize,
    },
    Link {
        hash: Cow<'a, [u8]>,
        link: Cow<'a, ConsentLink>,
    },
    SweepLinks,
}

#[derive(Serialize, Deserialize, Default)]
struct Body<'a> {
    #[serde(default)]
    c: Vec<Logged<'a>>,
    #[serde(default)]
    i: Vec<Update<'a>>,
}

/// The channel each logged commit notifies, with its last number.
pub(super) const CHANNEL: &str = "mcp_onboard_changes";

/// Queue the batch's row of the change log (numbers `first` to `last`) and its
/// notification, as its last statements (sent with the batch's other writes).
pub(super) fn log(pipe: &Pipe<'_>, first: u64, last: u64, node: &str, body: &[u8]) {
    // A failure to queue is the pipe's: the batch sees it.
    let _ = pipe.close(
        "INSERT INTO change_log (seq, first, node, body) VALUES ($1, $2, $3, $4)",
        &[&big(last), &big(first), &node, &body],
    );
    let _ = pipe.close(
        "SELECT pg_notify('mcp_onboard_changes', $1)",
        &[&last.to_string()],
    );
}

/// Whether the update is one every node applies (see the module's doc).
pub(super) fn shared_update(e: &Effect) -> bool {
    matches!(
        e,
        Effect::Index(
            IndexUpdate::Tenant(_)
                | IndexUpdate::RemoveTenant(_)
                | IndexUpdate::Link(..)
                | IndexUpdate::SweepLinks
        )
    )
}

fn logged(c: &Committed) -> Option<Logged<'_>> {
    let seq = c.seq;
    Some(match &c.change {
        Change::Tenant { tenant, entry } => Logged::Tenant {
            seq,
            tenant: Cow::Borrowed(tenant),
            entry: entry.as_ref().map(Cow::Borrowed),
        },
        Change::TenantRemoved { slug } => Logged::TenantRemoved {
            seq,
            slug: Cow::Borrowed(slug),
        },
        Change::Link { link } => Logged::Link {
            seq,
            link: Cow::Borrowed(link),
        },
        Change::Provisioner(state) => Logged::Provisioner {
            seq,
            state: Cow::Borrowed(state),
        },
        // Never committed: said by a node to its own subscribers only.
        Change::Lagged { .. } => return None,
    })
}

/// The body of a commit's row: its changes and the shared part of its effects, in order.
pub(super) fn body(changes: &[Committed], effects: &[Effect]) -> Vec<u8> {
    let mut b = Body {
        c: changes.iter().filter_map(logged).collect(),
        i: Vec::new(),
    };
    // Updates and changes come in the same order: look from where the last was found.
    let mut from = 0;
    let mut find = |pred: &dyn Fn(&Change) -> bool| {
        let found = changes[from..].iter().position(|c| pred(&c.change))? + from;
        from = found + 1;
        Some(found)
    };
    for e in effects {
        let Effect::Index(u) = e else { continue };
        let u = match u {
            IndexUpdate::Tenant(t) => {
                match find(
                    &|c| matches!(c, Change::Tenant { tenant, .. } if Arc::ptr_eq(tenant, t)),
                ) {
                    Some(of) => Update::TenantOf { of },
                    None => Update::Tenant {
                        tenant: Cow::Borrowed(t),
                    },
                }
            }
            IndexUpdate::RemoveTenant(s) => Update::RemoveTenant {
                slug: Cow::Borrowed(s),
            },
            IndexUpdate::Link(h, l) => {
                match find(&|c| matches!(c, Change::Link { link } if link == l)) {
                    Some(of) => Update::LinkOf {
                        hash: Cow::Borrowed(h),
                        of,
                    },
                    None => Update::Link {
                        hash: Cow::Borrowed(h),
                        link: Cow::Borrowed(l),
                    },
                }
            }
            IndexUpdate::SweepLinks => Update::SweepLinks,
            IndexUpdate::FlowPut(..) | IndexUpdate::FlowGone(_) => continue,
        };
        b.i.push(u);
    }
    encode(&b)
}

/// A row's body read back: its changes (to publish) and its read model's updates.
pub(super) fn read(
    seq: u64,
    bytes: &[u8],
) -> Result<(Vec<Committed>, Vec<IndexUpdate>), StoreError> {
    let b: Body<'_> = decode(&format!("change log row {seq}"), bytes)?;
    let changes: Vec<Committed> =
        b.c.into_iter()
            .map(|l| match l {
                Logged::Tenant { seq, tenant, entry } => Committed {
                    seq,
                    change: Change::Tenant {
                        tenant: Arc::new(tenant.into_owned()),
                        entry: entry.map(Cow::into_owned),
                    },
                },
                Logged::TenantRemoved { seq, slug } => Committed {
                    seq,
                    change: Change::TenantRemoved {
                        slug: slug.into_owned(),
                    },
                },
                Logged::Link { seq, link } => Committed {
                    seq,
                    change: Change::Link {
                        link: link.into_owned(),
                    },
                },
                Logged::Provisioner { seq, state } => Committed {
                    seq,
                    change: Change::Provisioner(state.into_owned()),
                },
            })
            .collect();
    let wrong = |what: &str| StoreError::Codec {
        what: format!("change log row {seq}"),
        detail: format!("an update names a change that is not a {what}"),
    };
    let mut updates = Vec::with_capacity(b.i.len());
    for u in b.i {
        updates.push(match u {
            Update::TenantOf { of } => match changes.get(of).map(|c| &c.change) {
                Some(Change::Tenant { tenant, .. }) => IndexUpdate::Tenant(tenant.clone()),
                _ => return Err(wrong("tenant")),
            },
            Update::Tenant { tenant } => IndexUpdate::Tenant(Arc::new(tenant.into_owned())),
            Update::RemoveTenant { slug } => IndexUpdate::RemoveTenant(slug.into_owned()),
            Update::LinkOf { hash, of } => match changes.get(of).map(|c| &c.change) {
                Some(Change::Link { link }) => IndexUpdate::Link(hash.into_owned(), link.clone()),
                _ => return Err(wrong("link")),
            },
            Update::Link { hash, link } => IndexUpdate::Link(hash.into_owned(), link.into_owned()),
            Update::SweepLinks => IndexUpdate::SweepLinks,
        });
    }
    Ok((changes, updates))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::store::Index;

    fn tenant(slug: &str) -> Arc<Tenant> {
        let t = new_tenant(
            &NewTenant {
                slug: slug.into(),
                ..Default::default()
            },
            1,
        )
        .unwrap()
        .0;
        Arc::new(t)
    }

    #[test]
    fn a_commit_reads_back_as_its_changes_and_shared_updates_each_record_written_once() {
        let (a, b) = (tenant("a"), tenant("b"));
        let link = ConsentLink::new("a", "l", 0, i64::MAX);
        let hash = vec![7u8; 32];
        let changes = vec![
            Committed {
                seq: 5,
                change: Change::Tenant {
                    tenant: a.clone(),
                    entry: None,
                },
            },
            Committed {
                seq: 6,
                change: Change::Link { link: link.clone() },
            },
            Committed {
                seq: 8,
                change: Change::TenantRemoved { slug: "c".into() },
            },
        ];
        let effects = vec![
            Effect::Index(IndexUpdate::Tenant(a.clone())),
            Effect::Index(IndexUpdate::FlowPut(vec![1; 32], 10)),
            Effect::Index(IndexUpdate::Link(hash.clone(), link.clone())),
            Effect::Outbox(1),
            Effect::Index(IndexUpdate::RemoveTenant("c".into())),
            Effect::Index(IndexUpdate::SweepLinks),
            // Not one of the changes: written out.
            Effect::Index(IndexUpdate::Tenant(b.clone())),
        ];
        let bytes = body(&changes, &effects);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.matches("\"slug\":\"a\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"slug\":\"b\"").count(), 1, "{text}");
        let (read, updates) = read(8, &bytes).unwrap();
        let seqs: Vec<u64> = read.iter().map(|c| c.seq).collect();
        assert_eq!(seqs, vec![5, 6, 8]);
        assert!(
            matches!(&read[0].change, Change::Tenant { tenant, entry: None } if **tenant == *a)
        );
        assert!(matches!(&read[1].change, Change::Link { link: l } if *l == link));
        assert!(matches!(&read[2].change, Change::TenantRemoved { slug } if slug == "c"));
        let kinds: Vec<&str> = updates
            .iter()
            .map(|u| match u {
                IndexUpdate::Tenant(t) => t.slug.as_str(),
                IndexUpdate::Link(h, _) if *h == hash => "link",
                IndexUpdate::RemoveTenant(_) => "remove",
                IndexUpdate::SweepLinks => "sweep",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, vec!["a", "link", "remove", "sweep", "b"]);
        let mut index = Index::default();
        for u in &updates {
            u.apply(&mut index, 0);
        }
        assert_eq!(index.len(), 2);
        assert!(index.live_link(&hash, 0).is_some());
        assert_eq!(index.pending_flows(), 0, "flows stay each node's own");
    }

    #[test]
    fn a_body_that_names_a_change_it_does_not_hold_is_refused() {
        let wrong = br#"{"c":[],"i":[{"k":"tenant_of","of":0}]}"#;
        assert!(read(3, wrong).is_err());
        assert!(read(3, b"not json").is_err());
        let (changes, updates) = read(3, b"{}").unwrap();
        assert!(changes.is_empty() && updates.is_empty());
    }
}

//! A consent link moves each integration it asks for: a link for all moves every
//! integration of the tenant not yet consented to `link_issued` (then `link_opened`), one for
//! a named integration moves that one alone, with one timeline entry per link event, so the
//! tenant's status (their summary) follows a live link rather than reading `created`. The
//! demo's sample tenant reads so too: its Drive waits on the opened link.

mod common;

use std::time::Duration;

use common::blaxel_rig::poll_until;
use common::{Harness, harness, integration};
use mcp_onboard::engine::api::{LinkView, TenantView};
use mcp_onboard::engine::client::Local;
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, Reply};

const WITHIN: Duration = Duration::from_secs(20);

/// `slug` holding Gmail and Google Drive, neither consented.
async fn add_both(h: &Harness, slug: &str) {
    let input = NewTenant {
        slug: slug.into(),
        also: vec![Integration::GoogleDrive],
        ..Default::default()
    };
    h.run(Command::AddTenant(input)).await;
}

/// Each integration's status, its first first.
fn statuses(t: &TenantView) -> Vec<TenantStatus> {
    t.integrations.iter().map(|i| i.status).collect()
}

fn entries(t: &TenantView, kind: EventKind) -> usize {
    t.events.iter().filter(|e| e.kind == kind).count()
}

async fn link_for(h: &Harness, slug: &str, i: Option<Integration>) -> LinkView {
    let issue = Command::IssueLink {
        slug: slug.into(),
        ttl_secs: 3600,
        replace: false,
        integration: i,
    };
    let Reply::Link(link) = h.run(issue).await else {
        panic!("a link");
    };
    link
}

/// Wait until `slug`'s integrations read `want`; the tenant then.
async fn until_statuses(h: &Harness, slug: &str, want: &[TenantStatus]) -> TenantView {
    poll_until(WITHIN, async || {
        let t = h.show(slug).await;
        if statuses(&t) == want {
            Ok(())
        } else {
            Err(statuses(&t))
        }
    })
    .await;
    h.show(slug).await
}

#[tokio::test]
async fn a_link_for_all_moves_each_integration_and_the_tenant_with_one_entry_per_event() {
    let h = harness().await;
    add_both(&h, "acme").await;
    let link = link_for(&h, "acme", None).await;
    let t = h.show("acme").await;
    assert_eq!(
        statuses(&t),
        [TenantStatus::LinkIssued, TenantStatus::LinkIssued]
    );
    assert_eq!(t.status, TenantStatus::LinkIssued);
    assert_eq!(entries(&t, EventKind::LinkIssued), 1, "{:?}", t.events);

    // The customer opens it: both wait on the opened link.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 200);
    let use_link = [TenantStatus::LinkOpened, TenantStatus::LinkOpened];
    let t = until_statuses(&h, "acme", &use_link).await;
    assert_eq!(t.status, TenantStatus::LinkOpened);
    assert_eq!(entries(&t, EventKind::LinkOpened), 1, "{:?}", t.events);
    let (rows, _) = h.list().await;
    let row = rows.iter().find(|r| r.slug == "acme").expect("acme listed");
    assert_eq!(row.status, TenantStatus::LinkOpened);
}

#[tokio::test]
async fn a_link_for_an_added_integration_moves_it_and_the_tenant_follows() {
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let gmail = h.show("acme").await.integrations[0].status;
    assert_eq!(h.show("acme").await.status, TenantStatus::Created);

    let link = link_for(&h, "acme", Some(Integration::GoogleDrive)).await;
    let t = h.show("acme").await;
    assert_eq!(statuses(&t), [gmail, TenantStatus::LinkIssued]);
    assert_eq!(t.status, TenantStatus::LinkIssued);
    h.get(&link.url).await;
    let t = until_statuses(&h, "acme", &[gmail, TenantStatus::LinkOpened]).await;
    assert_eq!(t.status, TenantStatus::LinkOpened);
    let (rows, _) = h.list().await;
    let row = rows.iter().find(|r| r.slug == "acme").expect("acme listed");
    assert_eq!(row.status, TenantStatus::LinkOpened, "not `created`");

    // A link for Drive alone leaves a Gmail never consented as it is.
    add_both(&h, "beta").await;
    link_for(&h, "beta", Some(Integration::GoogleDrive)).await;
    let t = h.show("beta").await;
    assert_eq!(
        statuses(&t),
        [TenantStatus::Created, TenantStatus::LinkIssued]
    );
    assert_eq!(entries(&t, EventKind::LinkIssued), 1);
}

#[tokio::test]
async fn links_to_every_new_tenant_move_each_integration_they_ask_for() {
    let h = harness().await;
    add_both(&h, "acme").await;
    add_both(&h, "beta").await;
    let Reply::Links { links } = h
        .run(Command::LinkAllNew {
            ttl_secs: 3600,
            integration: None,
        })
        .await
    else {
        panic!("links");
    };
    assert_eq!(links.len(), 2);
    for slug in ["acme", "beta"] {
        let t = h.show(slug).await;
        assert_eq!(
            statuses(&t),
            [TenantStatus::LinkIssued, TenantStatus::LinkIssued],
            "{slug}"
        );
        assert_eq!(t.status, TenantStatus::LinkIssued);
        assert_eq!(entries(&t, EventKind::LinkIssued), 1);
    }
    // `--integration google-drive`: Drive's own link, for Drive alone.
    add_both(&h, "gamma").await;
    h.run(Command::LinkAllNew {
        ttl_secs: 3600,
        integration: Some(Integration::GoogleDrive),
    })
    .await;
    let t = h.show("gamma").await;
    assert_eq!(
        statuses(&t),
        [TenantStatus::Created, TenantStatus::LinkIssued]
    );
}

#[tokio::test]
async fn the_demos_sample_has_its_drive_waiting_on_the_opened_link() {
    let h = harness().await;
    let api = Local(h.engine.clone());
    mcp_onboard::owner::sample::offer(&api, |_| ())
        .await
        .unwrap();
    let slug = mcp_onboard::owner::sample::SAMPLE_SLUG;
    // Gmail consented through the link, Drive waits for its own consent on it.
    poll_until(WITHIN, async || {
        let t = h.show(slug).await;
        let gmail = t.integrations[0].consented_ms.is_some();
        match statuses(&t).get(1) {
            Some(TenantStatus::LinkOpened) if gmail => Ok(()),
            _ => Err(statuses(&t)),
        }
    })
    .await;
    let t = h.show(slug).await;
    assert_eq!(t.status, TenantStatus::LinkOpened, "not `created`");
    assert_eq!(entries(&t, EventKind::LinkIssued), 1);
    assert_eq!(entries(&t, EventKind::LinkOpened), 1);
}

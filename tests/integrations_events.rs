//! What the company's systems hear of a tenant's integrations: webhook events about an
//! added integration's changes name it (`"integration": "google-drive"`) and describe it
//! alone, a Gmail-only tenant's events keep the previous release's body, an integration
//! never consented tells nothing when it goes (alone or with its tenant), and the audit
//! chain's entries about an added integration name it. On sled and on PostgreSQL alike.

mod common;

use std::time::Duration;

use common::blaxel_rig::{poll_until, rig_on};
use common::pg::Backend;
use common::{DRIVE_TOKEN, harness_on, integration};
use mcp_onboard::domain::audit::Operator;
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{Integration, TenantStatus};
use mcp_onboard::engine::{Actor, Command, Reply};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use rstest::rstest;
use secrecy::SecretString;
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);

/// The webhook events waiting for `slug`, in order: their type and body.
async fn events_of(h: &common::Harness, slug: &str) -> Vec<(String, Value)> {
    let outbox = h
        .engine
        .store()
        .read(|s| s.outbox_after(None, 1000))
        .await
        .unwrap();
    outbox
        .into_iter()
        .filter(|(_, e)| e.data["slug"] == slug)
        .map(|(_, e)| (e.event_type, e.data))
        .collect()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_gmail_only_tenant_keeps_the_previous_releases_events_and_drives_are_its_own(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    r.h.engine.store().enable_outbox();
    r.onboarded("solo", "it@solo.example").await;
    let solo = r.h.show("solo").await;
    r.offboard(&["solo"]).await;
    r.offboarded("solo").await;
    // The previous release's fields, each as it was, and the integration beside them.
    let base = |status: &str| {
        json!({
            "slug": "solo",
            "name": "solo Ltd",
            "status": status,
            "google_email": "it@solo.example",
            "integration": "gmail",
        })
    };
    let mut deployed = base("deployed");
    deployed["mcp_url"] = json!(solo.mcp_url);
    deployed["connection"] = json!("gmail-solo");
    deployed["function"] = json!("gmail-mcp-solo");
    assert_eq!(
        events_of(&r.h, "solo").await,
        [
            ("tenant.consented".to_owned(), base("consented")),
            ("tenant.deployed".to_owned(), deployed),
            ("tenant.offboarded".to_owned(), base("offboarded")),
        ]
    );

    // acme's Drive, added after its Gmail: its own consent and deployment, told as its own.
    r.onboarded("acme", "ann@acme.com").await;
    let gmail_events = events_of(&r.h, "acme").await;
    integration(&r.h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    r.h.engine
        .commit_for_tests(|tx| {
            let cur = tx.tenant("acme")?.expect("acme");
            let consent = Transition::Consented {
                identity: cur.google.clone().expect("Gmail's account"),
                granted_scopes: Integration::GoogleDrive.scopes(),
            };
            let (next, e) = apply_to(&cur, Some(Integration::GoogleDrive), &consent, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            tx.put_secret("acme", DRIVE_TOKEN, &SecretString::from("1//drive"))?;
            Ok(())
        })
        .await
        .unwrap();
    r.h.engine.wake_provisioner();
    poll_until(WITHIN, async || {
        match r.h.show("acme").await.integrations.get(1).map(|i| i.status) {
            Some(TenantStatus::Deployed) => Ok(()),
            other => Err(other),
        }
    })
    .await;
    let drive = r.h.show("acme").await.integrations[1].clone();
    let events = events_of(&r.h, "acme").await;
    assert_eq!(events[..gmail_events.len()], gmail_events[..]);
    let added: Vec<_> = events[gmail_events.len()..].to_vec();
    let kinds: Vec<_> = added.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["tenant.consented", "tenant.deployed"], "{added:?}");
    for (_, data) in &added {
        assert_eq!(data["integration"], "google-drive", "{data}");
    }
    let deployed = &added[1].1;
    assert_eq!(deployed["status"], "deployed");
    assert_eq!(deployed["connection"], "google-drive-acme");
    assert_eq!(deployed["function"], "google-drive-mcp-acme");
    assert_eq!(deployed["mcp_url"], json!(drive.mcp_url));
    assert_ne!(deployed["mcp_url"], gmail_events[1].1["mcp_url"]);
}

/// Run `command` as an operator (whose commands go on the audit chain); it must succeed.
async fn as_operator(h: &common::Harness, command: Command) -> Reply {
    let ada = Actor::Operator(Operator {
        uid: Some(1000),
        ..Default::default()
    });
    h.engine.run(ada, command).await.unwrap()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_audit_chain_names_the_integration_of_each_entry_about_one(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let add = Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    as_operator(&h, add).await;
    let link = Command::IssueLink {
        slug: "acme".into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::GoogleDrive),
    };
    let Reply::Link(link) = h.run(link).await else {
        panic!("a link");
    };
    assert_eq!(h.onboard_through(&link, "ann@acme.com").await.status, 200);
    let remove = Command::RemoveIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    as_operator(&h, remove).await;
    let audit = Command::Audit {
        tenant: Some("acme".into()),
        since_ms: None,
    };
    let Reply::Audit { records } = h.run(audit).await else {
        panic!("the audit chain");
    };
    let find = |kind: &str, what: &str| {
        records
            .iter()
            .find(|r| r.kind == kind && r.what == what)
            .unwrap_or_else(|| panic!("no {kind} {what} in {records:#?}"))
    };
    for what in ["add_integration", "remove_integration"] {
        let r = find("command", what);
        assert!(r.detail.contains("\"google-drive\""), "{}", r.detail);
    }
    let consents: Vec<_> = records
        .iter()
        .filter(|r| r.kind == "event" && r.what == "consented")
        .map(|r| r.detail.as_str())
        .collect();
    assert_eq!(consents.len(), 2, "{consents:?}");
    assert!(!consents[0].contains("google-drive"), "{}", consents[0]);
    assert!(
        consents[1].starts_with("[google-drive] "),
        "{}",
        consents[1]
    );
    let leaving = find("event", "offboard_requested");
    assert!(
        leaving.detail.starts_with("[google-drive] "),
        "{}",
        leaving.detail
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn one_change_of_two_integrations_queues_an_event_for_each_in_order(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.engine.store().enable_outbox();
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let store = h.engine.store();
    let before = store.read(|s| s.outbox_after(None, 1000)).await.unwrap();
    // Both integrations' consents stop holding in one commit (as approving another
    // account does to the ones by the previous account).
    h.engine
        .commit_for_tests(|tx| {
            let mut t = tx.tenant("acme")?.expect("acme");
            t.status = TenantStatus::NeedsReconsent;
            t.added[0].status = TenantStatus::NeedsReconsent;
            tx.put_tenant(t, None)?;
            Ok(())
        })
        .await
        .unwrap();
    let all = store.read(|s| s.outbox_after(None, 1000)).await.unwrap();
    let new = &all[before.len()..];
    let told: Vec<_> = new
        .iter()
        .map(|(_, e)| (e.event_type.as_str(), e.data["integration"].clone()))
        .collect();
    assert_eq!(
        told,
        [
            ("tenant.needs_reconsent", json!("gmail")),
            ("tenant.needs_reconsent", json!("google-drive")),
        ]
    );
    assert_ne!(new[0].1.id, new[1].1.id);
    assert_eq!(store.outbox_len(), all.len());
    // Each is read after the one before it and delivered on its own.
    let (first, second) = (new[0].0.clone(), new[1].0.clone());
    let after_first = store
        .read(move |s| s.outbox_after(Some(&first), 1000))
        .await
        .unwrap();
    assert_eq!(after_first.len(), 1, "{after_first:?}");
    assert_eq!(after_first[0].0, new[1].0);
    h.engine
        .commit_for_tests(move |tx| Ok(tx.outbox_drop(&second)?))
        .await
        .unwrap();
    let left = store.read(|s| s.outbox_after(None, 1000)).await.unwrap();
    assert_eq!(left.len(), all.len() - 1);
    assert_eq!(left.last().map(|(k, _)| k), Some(&new[0].0));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_drive_never_consented_tells_nothing_when_it_goes_alone_or_with_its_tenant(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    r.h.engine.store().enable_outbox();
    for slug in ["acme", "beta"] {
        r.onboarded(slug, &format!("it@{slug}.example")).await;
        integration(&r.h, slug, Integration::GoogleDrive, true)
            .await
            .unwrap();
    }
    // beta's Drive removed alone, acme's with acme.
    integration(&r.h, "beta", Integration::GoogleDrive, false)
        .await
        .unwrap();
    r.offboard(&["acme"]).await;
    r.offboarded("acme").await;
    for slug in ["acme", "beta"] {
        let events = events_of(&r.h, slug).await;
        assert!(
            events
                .iter()
                .all(|(_, data)| data["integration"] == "gmail"),
            "{slug}: {events:?}"
        );
    }
    let kinds: Vec<_> = events_of(&r.h, "acme")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        ["tenant.consented", "tenant.deployed", "tenant.offboarded"]
    );
}

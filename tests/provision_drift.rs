//! Drift between what we hold and what Blaxel has: a server deleted behind our back, a
//! planted orphan, reported, fixed on request, an orphan deleted only when named.

mod common;
mod spec_support;

use std::time::Duration;

use common::blaxel_rig::*;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::engine::model::TenantStatus;
use mcp_onboard::engine::{Command, Reply};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use secrecy::SecretString;
use spec_support::assert_bodies_match_the_spec;

use mcp_onboard::blaxel::{FunctionRequest, RequestMetadata};

fn kinds(r: &Reply) -> Vec<(String, String)> {
    let Reply::Findings { findings } = r else {
        panic!("{r:?}")
    };
    findings
        .iter()
        .map(|f| (f.kind.clone(), format!("{}/{}", f.resource, f.name)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_finds_a_server_deleted_behind_our_back_and_an_orphan_and_fixes_only_on_request()
{
    let r = rig(BlaxelFaults::default()).await;
    for slug in ["acme", "beta"] {
        r.onboarded(slug, &format!("it@{slug}.example")).await;
    }
    assert!(kinds(&r.run(Command::Reconcile).await).is_empty());
    let http = reqwest::Client::builder().build().unwrap();
    let other = BlaxelClient::new(
        r.blaxel.base_url(),
        WS.into(),
        SecretString::from(KEY),
        http,
    );
    other.delete_function("gmail-mcp-acme").await.unwrap();
    let ghost = FunctionRequest::mcp(
        RequestMetadata::for_tenant("gmail-mcp-ghost".into(), "Ghost", "ghost"),
        "gmail-beta".into(),
    );
    other.create_function(&ghost).await.unwrap();

    let found = kinds(&r.run(Command::Reconcile).await);
    assert!(
        found.contains(&("missing_server".into(), "function/gmail-mcp-acme".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("orphan".into(), "function/gmail-mcp-ghost".into())),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
    // Nothing is changed by looking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        r.blaxel
            .functions()
            .iter()
            .all(|f| f.name != "gmail-mcp-acme")
    );

    r.run(Command::ReconcileFix {
        slugs: vec!["acme".into()],
    })
    .await;
    poll_until(SOON, async || {
        let t = r.h.show("acme").await;
        let back = r
            .blaxel
            .functions()
            .iter()
            .any(|f| f.name == "gmail-mcp-acme");
        match (t.status, back) {
            (TenantStatus::Deployed, true) => Ok(()),
            _ => Err(t.provisioning),
        }
    })
    .await;
    let found = kinds(&r.run(Command::Reconcile).await);
    assert_eq!(
        found,
        [("orphan".to_owned(), "function/gmail-mcp-ghost".to_owned())]
    );

    // Only an orphan is deleted, and only when named.
    let err = r
        .refused(Command::DeleteOrphan {
            what: "function/gmail-mcp-beta".into(),
        })
        .await;
    assert!(err.to_string().contains("not an orphan"), "{err}");
    assert!(
        r.blaxel
            .functions()
            .iter()
            .any(|f| f.name == "gmail-mcp-beta")
    );
    let after = r
        .run(Command::DeleteOrphan {
            what: "function/gmail-mcp-ghost".into(),
        })
        .await;
    assert!(kinds(&after).is_empty(), "{after:?}");
    assert!(
        r.blaxel
            .functions()
            .iter()
            .all(|f| f.name != "gmail-mcp-ghost")
    );
    assert_bodies_match_the_spec(&r.blaxel);
}

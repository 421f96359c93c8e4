//! Resources gone from Blaxel before their job is done (deleted behind our back, or the
//! demo's stand-in that forgets everything when it restarts): the job makes them again,
//! one of each, with the tenant's own token, instead of stopping on an answer that
//! `retry` alone could not get past.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::blaxel_rig::*;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::engine::Command;
use mcp_onboard::engine::model::{ProvisionStep, TenantStatus};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use secrecy::SecretString;

/// A client of the stand-in, to delete behind the provisioner's back.
fn behind_our_back(r: &Rig) -> BlaxelClient {
    let http = reqwest::Client::builder().build().unwrap();
    BlaxelClient::new(
        r.blaxel.base_url(),
        WS.into(),
        SecretString::from(KEY),
        http,
    )
}

/// One connection holding `token` and one server bound to it, deployed.
fn one_of_each(r: &Rig, token: &str) {
    let conns = r.blaxel.connections();
    let funcs = r.blaxel.functions();
    assert_eq!((conns.len(), funcs.len()), (1, 1), "{conns:?} {funcs:?}");
    assert_eq!(
        conns[0].secret.get("REFRESH_TOKEN").map(String::as_str),
        Some(token)
    );
    assert_eq!(
        funcs[0].integration_connections,
        vec![conns[0].name.clone()]
    );
}

#[tokio::test]
async fn a_server_gone_with_its_connection_while_it_deploys_is_made_again_and_deploys() {
    let r = rig(BlaxelFaults::default()).await;
    r.blaxel.set_deploy_delay(Duration::from_secs(600));
    r.consented("acme", "rt-acme").await;
    wait_until(&r.h, "acme", SOON, |t| {
        t.provisioning
            .as_ref()
            .is_some_and(|p| p.step == ProvisionStep::Deploy)
    })
    .await;
    let blaxel = behind_our_back(&r);
    blaxel.delete_function("gmail-mcp-acme").await.unwrap();
    blaxel.delete_connection("gmail-acme").await.unwrap();
    assert!(r.blaxel.functions().is_empty() && r.blaxel.connections().is_empty());
    r.blaxel.set_deploy_delay(Duration::from_millis(150));

    let t = r.reaches("acme", TenantStatus::Deployed).await;
    assert!(t.mcp_url.is_some(), "{t:#?}");
    one_of_each(&r, "rt-acme");
}

#[tokio::test]
async fn retry_makes_again_the_connection_a_stopped_server_step_is_bound_to() {
    let refused = BTreeMap::from([("gmail-mcp-acme".to_owned(), "not now".to_owned())]);
    let r = rig(BlaxelFaults {
        reject_names: refused,
        ..Default::default()
    })
    .await;
    r.consented("acme", "rt-acme").await;
    let t = r.reaches("acme", TenantStatus::Failed).await;
    assert!(
        t.reason.as_deref().is_some_and(|w| w.contains("not now")),
        "{t:#?}"
    );
    behind_our_back(&r)
        .delete_connection("gmail-acme")
        .await
        .unwrap();
    assert!(r.blaxel.connections().is_empty());

    r.blaxel.set_faults(BlaxelFaults::default());
    r.run(Command::Retry {
        slug: "acme".into(),
    })
    .await;
    r.reaches("acme", TenantStatus::Deployed).await;
    one_of_each(&r, "rt-acme");
}

//! A tenant's added integration provisioned and offboarded on its own against the Blaxel and
//! Google stand-ins: Drive gets its own connection (its own refresh token) and MCP server
//! beside Gmail's, and removing Drive deletes only Drive's while Gmail stays deployed.

mod common;

use std::time::Duration;

use common::OWNER;
use common::blaxel_rig::{poll_until, rig};
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, Reply};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use secrecy::{ExposeSecret, SecretString};

const DRIVE_TOKEN: &str = "google-drive/refresh_token";
const WITHIN: Duration = Duration::from_secs(30);

#[tokio::test]
async fn drive_is_deployed_beside_gmail_and_removed_alone() {
    let r = rig(BlaxelFaults::default()).await;
    r.h.add("acme", None, None).await;
    r.onboard_again("acme", "ann@acme.com").await;
    let gmail = r.token("acme");
    let add = Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    r.h.engine.run(OWNER, add).await.unwrap();
    // Drive's consent by the same account, stored as the callback stores one.
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
        let t = r.h.show("acme").await;
        match t.integrations.get(1).map(|i| i.status) {
            Some(TenantStatus::Deployed) => Ok(()),
            other => Err(other),
        }
    })
    .await;

    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Deployed);
    let (g, d) = (&t.integrations[0], &t.integrations[1]);
    assert_eq!(d.integration, Integration::GoogleDrive);
    assert!(d.mcp_url.is_some() && g.mcp_url.is_some());
    assert_ne!(d.mcp_url, g.mcp_url);
    let conns = r.blaxel.connections();
    assert_eq!((conns.len(), r.blaxel.functions().len()), (2, 2));
    let by = |name: &str| {
        conns
            .iter()
            .find(|c| c.integration.as_deref() == Some(name))
            .unwrap()
    };
    assert_eq!(by("gmail").secret["REFRESH_TOKEN"], gmail);
    assert_eq!(by("google-drive").secret["REFRESH_TOKEN"], "1//drive");
    assert_eq!(Some(&by("google-drive").name), d.connection.as_ref());
    let deployed = t.events.iter().filter(|e| e.kind == EventKind::Deployed);
    assert!(
        deployed
            .clone()
            .any(|e| e.integration == Some(Integration::GoogleDrive))
    );
    assert!(deployed.clone().any(|e| e.integration.is_none()));

    // Drive's resources are its own, not orphans.
    let Reply::Findings { findings } = r.h.engine.run(OWNER, Command::Reconcile).await.unwrap()
    else {
        panic!("findings");
    };
    assert!(findings.is_empty(), "{findings:?}");

    let remove = Command::RemoveIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    r.h.engine.run(OWNER, remove).await.unwrap();
    poll_until(WITHIN, async || {
        let n = r.h.show("acme").await.integrations.len();
        if n == 1 { Ok(()) } else { Err(n) }
    })
    .await;
    let conns = r.blaxel.connections();
    let funcs = r.blaxel.functions();
    assert_eq!((conns.len(), funcs.len()), (1, 1), "{conns:?} {funcs:?}");
    assert_eq!(conns[0].integration.as_deref(), Some("gmail"));
    assert_eq!(Some(&funcs[0].name), g.function.as_ref());
    assert!(r.h.secret("acme", DRIVE_TOKEN).is_none());
    assert_eq!(r.h.token("acme").unwrap().expose_secret(), gmail);
    // The grant stays at Google: Gmail holds a consent by the same account.
    assert_eq!(r.h.google.revoked_count(), 0);
    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Deployed);
    let gone = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::Offboarded)
        .unwrap();
    assert_eq!(gone.integration, Some(Integration::GoogleDrive));
    let kept = t
        .events
        .iter()
        .find(|e| e.detail.contains("kept at Google"))
        .unwrap();
    assert!(
        kept.detail.contains("acme (gmail) holds"),
        "{}",
        kept.detail
    );
}

#[tokio::test]
async fn reconcile_fixes_drives_missing_server_and_leaves_gmails_alone() {
    let r = rig(BlaxelFaults::default()).await;
    r.h.add("acme", None, None).await;
    r.onboard_again("acme", "ann@acme.com").await;
    let add = Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    r.h.engine.run(OWNER, add).await.unwrap();
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
    poll_until(WITHIN, async || match r.blaxel.functions().len() {
        2 => Ok(()),
        n => Err(n),
    })
    .await;
    poll_until(WITHIN, async || {
        match r.h.show("acme").await.integrations.get(1).map(|i| i.status) {
            Some(TenantStatus::Deployed) => Ok(()),
            other => Err(other),
        }
    })
    .await;
    // Drive's server deleted behind our back.
    let http = reqwest::Client::builder().build().unwrap();
    let other = mcp_onboard::blaxel::BlaxelClient::new(
        r.blaxel.base_url(),
        common::blaxel_rig::WS.into(),
        SecretString::from(common::blaxel_rig::KEY),
        http,
    );
    other
        .delete_function("google-drive-mcp-acme")
        .await
        .unwrap();
    let Reply::Findings { findings } = r.h.engine.run(OWNER, Command::Reconcile).await.unwrap()
    else {
        panic!("findings");
    };
    let names: Vec<_> = findings.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["google-drive-mcp-acme"], "{findings:?}");
    r.h.engine
        .run(OWNER, Command::ReconcileFix { slugs: vec![] })
        .await
        .unwrap();
    poll_until(WITHIN, async || {
        let back = r
            .blaxel
            .functions()
            .iter()
            .any(|f| f.name == "google-drive-mcp-acme");
        let t = r.h.show("acme").await;
        match t.integrations.get(1).map(|i| i.status) {
            Some(TenantStatus::Deployed) if back => Ok(()),
            other => Err(other),
        }
    })
    .await;
    let t = r.h.show("acme").await;
    assert_eq!(t.integrations[0].status, TenantStatus::Deployed);
    let reprovisioned: Vec<_> = t
        .events
        .iter()
        .filter(|e| {
            e.kind == EventKind::RetryRequested && e.detail.contains("provision again (reconcile)")
        })
        .map(|e| e.integration)
        .collect();
    assert_eq!(
        reprovisioned,
        [Some(Integration::GoogleDrive)],
        "Gmail's server was not touched"
    );
}

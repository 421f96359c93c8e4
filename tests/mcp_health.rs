//! The MCP checks wired in, against the Blaxel stand-in's MCP endpoint (rmcp's server):
//! a server is checked right after its deploy and then every `health.mcp_interval`; after
//! `health.mcp_failures` failures in a row the tenant shows it unreachable (its record,
//! `/metrics`, one timeline entry, one `tenant.mcp_unreachable` webhook) and a later
//! success brings it back (`tenant.mcp_recovered`); `health SLUG` checks at once. Drive,
//! added beside Gmail, has its own server checked and its own result. What is recorded
//! reads back from either store.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::blaxel_rig::{KEY, Rig, SOON, fast, rig_env_on, wait_until};
use common::pg::Backend;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::ops::mcp_checks::{McpRound, McpWhy};
use mcp_onboard::engine::{Command, Engine, Reply};
use mcp_onboard::owner::{led, mcp_rounds};
use mcp_onboard::sandbox::blaxel::{BlaxelFaults, McpFaults};
use secrecy::SecretString;

async fn rig(env: &[(&'static str, &str)]) -> Rig {
    rig_on(Backend::Sled, env)
        .await
        .expect("sled is always there")
}

/// A rig on `backend` (`None`: PostgreSQL is not installed, SKIPPED).
async fn rig_on(backend: Backend, env: &[(&'static str, &str)]) -> Option<Rig> {
    let faults = BlaxelFaults::default();
    rig_env_on(backend, faults, fast(), Duration::ZERO, env).await
}

/// The owner's MCP worker on `engine`, checking every `every` (`None`: after deploys only).
fn worker(engine: &Arc<Engine>, every: Option<Duration>) -> tokio::task::JoinHandle<()> {
    let e = engine.clone();
    led::spawn(
        engine.leadership(),
        "MCP checks",
        move || mcp_rounds::run(e.clone(), every),
        led::nothing,
    )
}

/// The webhook events waiting in the outbox, by type.
async fn webhooks(r: &Rig, kind: &str) -> Vec<serde_json::Value> {
    let outbox =
        r.h.engine
            .store()
            .read(|s| s.outbox_after(None, 1000))
            .await
            .unwrap();
    outbox
        .into_iter()
        .filter(|(_, e)| e.event_type == kind)
        .map(|(_, e)| e.data)
        .collect()
}

fn metric(r: &Rig, line_start: &str) -> Option<String> {
    let text = r.h.engine.metrics().render(&r.h.engine.gauges());
    text.lines()
        .find_map(|l| l.strip_prefix(line_start).map(|v| v.trim().to_owned()))
}

#[tokio::test]
async fn a_server_is_checked_right_after_its_deploy_and_its_tools_are_shown() {
    let r = rig(&[]).await;
    // No rounds: only the deploy wakes the worker.
    let w = worker(&r.h.engine, None);
    r.consented("acme", "1//refresh-acme").await;
    let t = wait_until(&r.h, "acme", SOON, |t| t.mcp.is_some()).await;
    w.abort();
    assert_eq!(t.status, TenantStatus::Deployed);
    let mcp = t.mcp.as_ref().unwrap();
    assert!(mcp.usable, "{mcp:?}");
    assert!(mcp.tools.iter().any(|x| x == "send_email"), "{mcp:?}");
    assert_eq!(Some(&mcp.url), t.mcp_url.as_ref());
    assert_eq!(t.integrations[0].mcp.as_ref(), Some(mcp));
    // The key and the workspace went with it.
    let log = r.blaxel.state().mcp_log();
    assert!(!log.is_empty());
    assert!(log.iter().all(|l| l.key_presented), "{log:?}");
    // A usable server is no news on the timeline.
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::McpUnreachable | EventKind::McpRecovered)),
        "{:?}",
        t.events
    );
}

#[rstest::rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn failures_in_a_row_make_it_unreachable_once_and_a_success_brings_it_back(
    #[case] backend: Backend,
) {
    let env = [
        ("MCP_ONBOARD_HEALTH_MCP_INTERVAL", "1s"),
        ("MCP_ONBOARD_HEALTH_MCP_FAILURES", "2"),
    ];
    let Some(r) = rig_on(backend, &env).await else {
        return;
    };
    r.h.engine.store().enable_outbox();
    let w = worker(&r.h.engine, r.h.engine.config().health.mcp_interval);
    r.consented("acme", "1//refresh-acme").await;
    wait_until(&r.h, "acme", SOON, |t| {
        t.mcp.as_ref().is_some_and(|m| m.usable)
    })
    .await;
    r.blaxel.state().set_mcp_faults(McpFaults {
        unreachable: true,
        ..Default::default()
    });
    // Rounds go on past the threshold: the change is said once (and, finding the same,
    // they write nothing more to the tenant).
    let failed_checks = || {
        metric(&r, "mcp_onboard_mcp_checks_total{result=\"failed\"}")
            .map_or(0, |n| n.parse::<u64>().unwrap())
    };
    let deadline = std::time::Instant::now() + SOON;
    while failed_checks() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "no third failed check"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = r.h.show("acme").await;
    assert_eq!(t.mcp.as_ref().map(|m| m.failures), Some(2), "{:?}", t.mcp);
    let mcp = t.mcp.as_ref().unwrap();
    assert!(mcp.unreachable && !mcp.usable, "{mcp:?}");
    let error = mcp.error.as_deref().unwrap_or_default();
    assert!(error.contains("404"), "{error}");
    assert!(!error.contains(KEY), "{error}");
    assert_eq!(
        t.status,
        TenantStatus::Deployed,
        "Blaxel still says DEPLOYED"
    );
    let down = |t: &mcp_onboard::engine::api::TenantView| {
        t.statuses
            .iter()
            .filter(|s| s.mcp_unreachable)
            .map(|s| s.integration)
            .collect::<Vec<_>>()
    };
    assert_eq!(down(&t), vec![Integration::Gmail], "its row says so");
    let count = |t: &mcp_onboard::engine::api::TenantView, k: EventKind| {
        t.events.iter().filter(|e| e.kind == k).count()
    };
    assert_eq!(count(&t, EventKind::McpUnreachable), 1, "{:?}", t.events);
    let sent = webhooks(&r, "tenant.mcp_unreachable").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["slug"], "acme");
    assert_eq!(sent[0]["integration"], "gmail");
    assert_eq!(sent[0]["mcp_url"].as_str(), t.mcp_url.as_deref());
    assert_eq!(
        metric(&r, "mcp_onboard_mcp_unreachable{integration=\"gmail\"}").as_deref(),
        Some("1")
    );
    assert!(
        metric(&r, "mcp_onboard_mcp_checks_total{result=\"failed\"}")
            .is_some_and(|n| n.parse::<u64>().unwrap() >= 3)
    );

    r.blaxel.state().set_mcp_faults(McpFaults::default());
    let t = wait_until(&r.h, "acme", SOON, |t| {
        t.mcp.as_ref().is_some_and(|m| m.usable)
    })
    .await;
    w.abort();
    let mcp = t.mcp.as_ref().unwrap();
    assert!(!mcp.unreachable && mcp.failures == 0, "{mcp:?}");
    assert!(down(&t).is_empty(), "{:?}", t.statuses);
    assert_eq!(count(&t, EventKind::McpRecovered), 1, "{:?}", t.events);
    assert_eq!(count(&t, EventKind::McpUnreachable), 1, "{:?}", t.events);
    let back = webhooks(&r, "tenant.mcp_recovered").await;
    assert_eq!(back.len(), 1, "{back:?}");
    assert!(
        back[0]["tools"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "send_email")),
        "{back:?}"
    );
    assert_eq!(
        metric(&r, "mcp_onboard_mcp_unreachable{integration=\"gmail\"}").as_deref(),
        Some("0")
    );
}

#[tokio::test]
async fn health_slug_checks_its_server_at_once_and_the_tenant_keeps_the_last_result() {
    let r = rig(&[]).await;
    r.onboarded("acme", "it@acme.example").await;
    let before = r.blaxel.state().mcp_log().len();
    let health = Command::CheckHealth {
        slug: Some("acme".into()),
        mcp: false,
    };
    let Reply::Health { mcp, checks, .. } = r.run(health.clone()).await else {
        panic!("not a health reply")
    };
    assert_eq!(checks.len(), 1, "the token is checked too");
    assert_eq!(mcp.len(), 1, "{mcp:?}");
    assert_eq!((mcp[0].slug.as_str(), mcp[0].check.usable), ("acme", true));
    assert!(mcp[0].check.tools.iter().any(|x| x == "send_email"));
    assert!(
        r.blaxel.state().mcp_log().len() > before,
        "it called the server"
    );
    let shown = r.h.show("acme").await;
    assert_eq!(shown.mcp.as_ref(), Some(&mcp[0].check));

    r.blaxel.state().set_mcp_faults(McpFaults {
        wrong_key: true,
        ..Default::default()
    });
    let Reply::Health { mcp, .. } = r.run(health).await else {
        panic!("not a health reply")
    };
    let failed = &mcp[0].check;
    assert!(!failed.usable && !failed.unreachable, "{failed:?}");
    assert_eq!(failed.failures, 1);
    let error = failed.error.as_deref().unwrap_or_default();
    assert!(error.contains("401"), "{error}");
    assert!(!error.contains(KEY), "{error}");
    let shown = r.h.show("acme").await;
    assert_eq!(
        shown.mcp.as_ref(),
        Some(failed),
        "the last result, its error"
    );
    let json = serde_json::to_value(&shown).unwrap();
    assert_eq!(json["mcp"]["usable"], false, "{json}");
    assert_eq!(json["integrations"][0]["mcp"]["failures"], 1, "{json}");
}

#[tokio::test]
async fn health_of_every_tenant_checks_the_servers_only_when_asked() {
    let r = rig(&[]).await;
    r.onboarded("acme", "it@acme.example").await;
    for (mcp, servers) in [(false, 0), (true, 1)] {
        let health = Command::CheckHealth { slug: None, mcp };
        let Reply::Health {
            mcp: done, checks, ..
        } = r.run(health).await
        else {
            panic!("not a health reply")
        };
        assert_eq!(checks.len(), 1, "the token is checked either way");
        assert_eq!(done.len(), servers, "--mcp {mcp}: {done:?}");
    }
}

#[tokio::test]
async fn health_slug_checks_the_server_even_without_a_google_client() {
    let r = rig(&[("GOOGLE_CLIENT_ID", "")]).await;
    r.consented("acme", "1//refresh-acme").await;
    wait_until(&r.h, "acme", SOON, |t| t.status == TenantStatus::Deployed).await;
    let health = Command::CheckHealth {
        slug: Some("acme".into()),
        mcp: false,
    };
    let Reply::Health { mcp, checks, .. } = r.run(health).await else {
        panic!("not a health reply")
    };
    assert!(
        checks.is_empty(),
        "no token check without Google: {checks:?}"
    );
    assert_eq!(mcp.len(), 1, "{mcp:?}");
    assert!(mcp[0].check.usable, "{mcp:?}");
}

#[tokio::test]
async fn two_rounds_finding_the_same_tools_write_the_tenant_once() {
    let r = rig(&[]).await;
    r.onboarded("acme", "it@acme.example").await;
    let round = || {
        let targets = r.h.engine.mcp_targets(Some("acme"));
        assert_eq!(targets.len(), 1, "{targets:?}");
        r.h.engine.run(
            Actor::System(Worker::McpChecks),
            McpRound {
                targets,
                why: McpWhy::Round,
            },
        )
    };
    let first = round().await;
    assert!(first[0].check.usable, "{first:?}");
    let stored = r.h.show("acme").await.mcp.unwrap();
    assert_eq!(stored.checked_ms, first[0].check.checked_ms);
    // Time moves on between the two checks, so a write would show.
    let deadline = std::time::Instant::now() + SOON;
    while mcp_onboard::time::now_ms() <= first[0].check.checked_ms {
        assert!(std::time::Instant::now() < deadline);
        tokio::task::yield_now().await;
    }
    let second = round().await;
    assert!(
        second[0].check.checked_ms > first[0].check.checked_ms,
        "{second:?}"
    );
    assert_eq!(second[0].check.tools, first[0].check.tools);
    let stored = r.h.show("acme").await.mcp.unwrap();
    assert_eq!(
        stored.checked_ms, first[0].check.checked_ms,
        "the second round wrote nothing"
    );
}

#[tokio::test]
async fn a_server_left_behind_is_neither_counted_nor_shown_unreachable() {
    let r = rig(&[("MCP_ONBOARD_HEALTH_MCP_FAILURES", "1")]).await;
    r.onboarded("acme", "it@acme.example").await;
    r.blaxel.state().set_mcp_faults(McpFaults {
        unreachable: true,
        ..Default::default()
    });
    let health = Command::CheckHealth {
        slug: Some("acme".into()),
        mcp: false,
    };
    let Reply::Health { mcp, .. } = r.run(health).await else {
        panic!("not a health reply")
    };
    assert!(mcp[0].check.unreachable, "{mcp:?}");
    let gauge = || metric(&r, "mcp_onboard_mcp_unreachable{integration=\"gmail\"}");
    assert_eq!(gauge().as_deref(), Some("1"));

    let off = Command::Offboard {
        slugs: vec!["acme".into()],
    };
    let Reply::Offboarding { started, .. } = r.run(off).await else {
        panic!("not an offboarding")
    };
    assert_eq!(started, ["acme"]);
    let t = r.h.show("acme").await;
    assert_ne!(t.status, TenantStatus::Deployed);
    assert_eq!(gauge().as_deref(), Some("0"), "no longer counted");
    assert!(t.statuses.iter().all(|s| !s.mcp_unreachable), "{t:?}");
    assert!(t.mcp.is_none(), "{:?}", t.mcp);
    assert!(t.integrations.iter().all(|i| i.mcp.is_none()), "{t:?}");
    let json = serde_json::to_value(&t).unwrap();
    assert!(json.get("mcp").is_none(), "{json}");
    assert!(
        !json["statuses"].to_string().contains("mcp_unreachable"),
        "{json}"
    );
}

#[tokio::test]
async fn drive_beside_gmail_has_its_own_server_checked_after_its_deploy() {
    let r = rig(&[]).await;
    let w = worker(&r.h.engine, None);
    r.consented("acme", "1//refresh-acme").await;
    wait_until(&r.h, "acme", SOON, |t| t.mcp.is_some()).await;
    let add = Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    r.run(add).await;
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
            let token = SecretString::from("1//drive");
            tx.put_secret("acme", "google-drive/refresh_token", &token)?;
            Ok(())
        })
        .await
        .unwrap();
    r.h.engine.wake_provisioner();
    let t = wait_until(&r.h, "acme", SOON, |t| {
        t.integrations.get(1).is_some_and(|d| d.mcp.is_some())
    })
    .await;
    w.abort();
    let (gmail, drive) = (&t.integrations[0], &t.integrations[1]);
    assert_eq!(drive.integration, Integration::GoogleDrive);
    let checked = drive.mcp.as_ref().unwrap();
    assert!(checked.usable, "{checked:?}");
    assert!(
        checked.tools.iter().any(|x| x == "list_files"),
        "{checked:?}"
    );
    assert!(
        !checked.tools.iter().any(|x| x == "send_email"),
        "{checked:?}"
    );
    assert_eq!(Some(&checked.url), drive.mcp_url.as_ref());
    assert_ne!(drive.mcp_url, gmail.mcp_url);
    // Gmail's stays its own.
    let g = gmail.mcp.as_ref().unwrap();
    assert_eq!(g.tools, vec!["send_email".to_owned()]);
    assert_eq!(t.mcp.as_ref(), Some(g));
}

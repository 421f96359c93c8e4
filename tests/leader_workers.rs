//! The background work runs on the leader only, on a real PostgreSQL shared by two
//! engines (as two nodes): the follower's provisioner says it stands by and calls nothing;
//! once the leader's store stops, the other takes the lease and finishes every job, each
//! tenant with exactly one connection and one server at the Blaxel stand-in. Calls out
//! are fenced: a follower's leader-only work (provisioning, reconcile and token check
//! rounds, MCP checks) sends nothing to Blaxel, Google or an MCP server and marks no
//! tenant failed; an operator's call from it goes out, named by its node.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::pg::PgServer;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::config::Config;
use mcp_onboard::engine::lifecycle::{NewTenant, Transition, apply};
use mcp_onboard::engine::model::{GoogleIdentity, Integration, TenantStatus};
use mcp_onboard::engine::ops::health_round::CheckRound;
use mcp_onboard::engine::ops::mcp_checks::{McpRound, McpTarget, McpWhy};
use mcp_onboard::engine::ops::reconcile::FindDrift;
use mcp_onboard::engine::{Actor, Command, Engine, Parts, Placement, Worker};
use mcp_onboard::owner::provisioning::{self, Provisioning};
use mcp_onboard::provision::{OAuthClient, ProvisionSettings, Provisioner};
use mcp_onboard::sandbox::blaxel::{BlaxelSandboxConfig, BlaxelSandboxHandle, spawn};
use mcp_onboard::sandbox::google::GoogleSandbox;
use mcp_onboard::store::{Fence, KeySource};
use secrecy::SecretString;

const WS: &str = "acme-ws";
const KEY: &str = "bl_test_key";
const OWNER: Actor = Actor::System(Worker::Owner);
const TENANTS: usize = 6;

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
    ))
}

/// An engine on `pg` in a data dir of its own, provisioning with `blaxel` (a lease of 2s),
/// its Google client pointed at the stand-in whose environment is `google`.
async fn node(
    pg: &PgServer,
    dir: &std::path::Path,
    blaxel: &BlaxelClient,
    google: &[(&'static str, String)],
) -> Arc<Engine> {
    let mut env: HashMap<&str, String> = pg.env().into_iter().collect();
    env.extend(google.iter().cloned());
    env.insert("MCP_ONBOARD_LEADER_TIMEOUT", "2s".into());
    let config = Config::load(None, false, &|k| env.get(k).cloned()).unwrap();
    let parts = Parts {
        placement: Placement::Serving,
        blaxel: Some(blaxel.clone()),
        setup: Vec::new(),
        demo: false,
    };
    Engine::open_with(dir, &key(), Arc::new(config), parts)
        .await
        .unwrap()
}

fn client(blaxel: &BlaxelSandboxHandle) -> BlaxelClient {
    let http = reqwest::Client::builder().build().unwrap();
    BlaxelClient::new(blaxel.base_url(), WS.into(), SecretString::from(KEY), http)
        .with_timeout(Duration::from_millis(500))
}

fn oauth() -> OAuthClient {
    OAuthClient {
        client_id: "client".into(),
        client_secret: SecretString::from("secret"),
    }
}

fn settings() -> ProvisionSettings {
    ProvisionSettings {
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        first_poll: Duration::from_millis(50),
        max_poll: Duration::from_millis(200),
        scan_interval: Duration::from_millis(200),
        ..Default::default()
    }
}

fn provisioning(blaxel: &BlaxelClient) -> Provisioning {
    Provisioning::new(blaxel.clone(), oauth().into(), settings())
}

/// What this build names itself as in `User-Agent` on `engine`'s node.
fn agent_of(engine: &Engine) -> String {
    format!(
        "mcp-onboard/{} ({})",
        env!("CARGO_PKG_VERSION"),
        engine.leadership().node()
    )
}

/// The Google stand-in and the environment that points a node at it.
async fn google() -> (GoogleSandbox, Vec<(&'static str, String)>) {
    common::google_standin("http://127.0.0.1:9", "customer@example.com").await
}

/// `slug` added and consented, as the callback would store it.
async fn consented(engine: &Engine, slug: &str) {
    let input = NewTenant {
        slug: slug.into(),
        ..Default::default()
    };
    engine.run(OWNER, Command::AddTenant(input)).await.unwrap();
    let t = Transition::Consented {
        identity: GoogleIdentity {
            sub: slug.into(),
            email: Some(format!("it@{slug}.example")),
            email_verified: true,
            hd: None,
        },
        granted_scopes: vec![],
    };
    let slug = slug.to_owned();
    engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant(&slug)?.unwrap();
            let (next, e) = apply(&cur, &t, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            tx.put_secret(&slug, "refresh_token", &SecretString::from("1//rt"))?;
            Ok(())
        })
        .await
        .unwrap();
}

/// `TENANTS` tenants consented in the database before any node opens (each node reads
/// the jobs when it opens).
async fn seeded(
    pg: &PgServer,
    dir: &std::path::Path,
    blaxel: &BlaxelClient,
    google: &[(&'static str, String)],
) -> Vec<String> {
    let slugs: Vec<String> = (0..TENANTS).map(|i| format!("t{i}")).collect();
    let seed = node(pg, &dir.join("seed"), blaxel, google).await;
    for s in &slugs {
        consented(&seed, s).await;
    }
    seed.shutdown(Duration::from_secs(10)).await.unwrap();
    slugs
}

/// The tenant's status and reason, as the database holds them.
async fn status_of(engine: &Engine, slug: &str) -> Option<(TenantStatus, Option<String>)> {
    let s = slug.to_owned();
    engine
        .store()
        .read(move |r| r.tenant(&s))
        .await
        .unwrap()
        .map(|t| (t.status, t.reason))
}

/// The provisioning steps `engine` counted as not sent, for not leading.
fn not_sent(engine: &Engine) -> u64 {
    let text = engine.metrics().render(&engine.gauges());
    text.lines()
        .find_map(|l| l.strip_prefix("mcp_onboard_blaxel_calls_total{result=\"not_leader\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

async fn eventually(what: &str, within: Duration, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn only_the_leader_provisions_and_the_other_finishes_once_it_stops() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let blaxel = spawn(BlaxelSandboxConfig {
        workspace: WS.into(),
        api_key: SecretString::from(KEY),
        deploy_delay: Duration::from_secs(3),
        ..Default::default()
    })
    .await
    .unwrap();
    let (_google, genv) = google().await;
    let slugs = seeded(&pg, dir.path(), &client(&blaxel), &genv).await;

    let a = node(&pg, &dir.path().join("a"), &client(&blaxel), &genv).await;
    eventually("A leads", Duration::from_secs(6), || {
        a.leadership().is_leader()
    })
    .await;
    let b = node(&pg, &dir.path().join("b"), &client(&blaxel), &genv).await;
    let wa = provisioning::start(&a, Ok(provisioning(&client(&blaxel))))
        .await
        .unwrap();
    let wb = provisioning::start(&b, Ok(provisioning(&client(&blaxel))))
        .await
        .unwrap();

    // A creates every connection and server; B stands by, says so, and calls nothing.
    eventually("every server created by A", Duration::from_secs(20), || {
        blaxel.functions().len() == TENANTS
    })
    .await;
    assert!(!b.leadership().is_leader());
    let standing = b.provisioner_state();
    assert!(standing.following, "{standing:?}");
    assert_eq!(standing.last_call_at, None, "B called Blaxel: {standing:?}");
    assert!(
        standing.describe().contains("another node leads"),
        "{}",
        standing.describe()
    );
    assert!(!a.provisioner_state().following);
    let agents: Vec<_> = blaxel
        .request_log()
        .into_iter()
        .map(|r| r.user_agent)
        .collect();
    assert!(
        agents
            .iter()
            .all(|ua| ua.as_deref() == Some(agent_of(&a).as_str())),
        "a request not from A: {agents:?}"
    );

    // A stops before the servers are deployed: B takes over and finishes. What A sent
    // until it stopped (its deployments polled meanwhile) is A's.
    wa.abort();
    a.shutdown(Duration::from_secs(10)).await.unwrap();
    let by_a = blaxel.request_log().len();
    assert!(by_a >= agents.len());
    eventually("B leads", Duration::from_secs(6), || {
        b.leadership().is_leader()
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    for s in &slugs {
        loop {
            let status = status_of(&b, s).await.map(|s| s.0);
            if status == Some(TenantStatus::Deployed) {
                break;
            }
            assert!(Instant::now() < deadline, "{s} is {status:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(b.provisioner_state().last_call_at.is_some());
    assert!(!b.provisioner_state().following);
    let after: Vec<_> = blaxel.request_log()[by_a..]
        .iter()
        .map(|r| r.user_agent.clone())
        .collect();
    assert!(
        after
            .iter()
            .all(|ua| ua.as_deref() == Some(agent_of(&b).as_str())),
        "a request not from B once it led: {after:?}"
    );
    assert!(!after.is_empty(), "B sent nothing");
    assert_eq!(blaxel.connections().len(), TENANTS);
    assert_eq!(blaxel.functions().len(), TENANTS);
    wb.abort();
    b.shutdown(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn a_followers_leader_only_calls_are_not_sent_and_mark_no_tenant_but_an_operators_go_out() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let blaxel = spawn(BlaxelSandboxConfig {
        workspace: WS.into(),
        api_key: SecretString::from(KEY),
        ..Default::default()
    })
    .await
    .unwrap();
    let (google, genv) = google().await;
    let slugs = seeded(&pg, dir.path(), &client(&blaxel), &genv).await;
    let a = node(&pg, &dir.path().join("a"), &client(&blaxel), &genv).await;
    eventually("A leads", Duration::from_secs(6), || {
        a.leadership().is_leader()
    })
    .await;
    let b = node(&pg, &dir.path().join("b"), &client(&blaxel), &genv).await;
    assert!(!b.leadership().is_leader());

    // A provisioner on B that the owner does not hold back: the fence alone keeps it in.
    let fenced = client(&blaxel).with_fence(Fence::led(b.leadership()));
    let worker = Provisioner::new(b.clone(), fenced, oauth(), settings()).spawn();
    eventually("every job tried on B", Duration::from_secs(20), || {
        not_sent(&b) >= TENANTS as u64
    })
    .await;
    worker.abort();
    assert!(
        blaxel.request_log().is_empty(),
        "{:?}",
        blaxel.request_log()
    );
    for s in &slugs {
        let (status, reason) = status_of(&b, s).await.unwrap();
        assert_eq!(status, TenantStatus::Consented, "{s}: {reason:?}");
        assert_eq!(reason, None, "{s}");
    }

    // A reconcile round on B asks Blaxel nothing; an operator's reconcile on B does.
    let round = b.run(Actor::System(Worker::Reconcile), FindDrift).await;
    let refused = round.expect_err("a reconcile round on a follower");
    assert!(refused.to_string().contains("does not lead"), "{refused}");
    assert!(
        blaxel.request_log().is_empty(),
        "{:?}",
        blaxel.request_log()
    );
    b.run(OWNER, FindDrift).await.unwrap();
    let asked: Vec<_> = blaxel
        .request_log()
        .into_iter()
        .map(|r| r.user_agent)
        .collect();
    assert!(!asked.is_empty());
    assert!(
        asked
            .iter()
            .all(|ua| ua.as_deref() == Some(agent_of(&b).as_str())),
        "{asked:?}"
    );

    // A round of token checks on B asks Google nothing and records nothing.
    let round = CheckRound {
        slugs: slugs.clone(),
    };
    let (checked, skipped) = b.run(Actor::System(Worker::TokenChecks), round).await;
    assert!(checked.is_empty(), "{checked:?}");
    assert_eq!(skipped.len(), TENANTS);
    assert!(
        skipped.iter().all(|s| s.reason.contains("does not lead")),
        "{skipped:?}"
    );
    assert!(
        google.user_agents().is_empty(),
        "{:?}",
        google.user_agents()
    );

    // A round of MCP checks on B calls no MCP server; an operator's on B does.
    let server = || McpTarget {
        slug: slugs[0].clone(),
        integration: Integration::Gmail,
        url: format!(
            "http://{}/run/{WS}/functions/gmail-mcp-x/mcp",
            blaxel.addr()
        ),
    };
    let round = McpRound {
        targets: vec![server()],
        why: McpWhy::Round,
    };
    let checked = b.run(Actor::System(Worker::McpChecks), round).await;
    assert!(checked.is_empty(), "{checked:?}");
    assert!(
        blaxel.state().mcp_log().is_empty(),
        "{:?}",
        blaxel.state().mcp_log()
    );
    let round = McpRound {
        targets: vec![server()],
        why: McpWhy::Round,
    };
    b.run(OWNER, round).await;
    assert!(
        !blaxel.state().mcp_log().is_empty(),
        "the operator's check went out"
    );

    // An operator's check on B goes out, named by B's node.
    let one = CheckRound {
        slugs: vec![slugs[0].clone()],
    };
    let (checked, _) = b.run(OWNER, one).await;
    assert_eq!(checked.len(), 1);
    assert_eq!(google.user_agents(), vec![agent_of(&b)]);
    a.shutdown(Duration::from_secs(10)).await.unwrap();
    b.shutdown(Duration::from_secs(10)).await.unwrap();
}

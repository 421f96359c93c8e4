//! The background work runs on the leader only, on a real PostgreSQL shared by two
//! engines (as two nodes): the follower's provisioner says it stands by and calls nothing;
//! once the leader's store stops, the other takes the lease and finishes every job, each
//! tenant with exactly one connection and one server at the Blaxel stand-in.

mod support_pg;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::config::Config;
use mcp_onboard::engine::lifecycle::{NewTenant, Transition, apply};
use mcp_onboard::engine::model::{GoogleIdentity, TenantStatus};
use mcp_onboard::engine::{Actor, Command, Engine, Parts, Placement, Worker};
use mcp_onboard::owner::provisioning::{self, Provisioning};
use mcp_onboard::provision::{OAuthClient, ProvisionSettings};
use mcp_onboard::sandbox::blaxel::{BlaxelSandboxConfig, BlaxelSandboxHandle, spawn};
use mcp_onboard::store::KeySource;
use secrecy::SecretString;
use support_pg::PgServer;

const WS: &str = "acme-ws";
const KEY: &str = "bl_test_key";
const OWNER: Actor = Actor::System(Worker::Owner);
const TENANTS: usize = 6;

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
    ))
}

/// An engine on `pg` in a data dir of its own, provisioning with `blaxel` (a lease of 2s).
async fn node(pg: &PgServer, dir: &std::path::Path, blaxel: &BlaxelClient) -> Arc<Engine> {
    let mut env: HashMap<&str, String> = pg.env().into_iter().collect();
    env.insert("MCP_ONBOARD_LEADER_TIMEOUT", "2s".into());
    let config = Config::load(None, false, &|k| env.get(k).cloned()).unwrap();
    let parts = Parts {
        placement: Placement::Serving,
        blaxel: Some(blaxel.clone()),
        setup: Vec::new(),
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

fn provisioning(blaxel: &BlaxelClient) -> Provisioning {
    let oauth = OAuthClient {
        client_id: "client".into(),
        client_secret: SecretString::from("secret"),
    };
    let settings = ProvisionSettings {
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        first_poll: Duration::from_millis(50),
        max_poll: Duration::from_millis(200),
        scan_interval: Duration::from_millis(200),
        ..Default::default()
    };
    Provisioning::new(blaxel.clone(), oauth.into(), settings)
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
    let slugs: Vec<String> = (0..TENANTS).map(|i| format!("t{i}")).collect();
    // The jobs are in the database before either node opens (each reads them at open).
    let seed = node(&pg, &dir.path().join("seed"), &client(&blaxel)).await;
    for s in &slugs {
        consented(&seed, s).await;
    }
    seed.shutdown(Duration::from_secs(10)).await.unwrap();

    let a = node(&pg, &dir.path().join("a"), &client(&blaxel)).await;
    eventually("A leads", Duration::from_secs(6), || {
        a.leadership().is_leader()
    })
    .await;
    let b = node(&pg, &dir.path().join("b"), &client(&blaxel)).await;
    let ca = client(&blaxel);
    let cb = client(&blaxel);
    let wa = provisioning::start(&a, Ok(provisioning(&ca)))
        .await
        .unwrap();
    let wb = provisioning::start(&b, Ok(provisioning(&cb)))
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

    // A stops before the servers are deployed: B takes over and finishes.
    wa.abort();
    a.shutdown(Duration::from_secs(10)).await.unwrap();
    eventually("B leads", Duration::from_secs(6), || {
        b.leadership().is_leader()
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    for s in &slugs {
        loop {
            let status = b
                .store()
                .read({
                    let s = s.clone();
                    move |r| r.tenant(&s)
                })
                .await
                .unwrap()
                .map(|t| t.status);
            if status == Some(TenantStatus::Deployed) {
                break;
            }
            assert!(Instant::now() < deadline, "{s} is {status:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(b.provisioner_state().last_call_at.is_some());
    assert!(!b.provisioner_state().following);
    assert_eq!(blaxel.connections().len(), TENANTS);
    assert_eq!(blaxel.functions().len(), TENANTS);
    wb.abort();
    b.shutdown(Duration::from_secs(10)).await.unwrap();
}

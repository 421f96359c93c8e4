//! Kill the owning process with SIGKILL in the middle of provisioning (or offboarding),
//! start it again, and every job finishes: exactly one connection and one function per
//! tenant (or none left, every grant given back). With the store on sled and on
//! PostgreSQL.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

use common::pg::{Backend, PgServer};
use common::test_key;
use mcp_onboard::control::Client;
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::engine::model::TenantStatus;
use mcp_onboard::engine::{Command, Reply};
use mcp_onboard::sandbox::blaxel::{BlaxelFaults, BlaxelSandboxConfig, spawn};
use mcp_onboard::sandbox::google::GoogleSandbox;
use rstest::rstest;
use secrecy::SecretString;

const TENANTS: usize = 12;

struct Owner(Child);

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(env: &HashMap<&str, String>, dir: &Path) -> Owner {
    let child = Proc::new(env!("CARGO_BIN_EXE_mcp-onboard"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Owner(child)
}

async fn status(c: &mut Client, slug: &str) -> TenantStatus {
    match c
        .call(Command::ShowTenant { slug: slug.into() })
        .await
        .unwrap()
    {
        Reply::Tenant(t) => t.status,
        other => panic!("{other:?}"),
    }
}

/// Add these tenants over the socket and take each through its consent.
async fn add_and_consent(c: &mut Client, slugs: &[String]) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for slug in slugs {
        c.call(Command::AddTenant(NewTenant {
            slug: slug.clone(),
            ..Default::default()
        }))
        .await
        .unwrap();
        consent(&http, c, slug).await;
    }
}

/// Wait (up to two minutes for all) until every one of `slugs` is in `want` after the
/// restart.
async fn all_reach(c: &mut Client, slugs: &[String], want: TenantStatus) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for slug in slugs {
        loop {
            let now = status(c, slug).await;
            if now == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{slug} did not reach {want:?} after the restart (it is {now:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Link → interstitial → Continue → sandbox Allow → callback, as a browser would.
async fn consent(http: &reqwest::Client, c: &mut Client, slug: &str) {
    let Reply::Link(link) = c
        .call(Command::IssueLink {
            integration: None,
            slug: slug.into(),
            ttl_secs: 600,
            replace: false,
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    let (status, body) =
        common::consent_over_http(http, &link.url, &format!("it@{slug}.example")).await;
    assert_eq!(status, 200, "{body}");
}

/// A data dir, a loopback port, the Google and Blaxel stand-ins and the environment of
/// a real owner against them.
struct World {
    dir: tempfile::TempDir,
    data: std::path::PathBuf,
    google: GoogleSandbox,
    blaxel: mcp_onboard::sandbox::blaxel::BlaxelSandboxHandle,
    env: HashMap<&'static str, String>,
    /// The database, when the store is PostgreSQL (dropped last).
    _pg: Option<PgServer>,
}

/// `None`: PostgreSQL is not installed (SKIPPED).
async fn world(delete_delay: Duration, backend: Backend) -> Option<World> {
    let pg = match backend {
        Backend::Sled => None,
        Backend::Postgres => Some(PgServer::start()?),
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let (google, google_env) = common::google_standin(&base, "x@example.com").await;
    let blaxel = spawn(BlaxelSandboxConfig {
        workspace: "ws".into(),
        api_key: SecretString::from("bl_key"),
        deploy_delay: Duration::from_millis(1500),
        delete_delay,
        faults: BlaxelFaults {
            latency: Duration::from_millis(150),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .unwrap();
    let mut env: HashMap<&str, String> = HashMap::from([
        ("MCP_ONBOARD_DATA_DIR", data.display().to_string()),
        ("MCP_ONBOARD_KEY", test_key()),
        ("MCP_ONBOARD_BIND", format!("127.0.0.1:{port}")),
        ("MCP_ONBOARD_PUBLIC_URL", base.clone()),
        ("MCP_ONBOARD_PROVISION_CONCURRENCY", "1".into()),
        ("MCP_ONBOARD_RATE_LIMIT_PER_MINUTE", "10000".into()),
        ("MCP_ONBOARD_RATE_LIMIT_BURST", "10000".into()),
        ("MCP_ONBOARD_MAX_CONNECTIONS_PER_CLIENT", "100000".into()),
        ("BL_API_URL", blaxel.base_url().to_string()),
        ("BL_WORKSPACE", "ws".into()),
        ("BL_API_KEY", "bl_key".into()),
    ]);
    env.extend(google_env);
    env.extend(pg.iter().flat_map(PgServer::env));
    Some(World {
        dir,
        data,
        google,
        blaxel,
        env,
        _pg: pg,
    })
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_provisioning_then_restart_finishes_every_job_once(#[case] backend: Backend) {
    let Some(World {
        dir,
        data,
        google,
        blaxel,
        env,
        _pg,
    }) = world(Duration::ZERO, backend).await
    else {
        return;
    };
    let mut owner = start(&env, dir.path());
    let mut c = common::owner_client(&data).await;
    let slugs: Vec<String> = (0..TENANTS).map(|i| format!("kill{i:02}")).collect();
    add_and_consent(&mut c, &slugs).await;
    // Let provisioning get under way, then kill the owner outright.
    let start_wait = Instant::now();
    while blaxel.connections().len() < 2 {
        assert!(
            start_wait.elapsed() < Duration::from_secs(30),
            "provisioning never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    owner.0.kill().unwrap(); // SIGKILL
    owner.0.wait().unwrap();
    let deployed_at_kill = blaxel
        .functions()
        .iter()
        .filter(|f| f.status.is_deployed())
        .count();
    assert!(deployed_at_kill < TENANTS, "the kill must land mid-way");

    let _owner = start(&env, dir.path());
    let mut c = common::owner_client(&data).await;
    all_reach(&mut c, &slugs, TenantStatus::Deployed).await;
    let conns = blaxel.connections();
    let funcs = blaxel.functions();
    assert_eq!(conns.len(), TENANTS);
    assert_eq!(funcs.len(), TENANTS);
    let tokens: BTreeSet<String> = conns
        .iter()
        .map(|c| c.secret["REFRESH_TOKEN"].clone())
        .collect();
    let issued: BTreeSet<String> = google.live_refresh_tokens().into_iter().collect();
    assert_eq!(
        tokens, issued,
        "each connection holds its tenant's own refresh token"
    );
    for f in &funcs {
        assert_eq!(f.deployments, 1, "{} was deployed more than once", f.name);
    }
    if let Some(pg) = &_pg {
        // The owner kept it all in the database, nothing in the data dir.
        let n = pg.column("SELECT count(*) FROM tenants").await;
        assert_eq!(n, vec![Some(TENANTS.to_string())]);
        assert!(!data.join("db").exists());
    }
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_offboarding_then_restart_finishes_every_offboarding_once(
    #[case] backend: Backend,
) {
    const N: usize = 6;
    let Some(w) = world(Duration::from_millis(1200), backend).await else {
        return;
    };
    let mut owner = start(&w.env, w.dir.path());
    let mut c = common::owner_client(&w.data).await;
    let slugs: Vec<String> = (0..N).map(|i| format!("off{i}")).collect();
    add_and_consent(&mut c, &slugs).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    for slug in &slugs {
        while status(&mut c, slug).await != TenantStatus::Deployed {
            assert!(Instant::now() < deadline, "{slug} never deployed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    c.call(Command::Offboard {
        slugs: slugs.clone(),
    })
    .await
    .unwrap();
    // Kill it once some servers are on their way out and before all are done.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let deleting = w
            .blaxel
            .request_log()
            .iter()
            .filter(|q| q.method == "DELETE")
            .count();
        if deleting >= 2 {
            break;
        }
        assert!(Instant::now() < until, "offboarding never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    owner.0.kill().unwrap();
    owner.0.wait().unwrap();
    assert!(
        !w.blaxel.connections().is_empty(),
        "the kill must land before every connection is gone"
    );

    let _owner = start(&w.env, w.dir.path());
    let mut c = common::owner_client(&w.data).await;
    all_reach(&mut c, &slugs, TenantStatus::Offboarded).await;
    assert!(
        w.blaxel.functions().is_empty(),
        "{:?}",
        w.blaxel.functions()
    );
    assert!(w.blaxel.connections().is_empty());
    assert!(
        w.google.live_refresh_tokens().is_empty(),
        "every grant given back"
    );
    for slug in &slugs {
        let Reply::Tenant(t) = c
            .call(Command::ShowTenant { slug: slug.clone() })
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            t.events
                .iter()
                .filter(|e| e.kind == mcp_onboard::engine::model::EventKind::Offboarded)
                .count(),
            1,
            "{slug}: {:#?}",
            t.events
        );
    }
}

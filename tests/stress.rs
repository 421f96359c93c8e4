//! Many writers at once against a real `serve`: control-socket clients adding tenants and
//! issuing links, CLI processes adding tenants side by side (as `xargs -P` would), and
//! customers opening links, pressing Continue and completing the callback, all at the same
//! time, while a monitor checks that `/healthz` keeps answering. Then SIGTERM must stop the
//! owner, and after a restart every acknowledged command must be in the store.
//!
//! On sled and on PostgreSQL. CI runs a reduced size. The full size:
//! `MCP_ONBOARD_STRESS=full cargo test --release --test stress -- --nocapture`.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Child, Command as Proc, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::pg::{Backend, PgServer};
use common::{consent_over_http, test_key};
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::engine::model::TenantStatus;
use mcp_onboard::engine::{Command, Reply};
use rstest::rstest;

struct Size {
    clients: usize,
    adds_per_client: usize,
    customers: usize,
    cli_processes: usize,
}

fn size() -> Size {
    if std::env::var("MCP_ONBOARD_STRESS").as_deref() == Ok("full") {
        Size {
            clients: 64,
            adds_per_client: 40,
            customers: 256,
            cli_processes: 64,
        }
    } else {
        Size {
            clients: 64,
            adds_per_client: 8,
            customers: 64,
            cli_processes: 16,
        }
    }
}

struct Owner(Option<Child>);

impl Owner {
    fn pid(&self) -> u32 {
        self.0.as_ref().map(Child::id).unwrap_or(0)
    }

    /// SIGTERM, and the exit status within `limit`.
    fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.pid().to_string();
        let sent = Proc::new("sh")
            .args(["-c", "kill -TERM \"$0\"", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let mut child = self.0.take().unwrap();
        let until = Instant::now() + limit;
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > until {
                let _ = child.kill();
                panic!("serve did not stop within {limit:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn bin() -> Proc {
    let mut c = Proc::new(env!("CARGO_BIN_EXE_mcp-onboard"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    c
}

fn start(env: &HashMap<&str, String>, home: &Path) -> Owner {
    let child = bin()
        .arg("serve")
        .env("HOME", home)
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Owner(Some(child))
}

/// `/healthz` over a fresh connection each time: how long the slowest answer took, and how
/// many did not come within two seconds.
fn health_monitor(
    addr: String,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(Duration, u64, u64)> {
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut worst, mut failed, mut ok) = (Duration::ZERO, 0u64, 0u64);
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let good = (|| -> std::io::Result<bool> {
                let mut s = std::net::TcpStream::connect(&addr)?;
                s.set_read_timeout(Some(Duration::from_secs(2)))?;
                write!(s, "GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")?;
                let mut buf = String::new();
                s.read_to_string(&mut buf)?;
                Ok(buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200"))
            })()
            .unwrap_or(false);
            let took = t.elapsed();
            if good && took < Duration::from_secs(2) {
                ok += 1;
                worst = worst.max(took);
            } else {
                failed += 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (worst, failed, ok)
    })
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_and_customers_at_once_then_sigterm_and_nothing_acknowledged_is_lost(
    #[case] backend: Backend,
) {
    // The database, when the store is PostgreSQL (dropped last).
    let pg = match backend {
        Backend::Sled => None,
        Backend::Postgres => match PgServer::start() {
            Some(pg) => Some(pg),
            None => return,
        },
    };
    let size = size();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let (_google, google_env) = common::google_standin(&base, "x@example.com").await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("MCP_ONBOARD_DATA_DIR", data.display().to_string()),
        ("MCP_ONBOARD_KEY", test_key()),
        ("MCP_ONBOARD_BIND", format!("127.0.0.1:{port}")),
        ("MCP_ONBOARD_PUBLIC_URL", base.clone()),
        ("MCP_ONBOARD_RATE_LIMIT_PER_MINUTE", "1000000".into()),
        ("MCP_ONBOARD_RATE_LIMIT_BURST", "1000000".into()),
        ("MCP_ONBOARD_MAX_CONNECTIONS_PER_CLIENT", "100000".into()),
    ]);
    env.extend(google_env);
    env.extend(pg.iter().flat_map(PgServer::env));
    let mut owner = start(&env, &home);
    let setup = common::owner_client(&data).await;
    drop(setup);
    let stop = Arc::new(AtomicBool::new(false));
    let monitor = health_monitor(format!("127.0.0.1:{port}"), stop.clone());
    let started = Instant::now();

    // Customers: tenants and links made first, then all of them go through at once while
    // the clients below write.
    let c = common::owner_client(&data).await;
    let mut links = Vec::new();
    for i in 0..size.customers {
        let slug = format!("cust{i:04}");
        c.call(Command::AddTenant(NewTenant {
            slug: slug.clone(),
            ..Default::default()
        }))
        .await
        .unwrap();
        let Reply::Link(l) = c
            .call(Command::IssueLink {
                integration: None,
                slug: slug.clone(),
                ttl_secs: 3600,
                replace: false,
            })
            .await
            .unwrap()
        else {
            panic!()
        };
        links.push((slug, l.url));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let customers: Vec<_> = links
        .iter()
        .cloned()
        .map(|(slug, url)| {
            let http = http.clone();
            tokio::spawn(async move {
                let (status, body) =
                    consent_over_http(&http, &url, &format!("it@{slug}.example")).await;
                assert_eq!(status, 200, "{slug}: {body}");
                slug
            })
        })
        .collect();

    // Control-socket clients, each on its own connection: add a tenant, issue its link.
    let acked = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..size.clients)
        .map(|i| {
            let data = data.clone();
            let acked = acked.clone();
            let n = size.adds_per_client;
            tokio::spawn(async move {
                let c = common::owner_client(&data).await;
                let mut mine = Vec::new();
                for j in 0..n {
                    let slug = format!("c{i:02}-{j:03}");
                    c.call(Command::AddTenant(NewTenant {
                        slug: slug.clone(),
                        ..Default::default()
                    }))
                    .await
                    .unwrap();
                    c.call(Command::IssueLink {
                        integration: None,
                        slug: slug.clone(),
                        ttl_secs: 3600,
                        replace: false,
                    })
                    .await
                    .unwrap();
                    acked.fetch_add(1, Ordering::Relaxed);
                    mine.push(slug);
                }
                mine
            })
        })
        .collect();

    // CLI processes at once, as `xargs -P` would run them.
    let cli: Vec<_> = (0..size.cli_processes)
        .map(|i| {
            let slug = format!("cli{i:03}");
            let child = bin()
                .env("HOME", &home)
                .envs(&env)
                .args(["tenant", "add", &slug])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (slug, child)
        })
        .collect();

    let mut expected: BTreeSet<String> = BTreeSet::new();
    let deadline = Duration::from_secs(300);
    for c in clients {
        let mine = tokio::time::timeout(deadline, c)
            .await
            .expect("control clients finish")
            .unwrap();
        expected.extend(mine);
    }
    let mut consented = BTreeSet::new();
    for c in customers {
        let slug = tokio::time::timeout(deadline, c)
            .await
            .expect("customers finish")
            .unwrap();
        consented.insert(slug);
    }
    for (slug, child) in cli {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "tenant add {slug}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        expected.insert(slug);
    }
    let busy = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (worst, failed, ok) = monitor.join().unwrap();
    eprintln!(
        "stress: {} control adds+links, {} consents, {} CLI adds in {busy:?}; /healthz {ok} answers, slowest {worst:?}, {failed} late or failed",
        acked.load(Ordering::Relaxed),
        consented.len(),
        size.cli_processes
    );
    assert!(ok > 0, "the monitor ran");
    assert_eq!(failed, 0, "/healthz kept answering within 2 s throughout");

    let status = owner.terminate(Duration::from_secs(40));
    assert!(status.success(), "serve exited with {status}");

    // Restarted: everything acknowledged is there.
    let _owner = start(&env, &home);
    let c = common::owner_client(&data).await;
    let Reply::Tenants { tenants, .. } = c
        .call(Command::ListTenants {
            query: Default::default(),
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    let have: HashMap<String, TenantStatus> =
        tenants.into_iter().map(|t| (t.slug, t.status)).collect();
    for slug in &expected {
        assert!(
            have.contains_key(slug),
            "{slug} was acknowledged but is gone"
        );
    }
    for slug in &consented {
        assert_eq!(have[slug], TenantStatus::Consented, "{slug}");
    }
    assert_eq!(
        have.len(),
        expected.len() + consented.len(),
        "nothing more, nothing less"
    );
}

//! Two `serve` nodes on one PostgreSQL database, behind a round-robin proxy that is their
//! public URL: customers' requests alternate between the nodes and every consent works;
//! each tenant gets one connection and one server at Blaxel; the same callback sent to
//! both nodes at once consents once.
//!
//! Sizes: 8 tenants (the watch: 32) in CI; the full size, 100 (400):
//! `MCP_ONBOARD_NODES=full cargo test --release --test nodes_serve`.

mod support_proc;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mcp_onboard::sandbox::customer;
use support_proc::nodes::Cluster;
use support_proc::*;

fn tenants() -> usize {
    if std::env::var("MCP_ONBOARD_NODES").is_ok_and(|v| v == "full") {
        100
    } else {
        8
    }
}

/// Customers walking at once: they all come through the proxy's one loopback address,
/// which the listener's per-address connection caps would otherwise cut.
const CUSTOMERS_AT_ONCE: usize = 8;

/// Each of `links` walked through the proxy by its own customer (`{who}{i}@customer.example`),
/// [`CUSTOMERS_AT_ONCE`] at a time; each must end on the connected page.
async fn consent_all(links: Vec<String>, who: &str) {
    let http = customer::client(customer::TIMEOUT).expect("client");
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(CUSTOMERS_AT_ONCE));
    let mut walks = tokio::task::JoinSet::new();
    for (i, link) in links.into_iter().enumerate() {
        let (http, gate) = (http.clone(), gate.clone());
        let email = format!("{who}{i}@customer.example");
        walks.spawn(async move {
            let _turn = gate.acquire_owned().await;
            customer::walk(&http, &link, &email).await
        });
    }
    while let Some(w) = walks.join_next().await {
        let walked = w.expect("walk task").expect("walk");
        assert_eq!(walked.status, 200, "{}", walked.page);
        assert!(is_connected_page(&walked.page), "{}", walked.page);
    }
}

/// Wait (at most `within`) until every one of `slugs` is `deployed`, as node `i` shows it.
fn wait_deployed(c: &mut Cluster, i: usize, slugs: &[String], within: Duration) {
    let until = Instant::now() + within;
    loop {
        let listed = c.at(i).json(&["tenant", "list"]);
        let status: HashMap<String, String> = listed
            .as_array()
            .unwrap_or_else(|| panic!("{listed:#}"))
            .iter()
            .map(|t| (s(t, "slug").to_owned(), s(t, "status").to_owned()))
            .collect();
        let left: Vec<&String> = slugs
            .iter()
            .filter(|s| status.get(*s).map(String::as_str) != Some("deployed"))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < until,
            "not deployed as node {i} shows them: {left:?}\n{status:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Each of `slugs` has exactly one connection and one server at Blaxel.
fn one_each_at_blaxel(c: &Cluster, slugs: &[String]) {
    let conns = c.blaxel.connections();
    let servers = c.blaxel.functions();
    for slug in slugs {
        let n_conn = conns
            .iter()
            .filter(|x| x.name.contains(slug.as_str()))
            .count();
        let n_srv = servers
            .iter()
            .filter(|x| x.name.contains(slug.as_str()))
            .count();
        assert_eq!((n_conn, n_srv), (1, 1), "{slug}: connections and servers");
    }
    assert_eq!(conns.len(), slugs.len(), "no other connection");
    assert_eq!(servers.len(), slugs.len(), "no other server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consents_alternate_between_two_nodes_and_each_tenant_gets_one_connection_and_one_server() {
    let Some(mut c) = Cluster::new(2, Default::default()).await else {
        return;
    };
    c.start(0);
    c.start(1);
    let n = tenants();
    let slugs: Vec<String> = (0..n).map(|i| format!("node-t{i:03}")).collect();
    let mut links = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        // Added and linked through either node.
        c.at(i % 2).ok(&["tenant", "add", slug]);
        links.push(c.link((i + 1) % 2, slug));
    }
    consent_all(links, "owner").await;
    for (i, f) in c.forwarded.by_node.iter().enumerate() {
        assert!(
            f.load(Ordering::Relaxed) >= n,
            "node {i} took too few of the customers' requests"
        );
    }
    wait_deployed(&mut c, 0, &slugs, Duration::from_secs(120));
    wait_deployed(&mut c, 1, &slugs, Duration::from_secs(30));
    one_each_at_blaxel(&c, &slugs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_callback_sent_to_both_nodes_at_once_consents_once() {
    let Some(mut c) = Cluster::new(2, Default::default()).await else {
        return;
    };
    c.start(0);
    c.start(1);
    c.at(0).ok(&["tenant", "add", "twice"]);
    let link = c.link(1, "twice");
    let http = customer::client(customer::TIMEOUT).expect("client");
    let at = customer::walk_to_callback(&http, &link, "owner@twice.example")
        .await
        .expect("walk to the callback");
    let path = at.callback[url::Position::BeforePath..].to_owned();
    let sends = c.nodes.iter().map(|node| {
        let (http, cookie) = (http.clone(), at.cookie.clone());
        let url = format!("http://127.0.0.1:{}{path}", node.port);
        async move {
            let res = http
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .expect("callback");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let connected = answers
        .iter()
        .filter(|(status, page)| *status == 200 && is_connected_page(page))
        .count();
    assert_eq!(
        connected, 1,
        "exactly one node stored the consent: {answers:?}"
    );
    wait_deployed(&mut c, 0, &["twice".to_owned()], Duration::from_secs(60));
    let shown = c.at(1).tenant("twice");
    let consents = shown["events"]
        .as_array()
        .map(|t| t.iter().filter(|e| e["kind"] == "consented").count())
        .unwrap_or(0);
    assert_eq!(consents, 1, "one consent on the timeline: {shown:#}");
    one_each_at_blaxel(&c, &["twice".to_owned()]);
}

/// The process id in a request's `User-Agent` (`mcp-onboard/VERSION (mcp-onboard@HOST:PID:RANDOM)`).
fn caller_pid(user_agent: Option<&str>) -> Option<u32> {
    let ua = user_agent?;
    let node = ua.split('(').nth(1)?.trim_end_matches(')');
    node.split(':').nth(1)?.parse().ok()
}

/// The nodes (by process id) that called Blaxel, from request `from` of its log on.
fn callers(c: &Cluster, from: usize) -> Vec<u32> {
    callers_between(c, from, usize::MAX)
}

/// The nodes (by process id) that called Blaxel in requests `from..to` of its log.
fn callers_between(c: &Cluster, from: usize, to: usize) -> Vec<u32> {
    let mut pids: Vec<u32> = c
        .blaxel
        .request_log()
        .iter()
        .take(to)
        .skip(from)
        .filter_map(|r| caller_pid(r.user_agent.as_deref()))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Wait (at most `within`) until `f` holds.
async fn until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < end, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The node that leads (the one calling Blaxel), and the other, once one has called.
async fn leader_and_other(c: &Cluster) -> (usize, usize) {
    until("a call to Blaxel", Duration::from_secs(60), || {
        !callers(c, 0).is_empty()
    })
    .await;
    let leaders = callers(c, 0);
    assert_eq!(leaders.len(), 1, "one node calls Blaxel: {leaders:?}");
    let leader = (0..2).find(|i| c.pid(*i) == leaders[0]).expect("a node");
    (leader, 1 - leader)
}

/// A cluster of two running nodes whose lease times out after 3 s, and `n` tenants
/// consented through the proxy (their provisioning under way, each deployment taking
/// `deploy` at the stand-in).
async fn two_nodes_provisioning(n: usize, deploy: Duration) -> Option<(Cluster, Vec<String>)> {
    let mut c = Cluster::new(2, Default::default()).await?;
    c.w.env
        .push(("MCP_ONBOARD_LEADER_TIMEOUT".into(), "3s".into()));
    c.blaxel.set_deploy_delay(deploy);
    c.start(0);
    c.start(1);
    let slugs: Vec<String> = (0..n).map(|i| format!("lead-t{i:03}")).collect();
    let mut links = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        c.at(i % 2).ok(&["tenant", "add", slug]);
        links.push(c.link(i % 2, slug));
    }
    consent_all(links, "lead").await;
    Some((c, slugs))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_leader_killed_mid_provisioning_leaves_the_rest_to_the_other_node() {
    let n = tenants();
    let Some((mut c, slugs)) = two_nodes_provisioning(n, Duration::from_secs(3)).await else {
        return;
    };
    let (leader, other) = leader_and_other(&c).await;
    until("a server created", Duration::from_secs(60), || {
        !c.blaxel.functions().is_empty()
    })
    .await;
    c.signal(leader, "KILL");
    let seen = c.blaxel.request_log().len();
    wait_deployed(&mut c, other, &slugs, Duration::from_secs(180));
    // One node at a time called Blaxel: the leader until it was killed, the other after.
    assert_eq!(
        callers_between(&c, 0, seen),
        [c.pid(leader)],
        "before the kill"
    );
    assert_eq!(callers(&c, seen), [c.pid(other)], "after the kill");
    one_each_at_blaxel(&c, &slugs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_stopped_past_its_lease_starts_no_call_after_it_wakes() {
    let n = tenants();
    let Some((mut c, slugs)) = two_nodes_provisioning(n, Duration::from_secs(4)).await else {
        return;
    };
    let (leader, other) = leader_and_other(&c).await;
    let other_pid = c.pid(other);
    c.signal(leader, "STOP");
    let stopped_at = c.blaxel.request_log().len();
    // The other node takes over once the lease has not been renewed for 3 s.
    until(
        "the other node calling Blaxel",
        Duration::from_secs(60),
        || callers(&c, stopped_at).contains(&other_pid),
    )
    .await;
    assert_eq!(
        callers_between(&c, 0, stopped_at),
        [c.pid(leader)],
        "only the leader called before it was stopped"
    );
    c.signal(leader, "CONT");
    let woke_at = c.blaxel.request_log().len();
    wait_deployed(&mut c, other, &slugs, Duration::from_secs(180));
    // Give the woken node time to act, were it to: a few of its timers' periods.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let old = c.pid(leader);
    // A request that had passed its deadline check when the process was stopped goes out
    // as it wakes (nothing on this side can stop what is past the check): at most one per
    // provisioning task (8 at once). None is started after.
    let late = c
        .blaxel
        .request_log()
        .iter()
        .skip(woke_at)
        .filter(|r| caller_pid(r.user_agent.as_deref()) == Some(old))
        .count();
    assert!(
        late <= 8,
        "the old leader sent {late} requests after it woke"
    );
    one_each_at_blaxel(&c, &slugs);
    // It still serves its listener and its control socket, as a follower.
    let shown = c.at(leader).tenant(&slugs[0]);
    assert_eq!(shown["status"], "deployed", "{shown:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_watch_on_one_node_sees_every_commit_of_both_in_order() {
    let Some(mut c) = Cluster::new(2, Default::default()).await else {
        return;
    };
    c.start(0);
    c.start(1);
    let out = c.w.tmp.path().join("watch.jsonl");
    let listening = |c: &mut Cluster| {
        c.at(0).json(&["status"])["subscribers"]
            .as_u64()
            .expect("subscribers in status")
    };
    let before = listening(&mut c);
    let mut watch = c
        .at(0)
        .command(&["--json", "watch"])
        .stdout(std::fs::File::create(&out).expect("watch output"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("watch");
    // The watch is attached before anything is added: what it sees comes live.
    let attached = Instant::now() + Duration::from_secs(30);
    while listening(&mut c) <= before {
        assert!(Instant::now() < attached, "the watch never attached");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let n = tenants() * 4;
    // Tenants added through both nodes at once, from two threads each.
    let mut adders = Vec::new();
    for t in 0..4 {
        let node = t % 2;
        let mut cmds = Vec::new();
        for i in (t..n).step_by(4) {
            let cmd = c
                .at(node)
                .command(&["tenant", "add", &format!("seen-{i:03}")]);
            cmds.push(cmd);
        }
        adders.push(std::thread::spawn(move || {
            for mut cmd in cmds {
                let out = cmd.output().expect("tenant add");
                assert!(
                    out.status.success(),
                    "tenant add: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }));
    }
    for a in adders {
        a.join().expect("adder");
    }
    let lines = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let seen = |ls: &[serde_json::Value]| {
        ls.iter()
            .filter(|e| e["kind"] == "tenant_changed")
            .filter_map(|e| e["slug"].as_str())
            .filter(|s| s.starts_with("seen-"))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    until(
        "every tenant seen by the watch",
        Duration::from_secs(60),
        || seen(&lines()) == n,
    )
    .await;
    let _ = watch.kill();
    let _ = watch.wait();
    let seqs: Vec<u64> = lines().iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "events in sequence order: {seqs:?}"
    );
}

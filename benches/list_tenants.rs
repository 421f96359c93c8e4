//! Load driver: listing tenants with 100,000 in the store, side by side in one run:
//! `ListTenants` through the in-memory index against decoding every stored record (what the
//! first release did), a filtered list (text and status) and one page; and what building
//! the index costs when the database is opened. Medians of repeated rounds, each method in
//! its own loop.
//!
//! Run with `cargo bench --bench list_tenants` (`-- --quick` for 10,000 tenants).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::config::Config;
use mcp_onboard::engine::api::{Command, ListQuery, Reply, TenantSummary};
use mcp_onboard::engine::lifecycle::{NewTenant, Transition, apply, new_tenant};
use mcp_onboard::engine::model::{GoogleIdentity, TenantStatus};
use mcp_onboard::engine::{Engine, Placement};
use mcp_onboard::store::KeySource;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    (median(times), last.expect("at least one round"))
}

fn count(r: &Reply) -> usize {
    match r {
        Reply::Tenants { tenants, .. } => tenants.len(),
        _ => 0,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 10_000 } else { 100_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let key = KeySource::Env(secrecy::SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([4u8; 32]),
    ));
    let config = Arc::new(Config::load(None, false, &|_| None).expect("config"));
    rt.block_on(async {
        let engine = Engine::open(&data, &key, config.clone(), Placement::Direct)
            .await
            .expect("open");
        let fill = Instant::now();
        let consent = Transition::Consented {
            identity: GoogleIdentity {
                sub: "1".into(),
                email: Some("it@example.com".into()),
                email_verified: true,
                hd: None,
            },
            granted_scopes: vec!["openid".into()],
        };
        for chunk in 0..n.div_ceil(1000) {
            let consent = consent.clone();
            engine
                .commit_for_tests(move |tx| {
                    for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
                        let input = NewTenant {
                            slug: format!("tenant-{i:06}"),
                            display_name: Some(format!("Customer number {i}")),
                            ..Default::default()
                        };
                        let (t, e) = new_tenant(&input, 1).expect("valid");
                        let t = if i % 3 == 0 {
                            apply(&t, &consent, 2).expect("consent").0
                        } else {
                            t
                        };
                        tx.insert_tenant(t, e)?;
                    }
                    Ok(())
                })
                .await
                .expect("fill");
        }
        println!("filled {n} tenants in {:.1?}", fill.elapsed());
        engine
            .shutdown(Duration::from_secs(60))
            .await
            .expect("flush");
    });
    // Reopen: building the index is part of every start.
    let (open_time, engine) = {
        let t = Instant::now();
        let e = rt
            .block_on(Engine::open(&data, &key, config, Placement::Direct))
            .expect("reopen");
        (t.elapsed(), e)
    };
    let store = engine.store().clone();
    let rounds = if quick { 15 } else { 7 };
    let all = ListQuery::default();
    let (index_all, r) = time(rounds, || engine.list(&all));
    assert_eq!(count(&r), n);
    let (decode_all, decoded) = time(rounds, || {
        let mut t = store.reader().tenants().expect("decode");
        t.sort_by(|a, b| a.slug.cmp(&b.slug));
        t.iter().map(TenantSummary::of).collect::<Vec<_>>()
    });
    assert_eq!(decoded.len(), n);
    let text = ListQuery {
        text: Some("number 4242".into()),
        ..Default::default()
    };
    let (index_text, r) = time(rounds, || engine.list(&text));
    assert!(count(&r) >= 1);
    let status = ListQuery {
        status: vec![TenantStatus::Consented],
        ..Default::default()
    };
    let (index_status, r) = time(rounds, || engine.list(&status));
    assert_eq!(count(&r), n.div_ceil(3));
    let page = ListQuery {
        sort: mcp_onboard::engine::api::SortKey::Changed,
        limit: Some(50),
        ..Default::default()
    };
    let (index_page, r) = time(rounds, || engine.list(&page));
    assert_eq!(count(&r), 50);
    let first_page = ListQuery {
        limit: Some(50),
        after: Some("tenant-050000".into()),
        ..Default::default()
    };
    let (index_after, _) = time(rounds, || engine.list(&first_page));
    let (reply_json, bytes) = time(rounds, || {
        let r = engine.list(&all);
        serde_json::to_vec(&r).expect("json").len()
    });
    let _ = rt.block_on(engine.run(
        mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
        Command::Status,
    ));
    println!("open (sled + index of {n} briefs and live links): {open_time:.1?}");
    println!("{:<44} {:>12}", "list", "median");
    println!("{:<44} {:>12.2?}", "all, decoding every record", decode_all);
    println!("{:<44} {:>12.2?}", "all, in-memory index", index_all);
    println!(
        "{:<44} {:>11.1}x",
        "  ratio",
        decode_all.as_secs_f64() / index_all.as_secs_f64()
    );
    println!("{:<44} {:>12.2?}", "filtered by text (index)", index_text);
    println!(
        "{:<44} {:>12.2?}",
        "filtered by status (index)", index_status
    );
    println!(
        "{:<44} {:>12.2?}",
        "50 most recently changed (index, sorted)", index_page
    );
    println!(
        "{:<44} {:>12.2?}",
        "50 after a slug (index, paged)", index_after
    );
    println!(
        "{:<44} {:>12.2?}",
        format!("all as JSON ({:.1} MB)", bytes as f64 / 1e6),
        reply_json
    );
}

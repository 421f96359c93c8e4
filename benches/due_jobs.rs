//! Load driver: how the provisioner finds due work. For a store of N tenants, half of them
//! with an active job whose next attempt is spread over 100 seconds (about 1% due at the
//! moment asked), side by side in one run: decoding every tenant (the plain way) versus
//! the store's in-memory job index. Each is timed in its own loop of 31 rounds and the
//! medians are printed with their ratio.
//!
//! Run with `cargo bench --bench due_jobs`.

use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, Transition, apply, new_tenant};
use mcp_onboard::engine::model::GoogleIdentity;
use mcp_onboard::store::{Durability, KeySource, Store, StoreError};
use secrecy::SecretString;

async fn fill(w: &Store, n: usize) {
    let consent = Transition::Consented {
        identity: GoogleIdentity {
            sub: "1".into(),
            email: Some("it@example.com".into()),
            email_verified: true,
            hd: None,
        },
        granted_scopes: vec!["openid".into()],
    };
    let token = SecretString::from("1//token");
    for i in 0..n {
        let slug = format!("tenant-{i:05}");
        let input = NewTenant {
            slug: slug.clone(),
            display_name: Some(format!("Tenant number {i}")),
            ..Default::default()
        };
        let (t, e) = new_tenant(&input, 1).expect("valid tenant");
        let consent = consent.clone();
        let token = token.clone();
        w.commit(&Actor::System(Worker::Owner), Durability::Lazy, move |tx| {
            tx.insert_tenant(t.clone(), e.clone())?;
            if i % 2 == 0 {
                let at = ((i / 2) % 100) as i64 * 1000;
                let cur = tx.tenant(&slug)?.expect("just added");
                let (next, e) = apply(&cur, &consent, at).expect("consent");
                tx.put_tenant(next, Some(e))?;
                tx.put_secret(&slug, "refresh_token", &token)?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .expect("fill");
    }
    w.sync().await.expect("flush");
}

/// Only jobs consented at time 0 are due.
const NOW: i64 = 500;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let key = KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
    ));
    println!(
        "{:>7}  {:>14}  {:>14}  {:>7}",
        "tenants", "decode all", "job index", "ratio"
    );
    for n in [1_000usize, 10_000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("data"), &key).expect("open");
        // Fill, and let the store settle (flush what the fill wrote) before timing reads.
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(fill(&store, n));
        let rounds = 31;
        let (mut full, mut index) = (Vec::new(), Vec::new());
        // Each in its own loop: freeing the decoded tenants leaves the allocator work that
        // would otherwise be billed to whatever runs next.
        let mut due_full = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let due: Vec<String> = store
                .reader()
                .tenants()
                .expect("tenants")
                .into_iter()
                .filter(|t| {
                    t.provision
                        .as_ref()
                        .is_some_and(|p| p.step.is_active() && p.next_attempt_at <= NOW)
                })
                .map(|t| t.slug)
                .collect();
            full.push(t.elapsed());
            due_full = due.len();
        }
        let mut due_index = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let (due, _) = store.node().due_jobs(NOW);
            index.push(t.elapsed());
            due_index = due.len();
        }
        assert_eq!((due_full, due_index), (n / 200, n / 200));
        let (f, i) = (median(full), median(index));
        println!(
            "{n:>7}  {:>12.2?}  {:>12.2?}  {:>6.1}x",
            f,
            i,
            f.as_secs_f64() / i.as_secs_f64().max(1e-9)
        );
    }
}

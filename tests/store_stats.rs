//! The store's counters a benchmark and `status` read, on each backend: a durable write
//! counts a batch, an operation, a flush, and the writer's time in that batch, which holds
//! the time of its flush.

mod support_pg;

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::store::{Durability, KeySource};
use rstest::rstest;
use secrecy::SecretString;
use support_pg::{Backend, Home};

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_durable_write_counts_the_writers_time_and_its_flush(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let key = KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([1u8; 32]),
    ));
    let store = home.open(&key).unwrap();
    let before = store.stats();
    for i in 0..3 {
        let (t, e) = new_tenant(
            &NewTenant {
                slug: format!("t{i}"),
                ..Default::default()
            },
            1,
        )
        .unwrap();
        let inserted = store
            .commit(
                &Actor::System(Worker::Owner),
                Durability::Durable,
                move |tx| tx.insert_tenant(t.clone(), e.clone()),
            )
            .await
            .unwrap();
        assert!(inserted);
    }
    let after = store.stats();
    assert_eq!(after.durable_ops - before.durable_ops, 3);
    assert!(after.batches > before.batches);
    assert!(after.flushes > before.flushes);
    let busy = after.busy_micros - before.busy_micros;
    let flushing = after.flush_micros - before.flush_micros;
    assert!(busy > 0, "the writer's time is counted");
    assert!(
        busy >= flushing,
        "the writer's time ({busy} µs) holds its flushes' ({flushing} µs)"
    );
}

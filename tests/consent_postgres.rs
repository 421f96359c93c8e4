//! What the consent flow does differently on PostgreSQL, where another process may take
//! the callback: a flow is committed before the customer is sent to Google, and a link
//! withdrawn meanwhile says so instead of sending them there for nothing.

mod common;

use std::time::Duration;

use common::pg::Backend;
use common::*;
use mcp_onboard::engine::token::sha256;
use mcp_onboard::store::{Durability, StoreError};

#[tokio::test]
async fn a_flow_is_in_the_database_before_the_customer_is_sent_to_google() {
    let Some(h) = harness_on(Backend::Postgres).await else {
        return;
    };
    let pg = h.pg.as_ref().unwrap();
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    for presses in 1..=2 {
        let auth = h.start(&link).await;
        assert!(auth.query_pairs().any(|(k, _)| k == "state"));
        // Nothing waited for: the row is there as the redirect is.
        let flows = pg.column("SELECT count(*) FROM flows").await;
        assert_eq!(flows, vec![Some(presses.to_string())], "press {presses}");
    }
}

#[tokio::test]
async fn a_link_withdrawn_while_continue_is_pressed_ends_on_its_page_not_at_google() {
    let Some(h) = harness_on(Backend::Postgres).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let hash = sha256(link.url.rsplit('/').next().unwrap());
    // The writer is held up; the link is withdrawn first in its queue, then Continue's
    // flow comes (the page still found the link live).
    h.engine.stall_writer_for_tests(Duration::from_millis(800));
    let withdraw = h
        .engine
        .store()
        .commit(&OWNER, Durability::Durable, move |tx| {
            let mut l = tx.link(&hash)?.unwrap();
            l.revoked = true;
            l.revoked_at = Some(tx.now());
            tx.put_link(&hash, l)?;
            Ok::<_, StoreError>(())
        });
    let res = h.press_continue(&link).await;
    withdraw.await.unwrap();
    assert_eq!(res.status().as_u16(), 410);
    assert!(
        res.headers().get("location").is_none(),
        "not sent to Google"
    );
    let pg = h.pg.as_ref().unwrap();
    assert_eq!(
        pg.column("SELECT count(*) FROM flows").await,
        vec![Some("0".into())]
    );
}

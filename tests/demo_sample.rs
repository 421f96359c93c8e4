//! The demo's sample tenant, through the engine: it goes into a database that holds no
//! tenant and never held it (whether or not the database is new), and its link reaches the
//! console before its customer consents Gmail through it.

mod common;

use common::harness;
use mcp_onboard::engine::api::LinkView;
use mcp_onboard::engine::model::Integration;
use mcp_onboard::engine::{Command, Local};
use mcp_onboard::owner::sample::{self, SAMPLE_SLUG};

#[tokio::test]
async fn the_sample_goes_only_into_a_database_that_holds_no_tenant_and_never_held_it() {
    let h = harness().await;
    let api = Local(h.engine.clone());
    assert!(sample::wanted(&api).await.unwrap(), "an empty database");
    h.add("acme", None, None).await;
    assert!(!sample::wanted(&api).await.unwrap(), "one holding a tenant");
    h.run(Command::RemoveTenant {
        slug: "acme".into(),
    })
    .await;
    assert!(
        sample::wanted(&api).await.unwrap(),
        "a database that exists and holds no tenant (and never held the sample)"
    );
    sample::add(&api).await.unwrap();
    assert!(
        !sample::wanted(&api).await.unwrap(),
        "one holding the sample"
    );
    // Removed by the operator (before its consent): it does not come back.
    h.run(Command::RemoveTenant {
        slug: SAMPLE_SLUG.into(),
    })
    .await;
    assert!(
        !sample::wanted(&api).await.unwrap(),
        "a database that held the sample"
    );
}

#[tokio::test]
async fn the_samples_link_is_handed_over_then_its_gmail_consented_through_it() {
    let h = harness().await;
    let api = Local(h.engine.clone());
    let mut kept: Option<LinkView> = None;
    sample::offer(&api, |l| kept = Some(l)).await.unwrap();
    let link = kept.expect("the link handed over");
    assert_eq!(link.slug, SAMPLE_SLUG);
    let t = h.show(SAMPLE_SLUG).await;
    assert!(
        t.links.iter().any(|l| l.id == link.id),
        "the sample's own link: {:?}",
        t.links
    );
    let consented = |which| {
        t.integrations
            .iter()
            .any(|i| i.integration == which && i.consented_at.is_some())
    };
    assert!(
        consented(Integration::Gmail) && !consented(Integration::GoogleDrive),
        "Gmail consented, Drive not yet: {:?}",
        t.integrations
    );
    // Offered again (the console started once more): nothing more is added.
    let mut again = false;
    sample::offer(&api, |_| again = true).await.unwrap();
    assert!(!again);
}

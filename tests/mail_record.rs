//! What the engine records of a mail is what could have been sent: a link of that tenant,
//! to one plain address, tried a plausible number of times, with a refusal's code and its
//! permanence agreeing; anything else is refused and nothing is written.

mod common;

use common::{OWNER, harness};
use mcp_onboard::domain::lifecycle::NewTenant;
use mcp_onboard::domain::link_mail::MailOutcome;
use mcp_onboard::engine::{Command, Reply};

fn record(link_id: &str, to: &str, attempts: u32, outcome: MailOutcome) -> Command {
    Command::RecordMail {
        slug: "acme".into(),
        to: to.into(),
        link_id: link_id.into(),
        attempts,
        outcome,
    }
}

#[tokio::test]
async fn only_a_mail_that_could_have_been_sent_is_recorded() {
    let h = harness().await;
    let add = Command::AddTenant(NewTenant {
        slug: "acme".into(),
        ..Default::default()
    });
    h.engine.run(OWNER, add).await.unwrap();
    let Reply::Link(link) = h
        .engine
        .run(
            OWNER,
            Command::IssueLink {
                slug: "acme".into(),
                ttl_secs: 3600,
                replace: false,
                integration: None,
            },
        )
        .await
        .unwrap()
    else {
        panic!("a link")
    };
    let ok = MailOutcome::Accepted { queue_id: None };
    let refused = |code, permanent| MailOutcome::Refused {
        code: Some(code),
        reply: "x".into(),
        permanent,
    };
    for (bad, says) in [
        (
            record("ffff0000", "jane@acme.example", 1, ok.clone()),
            "no link",
        ),
        (
            record(&link.id, "a@b.example, c@d.example", 1, ok.clone()),
            "more than one",
        ),
        (
            record(&link.id, "jane@acme.example", 0, ok.clone()),
            "tries",
        ),
        (
            record(&link.id, "jane@acme.example", 1000, ok.clone()),
            "tries",
        ),
        (
            record(&link.id, "jane@acme.example", 1, refused(250, true)),
            "code 250",
        ),
        (
            record(&link.id, "jane@acme.example", 1, refused(550, false)),
            "code 550",
        ),
    ] {
        let err = h.engine.run(OWNER, bad).await.unwrap_err().to_string();
        assert!(err.contains(says), "{says}: {err}");
    }
    let t = h
        .engine
        .store()
        .read(|s| s.tenant("acme"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.mailed, None, "nothing was recorded");
    let good = record(&link.id, "jane@acme.example", 2, refused(451, false));
    let Reply::MailRecorded { accepted, .. } = h.engine.run(OWNER, good).await.unwrap() else {
        panic!("recorded")
    };
    assert!(!accepted);
    let t = h
        .engine
        .store()
        .read(|s| s.tenant("acme"))
        .await
        .unwrap()
        .unwrap();
    let mailed = t.mailed.expect("recorded");
    assert_eq!(
        (mailed.link_id.as_str(), mailed.attempts),
        (link.id.as_str(), 2)
    );
}

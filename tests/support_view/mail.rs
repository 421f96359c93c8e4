//! Fixtures for the console's view tests of mailed links: a console with a relay, where
//! beta-corp's link was mailed today, gamma's refused three days ago, and the others have
//! no address.

use mcp_onboard::domain::link_mail::{LinkMail, MailOutcome};
use mcp_onboard::tui::model::Model;
use mcp_onboard::tui::update::{set_rows, update};

use super::{NOW, model};

/// The relay the console mails through in these views.
pub const RELAY: &str = "smtps://relay.acme.io:465";

/// Six tenants, three with an address; beta-corp (selected) mailed 20 minutes ago, gamma
/// refused three days ago.
pub fn mailed(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    m.setup.mail = Ok(RELAY.into());
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        let (to, mailed) = match r.slug.as_str() {
            "beta-corp" => ("ops@beta.io", Some((NOW - 20 * 60_000, true))),
            "gamma" => ("it@gamma.de", Some((NOW - 3 * 86_400_000, false))),
            "betamax" => ("it@betamax.co.uk", None),
            _ => continue,
        };
        r.mail_to = Some(to.into());
        // Its type is not exported: made as the wire carries it.
        r.mailed = mailed.map(|(at_ms, accepted)| {
            serde_json::from_value(serde_json::json!({
                "at": "", "at_ms": at_ms, "accepted": accepted
            }))
            .unwrap()
        });
    }
    set_rows(&mut m, rows);
    if let Some(d) = m.detail.view.as_mut() {
        d.mail_to = Some("ops@beta.io".into());
        d.last_mail = Some(LinkMail {
            at: NOW - 20 * 60_000,
            to: "ops@beta.io".into(),
            link_id: "ab12cd34".into(),
            attempts: 1,
            outcome: MailOutcome::Accepted {
                queue_id: Some("4F9D91234A".into()),
            },
        });
    }
    m
}

/// `M` on [`mailed`]: the question naming how many get a link and who is left out.
pub fn mail_all_question(size: (u16, u16)) -> Model {
    let mut m = mailed(size);
    update(&mut m, super::key('M'));
    m
}

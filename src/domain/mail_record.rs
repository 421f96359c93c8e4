//! A link mailed, recorded on its tenant: kept as its last send (the console's table shows
//! it) and told on its timeline; and where a tenant's links are mailed.

use super::link_mail::LinkMail;
use super::model::{AuditEvent, EventKind, ExpectedAccount, Tenant};

impl Tenant {
    /// Where its links are mailed: its contact email, else the Google account it expects
    /// when that is an address (not a domain) a link may be mailed to.
    pub fn mail_to(&self) -> Option<&str> {
        self.contact_email.as_deref().or(match &self.expected {
            Some(ExpectedAccount::Email(e)) if super::mail_address::recipient(e).is_ok() => {
                Some(e.as_str())
            }
            _ => None,
        })
    }
}

/// The tenant with `mail` as its last send, and the timeline entry telling it.
pub fn record(t: &Tenant, mail: LinkMail) -> (Tenant, AuditEvent) {
    let event = AuditEvent {
        at: mail.at,
        tenant: t.slug.clone(),
        kind: if mail.accepted() {
            EventKind::LinkMailed
        } else {
            EventKind::LinkMailRefused
        },
        detail: mail.detail(),
        integration: None,
    };
    let mut next = t.clone();
    next.updated_at = mail.at;
    next.mailed = Some(mail);
    (next, event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::link_mail::MailOutcome;

    #[test]
    fn a_send_is_kept_as_the_last_and_told_on_the_timeline() {
        let input = NewTenant {
            slug: "acme".into(),
            expected_email: Some("owner@acme.example".into()),
            ..Default::default()
        };
        let t = new_tenant(&input, 1).unwrap().0;
        assert_eq!(
            t.mail_to(),
            Some("owner@acme.example"),
            "the expected account"
        );
        let t = new_tenant(
            &NewTenant {
                contact_email: Some("Jane@Acme.example".into()),
                ..input
            },
            1,
        )
        .unwrap()
        .0;
        assert_eq!(
            t.mail_to(),
            Some("Jane@acme.example"),
            "the contact email first"
        );
        let ok = LinkMail {
            at: 5,
            to: "jane@acme.example".into(),
            link_id: "ab12cd34".into(),
            attempts: 2,
            outcome: MailOutcome::Accepted {
                queue_id: Some("4F9D".into()),
            },
        };
        let (next, e) = record(&t, ok.clone());
        assert_eq!(next.mailed.as_ref(), Some(&ok));
        assert_eq!(next.updated_at, 5);
        assert_eq!(e.kind, EventKind::LinkMailed);
        assert_eq!(
            e.detail,
            "link ab12cd34 mailed to jane@acme.example: the relay accepted it after 2 tries (queue id 4F9D)"
        );
        let refused = LinkMail {
            attempts: 1,
            outcome: MailOutcome::Refused {
                code: Some(550),
                reply: "550 5.1.1 no such user".into(),
                permanent: true,
            },
            ..ok
        };
        let (next, e) = record(&next, refused);
        assert_eq!(e.kind, EventKind::LinkMailRefused);
        assert_eq!(
            e.detail,
            "link ab12cd34 to jane@acme.example was refused by the relay: 550 5.1.1 no such user"
        );
        assert!(!next.mailed.unwrap().accepted());
        let json = serde_json::to_value(e.kind).unwrap();
        assert_eq!(json, "link_mail_refused");
    }
}

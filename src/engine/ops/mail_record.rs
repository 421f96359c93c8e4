//! A consent link mailed by a face (the CLI or the console, which hold the relay): what
//! the relay answered, recorded as the tenant's last send and on its timeline. The
//! command itself goes on the audit chain (as every operator's write does).

use crate::domain::actor::Actor;
use crate::domain::link_mail::{LinkMail, MailOutcome};
use crate::domain::mail_address::recipient;
use crate::domain::mail_record::record;
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::Durability;

use super::apply::tenant_in;

/// What a face says it sent.
pub struct Sent {
    pub slug: String,
    pub to: String,
    pub link_id: String,
    pub attempts: u32,
    pub outcome: MailOutcome,
}

/// Record `sent` on its tenant. The address must be one a link may go to, the link id a
/// link's id: what is recorded is what could have been sent.
pub async fn record_mail(core: &Core, actor: &Actor, sent: Sent) -> Result<Reply, EngineError> {
    let to = recipient(&sent.to).map_err(|why| EngineError::BadRequest(format!("to: {why}")))?;
    if sent.link_id.is_empty()
        || sent.link_id.len() > 64
        || !sent.link_id.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(EngineError::BadRequest(format!(
            "no link has the id {:?}",
            sent.link_id
        )));
    }
    if let MailOutcome::Refused {
        code: Some(c),
        permanent,
        ..
    } = &sent.outcome
        && (!(400..600).contains(c) || *permanent != (*c >= 500))
    {
        return Err(EngineError::BadRequest(format!(
            "a refusal with code {c} is {}",
            if *c >= 500 { "permanent" } else { "not one" }
        )));
    }
    if sent.attempts == 0 || sent.attempts > crate::domain::link_mail::MAX_ATTEMPTS {
        return Err(EngineError::BadRequest(format!(
            "{} tries: a mail is tried 1 to {} times",
            sent.attempts,
            crate::domain::link_mail::MAX_ATTEMPTS
        )));
    }
    let accepted = matches!(sent.outcome, MailOutcome::Accepted { .. });
    let slug = sent.slug.clone();
    core.commit(actor, Durability::Durable, move |tx| {
        let t = tenant_in(tx, &sent.slug)?;
        if !tx
            .links_of(&sent.slug)?
            .iter()
            .any(|(_, l)| l.id == sent.link_id)
        {
            return Err(EngineError::BadRequest(format!(
                "tenant {} has no link {}",
                sent.slug, sent.link_id
            )));
        }
        let mail = LinkMail {
            at: tx.now(),
            to: to.clone(),
            link_id: sent.link_id.clone(),
            attempts: sent.attempts,
            outcome: sent.outcome.clone().cleaned(),
        };
        let (next, event) = record(&t, mail);
        tx.put_tenant(next, Some(event))?;
        Ok(())
    })
    .await?;
    Ok(Reply::MailRecorded { slug, accepted })
}

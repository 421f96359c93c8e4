//! An operator's [`Command`] as one operation: audited once, here (a command that changes
//! something, from an operator, goes on the audit chain with who asked), then dispatched
//! to its group's operation.

use std::time::Duration;

use super::{
    admin, approval, health_round, import, integrations, jobs, links, offboard, online, reconcile,
    reconcile_fix, tenants, webhooks,
};
use crate::domain::actor::Actor;
use crate::engine::api::{Command, Reply};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;

impl Operation for Command {
    type Output = Result<Reply, EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Result<Reply, EngineError> {
        if actor.operator().is_some() && self.is_write() {
            audit(core, actor, &self).await?;
        }
        match self {
            Command::AddTenant(input) => tenants::add(core, actor, input).await,
            Command::ListTenants { query } => tenants::list_command(core, query).await,
            Command::ShowTenant { slug } => tenants::show(core, &slug).await,
            Command::EditTenant { slug, edit } => tenants::edit(core, actor, slug, edit).await,
            Command::RemoveTenant { slug } => tenants::remove(core, actor, slug).await,
            Command::IssueLink {
                integration,
                slug,
                ttl_secs,
                replace,
            } => {
                let ttl = Duration::from_secs(ttl_secs);
                links::issue(core, actor, &slug, ttl, replace, integration).await
            }
            Command::RevokeLinks { slug } => {
                links::revoke(core, actor, &slug).await?;
                tenants::show(core, &slug).await
            }
            Command::LinkAllNew {
                ttl_secs,
                integration,
            } => links::link_all_new(core, actor, Duration::from_secs(ttl_secs), integration).await,
            Command::Status => Ok(Reply::Status(Box::new(
                admin::status_with_nodes(core).await,
            ))),
            Command::Retry { slug } => jobs::retry(core, actor, &slug).await,
            Command::RetryAllFailed { slugs, integration } => {
                jobs::retry_all_failed(core, actor, slugs, integration).await
            }
            Command::RecordMail {
                slug,
                to,
                link_id,
                attempts,
                outcome,
            } => {
                let sent = super::mail_record::Sent {
                    slug,
                    to,
                    link_id,
                    attempts,
                    outcome,
                };
                super::mail_record::record_mail(core, actor, sent).await
            }
            Command::CheckOnline => Ok(online::check(core).await),
            Command::CheckHealth { slug, mcp } => {
                health_round::command(core, actor, slug, mcp).await
            }
            Command::Approve { slug } => approval::approve(core, actor, &slug, None).await,
            Command::Reject { slug } => approval::reject(core, actor, &slug, None).await,
            Command::ApproveIntegration { slug, integration } => {
                approval::approve(core, actor, &slug, Some(integration)).await
            }
            Command::RejectIntegration { slug, integration } => {
                approval::reject(core, actor, &slug, Some(integration)).await
            }
            Command::Offboard { slugs } => offboard::offboard(core, actor, slugs).await,
            Command::Audit { tenant, since_ms } => admin::audit(core, tenant, since_ms).await,
            Command::AuditVerify { expect } => admin::audit_verify(core, expect).await,
            Command::AuditHead => admin::audit_head(core).await,
            Command::Backup { path } => admin::backup(core, path).await,
            Command::Reconcile => Ok(Reply::Findings {
                findings: reconcile::FindDrift.run(core, actor).await?,
            }),
            Command::ReconcileFix { slugs } => reconcile_fix::fix(core, actor, slugs).await,
            Command::DeleteOrphan { what } => reconcile::delete_orphan(core, &what).await,
            Command::ImportTenants { tenants } => import::add_all(core, actor, tenants).await,
            Command::ImportStage { import, tenants } => import::stage(core, import, tenants),
            Command::ImportCommit { import, rows } => {
                import::commit(core, actor, import, rows).await
            }
            Command::ImportDiscard { import } => Ok(import::discard(core, &import)),
            Command::WebhookTest => webhooks::test(core).await,
            Command::RiscVerified { state } => super::risc::verified(core, &state).await,
            Command::AddIntegration { slug, integration } => {
                integrations::add(core, actor, slug, integration).await
            }
            Command::RemoveIntegration { slug, integration } => {
                integrations::remove(core, actor, slug, integration).await
            }
        }
    }
}

/// The command on the audit chain: what it is, the tenant it names, all it says.
async fn audit(core: &Core, actor: &Actor, command: &Command) -> Result<(), EngineError> {
    let what = serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("command").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let tenant = command.tenant().map(str::to_owned);
    let detail = serde_json::to_string(command).unwrap_or_default();
    core.commit(actor, Durability::Lazy, move |tx| {
        tx.append_audit("command", &what, tenant.as_deref(), &detail)?;
        Ok(())
    })
    .await
}

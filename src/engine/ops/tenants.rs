//! Tenants: add, show, list, edit, remove.

use std::sync::Arc;

use super::apply::tenant_in;
use crate::domain::actor::Actor;
use crate::domain::brief::Brief;
use crate::domain::lifecycle::{self, NewTenant, TenantEdit};
use crate::domain::model::Tenant;
use crate::domain::transition::{ensure_active, ensure_removable};
use crate::engine::api::{
    ListQuery, Reply, SortKey, StatusOf, TenantSummary, TenantView, token_view,
};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::Durability;
use crate::time::now_ms;

/// Lists this long and longer are built off the async workers (tens of milliseconds).
const LONG_LIST: usize = 2_000;

pub async fn add(core: &Core, actor: &Actor, input: NewTenant) -> Result<Reply, EngineError> {
    let (tenant, event) = lifecycle::new_tenant(&input, now_ms())?;
    let slug = tenant.slug.clone();
    core.commit(actor, Durability::Durable, move |tx| {
        if tx.insert_tenant(tenant.clone(), event.clone())? {
            Ok(())
        } else {
            Err(EngineError::Exists(tenant.slug.clone()))
        }
    })
    .await?;
    show(core, &slug).await
}

pub async fn edit(
    core: &Core,
    actor: &Actor,
    slug: String,
    edit: TenantEdit,
) -> Result<Reply, EngineError> {
    let s = slug.clone();
    core.commit(actor, Durability::Durable, move |tx| {
        let cur = tenant_in(tx, &s)?;
        ensure_active(&cur)?;
        let (next, event) = lifecycle::edit_tenant(&cur, &edit, tx.now())?;
        if event.is_some() {
            tx.put_tenant(next, event)?;
        }
        Ok(())
    })
    .await?;
    show(core, &slug).await
}

/// Delete a tenant that never consented, with its links and timeline.
pub async fn remove(core: &Core, actor: &Actor, slug: String) -> Result<Reply, EngineError> {
    let s = slug.clone();
    core.commit(actor, Durability::Durable, move |tx| {
        ensure_removable(&tenant_in(tx, &s)?)?;
        Ok(tx.remove_tenant(&s)?)
    })
    .await?;
    Ok(Reply::Removed { slug })
}

/// A tenant in full: its record, links and timeline.
pub async fn show(core: &Core, slug: &str) -> Result<Reply, EngineError> {
    let store = core.store();
    // Everything queued before (an open counted a moment ago) is applied first.
    store.applied().await?;
    let s = slug.to_owned();
    let (tenant, links, events) = store
        .read(move |st| Ok((st.tenant(&s)?, st.links_for(&s)?, st.timeline(&s)?)))
        .await?;
    let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
    let testing = core.config().google.app_in_testing;
    let mut token = token_view(tenant.health.as_ref(), tenant.consented_at, testing)
        .map(|v| v.with_facts(tenant.token_facts.as_ref()));
    if let (Some(v), Some(g)) = (token.as_mut(), tenant.google.as_ref()) {
        v.account_tokens_issued = tokens_issued_by(core, &g.sub, &tenant).await;
    }
    let redirect = core.config().redirect_uri();
    let view = TenantView::of(&tenant, &links, &events, now_ms(), token, testing);
    let client_id = |i| crate::engine::consent::client_id_of(core, i);
    Ok(Reply::Tenant(Box::new(view.with_google_help(
        &tenant,
        &events,
        redirect.as_str(),
        &client_id,
    ))))
}

/// Refresh tokens issued to our client by the account `sub`, over every tenant it holds
/// a consent for (`tenant` is one of them, read already).
async fn tokens_issued_by(core: &Core, sub: &str, tenant: &Tenant) -> u32 {
    let others: Vec<String> = core
        .store()
        .node()
        .consents_by(sub)
        .into_iter()
        .filter(|s| *s != tenant.slug)
        .collect();
    let mine = tenant.tokens_by_current_account();
    if others.is_empty() {
        return mine;
    }
    let theirs = core
        .store()
        .read(move |st| {
            let mut n = 0u32;
            for s in others {
                if let Some(t) = st.tenant(&s)? {
                    n = n.saturating_add(t.tokens_by_current_account());
                }
            }
            Ok(n)
        })
        .await
        .unwrap_or(0);
    mine.saturating_add(theirs)
}

/// `ListTenants`: a long list is CPU work of tens of milliseconds, not for an async worker.
pub async fn list_command(core: &Core, query: ListQuery) -> Result<Reply, EngineError> {
    let snapshot = core.store().node().briefs_after(query.after.as_deref());
    if snapshot.len() < LONG_LIST {
        Ok(list_briefs(snapshot, &query))
    } else {
        tokio::task::spawn_blocking(move || list_briefs(snapshot, &query))
            .await
            .map_err(|e| EngineError::Unavailable(format!("listing tenants: {e}")))
    }
}

/// Tenants from the in-memory read model: filter, sort, page. It is held only to take
/// shared handles of the briefs; the work is done after.
pub fn list(core: &Core, q: &ListQuery) -> Reply {
    list_briefs(core.store().node().briefs_after(q.after.as_deref()), q)
}

/// Filter, sort and page a snapshot of the read model.
fn list_briefs(snapshot: Vec<Arc<Brief>>, q: &ListQuery) -> Reply {
    let needle = q.text.as_deref().map(str::to_lowercase).unwrap_or_default();
    // Rows about one integration: each tenant holding it, as a tenant of it alone.
    let snapshot: Vec<Arc<Brief>> = match q.status_of {
        StatusOf::Integration(i) => snapshot
            .iter()
            .filter_map(|b| b.of_integration(i).map(Arc::new))
            .collect(),
        StatusOf::Tenant | StatusOf::Each => snapshot,
    };
    let in_status = |b: &Brief| match q.status_of {
        _ if q.status.is_empty() => true,
        StatusOf::Each => b.statuses.iter().all(|(_, s)| q.status.contains(s)),
        StatusOf::Tenant | StatusOf::Integration(_) => q.status.contains(&b.status),
    };
    let keep = |b: &&Arc<Brief>| in_status(b) && b.matches(&needle);
    let limit = q.limit.unwrap_or(usize::MAX);
    let (total, rows): (usize, Vec<TenantSummary>) = if q.sort == SortKey::Slug {
        let mut total = 0;
        let mut rows = Vec::new();
        for b in snapshot.iter().filter(keep) {
            if total >= q.offset && rows.len() < limit {
                rows.push(TenantSummary::of_brief(b));
            }
            total += 1;
        }
        (total, rows)
    } else {
        let mut hits: Vec<&Arc<Brief>> = snapshot.iter().filter(keep).collect();
        match q.sort {
            SortKey::Name => {
                let mut keyed: Vec<(String, &Arc<Brief>)> = hits
                    .into_iter()
                    .map(|b| (b.display_name.to_lowercase(), b))
                    .collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.slug.cmp(&b.1.slug)));
                hits = keyed.into_iter().map(|(_, b)| b).collect();
            }
            SortKey::Status => {
                hits.sort_by(|a, b| a.status.cmp(&b.status).then_with(|| a.slug.cmp(&b.slug)))
            }
            SortKey::Changed => hits.sort_by(|a, b| {
                b.updated_at
                    .cmp(&a.updated_at)
                    .then_with(|| a.slug.cmp(&b.slug))
            }),
            SortKey::Slug => {}
        }
        let total = hits.len();
        let rows = hits
            .into_iter()
            .skip(q.offset)
            .take(limit)
            .map(|b| TenantSummary::of_brief(b))
            .collect();
        (total, rows)
    };
    Reply::Tenants {
        tenants: rows,
        total,
    }
}

//! The PostgreSQL transaction an operation runs in (on the writer's thread, its calls
//! waiting for the server there): reads see what was committed before plus the batch's own
//! writes; every tenant or link written is published as one change, numbered from the
//! sequence row the batch holds. A statement that fails is remembered: a serialization
//! failure or a deadlock has the whole batch run again, a lost connection too (after a
//! new one), and any other makes the operation fail whatever it returns.
//!
//! This file: the transaction's core, tenants and the audit chain; links and flows are in
//! `tx_links`, secrets, the outbox and imports in `tx_store`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use tokio_postgres::Row;

use super::cache::{Cache, Prefetched};
use super::db::Params;
use super::pipe::Pipe;
use super::rows::{LINKS_OF, link_of};
use super::shared::{Effect, Shared};
use crate::domain::audit::{AuditHead, Operator};
use crate::domain::model::{AuditEvent, ProvisionerState, Tenant, TimelineEntry};
use crate::store::counts::Counts;
use crate::store::index_update::IndexUpdate;
use crate::store::sled::layout::{META_AUDIT_HEAD, decode, encode};
use crate::store::{Change, Committed, SecretTx, StoreError, TenantTx, Tx};
use crate::time::Millis;

/// What an operation left behind: its changes and their effects here.
pub(super) struct Parts {
    pub changes: Vec<Committed>,
    pub effects: Vec<Effect>,
}

pub(super) struct PgTx<'a> {
    pipe: &'a Pipe<'a>,
    pub(super) cache: &'a Cache,
    pub(super) shared: &'a Shared,
    /// The next sequence number of the batch.
    next_seq: &'a mut u64,
    now: Millis,
    actor: Option<Operator>,
    pub(super) changes: Vec<Committed>,
    pub(super) effects: Vec<Effect>,
    /// Counts not yet written that [`crate::store::LinkTx::link`] added to what it read.
    pub(super) applied: RefCell<HashMap<Vec<u8>, Counts>>,
    /// Links whose counts this operation wrote out.
    pub(super) written: Vec<Vec<u8>>,
    /// The pending flow this operation last read (its state hash; its tenant and record,
    /// if there is one), until it writes a flow.
    pub(super) flow_read: RefCell<Option<FlowRead>>,
}

pub(super) type FlowRead = (Vec<u8>, Option<(String, Vec<u8>)>);

/// A sequence number or a time as the database stores it.
pub(super) fn big(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl<'a> PgTx<'a> {
    pub(super) fn new(
        pipe: &'a Pipe<'a>,
        cache: &'a Cache,
        shared: &'a Shared,
        next_seq: &'a mut u64,
        now: Millis,
        actor: Option<Operator>,
    ) -> Self {
        Self {
            pipe,
            cache,
            shared,
            next_seq,
            now,
            actor,
            changes: Vec::new(),
            effects: Vec::new(),
            applied: RefCell::default(),
            written: Vec::new(),
            flow_read: RefCell::default(),
        }
    }

    pub(super) fn into_parts(self) -> Parts {
        Parts {
            changes: self.changes,
            effects: self.effects,
        }
    }

    /// Rows of `sql` (after the writes queued before it, in the same round trip).
    pub(super) fn q(&self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        self.pipe.query(sql, params)
    }

    /// A write, queued: sent with the next read or at the batch's end. A failure of it
    /// fails the operation (the writer runs the batch again without it).
    pub(super) fn x(&self, sql: &'static str, params: Params<'_>) -> Result<(), StoreError> {
        self.pipe.queue(sql, params)
    }

    /// A write, queued, whose rows (when they come) are effects of this operation.
    pub(super) fn xr(
        &self,
        sql: &'static str,
        params: Params<'_>,
        on_row: super::pipe::OnRow,
    ) -> Result<(), StoreError> {
        self.pipe.queue_rows(sql, params, on_row)
    }

    /// A write whose count of rows is needed now.
    pub(super) fn xn(&self, sql: &'static str, params: Params<'_>) -> Result<u64, StoreError> {
        self.pipe.execute(sql, params)
    }

    /// The one `bytea` column of the one row `sql` finds, if any.
    pub(super) fn bytes(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.q(sql, params)?.first().map(|r| r.get(0)))
    }

    pub(super) fn next_seq(&mut self) -> u64 {
        let s = *self.next_seq;
        *self.next_seq += 1;
        s
    }

    /// Publish `change` under the next sequence number (once the batch commits).
    pub(super) fn publish(&mut self, change: Change) -> u64 {
        let seq = self.next_seq();
        self.changes.push(Committed { seq, change });
        seq
    }

    pub(super) fn index(&mut self, u: IndexUpdate) {
        self.effects.push(Effect::Index(u));
    }
}

/// When the tenant's earliest provisioning job with work left is due.
pub(super) fn due_at(t: &Tenant) -> Option<i64> {
    std::iter::once(t.provision.as_ref())
        .chain(t.added.iter().map(|a| a.provision.as_ref()))
        .flatten()
        .filter(|p| p.step.is_active())
        .map(|p| p.next_attempt_at)
        .min()
}

impl TenantTx for PgTx<'_> {
    fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        if let Some(known) = self.cache.tenant(slug) {
            return Ok(known.map(|t| (*t).clone()));
        }
        // Read with it, in the same round trip, what an operation on it reads next.
        let [tenant, links, key] = self.pipe.query3([
            ("SELECT record FROM tenants WHERE slug = $1", &[&slug]),
            (LINKS_OF, &[&slug]),
            ("SELECT sealed FROM tenant_keys WHERE slug = $1", &[&slug]),
        ])?;
        let tenant: Option<Tenant> = tenant
            .first()
            .map(|r| decode(&format!("tenant {slug}"), &r.get::<_, Vec<u8>>(0)))
            .transpose()?;
        let links: Result<Vec<_>, StoreError> = links
            .iter()
            .map(|r| Ok((r.get::<_, Vec<u8>>(0), link_of(r, 1)?)))
            .collect();
        match links {
            Ok(links) => self.cache.prefetched(
                slug,
                Prefetched {
                    tenant: tenant.clone(),
                    links,
                    key: key.first().map(|r| r.get(0)),
                },
            ),
            Err(_) => self.cache.set_tenant(slug, tenant.clone().map(Arc::new)),
        }
        Ok(tenant)
    }

    fn put_tenant(&mut self, tenant: Tenant, entry: Option<AuditEvent>) -> Result<u64, StoreError> {
        if let Some(e) = &entry {
            let (what, detail) = crate::store::audit::of_event(e);
            self.append_audit("event", &what, Some(&tenant.slug), &detail)?;
        }
        let seq = self.next_seq();
        if self
            .shared
            .outbox_on
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            self.enqueue_webhook_event(&tenant, seq)?;
        }
        self.x(
            "INSERT INTO tenants (slug, record, due_at) VALUES ($1, $2, $3) \
             ON CONFLICT (slug) DO UPDATE SET record = EXCLUDED.record, due_at = EXCLUDED.due_at",
            &[&tenant.slug, &encode(&tenant), &due_at(&tenant)],
        )?;
        let entry = entry.map(|e| TimelineEntry {
            seq,
            at: e.at,
            tenant: tenant.slug.clone(),
            kind: e.kind,
            detail: e.detail,
            status: tenant.status,
            integration: e.integration,
        });
        if let Some(e) = &entry {
            self.x(
                "INSERT INTO timeline (seq, slug, entry) VALUES ($1, $2, $3)",
                &[&big(seq), &tenant.slug, &encode(e)],
            )?;
        }
        let tenant = Arc::new(tenant);
        self.cache.set_tenant(&tenant.slug, Some(tenant.clone()));
        self.index(IndexUpdate::Tenant(tenant.clone()));
        self.changes.push(Committed {
            seq,
            change: Change::Tenant { tenant, entry },
        });
        Ok(seq)
    }

    fn insert_tenant(&mut self, tenant: Tenant, entry: AuditEvent) -> Result<bool, StoreError> {
        let taken = self.q(
            "SELECT 1 FROM tenants WHERE slug = $1 UNION ALL SELECT 1 FROM import_slugs WHERE slug = $1",
            &[&tenant.slug],
        )?;
        if !taken.is_empty() {
            return Ok(false);
        }
        self.put_tenant(tenant, Some(entry))?;
        Ok(true)
    }

    fn remove_tenant(&mut self, slug: &str) -> Result<(), StoreError> {
        // Its pending flows and their tombstones go too: a callback for one is then a
        // state never seen, and touches nothing (not a new tenant of the same slug).
        self.flow_read.take();
        for r in self.q(
            "DELETE FROM flows WHERE tenant = $1 RETURNING state_hash",
            &[&slug],
        )? {
            self.index(IndexUpdate::FlowGone(r.get(0)));
        }
        self.x("DELETE FROM used_flows WHERE tenant = $1", &[&slug])?;
        self.x("DELETE FROM timeline WHERE slug = $1", &[&slug])?;
        let gone: Vec<Vec<u8>> = self
            .q(
                "DELETE FROM links WHERE tenant = $1 RETURNING hash",
                &[&slug],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        self.cache.links_gone(slug, &gone);
        for h in gone {
            self.effects.push(Effect::LinkGone(h));
        }
        self.delete_secrets_of(slug)?;
        self.destroy_tenant_key(slug)?;
        self.x("DELETE FROM tenants WHERE slug = $1", &[&slug])?;
        self.cache.set_tenant(slug, None);
        self.index(IndexUpdate::RemoveTenant(slug.to_owned()));
        self.publish(Change::TenantRemoved {
            slug: slug.to_owned(),
        });
        Ok(())
    }
}

impl Tx for PgTx<'_> {
    fn now(&self) -> Millis {
        self.now
    }

    fn append_audit(
        &mut self,
        kind: &str,
        what: &str,
        tenant: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        // A head that cannot be read fails the commit: starting the chain again from no
        // head would overwrite its first entries.
        let head: Option<AuditHead> = match self.cache.head() {
            Some(known) => known,
            None => {
                let read: Option<AuditHead> = self
                    .bytes(
                        "SELECT value FROM meta WHERE key = $1",
                        &[&meta_key(META_AUDIT_HEAD)],
                    )?
                    .map(|v| decode("audit head", &v))
                    .transpose()?;
                self.cache.read_head(read.clone());
                read
            }
        };
        let entry = crate::store::audit::Entry {
            at: self.now,
            kind,
            what,
            tenant,
            detail,
            actor: self.actor.clone(),
        };
        let (rec, head) = crate::store::audit::link(&self.shared.cipher, head.as_ref(), entry);
        self.x(
            "INSERT INTO audit (seq, record) VALUES ($1, $2)",
            &[&big(rec.seq), &encode(&rec)],
        )?;
        // Written once, as the batch's last head (see `run`).
        self.cache.move_head(head);
        Ok(())
    }

    fn publish_provisioner(&mut self, state: ProvisionerState) -> Result<(), StoreError> {
        self.x(
            "INSERT INTO published (name, record) VALUES ('provisioner', $1) \
             ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record",
            &[&encode(&state)],
        )?;
        self.publish(Change::Provisioner(state));
        Ok(())
    }
}

/// A `meta` key as stored (the layout's keys are ASCII).
pub(super) fn meta_key(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

impl PgTx<'_> {
    /// Put the webhook events this tenant's change is (one per integration whose status
    /// changed) in the outbox, in the same commit as the change: no event is lost to a
    /// crash, and none is sent for a change that did not happen.
    fn enqueue_webhook_event(&mut self, tenant: &Tenant, seq: u64) -> Result<(), StoreError> {
        // The tenant before, read as the commit sees it.
        let before = self.tenant(&tenant.slug)?;
        for (key, event) in crate::store::outbox::queued(before.as_ref(), tenant, seq, self.now) {
            self.x(
                "INSERT INTO outbox (key, event) VALUES ($1, $2)",
                &[&key, &encode(&event)],
            )?;
            self.effects.push(Effect::Outbox(1));
        }
        Ok(())
    }
}

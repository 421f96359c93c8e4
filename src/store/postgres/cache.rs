//! What the writer's batch has read or written of tenants and of the audit chain's head,
//! kept for the rest of the batch: the database would answer the same (the batch's own
//! writes, under its snapshot), one round trip later. An operation's entries join the
//! batch's when it is kept, and go with it when it is undone.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::audit::AuditHead;
use crate::domain::model::Tenant;

type Tenants = HashMap<String, Option<Arc<Tenant>>>;

#[derive(Default)]
pub(super) struct Cache {
    tenants: RefCell<Tenants>,
    op_tenants: RefCell<Tenants>,
    head: RefCell<Option<Option<AuditHead>>>,
    op_head: RefCell<Option<Option<AuditHead>>>,
}

impl Cache {
    /// The tenant as the batch knows it: `None` when it was neither read nor written.
    pub fn tenant(&self, slug: &str) -> Option<Option<Arc<Tenant>>> {
        if let Some(t) = self.op_tenants.borrow().get(slug) {
            return Some(t.clone());
        }
        self.tenants.borrow().get(slug).cloned()
    }

    pub fn set_tenant(&self, slug: &str, tenant: Option<Arc<Tenant>>) {
        self.op_tenants.borrow_mut().insert(slug.to_owned(), tenant);
    }

    /// The audit chain's head as the batch knows it: `None` when not read yet.
    pub fn head(&self) -> Option<Option<AuditHead>> {
        if let Some(h) = &*self.op_head.borrow() {
            return Some(h.clone());
        }
        self.head.borrow().clone()
    }

    pub fn set_head(&self, head: Option<AuditHead>) {
        *self.op_head.borrow_mut() = Some(head);
    }

    /// The current operation ended: kept, its entries are the batch's; undone, they go.
    pub fn end(&self, keep: bool) {
        let tenants = std::mem::take(&mut *self.op_tenants.borrow_mut());
        let head = self.op_head.borrow_mut().take();
        if keep {
            self.tenants.borrow_mut().extend(tenants);
            if head.is_some() {
                *self.head.borrow_mut() = head;
            }
        }
    }
}

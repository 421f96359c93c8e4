//! How a committed operation changes the in-memory read model ([`super::Index`]):
//! collected by a backend's transaction, applied once it commits, in commit order.

use crate::domain::model::{ConsentLink, Tenant};
use crate::store::Index;
use crate::time::Millis;

pub(in crate::store) enum IndexUpdate {
    Tenant(std::sync::Arc<Tenant>),
    RemoveTenant(String),
    Link(Vec<u8>, ConsentLink),
    FlowPut(Vec<u8>, Millis),
    FlowGone(Vec<u8>),
    SweepLinks,
}

impl IndexUpdate {
    pub(in crate::store) fn apply(&self, index: &mut Index, now: Millis) {
        match self {
            IndexUpdate::Tenant(t) => index.put_tenant(t),
            IndexUpdate::RemoveTenant(s) => index.remove_tenant(s),
            IndexUpdate::Link(h, l) => index.put_link(h, l, now),
            IndexUpdate::FlowPut(h, e) => index.put_flow(h, *e),
            IndexUpdate::FlowGone(h) => index.remove_flow(h),
            IndexUpdate::SweepLinks => {
                index.sweep_links(now);
            }
        }
    }
}

//! The integrations tenants hold, asked through the engine's one way in (in process, or an
//! owner over its socket): what the online checks count as in use.

/// The integrations tenants hold, asking through `ask` (an engine's one way in: in
/// process, or an owner over its socket); one that cannot be asked counts as not held.
pub async fn integrations_in_use<F, Fut>(
    ask: F,
) -> std::collections::BTreeSet<crate::domain::integration::Integration>
where
    F: Fn(crate::engine::Command) -> Fut,
    Fut: std::future::Future<Output = Option<crate::engine::Reply>>,
{
    use crate::engine::api::{ListQuery, StatusOf};
    let mut held = std::collections::BTreeSet::new();
    for integration in crate::domain::integration::Integration::all() {
        let query = ListQuery {
            status_of: StatusOf::Integration(integration),
            limit: Some(1),
            ..ListQuery::default()
        };
        let asked = ask(crate::engine::Command::ListTenants { query });
        if let Some(crate::engine::Reply::Tenants { total, .. }) = asked.await
            && total > 0
        {
            held.insert(integration);
        }
    }
    held
}

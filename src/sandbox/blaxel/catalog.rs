//! What the Blaxel sandbox says of its workspace (`GET /workspaces/{name}`) and of the
//! integrations it offers (`GET /integrations/{name}`): the Google ones, less those the
//! fault `unavailable_integrations` takes away.

use serde_json::{Value, json};

use super::error::ApiError;
use super::state::Inner;
use super::validate::GOOGLE_INTEGRATIONS;

/// `GET /workspaces/{name}`: its one workspace, 404 for any other.
pub fn get_workspace(inner: &Inner, name: &str) -> Result<Value, ApiError> {
    if name != inner.settings.workspace {
        return Err(ApiError::not_found(format!("workspace {name} not found")));
    }
    Ok(json!({
        "name": name,
        "displayName": name,
        "status": "created",
    }))
}

/// `GET /integrations/{name}`: the provider's metadata, 404 for one it does not offer.
pub fn get_integration(inner: &Inner, name: &str) -> Result<Value, ApiError> {
    let offered = GOOGLE_INTEGRATIONS.contains(&name)
        && !inner
            .settings
            .faults
            .unavailable_integrations
            .contains(name);
    if !offered {
        return Err(ApiError::not_found(format!("integration {name} not found")));
    }
    Ok(json!({
        "name": name,
        "additionalInfos": {"provider": "google"},
    }))
}

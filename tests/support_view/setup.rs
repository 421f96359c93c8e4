//! The set-up panel with its online checks done, as the console shows them.

use super::{key, model};
use mcp_onboard::tui::model::{Model, Msg};
use mcp_onboard::tui::update::update;

/// The set-up panel opened from the console, its online checks done: ok lines, a warning
/// and failures with their fixes.
pub fn setup_online(size: (u16, u16)) -> Model {
    use mcp_onboard::config::online::{CheckLine, Level};
    use mcp_onboard::domain::google_errors::{FixContext, GoogleCode, Stage};
    // The fixes as the checks give them: the error table's own texts, at their length.
    let cx = FixContext {
        slug: "",
        integration: mcp_onboard::domain::integration::Integration::Gmail,
        redirect_uri: "https://onboard.acme.io/oauth/callback",
        client_id: "1234.apps.googleusercontent.com",
    };
    let mut m = model(true, size);
    update(&mut m, key(':'));
    for c in "check".chars() {
        update(&mut m, key(c));
    }
    let fx = update(
        &mut m,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Enter,
        )),
    );
    let id = fx
        .iter()
        .find_map(|e| match e {
            mcp_onboard::tui::model::Effect::Call {
                id,
                command: mcp_onboard::engine::Command::CheckOnline,
            } => Some(*id),
            _ => None,
        })
        .expect("the checks were asked for");
    let lines = vec![
        CheckLine::ok(
            "public_url.healthz",
            "https://onboard.acme.io/healthz answered from this deployment (5f0c2a9e41d7b380)",
        ),
        CheckLine::ok(
            "public_url.tls",
            "the certificate is valid for onboard.acme.io, and still in 14 days",
        ),
        CheckLine::ok(
            "google.endpoints",
            "the authorization and token endpoints answer",
        ),
        CheckLine::new(
            "google.client",
            Level::Fail,
            "Google's token endpoint answered invalid_client for the client 1234.apps.googleusercontent.com",
            GoogleCode::new(Stage::Token, "invalid_client").fix(&cx),
        ),
        CheckLine::new(
            "google.redirect_uri",
            Level::Fail,
            "Google says redirect_uri_mismatch: https://onboard.acme.io/oauth/callback is not registered for the client 1234.apps.googleusercontent.com",
            GoogleCode::new(Stage::GooglePage, "redirect_uri_mismatch").fix(&cx),
        ),
        CheckLine::ok("google.clock", "within 5s of Google's"),
        CheckLine::ok(
            "blaxel.workspace",
            "the key works for workspace acme-prod at https://api.blaxel.ai/v0",
        ),
        CheckLine::ok(
            "blaxel.integration.gmail",
            "Blaxel knows the integration gmail (workspace acme-prod)",
        ),
        CheckLine::ok(
            "blaxel.integration.google-drive",
            "Blaxel knows the integration google-drive (workspace acme-prod)",
        ),
        CheckLine::new(
            "blaxel.write",
            Level::Warn,
            "whether the key may create connections: not checked (use --write)",
            "",
        ),
    ];
    let result = Ok(mcp_onboard::engine::Reply::Online { lines });
    update(&mut m, Msg::Reply { id, result });
    m
}

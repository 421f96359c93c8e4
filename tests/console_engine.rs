//! The console's update driven by a real engine: every call the console makes goes to the
//! engine and its answer comes back as the runner would feed it, so what the console says
//! is checked against what the engine really answers.

mod common;

use common::*;
use mcp_onboard::engine::api::Command;
use mcp_onboard::engine::model::{FailureKind, TenantStatus};
use mcp_onboard::engine::{ApiError, Attachment, EngineApi, Local};
use mcp_onboard::tui::model::{Effect, Model, Msg, Setup};
use mcp_onboard::tui::style::Theme;
use mcp_onboard::tui::update::update;

fn console(now: i64) -> Model {
    let setup = Setup {
        attachment: Attachment::Socket {
            pid: 1,
            version: "test".into(),
        },
        public_url: String::new(),
        redirect_uri: String::new(),
        data_dir: String::new(),
        exports: Default::default(),
        message_template: Default::default(),
        problems: Vec::new(),
        mail: Err("mail is not set up".into()),
    };
    let mut m = Model::new(setup, Theme { color: false }, now);
    m.size = (80, 24);
    m
}

/// Answer the console's calls with the engine's replies until none is left, except those
/// `hold` keeps back (not answered yet); the other effects are returned.
async fn drive(
    m: &mut Model,
    api: &Local,
    mut fx: Vec<Effect>,
    hold: impl Fn(&Command) -> bool,
) -> Vec<Effect> {
    let mut rest = Vec::new();
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            match e {
                Effect::Call { id, command } if !hold(&command) => {
                    let result: Result<_, ApiError> = api.call(command).await;
                    next.extend(update(m, Msg::Reply { id, result }));
                }
                other => rest.push(other),
            }
        }
        fx = next;
    }
    rest
}

fn key(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// `r` pressed on a declined tenant whose detail is not in yet: the console never claims the
/// customer has no active link; the engine's answer says until when it works, in the
/// console's words (`n`, not the CLI's command).
#[tokio::test]
async fn r_on_a_declined_tenant_before_its_detail_is_in_says_until_when_its_link_works() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.add("beta", None, None).await;
    let link = h.link("beta").await;
    let auth = h.start(&link).await;
    let cb = h.consent(&auth, "bo@beta.example", false, None).await;
    h.get(&cb).await;
    let t = h.show("beta").await;
    assert_eq!(
        (t.status, t.failure),
        (TenantStatus::Failed, Some(FailureKind::ConsentDenied))
    );

    let api = Local(h.engine.clone());
    let mut m = console(mcp_onboard::time::now_ms());
    let fx = update(&mut m, Msg::Start);
    drive(&mut m, &api, fx, |_| false).await;
    assert_eq!(m.selected_slug().as_deref(), Some("acme"));
    // Down to beta: its detail is asked for, and not in when `r` is pressed.
    let fx = update(&mut m, key('j'));
    let fx = drive(&mut m, &api, fx, |c| {
        matches!(c, Command::ShowTenant { .. })
    })
    .await;
    assert!(m.shown_detail().is_none());
    let fx2 = update(&mut m, key('r'));
    drive(&mut m, &api, fx2, |c| {
        matches!(c, Command::ShowTenant { .. })
    })
    .await;
    let flash = m.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    let until = &link.expires_at;
    let until = format!("{} {} UTC", &until[..10], &until[11..16]);
    assert_eq!(
        flash,
        format!(
            "tenant beta declined at Google: nothing to retry; their link works until {until}; \
             n issues a new one"
        )
    );
    // The same once its detail is in: the console answers itself, with the same words.
    drive(&mut m, &api, fx, |_| false).await;
    assert!(m.shown_detail().is_some());
    m.flash = None;
    let fx = update(&mut m, key('r'));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(m.flash.as_ref().map(|f| f.text.clone()), Some(flash));
}

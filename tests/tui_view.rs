//! The console's screens drawn on a TestBackend at 80x24 and 120x40, snapshotted, and the
//! status colours asserted cell by cell (and their absence under NO_COLOR).

use mcp_onboard::domain::health::Health;
use mcp_onboard::domain::model::{
    EventKind, ExpectedAccount, LinkState, ProvisionStep, ProvisionerState, TenantStatus,
};
use mcp_onboard::engine::api::{
    EventView, LinkSummary, LinkView, PendingView, ProvisionView, StatusView, TenantSummary,
    TenantView,
};
use mcp_onboard::engine::health::{HealthAlarm, TokenView};
use mcp_onboard::tui::model::{Confirm, ConfirmAction, Mode, Model, Screen, Setup, SetupLine};
use mcp_onboard::tui::style::Theme;
use mcp_onboard::tui::update::{add_form, refilter, set_rows};
use mcp_onboard::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use rstest::rstest;

const NOW: i64 = 1_796_000_000_000;

fn summary(
    slug: &str,
    name: &str,
    status: TenantStatus,
    email: Option<&str>,
    ago_s: i64,
) -> TenantSummary {
    TenantSummary {
        slug: slug.into(),
        display_name: name.into(),
        status,
        failure: None,
        reason: (status == TenantStatus::Failed)
            .then(|| "the customer declined access at Google".into()),
        google_email: email.map(Into::into),
        expected_account: (email.is_none() && status == TenantStatus::LinkOpened)
            .then(|| ExpectedAccount::Domain("betalabs.dev".into())),
        step: None,
        blaxel_status: (status == TenantStatus::Deployed).then(|| "DEPLOYED".into()),
        mcp_url: None,
        updated_at: "2026-11-29T10:00:00Z".into(),
        updated_ms: NOW - ago_s * 1000,
    }
}

fn entry(seq: u64, at: &str, kind: EventKind, detail: &str) -> EventView {
    EventView {
        seq,
        at: format!("2026-11-29T{at}Z"),
        kind,
        detail: detail.into(),
        status: None,
    }
}

fn detail() -> TenantView {
    TenantView {
        slug: "beta-corp".into(),
        display_name: "Beta Corporation".into(),
        status: TenantStatus::ServerCreated,
        failure: None,
        reason: None,
        contact: Some("Ops team".into()),
        expected_account: None,
        integration: Default::default(),
        requested_scopes: [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/gmail.send",
        ]
        .map(String::from)
        .to_vec(),
        granted_scopes: [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/gmail.send",
        ]
        .map(String::from)
        .to_vec(),
        google_email: Some("ops@beta.io".into()),
        google_sub: Some("1".into()),
        consented_at: None,
        created_at: "2026-11-29T12:00:00Z".into(),
        updated_at: "2026-11-29T12:04:05Z".into(),
        mcp_url: None,
        provisioning: Some(ProvisionView {
            step: ProvisionStep::Deploy,
            connection_name: "gmail-beta-corp".into(),
            function_name: "gmail-mcp-beta-corp".into(),
            attempts: 3,
            next_retry_at: None,
            next_attempt_ms: Some(NOW + 4_000),
            last_error: None,
            failed_step: None,
            blaxel_status: Some("DEPLOYING".into()),
            blaxel_status_at: None,
            blaxel_status_ms: Some(NOW - 18_000),
        }),
        links: vec![LinkSummary {
            id: "ab12cd34".into(),
            tenant: "beta-corp".into(),
            created_at: String::new(),
            expires_at: String::new(),
            expires_ms: NOW + 6 * 86_400_000,
            state: LinkState::Used,
            opened_at: None,
            open_count: 2,
            continue_count: 1,
        }],
        events: vec![
            entry(1, "12:00:00", EventKind::TenantAdded, "tenant added"),
            entry(
                2,
                "12:01:07",
                EventKind::LinkIssued,
                "consent link ab12cd34 issued",
            ),
            entry(
                3,
                "12:03:40",
                EventKind::LinkOpened,
                "consent link ab12cd34 opened",
            ),
            entry(
                4,
                "12:04:02",
                EventKind::Consented,
                "consent granted by ops@beta.io",
            ),
            entry(
                5,
                "12:04:03",
                EventKind::ConnectionReady,
                "Blaxel integration connection gmail-beta-corp holds the credentials",
            ),
            entry(
                6,
                "12:04:05",
                EventKind::ServerCreated,
                "MCP server gmail-mcp-beta-corp created",
            ),
        ],
        refused_signins: 0,
        token: None,
        pending_consent: None,
        return_url: None,
    }
}

fn setup(mode: Mode) -> Setup {
    Setup {
        mode,
        public_url: "https://onboard.acme.io/".into(),
        redirect_uri: "https://onboard.acme.io/oauth/callback".into(),
        data_dir: "/var/lib/mcp-onboard".into(),
        message_template: String::new(),
        problems: Vec::new(),
    }
}

fn model(color: bool, size: (u16, u16)) -> Model {
    let mut m = Model::new(setup(Mode::Attached { pid: 4121 }), Theme { color }, NOW);
    m.size = size;
    m.loaded = true;
    let rows = vec![
        summary(
            "alphabeta",
            "AlphaBeta",
            TenantStatus::Failed,
            Some("admin@alphabeta.io"),
            3600,
        ),
        summary(
            "beta-corp",
            "Beta Corporation",
            TenantStatus::ServerCreated,
            Some("ops@beta.io"),
            12,
        ),
        summary(
            "beta-labs",
            "Beta Labs",
            TenantStatus::LinkOpened,
            None,
            180,
        ),
        summary(
            "betamax",
            "Betamax Ltd",
            TenantStatus::Deployed,
            Some("it@betamax.co.uk"),
            172_800,
        ),
        summary(
            "gamma",
            "Gamma GmbH",
            TenantStatus::NeedsReconsent,
            Some("it@gamma.de"),
            86_400,
        ),
        summary("omega", "Omega", TenantStatus::Created, None, 5),
    ];
    set_rows(&mut m, rows);
    m.selected = 1;
    m.detail = Some(detail());
    m.provisioner = ProvisionerState {
        running: true,
        workspace: Some("acme-prod".into()),
        api_url: Some("https://api.blaxel.ai/v0".into()),
        concurrency: 8,
        in_flight: 3,
        waiting: 9,
        retrying: 1,
        blaxel_reachable: Some(true),
        last_call_at: Some(NOW - 2_000),
        ..Default::default()
    };
    m
}

fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

fn screens(size: (u16, u16)) -> Vec<(&'static str, Model)> {
    let mut out = Vec::new();
    out.push(("tenants", model(true, size)));
    let mut link = model(true, size);
    link.links.insert(
        "beta-corp".into(),
        LinkView {
            slug: "beta-corp".into(),
            url: "https://onboard.acme.io/c/8F9uG8_19xc6CRxd4Ipj7w".into(),
            id: "ab12cd34".into(),
            expires_at: "2026-12-06T12:01:07Z".into(),
            expires_ms: NOW + 6 * 86_400_000 + 23 * 3_600_000,
            ..Default::default()
        },
    );
    link.screens.push(Screen::Link("beta-corp".into()));
    out.push(("link", link));
    let mut nolink = model(true, size);
    nolink.screens.push(Screen::Link("beta-corp".into()));
    out.push(("link-none-issued", nolink));
    let mut form = model(true, size);
    form.screens.push(Screen::Form(add_form()));
    out.push(("form", form));
    let mut help = model(true, size);
    help.screens.push(Screen::Help);
    out.push(("help", help));
    let mut confirm = model(true, size);
    confirm.confirm = Some(Confirm {
        text: "Withdraw every unused consent link of beta-corp?".into(),
        action: ConfirmAction::Withdraw("beta-corp".into()),
    });
    out.push(("confirm", confirm));
    let mut palette = model(true, size);
    palette.palette = Some(tui_input::Input::new("li".into()));
    out.push(("palette", palette));
    let mut filtered = model(true, size);
    filtered.filter = tui_input::Input::new("beta".into());
    filtered.filtering = true;
    refilter(&mut filtered);
    out.push(("filter", filtered));
    let mut s = setup(Mode::Owner);
    s.problems = vec![
        SetupLine {
            ok: false,
            what: "google client".into(),
            detail: "missing google.client_id: set GOOGLE_CLIENT_ID".into(),
        },
        SetupLine {
            ok: true,
            what: "listener.public_url".into(),
            detail: "https://onboard.acme.io/".into(),
        },
        SetupLine {
            ok: true,
            what: "blaxel".into(),
            detail: "workspace acme-prod at https://api.blaxel.ai/v0".into(),
        },
    ];
    let mut first = Model::new(s, Theme { color: true }, NOW);
    first.size = size;
    out.push(("setup", first));
    let mut empty = Model::new(setup(Mode::Owner), Theme { color: true }, NOW);
    empty.size = size;
    empty.loaded = true;
    out.push(("empty-owner", empty));
    out.push(("token-refused", token_refused(size)));
    out.push(("awaiting-approval", awaiting_approval(size)));
    out
}

/// betamax was consented by another account than before: it waits for the operator.
fn awaiting_approval(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    let mut rows = m.rows.clone();
    for r in &mut rows {
        if r.slug == "betamax" {
            r.status = TenantStatus::AwaitingApproval;
        }
    }
    set_rows(&mut m, rows);
    m.selected = m
        .visible
        .iter()
        .position(|&i| m.rows[i].slug == "betamax")
        .unwrap();
    let mut d = detail();
    d.slug = "betamax".into();
    d.display_name = "Betamax Ltd".into();
    d.status = TenantStatus::AwaitingApproval;
    d.google_email = Some("it@betamax.co.uk".into());
    d.events.truncate(1);
    d.pending_consent = Some(PendingView {
        account: "intern@gmail.com".into(),
        sub: "1029".into(),
        at: "2026-12-01T00:00:00Z".into(),
        underlying: TenantStatus::Deployed,
    });
    m.detail = Some(d);
    m
}

/// gamma's token was refused at the last check, and Google refuses our client now.
fn token_refused(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    m.selected = m
        .visible
        .iter()
        .position(|&i| m.rows[i].slug == "gamma")
        .unwrap();
    let mut d = detail();
    d.slug = "gamma".into();
    d.display_name = "Gamma GmbH".into();
    d.status = TenantStatus::NeedsReconsent;
    d.reason = Some("Google refused the refresh token (400 invalid_grant)".into());
    d.google_email = Some("it@gamma.de".into());
    d.provisioning = None;
    d.mcp_url = None;
    d.events.truncate(2);
    d.token = Some(TokenView {
        health: Some(Health::NeedsReconsent),
        reason: d.reason.clone(),
        checked_at: Some("2026-12-01T00:00:00Z".into()),
        healthy_at: None,
        inconclusive_in_a_row: 0,
        testing_expires_at: None,
        testing_expires_ms: None,
        account_tokens_issued: 1,
    });
    m.detail = Some(d);
    m.status = Some(StatusView {
        health_alarm: Some(HealthAlarm {
            reason: "Google refused our OAuth client (401 invalid_client)".into(),
            since: "2026-12-01T00:00:00Z".into(),
        }),
        ..Default::default()
    });
    m
}

/// The foreground of the first cell of `text` on screen.
fn text_fg(t: &Terminal<TestBackend>, text: &str) -> Color {
    let buf = t.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let cells: Vec<String> = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        let line: String = cells.concat();
        if let Some(byte) = line.find(text) {
            // Cells may hold several bytes: find the cell where `text` starts.
            let mut at = 0;
            for (x, c) in cells.iter().enumerate() {
                if at == byte {
                    return buf[(x as u16, y)].fg;
                }
                at += c.len();
            }
        }
    }
    panic!("no {text:?} on screen");
}

#[test]
fn a_consent_waiting_for_approval_is_cyan_with_its_glyph() {
    let t = draw(&awaiting_approval((120, 40)));
    assert_eq!(text_fg(&t, "◆ consent by intern@gmail.com"), Color::Cyan);
    assert_eq!(text_fg(&t, "◆ awaiting approval"), Color::Cyan);
}

#[test]
fn a_refused_token_and_a_refused_client_are_red() {
    let t = draw(&token_refused((120, 40)));
    assert_eq!(text_fg(&t, "✖ refused by Google"), Color::Red);
    assert_eq!(text_fg(&t, "⚠ token checks paused"), Color::Red);
    let plain = {
        let mut m = token_refused((120, 40));
        m.theme = Theme { color: false };
        draw(&m)
    };
    assert_eq!(text_fg(&plain, "✖ refused by Google"), Color::Reset);
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn every_screen_at_both_sizes(#[case] w: u16, #[case] h: u16) {
    for (name, m) in screens((w, h)) {
        let t = draw(&m);
        insta::assert_snapshot!(format!("{name}-{w}x{h}"), t.backend());
    }
}

/// The style of the first cell whose symbol is `glyph` on the row holding `text`.
fn glyph_fg(t: &Terminal<TestBackend>, text: &str, glyph: &str) -> Color {
    let buf = t.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        if line.contains(text) {
            for x in 0..area.width {
                if buf[(x, y)].symbol() == glyph {
                    return buf[(x, y)].fg;
                }
            }
        }
    }
    panic!("no {glyph} on a row with {text}");
}

#[rstest]
#[case("betamax", "●", Color::Green)]
#[case("alphabeta", "✖", Color::Red)]
#[case("beta-labs", "✉", Color::Blue)]
#[case("gamma", "⚠", Color::Magenta)]
fn each_status_has_its_colour_and_glyph(
    #[case] slug: &str,
    #[case] glyph: &str,
    #[case] color: Color,
) {
    let t = draw(&model(true, (120, 40)));
    assert_eq!(glyph_fg(&t, slug, glyph), color, "{slug}");
    // Under NO_COLOR the glyph stays, the colour goes.
    let plain = draw(&model(false, (120, 40)));
    assert_eq!(
        glyph_fg(&plain, slug, glyph),
        Color::Reset,
        "{slug} under NO_COLOR"
    );
}

#[test]
fn no_colour_at_all_under_no_color_except_the_qr_code() {
    for (name, mut m) in screens((120, 40)) {
        m.theme = Theme { color: false };
        let t = draw(&m);
        let buf = t.backend().buffer();
        for cell in buf.content() {
            let qr = cell.fg == Color::Black && cell.bg == Color::White;
            if !qr {
                assert_eq!(
                    (cell.fg, cell.bg),
                    (Color::Reset, Color::Reset),
                    "{name}: {cell:?}"
                );
            }
        }
    }
}

#[test]
fn the_qr_code_is_dark_on_light_and_fits_80x24() {
    let (_, m) = screens((80, 24))
        .into_iter()
        .find(|(n, _)| *n == "link")
        .unwrap();
    let t = draw(&m);
    let buf = t.backend().buffer();
    let qr_cells = buf
        .content()
        .iter()
        .filter(|c| c.fg == Color::Black && c.bg == Color::White)
        .count();
    assert!(
        qr_cells > 37 * 19 - 50,
        "the whole code is drawn: {qr_cells} cells"
    );
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(!text.contains("does not fit"));
}

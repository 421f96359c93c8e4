//! The console's screens drawn on a TestBackend at 80x24 and 120x40, snapshotted, and the
//! status colours asserted cell by cell (and their absence under NO_COLOR).

mod support_view;

use mcp_onboard::engine::api::LinkView;
use mcp_onboard::tui::model::{Confirm, ConfirmAction, Mode, Model, Msg, SetupLine};
use mcp_onboard::tui::style::Theme;
use mcp_onboard::tui::update::{add_form, refilter, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use rstest::rstest;
use support_view::*;

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
    link.mode = Mode::Link("beta-corp".into());
    out.push(("link", link));
    let mut nolink = model(true, size);
    nolink.mode = Mode::Link("beta-corp".into());
    out.push(("link-none-issued", nolink));
    let mut form = model(true, size);
    form.mode = Mode::Form(add_form());
    out.push(("form", form));
    let mut help = model(true, size);
    help.mode = help_over_the_table(0);
    out.push(("help", help));
    let mut confirm = model(true, size);
    confirm.mode = Mode::Confirm {
        confirm: Confirm {
            text: "Withdraw every unused consent link of beta-corp?".into(),
            action: ConfirmAction::Withdraw("beta-corp".into()),
        },
        back: Box::new(Mode::Table),
    };
    out.push(("confirm", confirm));
    let mut palette = model(true, size);
    palette.mode = Mode::Palette(tui_input::Input::new("li".into()));
    out.push(("palette", palette));
    let mut filtered = model(true, size);
    filtered.table.filter = tui_input::Input::new("beta".into());
    filtered.mode = Mode::Filter;
    refilter(&mut filtered);
    out.push(("filter", filtered));
    let mut s = setup(owner());
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
    let mut empty = Model::new(setup(owner()), Theme { color: true }, NOW);
    empty.size = size;
    empty.load.loaded = true;
    out.push(("empty-owner", empty));
    out.push(("token-refused", token_refused(size)));
    out.push(("awaiting-approval", awaiting_approval(size)));
    out.push(("deployed", deployed(size)));
    let mut back = deployed(size);
    back.detail.timeline_back = Some(("betamax".into(), 2));
    out.push(("deployed-timeline-back", back));
    out.push(("declined", declined(size)));
    let mut retried = declined(size);
    update(&mut retried, key('r'));
    out.push(("declined-retry", retried));
    out.push(("form-error", form_error(size)));
    out.push(("new-link-earlier", new_link_earlier(size)));
    out.push(("palette-more", palette_more(size)));
    let mut end = model(true, size);
    end.mode = help_over_the_table(u16::MAX);
    out.push(("help-end", end));
    out.push(("two-integrations", two_integrations(size)));
    let mut full = two_integrations(size);
    full.mode = Mode::Details {
        slug: "betamax".into(),
        scroll: 0,
    };
    out.push(("two-integrations-details", full));
    out.push(("both-deployed", both_deployed(size)));
    out.push(("setup-online", setup_online(size)));
    out.push(("mcp-usable", mcp_usable(size)));
    out.push(("mcp-unreachable", mcp_unreachable(size)));
    let mut full = mcp_unreachable(size);
    full.mode = Mode::Details {
        slug: "betamax".into(),
        scroll: 0,
    };
    out.push(("mcp-unreachable-details", full));
    let mut scrolled = setup_online(size);
    for _ in 0..100 {
        update(
            &mut scrolled,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::PageDown,
            )),
        );
    }
    out.push(("setup-online-end", scrolled));
    out.push(("mailed", mailed(size)));
    out.push(("mail-all", mail_all_question(size)));
    out
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn a_deployed_tenant_shows_its_whole_mcp_url_on_a_line_of_its_own_and_its_newest_entry(
    #[case] w: u16,
    #[case] h: u16,
) {
    let screen = rows(&draw(&deployed((w, h))));
    let url_rows: Vec<&String> = screen.iter().filter(|r| r.contains(MCP_URL)).collect();
    assert!(
        url_rows.iter().any(|r| !r.contains('│')),
        "the whole URL on a line of its own:\n{}",
        screen.join("\n")
    );
    assert!(
        screen
            .iter()
            .any(|r| r.contains("12:04:41  MCP server gmail-mcp-betamax")),
        "the newest timeline entry is in view:\n{}",
        screen.join("\n")
    );
    // Scrolled back, the newest entry stays, and markers say what is out of view.
    let mut back = deployed((w, h));
    back.detail.timeline_back = Some(("betamax".into(), 1));
    let text = rows(&draw(&back)).join("\n");
    assert!(text.contains("12:04:41  MCP server"), "{text}");
}

#[test]
fn the_timeline_scrolls_back_to_its_first_entry_and_no_further_at_80x24() {
    let m = deployed((80, 24));
    let max = mcp_onboard::tui::layout::timeline_max_back(&m);
    assert!(max > 0, "at 80x24 some entries are out of view");
    let text = rows(&draw(&m)).join("\n");
    assert!(text.contains("earlier  [ scrolls back"), "{text}");
    for size in [(80, 24), (80, 28)] {
        let mut first = deployed(size);
        first.detail.timeline_back = Some(("betamax".into(), usize::MAX));
        let text = rows(&draw(&first)).join("\n");
        assert!(text.contains("12:00:00  tenant added"), "{text}");
        assert!(text.contains("12:04:41  MCP server"), "{text}");
    }
    // With a row to spare, a marker says newer entries are out of view.
    let mut first = deployed((80, 28));
    first.detail.timeline_back = Some(("betamax".into(), usize::MAX));
    let text = rows(&draw(&first)).join("\n");
    assert!(text.contains("later  ] scrolls on"), "{text}");
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn a_declined_tenant_reads_declined_and_r_says_what_can_be_done(#[case] w: u16, #[case] h: u16) {
    let text = rows(&draw(&declined((w, h)))).join("\n");
    assert!(text.contains("✖ declined"), "{text}");
    assert!(text.contains("their link works until"), "{text}");
    let mut m = declined((w, h));
    update(&mut m, key('r'));
    let text = rows(&draw(&m)).join(" ");
    assert!(text.contains("nothing to retry"), "{text}");
    assert!(text.contains("n issues a new one"), "{text}");
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn the_form_error_is_wrapped_not_cut(#[case] w: u16, #[case] h: u16) {
    let screen = rows(&draw(&form_error((w, h))));
    // The form's box is 76 columns wide, centred: the text between its borders, row by row.
    let x0 = usize::from((w - 76) / 2) + 1;
    let inside: String = screen
        .iter()
        .map(|r| r.chars().skip(x0).take(74).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        inside.contains("starting and ending with a letter or digit"),
        "{}",
        screen.join("\n")
    );
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn completions_stay_inside_the_pane_and_say_how_many_more(#[case] w: u16, #[case] h: u16) {
    let text = rows(&draw(&palette_more((w, h)))).join("\n");
    assert!(text.contains(" more: type to narrow"), "{text}");
    assert!(
        !text.contains("└└") && !text.contains("│┌") && !text.contains("┘─"),
        "no border drawn over another:\n{text}"
    );
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn help_scrolls_to_its_last_row_and_no_further(#[case] w: u16, #[case] h: u16) {
    let mut m = model(true, (w, h));
    m.mode = help_over_the_table(u16::MAX);
    let screen = rows(&draw(&m));
    // The box's last row inside its border is the help's last row, not blank space.
    let last = &screen[usize::from(h) - 4];
    assert!(last.contains(":quit"), "{}", screen.join("\n"));
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
fn an_unreachable_mcp_server_is_red_and_a_usable_ones_tools_green() {
    let t = draw(&mcp_unreachable((120, 40)));
    assert_eq!(text_fg(&t, "✖ MCP server unreachable"), Color::Red);
    assert_eq!(
        text_fg(&t, "✖ down"),
        Color::Red,
        "in the table's MCP column"
    );
    assert_eq!(text_fg(&t, "✔ send_email (212 ms)"), Color::Green);
    let t = draw(&mcp_usable((120, 40)));
    assert_eq!(
        text_fg(&t, "✔ send_email, list_emails, get_email"),
        Color::Green
    );
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

#[rstest]
#[case::small(80, 24, "g● d✉")]
#[case::between(100, 30, "g● d✉")]
#[case::large(120, 40, "gmail ● drive ✉")]
fn a_tenant_of_two_integrations_marks_each_in_its_row_and_has_a_block_each(
    #[case] w: u16,
    #[case] h: u16,
    #[case] marks: &str,
) {
    let t = draw(&two_integrations((w, h)));
    let screen = rows(&t);
    let text = screen.join("\n");
    assert!(
        screen
            .iter()
            .any(|r| r.contains("betamax") && r.contains("✉ link opened") && r.contains(marks)),
        "{text}"
    );
    assert!(text.contains("│gmail  ● deployed"), "{text}");
    assert!(text.contains("│google-drive  ✉ link opened"), "{text}");
    // Gmail's glyph is green on a row whose status, Drive's, is blue.
    assert_eq!(glyph_fg(&t, "betamax", "●"), Color::Green);
    assert_eq!(glyph_fg(&t, "betamax", "✉"), Color::Blue);
    // With room, the blocks leave the table every row.
    if h >= 40 {
        for slug in ["alphabeta", "beta-corp", "gamma", "omega"] {
            assert!(screen.iter().any(|r| r.contains(slug)), "{slug}: {text}");
        }
    }
}

#[rstest]
#[case::small(80, 24, "✉", "✉✗")]
#[case::large(120, 40, "✉ 00:33", "✉✗ 27 Nov")]
fn a_mailed_link_shows_in_its_row_and_a_refused_one_in_red(
    #[case] w: u16,
    #[case] h: u16,
    #[case] today: &str,
    #[case] refused: &str,
) {
    let t = draw(&mailed((w, h)));
    let screen = rows(&t);
    let row = |slug: &str| {
        screen
            .iter()
            .find(|r| r.contains(&format!(" {slug} ")))
            .cloned()
            .unwrap_or_default()
    };
    assert!(row("beta-corp").contains(today), "{}", screen.join("\n"));
    assert!(row("gamma").contains(refused), "{}", screen.join("\n"));
    assert!(!row("omega").contains('✗'), "{}", screen.join("\n"));
    assert_eq!(text_fg(&t, refused), Color::Red);
    if w >= 120 {
        // The pane says where its links go and what the relay said of the last one.
        let text = screen.join("\n");
        assert!(
            text.contains("mail     ops@beta.io · ✔ link ab12cd34 mailed 00:33"),
            "{text}"
        );
    }
}

#[test]
fn mailed_times_and_the_timeline_are_said_in_the_operators_zone() {
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(2));
    let mut m = mailed((120, 40));
    m.zone = zone.clone();
    let text = rows(&draw(&m)).join("\n");
    assert!(
        text.contains("✉ 02:33") && text.contains("mailed 02:33"),
        "{text}"
    );
    let mut m = deployed((120, 40));
    m.zone = zone;
    let text = rows(&draw(&m)).join("\n");
    assert!(
        text.contains("14:04:41  MCP server gmail-mcp-betamax"),
        "{text}"
    );
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn the_question_before_mailing_every_tenant_shown_names_the_count_and_who_is_left_out(
    #[case] w: u16,
    #[case] h: u16,
) {
    let text = rows(&draw(&mail_all_question((w, h))))
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Mail a new consent link to each of the 3 tenants shown?"),
        "{text}"
    );
    assert!(text.contains("alphabeta, beta-labs, omega."), "{text}");
    assert!(
        text.contains("y yes"),
        "the keys show under the question: {text}"
    );
}

//! The console's own code on a `TestBackend` fed by the engine: one frame's render
//! (unchanged and after a move), a filter keystroke to redraw (update plus draw, over all
//! rows), engine events to redraw, and a sort change to redraw, at 120x40 and 80x24.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mcp_onboard::config::Config;
use mcp_onboard::engine::{Engine, EngineApi, Local, Placement};
use mcp_onboard::store::KeySource;
use mcp_onboard::tui::model::{Effect, Model, Msg, Setup};
use mcp_onboard::tui::style::Theme;
use mcp_onboard::tui::update::update;
use mcp_onboard::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{median, ms, pct};

fn press(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Run the model's calls against the engine until none is left (what the runner does,
/// without a terminal).
fn settle(rt: &tokio::runtime::Runtime, api: &Local, m: &mut Model, mut fx: Vec<Effect>) {
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            if let Effect::Call { id, command } = e {
                let result = rt.block_on(api.call(command));
                next.extend(update(m, Msg::Reply { id, result }));
            }
        }
        fx = next;
    }
}

/// The in-process half: the console's update and view over the engine's real list.
pub fn in_process(
    rt: &tokio::runtime::Runtime,
    data: &Path,
    key: &KeySource,
    n: usize,
    quick: bool,
) {
    let config = Arc::new(Config::load(None, false, &|_| None).expect("config"));
    let engine = rt
        .block_on(Engine::open(data, key, config, Placement::Direct))
        .expect("open");
    let api = Local(engine.clone());
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let setup = Setup {
            attachment: api.attachment(),
            public_url: "https://onboard.example.com/".into(),
            redirect_uri: "https://onboard.example.com/oauth/callback".into(),
            data_dir: data.display().to_string(),
            exports: data.join("exports"),
            message_template: mcp_onboard::message::template(None),
            problems: vec![],
            mail: Err("mail is not set up".into()),
        };
        let mut m = Model::new(setup, Theme { color: true }, mcp_onboard::time::now_ms());
        let mut fx = update(&mut m, Msg::Resize(w, h));
        fx.extend(update(&mut m, Msg::Start));
        settle(rt, &api, &mut m, fx);
        assert_eq!(m.table.rows.len(), n, "the whole list is in the model");
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| view(&m, f)).expect("draw");
        let rounds = if quick { 50 } else { 300 };

        let mut same = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            term.draw(|f| view(&m, f)).expect("draw");
            same.push(t.elapsed());
        }
        let mut moved = Vec::new();
        for i in 0..rounds {
            let k = if i % 2 == 0 {
                KeyCode::Down
            } else {
                KeyCode::PageDown
            };
            let t = Instant::now();
            let _ = update(&mut m, press(k));
            term.draw(|f| view(&m, f)).expect("draw");
            moved.push(t.elapsed());
        }

        // A filter typed one key at a time, then erased: each keystroke refilters every row.
        let _ = update(&mut m, press(KeyCode::Char('/')));
        let typed = "customer number 4242";
        let mut filter = Vec::new();
        for _ in 0..if quick { 2 } else { 5 } {
            for c in typed.chars() {
                let t = Instant::now();
                let _ = update(&mut m, press(KeyCode::Char(c)));
                term.draw(|f| view(&m, f)).expect("draw");
                filter.push(t.elapsed());
            }
            assert!(
                !m.table.visible.is_empty() && m.table.visible.len() < n,
                "the filter narrowed the table"
            );
            for _ in typed.chars() {
                let t = Instant::now();
                let _ = update(&mut m, press(KeyCode::Backspace));
                term.draw(|f| view(&m, f)).expect("draw");
                filter.push(t.elapsed());
            }
            assert_eq!(m.table.visible.len(), n);
        }
        let _ = update(&mut m, press(KeyCode::Esc));

        // Engine events: a busy hour's changes, each applied and drawn (the runner coalesces
        // draws, so this is the worst case), sorted by slug and then by last change.
        let mut events = Vec::new();
        for (round, sort_key) in [(0u64, "slug"), (1, "changed")] {
            if sort_key == "changed" {
                while m.table.sort != mcp_onboard::engine::api::SortKey::Changed {
                    let _ = update(&mut m, press(KeyCode::Char('s')));
                }
            }
            for i in 0..if quick { 200 } else { 1000 } {
                let slug = format!("tenant-{:06}", (i * 7919 + round as usize * 13) % n);
                let Some(row) = m.table.rows.iter().find(|r| r.slug == slug).cloned() else {
                    continue;
                };
                let mut s = row;
                s.status = mcp_onboard::domain::model::TenantStatus::LinkIssued;
                s.updated_ms += 1_000_000 + i as i64;
                let ev = mcp_onboard::engine::Event {
                    seq: 1 + i as u64,
                    body: mcp_onboard::engine::EventBody::TenantChanged {
                        slug,
                        status: s.status,
                        summary: Some(s),
                        entry: None,
                    },
                };
                let t = Instant::now();
                let _ = update(
                    &mut m,
                    Msg::Engine(mcp_onboard::engine::Item::Event(Box::new(ev))),
                );
                term.draw(|f| view(&m, f)).expect("draw");
                events.push((round, t.elapsed()));
            }
        }
        let (mut by_slug, mut by_changed): (Vec<_>, Vec<_>) =
            events.into_iter().partition(|(r, _)| *r == 0);
        let mut by_slug: Vec<Duration> = by_slug.drain(..).map(|(_, d)| d).collect();
        let mut by_changed: Vec<Duration> = by_changed.drain(..).map(|(_, d)| d).collect();

        let mut sort = Vec::new();
        for _ in 0..if quick { 4 } else { 12 } {
            let t = Instant::now();
            let _ = update(&mut m, press(KeyCode::Char('s')));
            term.draw(|f| view(&m, f)).expect("draw");
            sort.push(t.elapsed());
        }

        println!("console at {w}x{h}, {n} tenants (update + draw on a TestBackend):");
        println!(
            "  one frame, nothing changed      median {}  p99 {}",
            ms(median(&mut same)),
            ms(pct(&mut same, 0.99))
        );
        println!(
            "  move the selection + frame      median {}  p99 {}",
            ms(median(&mut moved)),
            ms(pct(&mut moved, 0.99))
        );
        println!(
            "  filter keystroke to redraw      median {}  p99 {}  max {}",
            ms(median(&mut filter)),
            ms(pct(&mut filter, 0.99)),
            ms(*filter.iter().max().expect("some"))
        );
        println!(
            "  engine event to redraw          median {}  p99 {} (by slug); median {}  p99 {} (by last change)",
            ms(median(&mut by_slug)),
            ms(pct(&mut by_slug, 0.99)),
            ms(median(&mut by_changed)),
            ms(pct(&mut by_changed, 0.99))
        );
        println!(
            "  sort change to redraw           median {}  max {}",
            ms(median(&mut sort)),
            ms(*sort.iter().max().expect("some"))
        );
    }
    rt.block_on(engine.shutdown(Duration::from_secs(30)))
        .expect("close");
}

//! A new link for a tenant whose earlier links are still active asks first: keep them (each
//! can still start a consent until it expires) or withdraw them in the same commit as the
//! new one is issued, as `link --replace` does; the flash after says which happened.

use crossterm::event::KeyCode;
use rstest::rstest;

use super::*;
use crate::tui::model::ConfirmAction;

const DAY: i64 = 86_400_000;

/// `t000`'s detail with `n` active links, the last expiring in six days.
fn with_active_links(m: &mut Model, n: usize) {
    let mut d = view("t000", TenantStatus::LinkIssued);
    for i in 0..n {
        let mut l = link_summary("t000");
        l.id = format!("ab12cd3{i}");
        l.expires_ms = m.now + (i as i64 + 5) * DAY;
        d.links.push(l);
    }
    m.detail.view = Some(d);
}

fn issued(fx: &[Effect]) -> Vec<(String, u64, bool)> {
    calls(fx)
        .into_iter()
        .filter_map(|c| match c {
            Command::IssueLink {
                integration: None,
                slug,
                ttl_secs,
                replace,
            } => Some((slug.clone(), *ttl_secs, *replace)),
            _ => None,
        })
        .collect()
}

#[test]
fn n_with_earlier_active_links_asks_whether_to_keep_or_withdraw_them() {
    let mut m = loaded(2);
    with_active_links(&mut m, 2);
    let fx = update(&mut m, key('n'));
    assert!(fx.is_empty(), "asks first: {fx:?}");
    let q = m.mode.confirm().expect("a question");
    assert_eq!(
        q.action,
        ConfirmAction::EarlierLinks {
            slug: "t000".into(),
            ttl_secs: 7 * 24 * 3600
        }
    );
    assert_eq!(
        q.text,
        "New link for t000: its 2 earlier links stay valid (the last expires in 6d 0h) \
         unless withdrawn now."
    );
}

#[rstest]
#[case::keep('k', false)]
#[case::withdraw('w', true)]
fn the_answer_says_whether_the_engine_withdraws_them(
    #[case] answer_key: char,
    #[case] replace: bool,
) {
    let mut m = loaded(2);
    with_active_links(&mut m, 1);
    update(&mut m, key('n'));
    let fx = update(&mut m, key(answer_key));
    assert_eq!(issued(&fx), [("t000".to_owned(), 604_800, replace)]);
    assert!(matches!(m.mode, Mode::Table), "{:?}", m.mode);
    answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
}

#[test]
fn esc_issues_nothing_and_y_is_no_answer() {
    let mut m = loaded(2);
    with_active_links(&mut m, 1);
    update(&mut m, key('n'));
    assert!(update(&mut m, key('y')).is_empty());
    assert!(m.mode.confirm().is_some(), "y answers nothing here");
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(m.mode, Mode::Table));
}

#[rstest]
#[case::none(0)]
#[case::used(1)]
#[case::expired(2)]
fn without_an_active_earlier_link_n_issues_at_once(#[case] which: usize) {
    let mut m = loaded(2);
    with_active_links(&mut m, 1);
    if let Some(d) = m.detail.view.as_mut() {
        match which {
            0 => d.links.clear(),
            1 => d.links[0].state = LinkState::Used,
            _ => d.links[0].expires_ms = m.now - 1,
        }
    }
    let fx = update(&mut m, key('n'));
    assert_eq!(issued(&fx), [("t000".to_owned(), 604_800, false)]);
}

#[test]
fn in_the_link_view_the_question_goes_back_to_it() {
    let mut m = loaded(2);
    update(&mut m, code(KeyCode::Enter));
    with_active_links(&mut m, 1);
    update(&mut m, key('n'));
    assert!(matches!(&m.mode, Mode::Confirm { back, .. } if matches!(**back, Mode::Link(_))));
    let fx = update(&mut m, key('w'));
    assert_eq!(issued(&fx), [("t000".to_owned(), 604_800, true)]);
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
}

#[test]
fn the_palette_asks_too_and_keeps_the_lifetime_typed() {
    let mut m = loaded(2);
    with_active_links(&mut m, 1);
    update(&mut m, key(':'));
    typed(&mut m, "link t000 30m");
    assert!(calls(&update(&mut m, code(KeyCode::Enter))).is_empty());
    let fx = update(&mut m, key('k'));
    assert_eq!(issued(&fx), [("t000".to_owned(), 1800, false)]);
}

#[rstest]
#[case::none(0, vec![], "✔ new consent link for t000")]
#[case::one_kept(1, vec![], "✔ new consent link for t000; 1 earlier link stays valid (it expires in 2d 0h)")]
#[case::two_kept(2, vec![], "✔ new consent link for t000; 2 earlier links stay valid (the last expires in 2d 0h)")]
#[case::withdrawn(0, vec!["ab12cd34", "ef56ab78"], "✔ new consent link for t000; 2 earlier links withdrawn (ab12cd34, ef56ab78): only the new one works")]
fn the_flash_after_says_what_became_of_the_earlier_links(
    #[case] kept: usize,
    #[case] withdrawn: Vec<&str>,
    #[case] said: &str,
) {
    let mut m = loaded(2);
    let fx = update(&mut m, key('n'));
    let now = m.now;
    answer(&mut m, &fx, |_| {
        let mut l = link_view("t000");
        l.earlier_active = kept;
        l.earlier_active_until_ms = (kept > 0).then_some(now + 2 * DAY);
        l.withdrawn = Some(withdrawn.iter().map(|s| (*s).to_owned()).collect());
        Some(Ok(Reply::Link(l)))
    });
    assert_eq!(flashed(&m), (Level::Ok, said));
}

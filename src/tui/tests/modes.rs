//! What the console is doing is one value: a question or the help goes back to what it was
//! opened over, and what was being typed is not lost under it.

use crossterm::event::KeyCode;

use super::*;

#[test]
fn a_question_asked_over_a_form_goes_back_to_it_with_what_was_typed() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "beta");
    let fx = quit_with(
        &mut m,
        ctrl_c(),
        Ok(Reply::Status(Box::new(status_with(2, 0)))),
    );
    assert!(!fx.contains(&Effect::Quit));
    assert!(
        matches!(&m.mode, Mode::Confirm { back, .. } if matches!(**back, Mode::Form(_))),
        "{:?}",
        m.mode
    );
    update(&mut m, key('n'));
    assert_eq!(form(&m).fields[0].input.value(), "beta");
    assert!(!m.quit);
}

#[test]
fn ctrl_c_while_typing_the_filter_asks_over_the_table_and_keeps_the_filter() {
    let mut m = loaded(30);
    update(&mut m, key('/'));
    typed(&mut m, "t01");
    quit_with(
        &mut m,
        ctrl_c(),
        Ok(Reply::Status(Box::new(status_with(2, 0)))),
    );
    assert!(
        matches!(&m.mode, Mode::Confirm { back, .. } if matches!(**back, Mode::Table)),
        "{:?}",
        m.mode
    );
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.mode, Mode::Table));
    assert_eq!(m.table.filter.value(), "t01", "the filter stays");
    assert_eq!(m.table.visible.len(), 10);
}

#[test]
fn a_link_that_comes_while_a_form_is_open_leaves_the_form_and_waits_in_its_view() {
    let mut m = loaded(2);
    let fx = update(&mut m, key('n'));
    update(&mut m, key('a'));
    typed(&mut m, "gamma");
    answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    assert_eq!(form(&m).fields[0].input.value(), "gamma", "the form stays");
    assert_eq!(flashed(&m), (Level::Ok, "✔ new consent link for t000"));
    update(&mut m, code(KeyCode::Esc));
    update(&mut m, code(KeyCode::Enter));
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    assert!(m.links.contains_key("t000"), "its view shows it");
}

#[test]
fn the_help_from_a_question_is_not_reachable_and_a_second_question_replaces_the_first() {
    let mut m = loaded(2);
    update(&mut m, key('w'));
    assert!(update(&mut m, key('?')).is_empty());
    assert!(
        m.mode.confirm().is_some(),
        "? answers nothing: the question stays"
    );
    // Ctrl-C over a question: the quit question replaces it, and goes back to the table.
    quit_with(
        &mut m,
        ctrl_c(),
        Ok(Reply::Status(Box::new(status_with(2, 0)))),
    );
    assert!(
        matches!(&m.mode, Mode::Confirm { confirm, back }
            if confirm.text.starts_with("Quit") && matches!(**back, Mode::Table)),
        "{:?}",
        m.mode
    );
    update(&mut m, key('n'));
    assert!(matches!(m.mode, Mode::Table));
}

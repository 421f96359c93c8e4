//! Screens of the console built by keys and forms: the help over the table, the add form with
//! an error, a new link over an active one, the palette with more completions than rows.

use super::model;
use mcp_onboard::tui::model::{Mode, Model, Msg};
use mcp_onboard::tui::update::{add_form, update, validate_form};

/// The help, scrolled this far, over the table.
pub fn help_over_the_table(scroll: u16) -> Mode {
    Mode::Help {
        scroll,
        back: Box::new(Mode::Table),
    }
}

pub fn key(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// The add form with a bad slug, saved: the field's error and the form's.
pub fn form_error(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    let mut form = add_form();
    form.fields[0].input = tui_input::Input::new("Beta_Corp".into());
    validate_form(&mut form);
    form.error = Some("fix the field marked ✖ first".into());
    m.mode = Mode::Form(form);
    m
}

/// `n` on beta-corp, whose earlier link is still active: keep it or withdraw it?
pub fn new_link_earlier(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    if let Some(d) = m.detail.view.as_mut() {
        d.links[0].state = mcp_onboard::domain::model::LinkState::Active;
    }
    update(&mut m, key('n'));
    m
}

/// `:status ` typed: more statuses than the box has rows.
pub fn palette_more(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    m.mode = Mode::Palette(tui_input::Input::new("status ".into()));
    m
}

//! Draws the provisioning panel beside the selected tenant (its rows from the layout).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

use crate::tui::layout::provisioning::provisioning_rows;
use crate::tui::model::Model;

pub fn provisioning(m: &Model, f: &mut Frame, area: Rect) {
    let lines = provisioning_rows(m, area.width.saturating_sub(2));
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Provisioning ")),
        area,
    );
}

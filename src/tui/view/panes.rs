//! Draws the provisioning panel beside the selected tenant (its rows from the layout); when
//! they are more than its room, a marker says how many more and how to see them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

use crate::tui::layout::cap::{Extent, cut_to};
use crate::tui::layout::integrations::provisioning_title;
use crate::tui::layout::provisioning::provisioning_rows;
use crate::tui::model::Model;

pub fn provisioning(m: &Model, f: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2);
    let title = provisioning_title(m.shown_detail());
    let mut lines = provisioning_rows(m, width, Extent::Pane);
    cut_to(
        m,
        &mut lines,
        usize::from(area.height.saturating_sub(2)),
        width,
    );
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

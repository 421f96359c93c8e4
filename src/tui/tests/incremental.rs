//! The table is kept by small steps (a row out, a row in, indices shifted); whatever
//! happens, it must equal what sorting and filtering everything afresh gives.
use proptest::prelude::*;

use super::*;
use crate::engine::api::SortKey;

#[derive(Debug, Clone)]
enum Op {
    Change {
        who: u8,
        status: u8,
        name: u8,
        at: i64,
    },
    Remove {
        who: u8,
    },
    Sort,
    Filter(&'static str),
    Type(char),
    Status(Option<u8>),
    Select(u8),
}

const STATUSES: [TenantStatus; 4] = [
    TenantStatus::Created,
    TenantStatus::LinkIssued,
    TenantStatus::Deployed,
    TenantStatus::Failed,
];
const NAMES: [&str; 4] = ["Acme", "beta Labs", "Ünïcode GmbH", "zeta"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..40, 0u8..4, 0u8..4, 0i64..50)
            .prop_map(|(who, status, name, at)| Op::Change { who, status, name, at }),
        2 => (0u8..40).prop_map(|who| Op::Remove { who }),
        1 => Just(Op::Sort),
        1 => prop::sample::select(vec!["", "t1", "lab", "ünï", "ZETA", "t0"]).prop_map(Op::Filter),
        1 => prop::sample::select(vec!['a', '1', 'e', 'ï']).prop_map(Op::Type),
        1 => prop::option::of(0u8..4).prop_map(Op::Status),
        1 => (0u8..50).prop_map(Op::Select),
    ]
}

fn expected(m: &Model) -> Vec<String> {
    let mut rows = m.table.rows.clone();
    rows.sort_by(|a, b| match m.table.sort {
        SortKey::Slug => a.slug.cmp(&b.slug),
        SortKey::Name => {
            (a.display_name.to_lowercase(), &a.slug).cmp(&(b.display_name.to_lowercase(), &b.slug))
        }
        SortKey::Status => (a.status, &a.slug).cmp(&(b.status, &b.slug)),
        SortKey::Changed => (std::cmp::Reverse(a.updated_ms), &a.slug)
            .cmp(&(std::cmp::Reverse(b.updated_ms), &b.slug)),
    });
    let needle = m.table.filter.value().to_lowercase();
    rows.iter()
        .filter(|r| m.table.status_filter.is_empty() || m.table.status_filter.contains(&r.status))
        .filter(|r| {
            needle.is_empty()
                || [
                    Some(&r.slug),
                    Some(&r.display_name),
                    r.google_email.as_ref(),
                ]
                .into_iter()
                .flatten()
                .any(|s| s.to_lowercase().contains(&needle))
        })
        .map(|r| r.slug.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn the_table_equals_sorting_and_filtering_afresh(ops in prop::collection::vec(op(), 1..60)) {
        let mut m = loaded(20);
        for op in ops {
            let selected_before = if matches!(op, Op::Select(_)) { None } else { m.selected_slug() };
            match op {
                Op::Change { who, status, name, at } => {
                    let slug = format!("t{who:03}");
                    let mut s = summary(&slug, STATUSES[status as usize], at);
                    s.display_name = NAMES[name as usize].into();
                    update(&mut m, event(1, EventBody::TenantChanged {
                        slug, status: s.status, summary: Some(s), entry: None,
                    }));
                }
                Op::Remove { who } => {
                    update(&mut m, event(1, EventBody::TenantRemoved { slug: format!("t{who:03}") }));
                }
                Op::Sort => { update(&mut m, key('s')); }
                Op::Filter(f) => {
                    m.table.filter = tui_input::Input::new(f.into());
                    crate::tui::update::refilter(&mut m);
                }
                Op::Type(c) => {
                    m.mode = Mode::Filter;
                    update(&mut m, key(c));
                    m.mode = Mode::Table;
                }
                Op::Status(s) => {
                    m.table.status_filter = s.map(|i| vec![STATUSES[i as usize]]).unwrap_or_default();
                    crate::tui::update::refilter(&mut m);
                }
                Op::Select(i) => {
                    m.table.selected = (i as usize).min(m.table.visible.len().saturating_sub(1));
                }
            }
            let shown: Vec<String> = m.table.visible.iter().map(|i| m.table.rows[*i].slug.clone()).collect();
            prop_assert_eq!(&shown, &expected(&m));
            let mut counts = [0usize; crate::tui::style::Group::ALL.len()];
            for r in &m.table.rows {
                counts[crate::tui::style::group(r.status).index()] += 1;
            }
            prop_assert_eq!(counts, m.table.group_counts);
            let mut slugs: Vec<&str> = m.table.rows.iter().map(|r| r.slug.as_str()).collect();
            slugs.sort();
            slugs.dedup();
            prop_assert_eq!(slugs.len(), m.table.rows.len(), "one row per tenant");
            prop_assert!(m.table.visible.is_empty() || m.table.selected < m.table.visible.len());
            // The selected tenant stays selected while it is shown.
            if let Some(was) = selected_before
                && shown.contains(&was)
            {
                prop_assert_eq!(m.selected_slug(), Some(was));
            }
        }
    }
}

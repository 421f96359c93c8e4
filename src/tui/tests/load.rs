//! Loading the tenants page by page, the status, and replies that come late or not at all.

use super::*;
use crate::tui::style::Group;
use crate::tui::update::{FIRST_PAGE, PAGE};

#[test]
fn start_asks_for_status_and_a_first_page_then_the_rest_page_by_page() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let c = calls(&fx);
    assert_eq!(c.len(), 2);
    assert!(matches!(c[0], Command::Status));
    assert!(matches!(c[1], Command::ListTenants { query }
        if query.limit == Some(FIRST_PAGE) && query.after.is_none()));
    let rows: Vec<TenantSummary> = (0..FIRST_PAGE + PAGE + 7)
        .map(|i| summary(&format!("t{i:05}"), TenantStatus::Created, 0))
        .collect();
    // The first page is drawn at once, and the next is asked for after its last slug.
    let Effect::Call {
        id,
        command: Command::ListTenants { query },
    } = &fx[1]
    else {
        panic!("{fx:?}")
    };
    let fx = update(
        &mut m,
        Msg::Reply {
            id: *id,
            result: Ok(page_of(&rows, query)),
        },
    );
    assert_eq!(m.table.rows.len(), FIRST_PAGE);
    assert!(!m.load.loaded);
    let next: Vec<_> = calls(&fx)
        .into_iter()
        .filter_map(|c| match c {
            Command::ListTenants { query } => Some(query.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].limit, Some(PAGE));
    assert_eq!(
        next[0].after.as_deref(),
        Some(rows[FIRST_PAGE - 1].slug.as_str())
    );
    serve_pages(&mut m, fx, &rows);
    assert!(m.load.loaded && m.load.loading.is_none());
    assert_eq!(m.table.rows.len(), rows.len());
    assert_eq!(m.table.visible.len(), rows.len());
    assert_eq!(m.counts(), vec![(Group::Customer, rows.len())]);
}

#[test]
fn events_during_a_load_win_over_the_pages_that_come_after_them() {
    let mut m = model();
    let rows: Vec<TenantSummary> = (0..FIRST_PAGE + 50)
        .map(|i| summary(&format!("t{i:05}"), TenantStatus::Created, 0))
        .collect();
    let fx = update(&mut m, Msg::Start);
    let first = fx
        .iter()
        .find_map(|e| match e {
            Effect::Call {
                id,
                command: Command::ListTenants { query },
            } => Some((*id, query.clone())),
            _ => None,
        })
        .unwrap();
    let fx = update(
        &mut m,
        Msg::Reply {
            id: first.0,
            result: Ok(page_of(&rows, &first.1)),
        },
    );
    // While the second page is out: one tenant on it is deployed, one removed, one added.
    let changed = |slug: &str, st| {
        event(
            1,
            EventBody::TenantChanged {
                slug: slug.into(),
                status: st,
                summary: Some(summary(slug, st, 5)),
                entry: None,
            },
        )
    };
    update(&mut m, changed("t00220", TenantStatus::Deployed));
    update(&mut m, changed("zz-new", TenantStatus::Created));
    update(
        &mut m,
        event(
            2,
            EventBody::TenantRemoved {
                slug: "t00230".into(),
            },
        ),
    );
    // The page was read before those changes: it still has the old versions.
    serve_pages(&mut m, fx, &rows);
    assert!(m.load.loaded);
    assert_eq!(m.table.rows.len(), rows.len(), "one added, one removed");
    let get = |slug: &str| {
        m.table
            .rows
            .iter()
            .find(|r| r.slug == slug)
            .map(|r| r.status)
    };
    assert_eq!(get("t00220"), Some(TenantStatus::Deployed));
    assert_eq!(get("t00230"), None);
    assert_eq!(get("zz-new"), Some(TenantStatus::Created));
    assert_eq!(
        m.counts(),
        vec![(Group::Deployed, 1), (Group::Customer, rows.len() - 1)]
    );
}

#[test]
fn a_page_of_a_load_started_over_is_dropped() {
    let mut m = model();
    let rows: Vec<TenantSummary> = (0..10)
        .map(|i| summary(&format!("t{i}"), TenantStatus::Created, 0))
        .collect();
    let old = update(&mut m, Msg::Start);
    // The stream lagged: the console loads again before the first answer is in.
    let again = update(&mut m, Msg::Engine(Item::Lagged { missed: 9 }));
    let stale: Vec<TenantSummary> = rows[..3].to_vec();
    for e in &old {
        if let Effect::Call {
            id,
            command: Command::ListTenants { .. },
        } = e
        {
            update(
                &mut m,
                Msg::Reply {
                    id: *id,
                    result: Ok(Reply::Tenants {
                        tenants: stale.clone(),
                        total: 3,
                    }),
                },
            );
        }
    }
    assert!(
        !m.load.loaded,
        "the old load's answer does not finish the new one"
    );
    serve_pages(&mut m, again, &rows);
    assert!(m.load.loaded);
    assert_eq!(m.table.rows.len(), 10);
}

#[test]
fn a_failed_page_is_flashed() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let fx = answer(&mut m, &fx, |c| match c {
        Command::ListTenants { .. } => refused(ErrorCode::Internal, "store locked"),
        _ => None,
    });
    assert!(shows(&fx).is_empty());
    assert_eq!(
        flashed(&m),
        (
            Level::Error,
            "✖ could not load the tenants: store locked; trying again"
        )
    );
    assert!(m.table.rows.is_empty() && !m.load.loaded);
    // A tick before the pause is over asks nothing; one after starts a fresh load.
    let soon = m.now + 500;
    assert!(calls(&update(&mut m, Msg::Tick(soon))).is_empty());
    let later = m.now + 5_000;
    let fx = update(&mut m, Msg::Tick(later));
    assert!(
        matches!(calls(&fx)[..], [Command::ListTenants { query }] if query.after.is_none()),
        "{fx:?}"
    );
    assert!(m.load.loading.is_some());
}

#[test]
fn a_failed_page_does_not_leave_the_load_hanging() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let fx = answer(&mut m, &fx, |c| match c {
        Command::ListTenants { .. } => refused(ErrorCode::Internal, "store locked"),
        _ => None,
    });
    let retried = calls(&fx)
        .iter()
        .any(|c| matches!(c, Command::ListTenants { .. }));
    assert!(
        m.load.loading.is_none() || retried,
        "either the load is given up or it is asked again"
    );
}

#[test]
fn a_lag_refetches_a_snapshot() {
    let mut m = loaded(3);
    let fx = update(&mut m, Msg::Engine(Item::Lagged { missed: 40 }));
    let c = calls(&fx);
    assert!(
        c.iter().any(|c| matches!(c, Command::ListTenants { query }
            if query.after.is_none() && query.limit == Some(FIRST_PAGE))),
        "a fresh load from the first page: {c:?}"
    );
    assert!(c.iter().any(|c| matches!(c, Command::Status)));
}

#[test]
fn a_lag_says_how_many_events_were_missed() {
    let mut m = loaded(3);
    update(&mut m, Msg::Engine(Item::Lagged { missed: 40 }));
    assert_eq!(
        flashed(&m),
        (Level::Info, "caught up after missing 40 events")
    );
    assert!(m.load.loading.is_some(), "a fresh load is under way");
    assert_eq!(m.table.rows.len(), 3, "the old rows stay until it is in");
}

#[test]
fn a_reply_nobody_waits_for_is_dropped() {
    let mut m = loaded(2);
    let before = m.table.rows.len();
    let waiting = m.requests.pending.len();
    update(
        &mut m,
        Msg::Reply {
            id: 9999,
            result: Ok(Reply::Tenants {
                tenants: vec![],
                total: 0,
            }),
        },
    );
    assert_eq!(m.table.rows.len(), before);
    assert_eq!(m.requests.pending.len(), waiting);
    assert!(!m.requests.pending.contains_key(&9999));
}

#[test]
fn the_status_reply_sets_the_status_and_the_provisioner() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| match c {
        Command::Status => {
            let mut s = status_with(2, 1);
            s.provisioner_state.running = true;
            s.provisioner_state.in_flight = 3;
            Some(Ok(Reply::Status(Box::new(s))))
        }
        _ => None,
    });
    assert_eq!(m.engine.status.as_ref().map(|s| s.subscribers), Some(2));
    assert!(m.engine.provisioner.running);
    assert_eq!(m.engine.provisioner.in_flight, 3);
    assert!(
        !m.quit && m.mode.confirm().is_none(),
        "a plain status decides nothing"
    );
}

#[test]
fn a_failed_status_is_flashed() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| match c {
        Command::Status => refused(ErrorCode::Unavailable, "engine busy"),
        _ => None,
    });
    assert_eq!(flashed(&m), (Level::Error, "✖ engine busy"));
    assert!(m.engine.status.is_none());
}

#[test]
fn the_status_is_asked_again_every_half_minute_for_the_alarm_no_event_carries() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(|| Ok(Reply::Status(Box::new(status_with(1, 0)))))
    });
    let soon = m.now + 1_000;
    let fx = update(&mut m, Msg::Tick(soon));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    let t = m.now + 31_000;
    let fx = update(&mut m, Msg::Tick(t));
    assert!(matches!(calls(&fx)[..], [Command::Status]), "{fx:?}");
    // Not again while that one is out.
    assert!(calls(&update(&mut m, Msg::Tick(t + 40_000))).is_empty());
    let mut s = status_with(1, 0);
    s.health_alarm = Some(crate::engine::api::HealthAlarm {
        reason: "401 invalid_client".into(),
        since: "2026-12-01T00:00:00Z".into(),
    });
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Status(Box::new(s.clone()))))
    });
    assert!(m.engine.status.as_ref().unwrap().health_alarm.is_some());
}

#[test]
fn a_failed_detail_clears_it_and_asks_for_the_one_wanted_next() {
    let mut m = loaded(3);
    let first = update(&mut m, key('j'));
    assert_eq!(shows(&first), vec!["t001"]);
    assert!(calls(&update(&mut m, key('j'))).is_empty());
    assert_eq!(m.detail.wanted.as_deref(), Some("t002"));
    let fx = answer(&mut m, &first, |_| {
        refused(ErrorCode::NotFound, "no tenant \"t001\"")
    });
    assert!(m.detail.view.is_none());
    assert!(m.detail.wanted.is_none());
    assert_eq!(shows(&fx), vec!["t002"]);
    assert!(m.flash.is_none(), "a missing detail is not flashed");
    // Nothing else wanted: cleared, nothing asked.
    let fx = answer(&mut m, &fx, |_| {
        refused(ErrorCode::NotFound, "no tenant \"t002\"")
    });
    assert!(fx.is_empty());
    assert!(m.detail.view.is_none());
}

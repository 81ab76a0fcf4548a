//! `GET /follow-ups`: the open follow-ups grouped by when they are due, and the Completed tab
//! (`?tab=completed`, latest first, paginated).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use super::FollowUpItem;
use crate::error::AppError;
use crate::forms::Query;
use crate::page::{ok, Layout, Page, Pager, QueryString};
use crate::state::AppState;

/// Completed follow-ups per page.
pub const COMPLETED_PER_PAGE: u32 = 25;
/// Open follow-ups each group shows on the Open tab; the rest are a link away.
pub const GROUP_SHOWN: u32 = 20;
/// Open follow-ups per page of one group (`?group=overdue`).
pub const GROUP_PER_PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    tab: String,
    page: String,
    /// One group of the Open tab, paged: `overdue`, `today`, `week` or `later`.
    group: String,
}

/// One group of the open list.
pub(super) struct Group {
    /// `overdue`, `today`, `week`, `later`: the section's id.
    pub key: &'static str,
    pub title: &'static str,
    pub hint: String,
    pub items: Vec<FollowUpItem>,
    /// How many follow-ups the group has (counted up to its limit), as shown.
    pub total: String,
    /// The whole group, paged, when it holds more than it shows here.
    pub more: Option<String>,
}

#[derive(Template)]
#[template(path = "follow_ups/index.html")]
struct IndexPage {
    layout: Layout,
    completed_tab: bool,
    open_total: String,
    no_open: bool,
    groups: Vec<Group>,
    /// The one group shown (`?group=`), paged by `pager`.
    single_group: bool,
    completed: Vec<FollowUpItem>,
    completed_total: u64,
    pager: Pager,
    /// Where the buttons come back to.
    back: String,
    time_zone: &'static str,
    today: String,
}

pub(super) async fn index(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let user = page.user_id();
    let today = page.today();
    let completed_tab = query.tab == "completed";
    let follow_ups = state.db.follow_ups();

    let week_end = today.checked_add_days(Days::new(6)).unwrap_or(today);
    let day_after = |d: NaiveDate| d.succ_opt().unwrap_or(d);
    // Each group is one range of the owner's due-date index: (key, title, hint, from, until).
    let all_groups = [
        (
            "overdue",
            "Overdue",
            "Due before today".to_string(),
            None,
            Some(today),
        ),
        (
            "today",
            "Today",
            crate::format::long_date(today),
            Some(today),
            Some(day_after(today)),
        ),
        (
            "week",
            "This week",
            format!("Through {}", crate::format::long_date(week_end)),
            Some(day_after(today)),
            Some(day_after(week_end)),
        ),
        (
            "later",
            "Later",
            "After this week".to_string(),
            Some(day_after(week_end)),
            None,
        ),
    ];
    let single = all_groups.iter().position(|g| g.0 == query.group.trim());

    let page_number = query
        .page
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    // Each group's first rows, or with `?group=` that group's page (the others read one row:
    // only their totals count, for the tab).
    // The groups at a glance count up to FIGURE_COUNT_LIMIT ("1,000+"); the one group paged
    // counts up to COUNT_LIMIT, for its pages.
    let count_limit = |i: usize| {
        if single == Some(i) {
            devhub_db::COUNT_LIMIT
        } else {
            devhub_db::FIGURE_COUNT_LIMIT
        }
    };
    let window = |i: usize| {
        let (_, _, _, from, until) = all_groups[i];
        let (limit, offset) = match single {
            None => (GROUP_SHOWN, 0),
            Some(s) if s == i => (
                GROUP_PER_PAGE,
                u64::from(page_number - 1) * u64::from(GROUP_PER_PAGE),
            ),
            Some(_) => (1, 0),
        };
        follow_ups.list_open_between(user, from, until, limit, offset, count_limit(i))
    };
    // One batch: one request on a server.
    let found = state
        .db
        .batch((window(0), window(1), window(2), window(3)))
        .await?;
    let found = [found.0, found.1, found.2, found.3];
    let open_total = crate::format::at_least(
        found.iter().map(|(_, total)| *total).sum::<u64>(),
        found
            .iter()
            .enumerate()
            .any(|(i, (_, total))| *total == count_limit(i)),
    );
    let mut group_total = 0;
    let mut groups = Vec::new();
    for (i, ((key, title, hint, _, _), (rows, total))) in
        all_groups.into_iter().zip(found).enumerate()
    {
        if single.is_some_and(|s| s != i) {
            continue;
        }
        if single.is_some() {
            group_total = total;
        }
        let more = (single.is_none() && total > rows.len() as u64)
            .then(|| QueryString::new().with("group", key).url("/follow-ups"));
        groups.push(Group {
            key,
            title,
            hint,
            items: rows
                .iter()
                .map(|r| FollowUpItem::new(&r.follow_up, &r.contact_name, &page.today))
                .collect(),
            total: crate::format::total_up_to(total, count_limit(i)),
            more,
        });
    }

    let (completed, completed_total) = if completed_tab {
        let (rows, total) = follow_ups
            .list_completed_for_user(user, page_number, COMPLETED_PER_PAGE)
            .await?;
        let items = rows
            .iter()
            .map(|r| FollowUpItem::new(&r.follow_up, &r.contact_name, &page.today))
            .collect();
        (items, total)
    } else {
        (Vec::new(), 0)
    };
    let single_key = single.and_then(|_| groups.first()).map_or("", |g| g.key);
    let list_query = QueryString::new()
        .with("tab", if completed_tab { "completed" } else { "" })
        .with("group", if completed_tab { "" } else { single_key })
        .with(
            "page",
            if page_number > 1 {
                page_number.to_string()
            } else {
                String::new()
            },
        );
    let pager = if completed_tab {
        Pager::new(
            "/follow-ups",
            &list_query,
            page_number,
            completed_total,
            COMPLETED_PER_PAGE,
        )
    } else {
        Pager::new(
            "/follow-ups",
            &list_query,
            page_number,
            group_total,
            GROUP_PER_PAGE,
        )
    };
    Ok(ok(&IndexPage {
        layout: page.layout("Follow-ups", "follow-ups"),
        completed_tab,
        no_open: open_total == "0",
        open_total,
        groups,
        single_group: single.is_some(),
        completed,
        completed_total,
        pager,
        back: list_query.url("/follow-ups"),
        time_zone: page.settings.time_zone().name(),
        today: crate::format::long_date(today),
    }))
}

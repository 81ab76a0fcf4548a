//! `GET /follow-ups`: the open follow-ups grouped by when they are due, and the Completed tab
//! (`?tab=completed`, latest first, paginated).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use super::FollowUpItem;
use crate::error::AppError;
use crate::page::{ok, Layout, Page, Pager, QueryString};
use crate::state::AppState;

/// Completed follow-ups per page.
pub const COMPLETED_PER_PAGE: u32 = 25;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    tab: String,
    page: String,
}

/// One group of the open list.
pub(super) struct Group {
    /// `overdue`, `today`, `week`, `later`: the section's id.
    pub key: &'static str,
    pub title: &'static str,
    pub hint: String,
    pub items: Vec<FollowUpItem>,
}

#[derive(Template)]
#[template(path = "follow_ups/index.html")]
struct IndexPage {
    layout: Layout,
    completed_tab: bool,
    open_total: usize,
    groups: Vec<Group>,
    completed: Vec<FollowUpItem>,
    completed_total: u64,
    pager: Pager,
    /// Where the buttons come back to.
    back: String,
    time_zone: &'static str,
    today: String,
}

/// Which group a due date falls in: Overdue (before today), Today, This week (the next six
/// days) or Later.
pub(super) fn group_of(due: NaiveDate, today: NaiveDate) -> &'static str {
    let week_end = today.checked_add_days(Days::new(6)).unwrap_or(today);
    if due < today {
        "overdue"
    } else if due == today {
        "today"
    } else if due <= week_end {
        "week"
    } else {
        "later"
    }
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

    let open = follow_ups.list_open_for_user(user).await?;
    let open_total = open.len();
    let week_end = today.checked_add_days(Days::new(6)).unwrap_or(today);
    let mut groups = vec![
        Group {
            key: "overdue",
            title: "Overdue",
            hint: "Due before today".into(),
            items: Vec::new(),
        },
        Group {
            key: "today",
            title: "Today",
            hint: crate::format::long_date(today),
            items: Vec::new(),
        },
        Group {
            key: "week",
            title: "This week",
            hint: format!("Through {}", crate::format::long_date(week_end)),
            items: Vec::new(),
        },
        Group {
            key: "later",
            title: "Later",
            hint: "After this week".into(),
            items: Vec::new(),
        },
    ];
    if !completed_tab {
        for row in &open {
            let key = group_of(row.follow_up.due_date, today);
            if let Some(group) = groups.iter_mut().find(|g| g.key == key) {
                group.items.push(FollowUpItem::new(
                    &row.follow_up,
                    &row.contact_name,
                    &page.today,
                ));
            }
        }
    }

    let page_number = query
        .page
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
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
    let list_query = QueryString::new()
        .with("tab", if completed_tab { "completed" } else { "" })
        .with(
            "page",
            if page_number > 1 {
                page_number.to_string()
            } else {
                String::new()
            },
        );
    let pager = Pager::new(
        "/follow-ups",
        &list_query,
        page_number,
        completed_total,
        COMPLETED_PER_PAGE,
    );
    Ok(ok(&IndexPage {
        layout: page.layout("Follow-ups", "follow-ups"),
        completed_tab,
        open_total,
        groups,
        completed,
        completed_total,
        pager,
        back: list_query.url("/follow-ups"),
        time_zone: page.settings.time_zone().name(),
        today: crate::format::long_date(today),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn groups_are_overdue_today_the_next_six_days_and_later() {
        let today = d("2025-12-29");
        assert_eq!(group_of(d("2025-12-28"), today), "overdue");
        assert_eq!(group_of(d("2025-12-29"), today), "today");
        assert_eq!(group_of(d("2025-12-30"), today), "week");
        assert_eq!(group_of(d("2026-01-04"), today), "week");
        assert_eq!(group_of(d("2026-01-05"), today), "later");
    }
}

//! `GET /interactions`: every interaction of the user, latest first, grouped by day, with
//! filters (type, date range, text) and pages, all kept in the URL.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use devhub_db::repo::interaction::InteractionQuery;
use devhub_db::{validate, InteractionType};
use serde::Deserialize;

use super::InteractionRow;
use crate::error::AppError;
use crate::format::interaction_options;
use crate::forms::Query;
use crate::page::{ok, Layout, Pager, QueryString, View};
use crate::state::AppState;

pub(super) const PER_PAGE: u32 = 50;
const PATH: &str = "/interactions";

/// The list's parameters, as typed into the URL: nothing here can fail to parse, so a bad value
/// becomes a message on the page, never an error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListParams {
    #[serde(rename = "type")]
    kind: String,
    from: String,
    to: String,
    q: String,
    page: String,
}

/// The interactions of one day, under its heading.
struct DayGroup {
    label: String,
    rows: Vec<InteractionRow>,
}

#[derive(Template)]
#[template(path = "interactions/index.html")]
struct ListPage {
    layout: Layout,
    /// The filter form's values, as given (an ignored value is shown as typed).
    kind: String,
    from: String,
    to: String,
    q: String,
    types: [(&'static str, &'static str); 5],
    /// Why a parameter was ignored.
    notices: Vec<String>,
    /// Whether any filter is in effect.
    filtered: bool,
    groups: Vec<DayGroup>,
    total: u64,
    /// Where counting stopped for this list.
    count_limit: u64,
    pager: Pager,
    /// This page's URL, for the rows' Edit and Delete to come back to.
    here: String,
}

impl ListPage {
    fn count_label(&self) -> String {
        let noun = if self.total == 1 {
            "interaction"
        } else {
            "interactions"
        };
        let total = crate::format::total_up_to(self.total, self.count_limit);
        if self.filtered {
            format!("{total} {noun} match")
        } else {
            format!("{total} {noun}")
        }
    }
}

/// A date filter: `None` when blank; a notice when it is not a date.
fn date_filter(raw: &str, label: &str, notices: &mut Vec<String>) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match validate::date(raw) {
        Ok(date) => Some(date),
        Err(_) => {
            notices.push(format!(
                "“{label}” must be a date like 2024-05-31; “{raw}” was ignored."
            ));
            None
        }
    }
}

pub(super) async fn index(
    State(state): State<AppState>,
    view: View,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let mut notices = Vec::new();
    let kind = match params.kind.trim() {
        "" => None,
        raw => match InteractionType::parse(raw) {
            Ok(kind) => Some(kind),
            Err(_) => {
                notices.push(format!("There is no type “{raw}”; showing every type."));
                None
            }
        },
    };
    let from = date_filter(&params.from, "From", &mut notices);
    let to = date_filter(&params.to, "To", &mut notices);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            notices.push("“From” is after “To”, so no interaction can match.".into());
        }
    }
    let q = params.q.trim().to_string();
    let requested_page = params
        .page
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|p| *p > 0)
        .unwrap_or(1);

    // The links keep the filters in effect (and drop the ignored ones).
    let kept = QueryString::new()
        .with("q", &q)
        .with(
            "type",
            kind.map(InteractionType::as_str).unwrap_or_default(),
        )
        .with("from", from.map(|d| d.to_string()).unwrap_or_default())
        .with("to", to.map(|d| d.to_string()).unwrap_or_default());

    let mut query = InteractionQuery {
        kind,
        from,
        to,
        search: (!q.is_empty()).then(|| q.clone()),
        page: requested_page,
        per_page: PER_PAGE,
    };
    if let Some(window) = query.searched_window() {
        notices.push(short_search_notice(window));
    }
    let repo = state.db.interactions();
    // With the session check: one request on a server.
    let user = view.user_id().clone();
    let reads = repo.planned(&user, &query).await?;
    let (page, (mut found, total)) = view.read(&state, reads).await?;
    let count_limit = query.count_limit();
    let pager = Pager::new(PATH, &kept, requested_page, total, PER_PAGE)
        .counted_up_to(total == count_limit);
    if pager.page != requested_page && total > 0 {
        // Past the last page (an old link after deletions): show the last one.
        query.page = pager.page;
        found = repo.search(page.user_id(), &query).await?.0;
    }

    let mut groups: Vec<DayGroup> = Vec::new();
    for row in found
        .into_iter()
        .map(|r| InteractionRow::new(r, &page.today))
    {
        match groups.last_mut() {
            Some(group) if group.rows.last().is_some_and(|last| last.same_day(&row)) => {
                group.rows.push(row);
            }
            _ => groups.push(DayGroup {
                label: row.day(),
                rows: vec![row],
            }),
        }
    }
    let here = if pager.page > 1 {
        kept.replaced("page", pager.page).url(PATH)
    } else {
        kept.url(PATH)
    };
    let list = ListPage {
        layout: page.layout("Interactions", "interactions"),
        kind: params.kind.trim().to_string(),
        from: params.from.trim().to_string(),
        to: params.to.trim().to_string(),
        q,
        types: interaction_options(),
        notices,
        filtered: kind.is_some() || from.is_some() || to.is_some() || query.search.is_some(),
        groups,
        total,
        count_limit,
        pager,
        here,
    };
    Ok(ok(&list))
}

/// What a search of words shorter than three letters leaves out (see
/// [`InteractionQuery::searched_window`]).
pub(crate) fn short_search_notice(window: u64) -> String {
    format!(
        "Words of one or two letters are looked for in your latest {} interactions only: type \
         three letters or more to search all of them.",
        crate::format::count(window)
    )
}

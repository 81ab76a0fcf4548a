//! `GET /contacts`: the list with search, filter tabs, industry and relationship menus,
//! sortable columns and pages, all state in the URL; `POST /contacts/bulk`: archive,
//! unarchive, mark or unmark VIP, or delete the selected contacts in one transaction, at once,
//! with an Undo in the flash (see `crate::undo`).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{Redirect, Response};
use axum_extra::extract::CookieJar;
use devhub_db::{
    BulkAction, Contact, ContactFilter, ContactId, ContactQuery, ContactSort, ContactStatus,
    DistinctField, Error as DbError, SortDirection,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::format::{count_of, When};
use crate::forms::safe_next;
use crate::forms::Form;
use crate::page::{render, Layout, Page, Pager, QueryString, View};
use crate::state::AppState;
use crate::tags::{Chip, TagMap};
use crate::today::Today;
use axum::http::StatusCode;

pub const PER_PAGE: u32 = 50;

/// The list's state as read from the URL. Values that mean nothing fall back to the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListParams {
    q: String,
    filter: ContactFilter,
    industry: String,
    relationship: String,
    /// `tag=NAME`, repeatable: the contacts with every one of these tags.
    tags: Vec<String>,
    sort: ContactSort,
    dir: SortDirection,
    page: u32,
}

/// The most tags a list is filtered by at once.
const MAX_TAG_FILTERS: usize = 10;

impl ListParams {
    /// Reads the query string as the exports do: without a `filter`, every contact, archived
    /// ones included ("all your contacts" links to the export without one).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self::parse_with(raw, ContactFilter::All)
    }

    /// Reads the query string as the list page does: without a `filter`, the active contacts
    /// (the "All" tab); archived ones have their tab, `filter=all` shows both.
    pub(crate) fn for_list(raw: Option<&str>) -> Self {
        Self::parse_with(raw, ContactFilter::Active)
    }

    /// Reads the query string; the first value of a repeated parameter counts (but every
    /// `tag`), and a missing or meaningless filter is `default`.
    fn parse_with(raw: Option<&str>, default: ContactFilter) -> Self {
        let mut tags: Vec<String> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let v = v.trim();
            if k == "tag"
                && !v.is_empty()
                && tags.len() < MAX_TAG_FILTERS
                && !tags.iter().any(|t| t.to_lowercase() == v.to_lowercase())
            {
                tags.push(v.to_string());
            }
        }
        let get = |key: &str| {
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let filter = ContactFilter::parse(&get("filter")).unwrap_or(default);
        let sort = ContactSort::parse(&get("sort")).unwrap_or_default();
        let dir = SortDirection::parse(&get("dir")).unwrap_or(sort.default_direction());
        let page = get("page")
            .parse::<u32>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        ListParams {
            q: get("q"),
            filter,
            industry: get("industry"),
            relationship: get("relationship"),
            tags,
            sort,
            dir,
            page,
        }
    }

    /// The list's parameters without the page, defaults left out.
    fn query(&self) -> QueryString {
        let mut q = QueryString::new()
            .with("q", &self.q)
            .with("filter", filter_value(self.filter))
            .with("industry", &self.industry)
            .with("relationship", &self.relationship);
        for tag in &self.tags {
            q.push("tag", tag);
        }
        if self.sort != ContactSort::Name {
            q.set("sort", ContactSort::as_str(self.sort));
        }
        if self.dir != self.sort.default_direction() {
            q.set("dir", SortDirection::as_str(self.dir));
        }
        q
    }

    pub(crate) fn repo_query(&self, page: u32) -> ContactQuery {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ContactQuery {
            search: opt(&self.q),
            filter: self.filter,
            industry: opt(&self.industry),
            relationship: opt(&self.relationship),
            tags: self.tags.clone(),
            sort: self.sort,
            direction: self.dir,
            page,
            per_page: PER_PAGE,
        }
    }
}

/// The filter as the list's URL carries it: the active contacts (the "All" tab) are left out;
/// everything, archived included, is the explicit `filter=all` (old links and bookmarks).
fn filter_value(filter: ContactFilter) -> &'static str {
    match filter {
        ContactFilter::Active => "",
        other => other.as_str(),
    }
}

struct Tab {
    label: &'static str,
    /// The tab's own count: the same figure as the list's count once the tab is open.
    count: String,
    href: String,
    current: bool,
}

/// A sortable column heading: its link (which flips the direction when the column is the
/// current sort) and `aria-sort`.
struct SortHeader {
    href: String,
    aria_sort: &'static str,
    arrow: &'static str,
}

impl SortHeader {
    fn new(params: &ListParams, column: ContactSort) -> Self {
        let current = params.sort == column;
        let dir = match (current, params.dir) {
            (true, SortDirection::Asc) => SortDirection::Desc,
            (true, SortDirection::Desc) => SortDirection::Asc,
            (false, _) => column.default_direction(),
        };
        let mut q = params.query();
        q.set(
            "sort",
            if column == ContactSort::Name {
                ""
            } else {
                ContactSort::as_str(column)
            },
        );
        q.set(
            "dir",
            if dir == column.default_direction() {
                ""
            } else {
                SortDirection::as_str(dir)
            },
        );
        let (aria_sort, arrow) = match (current, params.dir) {
            (false, _) => ("none", ""),
            (true, SortDirection::Asc) => ("ascending", "▲"),
            (true, SortDirection::Desc) => ("descending", "▼"),
        };
        SortHeader {
            href: q.url("/contacts"),
            aria_sort,
            arrow,
        }
    }
}

/// One choice of the order menu.
struct SortChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

impl SortChoice {
    fn all(params: &ListParams) -> Vec<SortChoice> {
        [
            (ContactSort::Name, "", "Name"),
            (
                ContactSort::LastContacted,
                "last_contacted",
                "Last contacted",
            ),
            (ContactSort::Created, "created", "Recently added"),
        ]
        .into_iter()
        .map(|(sort, value, label)| SortChoice {
            value,
            label,
            selected: params.sort == sort,
        })
        .collect()
    }
}

struct Row {
    id: String,
    name: String,
    /// Relationship, industry and location in one line: the row's second line on a phone.
    summary: String,
    relationship: String,
    industry: String,
    location: String,
    vip: bool,
    archived: bool,
    last_contacted: Option<When>,
    /// The contact's tags; each adds itself to the list's tag filter.
    tags: Vec<Chip>,
}

impl Row {
    fn of(c: Contact, today: &Today, tags: Vec<Chip>) -> Self {
        let summary = [&c.relationship, &c.industry, &c.location]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        Row {
            id: c.id.into_string(),
            summary,
            name: c.name,
            relationship: c.relationship.unwrap_or_default(),
            industry: c.industry.unwrap_or_default(),
            location: c.location.unwrap_or_default(),
            vip: c.vip,
            archived: c.status == ContactStatus::Archived,
            last_contacted: c.last_contacted.map(|at| today.when_day(at)),
            tags,
        }
    }
}

/// A tag the list is filtered by, and the list without it.
struct TagFilter {
    chip: Chip,
    remove_href: String,
}

#[derive(Template)]
#[template(path = "contacts/list.html")]
struct ListPage {
    layout: Layout,
    /// The current list (search, filters, order) as vCard and CSV downloads.
    export_vcard: String,
    export_csv: String,
    q: String,
    industry: String,
    relationship: String,
    filter: &'static str,
    dir: &'static str,
    industries: Vec<String>,
    relationships: Vec<String>,
    tabs: Vec<Tab>,
    name_header: SortHeader,
    last_contacted_header: SortHeader,
    /// The order menu (every sort, "Recently added" among them, at any width).
    sorts: Vec<SortChoice>,
    /// The "All" tab is empty because every contact is archived.
    all_archived: bool,
    /// `filter=all`: archived contacts included, no tab current.
    everything: bool,
    /// The list mixes active and archived contacts (the VIP tab, `filter=all`): a status
    /// column. On the other tabs every row would say the same.
    show_status: bool,
    rows: Vec<Row>,
    count: String,
    pager: Pager,
    /// This page's URL, where bulk actions come back to.
    back: String,
    /// The user has no contacts at all.
    no_contacts: bool,
    /// The tags the list is filtered by (`tag=`), each removable.
    tag_filters: Vec<TagFilter>,
    /// The list without any tag filter.
    clear_tags_href: String,
    /// The user's tag names: the tag filter's and the bulk bar's suggestions.
    tag_names: Vec<String>,
    /// The bulk bar's tag name that came back with a message.
    bulk_tag: String,
}

pub async fn list_page(
    State(state): State<AppState>,
    view: View,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    render_list(&state, view, raw.as_deref(), None).await
}

/// The list at the query `raw`; `returned` is a bulk form that came back: its message (shown
/// as the page's flash, answered with a 422) and the tag name typed.
async fn render_list(
    state: &AppState,
    view: impl Into<View>,
    raw: Option<&str>,
    returned: Option<(String, String)>,
) -> Result<Response, AppError> {
    let view = view.into();
    let params = ListParams::for_list(raw);
    let repo = state.db.contacts();
    let user = &view.user_id().clone();
    // The page's reads in one batch, with the session check: one request on a server.
    let (mut page, (mut result, industries, relationships, counts, all_tags)) = view
        .read(
            state,
            state.db.batch((
                repo.list(user, &params.repo_query(params.page)),
                repo.distinct_values(user, DistinctField::Industry),
                repo.distinct_values(user, DistinctField::Relationship),
                repo.counts(user),
                state.db.tags().all(user),
            )),
        )
        .await?;
    if result.contacts.is_empty() && result.total > 0 {
        // Past the last page (an old link): show the last one.
        result = repo
            .list(user, &params.repo_query(result.page_count()))
            .await?;
    }
    let no_contacts = counts.total == 0;
    let query = params.query();
    let pager = Pager::new("/contacts", &query, result.page, result.total, PER_PAGE)
        .counted_up_to(result.count_limit > 0 && result.total == result.count_limit);
    let back = if pager.page > 1 {
        query.replaced("page", pager.page)
    } else {
        query.clone()
    }
    .url("/contacts");
    // The tabs' counts are the kept ones the list itself shows for a tab; while a search or
    // a menu narrows the list they would not match it, and are left out.
    let narrowed = !params.q.is_empty()
        || !params.industry.is_empty()
        || !params.relationship.is_empty()
        || !params.tags.is_empty();
    let archived = counts.total.saturating_sub(counts.active);
    let tabs = [
        ("All", ContactFilter::Active, counts.active),
        ("VIP", ContactFilter::Vip, counts.vip),
        ("Archived", ContactFilter::Archived, archived),
    ]
    .into_iter()
    .map(|(label, filter, n)| Tab {
        label,
        count: if narrowed {
            String::new()
        } else {
            crate::format::count(n)
        },
        href: query
            .replaced("filter", filter_value(filter))
            .url("/contacts"),
        current: params.filter == filter,
    })
    .collect();
    // Every contact only if the list shows them all (an explicit `filter=all`).
    let export = query.replaced("filter", params.filter.as_str());
    let ids: Vec<ContactId> = result.contacts.iter().map(|c| c.id.clone()).collect();
    let tagged = TagMap::load(&state.db, user, &ids).await?;
    // A chip in a row adds its tag to the filter (on the first page).
    let unpaged = query.clone();
    let with_tag = |mut chip: Chip| {
        if !params
            .tags
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&chip.name))
        {
            let mut q = unpaged.clone();
            q.push("tag", &chip.name);
            chip.href = q.url("/contacts");
        } else {
            chip.href = unpaged.url("/contacts");
        }
        chip
    };
    let tag_filters = params
        .tags
        .iter()
        .map(|name| TagFilter {
            chip: all_tags
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(name))
                .map(Chip::of)
                .unwrap_or_else(|| Chip {
                    id: String::new(),
                    name: name.clone(),
                    color: "gray",
                    href: String::new(),
                }),
            remove_href: query.without("tag", name).url("/contacts"),
        })
        .collect();
    let mut clear_tags = query.clone();
    clear_tags.set("tag", "");
    let (status, bulk_tag) = match returned {
        Some((message, typed)) => {
            page.flash = Some(Flash::error(message));
            (StatusCode::UNPROCESSABLE_ENTITY, typed)
        }
        None => (StatusCode::OK, String::new()),
    };
    let list = ListPage {
        layout: page.layout("Contacts", "contacts"),
        export_vcard: export.replaced("format", "vcard").url("/contacts/export"),
        export_csv: export.replaced("format", "csv").url("/contacts/export"),
        industries: with_current(industries, &params.industry),
        relationships: with_current(relationships, &params.relationship),
        tabs,
        name_header: SortHeader::new(&params, ContactSort::Name),
        last_contacted_header: SortHeader::new(&params, ContactSort::LastContacted),
        sorts: SortChoice::all(&params),
        all_archived: result.total == 0 && !narrowed && params.filter == ContactFilter::Active,
        everything: params.filter == ContactFilter::All,
        show_status: matches!(params.filter, ContactFilter::All | ContactFilter::Vip),
        count: if result.count_limit == 0 || result.total != result.count_limit {
            count_of(result.total, "contact", "contacts")
        } else {
            format!(
                "{} contacts",
                crate::format::total_up_to(result.total, result.count_limit)
            )
        },
        rows: result
            .contacts
            .into_iter()
            .map(|c| {
                let chips = tagged.chips(c.id.as_str());
                Row::of(c, &page.today, chips.into_iter().map(with_tag).collect())
            })
            .collect(),
        tag_filters,
        clear_tags_href: clear_tags.url("/contacts"),
        tag_names: all_tags.into_iter().map(|t| t.name).collect(),
        bulk_tag,
        pager,
        back,
        no_contacts,
        filter: filter_value(params.filter),
        dir: if params.dir == params.sort.default_direction() {
            ""
        } else {
            SortDirection::as_str(params.dir)
        },
        q: params.q,
        industry: params.industry,
        relationship: params.relationship,
    };
    Ok(render(status, &list))
}

impl ListPage {
    /// Whether the list is filtered by the tag `name` already.
    fn is_filtered(&self, name: &str) -> bool {
        self.tag_filters
            .iter()
            .any(|f| f.chip.name.eq_ignore_ascii_case(name))
    }
}

/// The menu's choices, with the chosen value added when no contact has it (an old link), so
/// that the menu shows the filter in force.
fn with_current(mut values: Vec<String>, current: &str) -> Vec<String> {
    if !current.is_empty() && !values.iter().any(|v| v.eq_ignore_ascii_case(current)) {
        values.push(current.to_string());
    }
    values
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BulkForm {
    ids: Vec<String>,
    action: String,
    back: String,
    /// The tag name of `tag_add` and `tag_remove`.
    tag: String,
}

fn bulk_action(action: &str) -> Option<(BulkAction, &'static str)> {
    Some(match action {
        "archive" => (BulkAction::Archive, "archived"),
        "unarchive" => (BulkAction::Unarchive, "unarchived"),
        "vip" => (BulkAction::MarkVip, "marked as VIP"),
        "unvip" => (BulkAction::UnmarkVip, "no longer VIP"),
        "delete" => (BulkAction::Delete, "deleted"),
        _ => return None,
    })
}

/// Where a bulk action returns: the contact list it came from, never another site.
fn list_back(back: &str) -> String {
    safe_next(Some(back))
        .filter(|b| b == "/contacts" || b.starts_with("/contacts?"))
        .unwrap_or_else(|| "/contacts".to_string())
}

const NOTHING_SELECTED: &str = "Select at least one contact.";

/// `GET /contacts/bulk`: the address of the bulk form, opened again (an old bookmark of the
/// confirmation page bulk deletes once had): the list.
pub async fn to_list() -> Redirect {
    Redirect::to("/contacts")
}

pub async fn bulk(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<BulkForm>,
) -> Result<Response, AppError> {
    let back = list_back(&form.back);
    let mut ids: Vec<ContactId> = Vec::new();
    for id in form.ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let id = ContactId::from(id);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(flash::redirect(jar, Flash::error(NOTHING_SELECTED), &back));
    }
    if let action @ ("tag_add" | "tag_remove") = form.action.trim() {
        return bulk_tag(
            &state,
            page,
            jar,
            &ids,
            action == "tag_add",
            &form.tag,
            &back,
        )
        .await;
    }
    let Some((action, done)) = bulk_action(form.action.trim()) else {
        return Ok(flash::redirect(
            jar,
            Flash::error("Choose what to do with the selected contacts."),
            &back,
        ));
    };
    if action == BulkAction::Delete {
        return Ok(
            match crate::undo::delete_contacts(&state, &page, &ids, &back).await? {
                Some(flash) => flash::redirect(jar, flash, &back),
                None => flash::redirect(jar, Flash::error(NOTHING_SELECTED), &back),
            },
        );
    }
    let (touched, undo) = crate::undo::change_contacts(&state, &page, &ids, action, &back).await?;
    if touched == 0 {
        return Ok(flash::redirect(jar, Flash::error(NOTHING_SELECTED), &back));
    }
    let message = format!("{} {done}.", count_of(touched, "contact", "contacts"));
    Ok(flash::redirect(
        jar,
        Flash::success(message).with_undo(undo),
        &back,
    ))
}

/// The bulk bar's "Add tag" and "Remove tag": the tag typed on the selected contacts, or off
/// them, in one transaction. A blank or too long name, or one the user has no tag of (to
/// remove), comes back to the list with a message (422), nothing changed.
async fn bulk_tag(
    state: &AppState,
    page: Page,
    jar: CookieJar,
    ids: &[ContactId],
    add: bool,
    name: &str,
    back: &str,
) -> Result<Response, AppError> {
    let user = page.user_id().clone();
    let result = state
        .db
        .trash()
        .tag_contacts(&user, ids, name, add, back)
        .await;
    let query = back.split_once('?').map(|(_, q)| q.to_string());
    let came_back = |message: String| (message, name.chars().take(200).collect::<String>());
    match result {
        Ok((tag, n, undo)) => {
            let contacts = count_of(n, "contact", "contacts");
            let message = match (add, n) {
                (true, 0) => format!("The selected contacts already had the tag “{}”.", tag.name),
                (true, _) => format!("Tagged {contacts} “{}”.", tag.name),
                (false, 0) => format!("None of the selected contacts had the tag “{}”.", tag.name),
                (false, _) => format!("Removed the tag “{}” from {contacts}.", tag.name),
            };
            Ok(flash::redirect(
                jar,
                Flash::success(message).with_undo(undo),
                back,
            ))
        }
        Err(DbError::Validation(errors)) => {
            let message = match errors.get("name") {
                Some("is required") | None => "Type the tag to add or remove.".to_string(),
                Some(m) => format!("The tag name {m}."),
            };
            render_list(state, page, query.as_deref(), Some(came_back(message))).await
        }
        Err(DbError::NotFound) if !add && !name.trim().is_empty() => {
            let message = format!("You have no tag “{}”.", name.trim());
            render_list(state, page, query.as_deref(), Some(came_back(message))).await
        }
        Err(DbError::NotFound) => Ok(flash::redirect(jar, Flash::error(NOTHING_SELECTED), back)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaningless_list_parameters_fall_back_to_the_defaults() {
        let p = ListParams::for_list(Some("sort=bogus&dir=up&page=-1&filter=nope"));
        assert_eq!(p.sort, ContactSort::Name);
        assert_eq!(p.dir, SortDirection::Asc);
        assert_eq!(p.page, 1);
        assert_eq!(p.filter, ContactFilter::Active);
        assert_eq!(p.query().url("/contacts"), "/contacts");
        let p = ListParams::for_list(Some("page=abc&sort=created&q=%20ada%20&q=x"));
        assert_eq!(
            (p.page, p.sort, p.dir),
            (1, ContactSort::Created, SortDirection::Desc)
        );
        assert_eq!(p.q, "ada");
        assert_eq!(p.query().url("/contacts"), "/contacts?q=ada&sort=created");
    }

    #[test]
    fn the_list_shows_the_active_contacts_and_the_exports_everything_without_a_filter() {
        assert_eq!(ListParams::for_list(None).filter, ContactFilter::Active);
        assert_eq!(ListParams::parse(None).filter, ContactFilter::All);
        let everyone = ListParams::for_list(Some("filter=all"));
        assert_eq!(everyone.filter, ContactFilter::All);
        assert_eq!(everyone.query().url("/contacts"), "/contacts?filter=all");
        let active = ListParams::for_list(Some("filter=active"));
        assert_eq!(active.query().url("/contacts"), "/contacts");
        let archived = ListParams::parse(Some("filter=archived"));
        assert_eq!(archived.filter, ContactFilter::Archived);
    }

    #[test]
    fn the_current_sort_column_flips_its_direction_and_others_start_at_their_default() {
        let p = ListParams::for_list(Some("q=a&sort=last_contacted"));
        let same = SortHeader::new(&p, ContactSort::LastContacted);
        assert_eq!(same.href, "/contacts?q=a&sort=last_contacted&dir=asc");
        assert_eq!(same.aria_sort, "descending");
        let other = SortHeader::new(&p, ContactSort::Name);
        assert_eq!(other.href, "/contacts?q=a");
        assert_eq!(other.aria_sort, "none");
        let by_name = ListParams::for_list(None);
        assert_eq!(
            SortHeader::new(&by_name, ContactSort::Name).href,
            "/contacts?dir=desc"
        );
    }

    #[test]
    fn bulk_actions_only_return_to_the_contact_list() {
        assert_eq!(list_back("/contacts?q=a&page=2"), "/contacts?q=a&page=2");
        assert_eq!(list_back("//evil.example/contacts"), "/contacts");
        assert_eq!(list_back("https://evil.example"), "/contacts");
        assert_eq!(list_back("/settings"), "/contacts");
        assert_eq!(list_back(""), "/contacts");
    }
}

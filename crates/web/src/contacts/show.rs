//! A contact's page (`GET /contacts/{id}`), built around the person and the timeline: a header
//! with the avatar, name, one-tap e-mail and phone links and the quick actions; a compact log
//! box and the timeline grouped by day as the main column; contact details, follow-ups and the
//! VIP background beside it (contact details first on a phone). The quick actions behind it
//! (`POST …/vip`, `POST …/status`) and deletion (`POST /contacts/{id}/delete`), each at once
//! with an Undo in the flash (see `crate::undo`).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::{Datelike, NaiveDate};
use devhub_db::{Contact, ContactDetails, ContactId, ContactStatus, Interaction};
use serde::Deserialize;

use super::vip::{self, BackgroundForm, InfoForm, VipView};
use crate::birthdays::next_birthday;
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::follow_ups::{self, CardReturn, ContactCard, FollowUpItem};
use crate::format::{
    birthday_date, count, count_of, interaction_label, interaction_options, short_date, Avatar,
    When,
};
use crate::forms::FieldErrors;
use crate::forms::Form;
use crate::page::{encode_query, render, Layout, Page, View};
use crate::state::AppState;
use crate::today::Today;

/// Timeline entries per page.
pub const TIMELINE_PAGE: u32 = 20;

/// What a form that did not validate puts back on the contact's page.
#[derive(Default)]
pub(super) struct Returned {
    pub status: Option<StatusCode>,
    pub alert: Option<String>,
    pub background: Option<(BackgroundForm, FieldErrors)>,
    pub info: Option<(InfoForm, FieldErrors)>,
    /// The link typed into the add form, and its message.
    pub link: Option<(String, String)>,
    /// The follow-ups card's failed form.
    pub card: CardReturn,
    /// The tag typed into the add form, and its message.
    pub tag: Option<(String, String)>,
}

/// The contact's fields as shown.
struct ContactView {
    id: String,
    name: String,
    relationship: Option<String>,
    industry: Option<String>,
    location: Option<String>,
    birthday: Option<String>,
    age: Option<i32>,
    vip: bool,
    archived: bool,
    created: When,
    updated: When,
    /// The columns of the contact row that could not be read.
    unreadable: Vec<&'static str>,
    notes: Option<String>,
}

impl ContactView {
    fn is_unreadable(&self, column: &str) -> bool {
        self.unreadable.contains(&column)
    }
}

/// The interactions of one day on the timeline.
struct Day {
    /// "Today", "Yesterday" or the date.
    label: String,
    iso: String,
    entries: Vec<Entry>,
}

/// Consecutive entries of the same day together (the timeline is newest first).
fn by_day(entries: Vec<Entry>) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for e in entries {
        match days.last_mut() {
            Some(day) if day.iso == e.when.iso => day.entries.push(e),
            _ => days.push(Day {
                label: e.when.day_heading(),
                iso: e.when.iso.clone(),
                entries: vec![e],
            }),
        }
    }
    days
}

/// An e-mail address or phone number as the page shows it.
pub(super) struct Reach {
    pub value: String,
    pub label: Option<String>,
    /// The `mailto:` or `tel:` address.
    pub href: String,
    /// An e-mail address in the pieces a line may break between.
    pub pieces: Vec<String>,
}

impl Reach {
    fn email(l: devhub_db::Labeled) -> Self {
        Reach {
            href: format!("mailto:{}", l.value),
            pieces: vip::email_pieces(&l.value),
            value: l.value,
            label: l.label,
        }
    }

    fn phone(l: devhub_db::Labeled) -> Self {
        let tel: String = l
            .value
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        Reach {
            href: format!("tel:{tel}"),
            pieces: vec![l.value.clone()],
            value: l.value,
            label: l.label,
        }
    }
}

struct Entry {
    id: String,
    kind: &'static str,
    label: &'static str,
    when: When,
    notes: Option<String>,
}

impl Entry {
    fn of(i: Interaction, today: &Today) -> Self {
        Entry {
            id: i.id.into_string(),
            kind: i.type_.as_str(),
            label: interaction_label(i.type_),
            when: today.when_day(i.date),
            notes: i.notes,
        }
    }
}

#[derive(Template)]
#[template(path = "contacts/show.html")]
struct ShowPage {
    layout: Layout,
    c: ContactView,
    avatar: Avatar,
    /// When the contact's photo last changed (its address's version), if it has one.
    photo: Option<i64>,
    emails: Vec<Reach>,
    phones: Vec<Reach>,
    /// The background's company, shown under the name.
    company: Option<String>,
    days: Vec<Day>,
    /// The fields whose stored value could not be read.
    unreadable: Vec<String>,
    alert: Option<String>,
    interactions_total: u64,
    since_last: String,
    last_contacted: Option<When>,
    birthday_next: Option<String>,
    birthday_detail: Option<String>,
    timeline_range: String,
    /// This page (at its timeline), where the timeline's Edit and Delete return.
    here: String,
    here_query: String,
    more_href: Option<String>,
    newer_href: Option<String>,
    today: String,
    types: [(&'static str, &'static str); 5],
    vip: VipView,
    shows_background: bool,
    fu: ContactCard,
    /// The open follow-ups due by today, which logging an interaction offers to complete.
    due: Vec<FollowUpItem>,
    when_options: Vec<(&'static str, &'static str)>,
    tags: crate::tags::ContactTags,
}

/// `interactions_page=N` from the query string; anything else is the first page.
fn timeline_page(raw: Option<&str>) -> u32 {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "interactions_page")
        .and_then(|(_, v)| v.trim().parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// Renders the contact's page; `returned` carries a failed form's values and messages.
pub(super) async fn render_contact(
    state: &AppState,
    view: impl Into<View>,
    id: &ContactId,
    timeline: u32,
    returned: Returned,
) -> Result<Response, AppError> {
    let view = view.into();
    let user = &view.user_id().clone();
    let db = &state.db;
    let interactions = db.interactions();
    let per = TIMELINE_PAGE;
    let mut timeline = timeline.max(1);
    let offset = |p: u32| u64::from(p - 1) * u64::from(per);
    // Every read of the page in one batch, with the session check: one request on a server.
    let (page, reads) = view
        .read(
            state,
            db.batch((
                db.contacts().get(user, id),
                interactions.list_for_contact(user, id, per, offset(timeline)),
                db.follow_ups().list_for_contact(user, id, false),
                db.cadences().get(user, id),
                db.backgrounds().get(user, id),
                db.contact_infos().get(user, id),
                db.contact_details()
                    .more(user, id)
                    .and(db.contact_photos().changed_at(user, id)),
                crate::tags::ContactTags::query(db, user, id),
            )),
        )
        .await?;
    let page = &page;
    let (contact, (mut list, total), open, own_cadence, background, info, (more, photo), tags) =
        reads;
    let details = ContactDetails::of(info.clone(), more);
    if list.is_empty() && total > 0 {
        // Past the end (an old link): the last page.
        timeline = u32::try_from(total.div_ceil(u64::from(per))).unwrap_or(1);
        list = interactions
            .list_for_contact(user, &contact.id, per, offset(timeline))
            .await?
            .0;
    }
    let shown_to = offset(timeline) + list.len() as u64;
    let timeline_range = if total > list.len() as u64 {
        format!(
            "{}–{} of {}",
            count(offset(timeline) + 1),
            count(shown_to),
            count(total)
        )
    } else {
        String::new()
    };
    let base = format!("/contacts/{}", contact.id);
    // Editing or deleting an entry comes back to this page of the timeline.
    let here = match timeline {
        1 => format!("{base}#timeline"),
        p => format!("{base}?interactions_page={p}#timeline"),
    };
    let more_href =
        (shown_to < total).then(|| format!("{base}?interactions_page={}#timeline", timeline + 1));
    let newer_href = (timeline > 1).then(|| match timeline - 1 {
        1 => format!("{base}#timeline"),
        p => format!("{base}?interactions_page={p}#timeline"),
    });

    let fu = follow_ups::contact_card(page, &contact, &open, own_cadence, returned.card.clone());
    let due = follow_ups::due_items(page, &contact, &open);
    let today = page.today();
    let since_last = match contact.last_contacted {
        None => "Never".to_string(),
        Some(at) => match (today - at.date_naive()).num_days() {
            d if d <= 0 => "Today".to_string(),
            d => count_of(d.unsigned_abs(), "day", "days"),
        },
    };
    let next = contact.birthday.and_then(|b| next_birthday(b, today));
    // Every contact has its details; the background shows for VIPs and for any contact that
    // has one (an import keeps the company it finds without making everyone a VIP), and a
    // background form that came back is shown even if the contact stopped being a VIP.
    let company = background.as_ref().and_then(|b| b.company.clone());
    let view = vip::view(background, info, &returned);
    let shows_background = contact.vip || view.has_background() || returned.background.is_some();
    // Values another tool stored in a form the app cannot read: the rest of the page shows,
    // and these are named (and marked where they would be).
    let unreadable: Vec<String> = [
        ("", contact.unreadable.columns()),
        (
            "background ",
            view.background
                .as_ref()
                .map_or(&[][..], |b| b.unreadable.columns()),
        ),
        (
            "contact info ",
            view.info
                .as_ref()
                .map_or(&[][..], |i| i.unreadable.columns()),
        ),
    ]
    .iter()
    .flat_map(|(table, columns)| {
        columns
            .iter()
            .map(move |c| format!("{table}{}", c.replace('_', " ")))
    })
    .collect();
    let alert = match (&returned.alert, &returned.info) {
        (Some(a), _) => Some(a.clone()),
        (None, Some((_, errors))) if !errors.is_empty() => Some(errors.others(&[]).join(" ")),
        _ => None,
    };
    let tags = tags.returned(returned.tag);
    let show = ShowPage {
        tags,
        avatar: Avatar::of(&contact.name),
        photo,
        emails: details.emails.into_iter().map(Reach::email).collect(),
        phones: details.phones.into_iter().map(Reach::phone).collect(),
        company,
        shows_background,
        unreadable,
        layout: page.layout(contact.name.clone(), "contacts"),
        alert,
        interactions_total: total,
        since_last,
        last_contacted: contact.last_contacted.map(|at| page.today.when_day(at)),
        birthday_next: next.map(|n| n.text()),
        birthday_detail: next.map(|n| match n.turns {
            Some(age) => format!("{} · turns {age}", short_date(n.date)),
            None => short_date(n.date),
        }),
        days: by_day(
            list.into_iter()
                .map(|i| Entry::of(i, &page.today))
                .collect(),
        ),
        timeline_range,
        here_query: encode_query(&here),
        here,
        more_href,
        newer_href,
        today: page.today.iso(),
        fu,
        due,
        when_options: std::iter::once(("", "None"))
            .chain(follow_ups::when_options())
            .collect(),
        types: interaction_options(),
        vip: view,
        c: ContactView {
            id: contact.id.into_string(),
            name: contact.name,
            relationship: contact.relationship,
            industry: contact.industry,
            location: contact.location,
            birthday: contact.birthday.map(birthday_date),
            age: contact
                .birthday
                .filter(|b| !devhub_db::transfer::birthday_without_year(*b))
                .map(|b| age_on(b, today)),
            vip: contact.vip,
            archived: contact.status == ContactStatus::Archived,
            created: page.today.when_at(contact.created_at),
            updated: page.today.when_at(contact.last_update),
            unreadable: contact.unreadable.columns().to_vec(),
            notes: contact.notes,
        },
    };
    Ok(render(returned.status.unwrap_or(StatusCode::OK), &show))
}

/// The contact's page with the follow-ups card's failed form (422).
pub(crate) async fn render_contact_with_card(
    state: &AppState,
    page: &Page,
    contact: &ContactId,
    card: CardReturn,
) -> Result<Response, AppError> {
    let returned = Returned {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        card,
        ..Returned::default()
    };
    render_contact(state, page, contact, 1, returned).await
}

/// The contact's page with the tag add form's failed value and message (422).
pub(crate) async fn render_contact_with_tag(
    state: &AppState,
    page: &Page,
    contact: &ContactId,
    tag: (String, String),
) -> Result<Response, AppError> {
    let returned = Returned {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        tag: Some(tag),
        ..Returned::default()
    };
    render_contact(state, page, contact, 1, returned).await
}

/// `GET` on the address a form of the contact's page posts to. A form that comes back with
/// messages leaves that address in the address bar; opened again (a reload, a bookmark, a new
/// tab) it leads to the contact's page, not to a 405.
pub async fn to_contact_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    Ok(Redirect::to(&format!("/contacts/{}", contact.id)).into_response())
}

/// Whole years from `birthday` to `today`.
fn age_on(birthday: NaiveDate, today: NaiveDate) -> i32 {
    let had_birthday = (today.month(), today.day()) >= (birthday.month(), birthday.day());
    today.year() - birthday.year() - i32::from(!had_birthday)
}

/// The user's contact at `id`, or the 404 page.
pub(super) async fn owned(state: &AppState, page: &Page, id: String) -> Result<Contact, AppError> {
    Ok(state
        .db
        .contacts()
        .get(page.user_id(), &ContactId::from(id))
        .await?)
}

pub async fn show_page(
    State(state): State<AppState>,
    view: View,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    render_contact(
        &state,
        view,
        &ContactId::from(id),
        timeline_page(raw.as_deref()),
        Returned::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VipForm {
    /// `true` or `false`; anything else toggles.
    vip: String,
}

pub async fn set_vip(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<VipForm>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let vip = match form.vip.trim() {
        "true" | "1" | "on" | "yes" => true,
        "false" | "0" | "off" | "no" => false,
        _ => !contact.vip,
    };
    let here = format!("/contacts/{}", contact.id);
    let action = if vip {
        devhub_db::BulkAction::MarkVip
    } else {
        devhub_db::BulkAction::UnmarkVip
    };
    let (touched, undo) = crate::undo::change_contacts(
        &state,
        &page,
        std::slice::from_ref(&contact.id),
        action,
        &here,
    )
    .await?;
    if touched == 0 {
        return Err(AppError::NotFound);
    }
    let message = if vip {
        format!("{} is now a VIP.", contact.name)
    } else {
        format!("{} is no longer a VIP.", contact.name)
    };
    Ok(flash::redirect(
        jar,
        Flash::success(message).with_undo(undo),
        &here,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let status = match ContactStatus::parse(&form.status) {
        Ok(status) => status,
        Err(message) => {
            let returned = Returned {
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                alert: Some(format!("Status {message}.")),
                ..Returned::default()
            };
            return render_contact(&state, &page, &contact.id, 1, returned).await;
        }
    };
    let here = format!("/contacts/{}", contact.id);
    let action = match status {
        ContactStatus::Archived => devhub_db::BulkAction::Archive,
        ContactStatus::Active => devhub_db::BulkAction::Unarchive,
    };
    let (touched, undo) = crate::undo::change_contacts(
        &state,
        &page,
        std::slice::from_ref(&contact.id),
        action,
        &here,
    )
    .await?;
    if touched == 0 {
        return Err(AppError::NotFound);
    }
    let message = match status {
        ContactStatus::Archived => format!("{} archived.", contact.name),
        ContactStatus::Active => format!("{} is active again.", contact.name),
    };
    Ok(flash::redirect(
        jar,
        Flash::success(message).with_undo(undo),
        &here,
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let flash = crate::undo::delete_contacts(&state, &page, &[contact.id], "/contacts")
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(flash::redirect(jar, flash, "/contacts"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(d(1990, 6, 15), d(2025, 6, 14)), 34);
        assert_eq!(age_on(d(1990, 6, 15), d(2025, 6, 15)), 35);
    }

    #[test]
    fn the_timeline_page_falls_back_to_the_first() {
        assert_eq!(timeline_page(Some("interactions_page=3")), 3);
        for bad in ["interactions_page=0", "interactions_page=-2", "x=1", ""] {
            assert_eq!(timeline_page(Some(bad)), 1, "{bad}");
        }
        assert_eq!(timeline_page(None), 1);
    }
}

//! Writing follow-ups: add (from the contact's page), the follow-up's own page with its edit
//! and snooze forms, complete, reopen, snooze, delete; and the contact's reconnect cadence.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use devhub_db::{
    CadenceDays, Contact, ContactId, Error as DbError, FollowUp, FollowUpId, FollowUpInput, Snooze,
};
use serde::Deserialize;

use super::{field_errors, CardReturn, FollowUpItem, NewFollowUpFields, MAX_NOTE};
use crate::contacts::render_contact_with_card;
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::format::long_date;
use crate::forms::{return_to, FieldErrors, FormOrEmpty};
use crate::page::{render, Layout, Page};
use crate::state::AppState;

async fn owned_contact(state: &AppState, page: &Page, id: String) -> Result<Contact, AppError> {
    Ok(state
        .db
        .contacts()
        .get(page.user_id(), &ContactId::from(id))
        .await?)
}

/// The user's follow-up `fid` and its contact; the 404 page for anyone else's.
async fn find(state: &AppState, page: &Page, fid: String) -> Result<(FollowUp, Contact), AppError> {
    let follow_up = state
        .db
        .follow_ups()
        .get(page.user_id(), &FollowUpId::from(fid))
        .await?;
    let contact = state
        .db
        .contacts()
        .get(page.user_id(), &follow_up.contact_id)
        .await?;
    Ok((follow_up, contact))
}

/// `GET /follow-ups/{fid}/snooze`: the address bar after a snooze came back with a message,
/// opened again: the follow-up's page, where the snooze form is.
pub(super) async fn to_follow_up_page(
    State(state): State<AppState>,
    page: Page,
    Path(fid): Path<String>,
) -> Result<Response, AppError> {
    let (follow_up, _) = find(&state, &page, fid).await?;
    Ok(Redirect::to(&format!("/follow-ups/{}", follow_up.id)).into_response())
}

/// `POST /contacts/{id}/follow-ups`.
pub(super) async fn create(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    FormOrEmpty(form): FormOrEmpty<NewFollowUpFields>,
) -> Result<Response, AppError> {
    let contact = owned_contact(&state, &page, id).await?;
    let fields = form;
    let new = match fields.parse(page.today()) {
        Ok(new) => new,
        Err(errors) => {
            let card = CardReturn {
                form: Some((fields, field_errors(&errors))),
                cadence: None,
            };
            return render_contact_with_card(&state, &page, &contact.id, card).await;
        }
    };
    let created = match state
        .db
        .follow_ups()
        .create(page.user_id(), &contact.id, &new)
        .await
    {
        Ok(created) => created,
        Err(DbError::Validation(errors)) => {
            let card = CardReturn {
                form: Some((fields, field_errors(&errors))),
                cadence: None,
            };
            return render_contact_with_card(&state, &page, &contact.id, card).await;
        }
        Err(e) => return Err(e.into()),
    };
    let target = return_to(&fields.back, format!("/contacts/{}#follow-ups", contact.id));
    Ok(flash::redirect(
        jar,
        Flash::success(format!(
            "Follow-up with {} added for {}.",
            contact.name,
            long_date(created.due_date)
        )),
        &target,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CadenceForm {
    /// Blank: the user's default.
    days: String,
}

/// `POST /contacts/{id}/cadence`.
pub(super) async fn set_cadence(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    FormOrEmpty(form): FormOrEmpty<CadenceForm>,
) -> Result<Response, AppError> {
    let contact = owned_contact(&state, &page, id).await?;
    let typed = form.days;
    let days = match typed.trim() {
        "" => None,
        raw => match CadenceDays::parse(raw) {
            Ok(days) => Some(days),
            Err(message) => {
                let card = CardReturn {
                    form: None,
                    cadence: Some((typed.clone(), format!("Cadence {message}."))),
                };
                return render_contact_with_card(&state, &page, &contact.id, card).await;
            }
        },
    };
    state
        .db
        .cadences()
        .set(page.user_id(), &contact.id, days)
        .await?;
    let message = match days {
        Some(d) => format!(
            "You will be reminded to reconnect with {} every {} days.",
            contact.name,
            d.get()
        ),
        None => format!(
            "{} follows your default reconnect cadence again.",
            contact.name
        ),
    };
    Ok(flash::redirect(
        jar,
        Flash::success(message),
        &format!("/contacts/{}#follow-ups", contact.id),
    ))
}

/// The edit form's fields, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct EditFields {
    due_date: String,
    note: String,
    back: String,
}

#[derive(Template)]
#[template(path = "follow_ups/show.html")]
struct ShowPage {
    layout: Layout,
    item: FollowUpItem,
    completed: bool,
    fields: EditFields,
    errors: FieldErrors,
    snooze_until: String,
    snooze_error: Option<String>,
    /// The follow-up's own page, carrying where to go back to.
    back: String,
    /// Where Cancel and the actions return.
    done_href: String,
    max_note: usize,
}

impl ShowPage {
    fn new(page: &Page, follow_up: &FollowUp, contact: &Contact, back: &str) -> Self {
        let item = FollowUpItem::new(follow_up, &contact.name, &page.today);
        ShowPage {
            layout: page.layout(format!("Follow-up with {}", contact.name), "follow-ups"),
            completed: follow_up.completed,
            fields: EditFields {
                due_date: item.due_iso.clone(),
                note: follow_up.note.clone().unwrap_or_default(),
                back: back.to_string(),
            },
            item,
            errors: FieldErrors::default(),
            snooze_until: String::new(),
            snooze_error: None,
            back: back.to_string(),
            done_href: return_to(back, "/follow-ups".to_string()),
            max_note: MAX_NOTE,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BackQuery {
    back: String,
}

/// `GET /follow-ups/{fid}`.
pub(super) async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(fid): Path<String>,
    crate::forms::Query(query): crate::forms::Query<BackQuery>,
) -> Result<Response, AppError> {
    let (follow_up, contact) = find(&state, &page, fid).await?;
    let back = query.back;
    Ok(render(
        StatusCode::OK,
        &ShowPage::new(&page, &follow_up, &contact, &back),
    ))
}

/// `POST /follow-ups/{fid}`: a new due date and note.
pub(super) async fn update(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(fid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<EditFields>,
) -> Result<Response, AppError> {
    let (follow_up, contact) = find(&state, &page, fid).await?;
    let fields = form;
    let parsed = FollowUpInput {
        due_date: fields.due_date.clone(),
        note: Some(fields.note.clone()),
    }
    .parse();
    let saved = match parsed {
        Ok(new) => {
            state
                .db
                .follow_ups()
                .update(page.user_id(), &follow_up.id, &new)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(saved) => Ok(flash::redirect(
            jar,
            Flash::success(format!(
                "Follow-up with {} saved, due {}.",
                contact.name,
                long_date(saved.due_date)
            )),
            &return_to(&fields.back, format!("/contacts/{}#follow-ups", contact.id)),
        )),
        Err(DbError::Validation(errors)) => {
            let mut show = ShowPage::new(&page, &follow_up, &contact, &fields.back);
            show.errors = field_errors(&errors);
            show.fields = fields;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &show))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /follow-ups/{fid}/complete`.
pub(super) async fn complete(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(fid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<BackQuery>,
) -> Result<Response, AppError> {
    set_completed(&state, &page, jar, fid, form, true).await
}

/// `POST /follow-ups/{fid}/reopen`.
pub(super) async fn reopen(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(fid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<BackQuery>,
) -> Result<Response, AppError> {
    set_completed(&state, &page, jar, fid, form, false).await
}

/// Completes the follow-up `fid` or reopens it, then back to where the user was: by default
/// the list it has just left (open ones, or the Completed tab).
async fn set_completed(
    state: &AppState,
    page: &Page,
    jar: CookieJar,
    fid: String,
    form: BackQuery,
    completed: bool,
) -> Result<Response, AppError> {
    let (follow_up, contact) = find(state, page, fid).await?;
    let back = form.back;
    if completed {
        // Done at once, with an Undo in the flash that opens it again.
        let target = return_to(&back, "/follow-ups".to_string());
        let undo = state
            .db
            .trash()
            .complete_follow_up(page.user_id(), &follow_up.id, &target)
            .await?;
        let message = format!("Follow-up with {} done.", contact.name);
        return Ok(flash::redirect(
            jar,
            Flash::success(message).with_undo(undo),
            &target,
        ));
    }
    state
        .db
        .follow_ups()
        .reopen(page.user_id(), &follow_up.id)
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!("Follow-up with {} is open again.", contact.name)),
        &return_to(&back, "/follow-ups?tab=completed".to_string()),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SnoozeForm {
    /// `1d`, `1w`, or `date` (use `until`).
    by: String,
    until: String,
    back: String,
}

/// `POST /follow-ups/{fid}/snooze`.
pub(super) async fn snooze(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(fid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<SnoozeForm>,
) -> Result<Response, AppError> {
    let (follow_up, contact) = find(&state, &page, fid).await?;
    let today = page.today();
    let snooze = match (form.by.trim(), form.until.trim()) {
        ("1d", _) => Ok(Snooze::OneDay),
        ("1w", _) => Ok(Snooze::OneWeek),
        ("date" | "", "") => Err("Snooze until is required.".to_string()),
        ("date" | "", raw) => devhub_db::validate::date(raw)
            .and_then(devhub_db::validate::sane_date)
            .and_then(|date| {
                if date < today {
                    Err("cannot be in the past".to_string())
                } else {
                    Ok(Snooze::Until(date))
                }
            })
            .map_err(|m| format!("Snooze until {m}.")),
        _ => Err("Snooze must be by a day, a week or to a date.".to_string()),
    };
    let result = match snooze {
        Ok(snooze) => state
            .db
            .follow_ups()
            .snooze(page.user_id(), &follow_up.id, snooze, today)
            .await
            .map_err(|e| match e {
                DbError::Validation(errors) => Ok(format!(
                    "Snooze until {}.",
                    errors.get("due_date").unwrap_or("is not a valid date")
                )),
                other => Err(other),
            }),
        Err(message) => Err(Ok(message)),
    };
    match result {
        Ok(snoozed) => Ok(flash::redirect(
            jar,
            Flash::success(format!(
                "Follow-up with {} snoozed to {}.",
                contact.name,
                long_date(snoozed.due_date)
            )),
            &return_to(&form.back, "/follow-ups".to_string()),
        )),
        Err(Ok(message)) => {
            let mut show = ShowPage::new(&page, &follow_up, &contact, &form.back);
            show.snooze_until = form.until.clone();
            show.snooze_error = Some(message);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &show))
        }
        Err(Err(e)) => Err(e.into()),
    }
}

/// `POST /follow-ups/{fid}/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(fid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<BackQuery>,
) -> Result<Response, AppError> {
    let (follow_up, contact) = find(&state, &page, fid).await?;
    let back = form.back;
    state
        .db
        .follow_ups()
        .delete(page.user_id(), &follow_up.id)
        .await?;
    // The follow-up's own page is gone: never go back there.
    let fallback = format!("/contacts/{}#follow-ups", contact.id);
    let target = match return_to(&back, fallback.clone()) {
        t if t.starts_with(&format!("/follow-ups/{}", follow_up.id)) => fallback,
        t => t,
    };
    Ok(flash::redirect(
        jar,
        Flash::success(format!("Follow-up with {} deleted.", contact.name)),
        &target,
    ))
}

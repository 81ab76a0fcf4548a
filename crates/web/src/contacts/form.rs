//! The form that adds a contact (`GET /contacts/new`, `POST /contacts`) and edits one
//! (`GET /contacts/{id}/edit`, `POST /contacts/{id}`): every field of the `contact` table, the
//! values kept and a message beside each field when something is wrong.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::{
    Contact, ContactId, ContactInput, ContactStatus, DistinctField, Error as DbError, NewContact,
    Query, UserId,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, Form};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

/// The form's fields as typed; the names are the table's columns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    pub name: String,
    pub relationship: String,
    pub birthday: String,
    pub industry: String,
    pub location: String,
    /// A checkbox: present when ticked.
    pub vip: Option<String>,
    pub status: String,
}

impl ContactForm {
    fn of(c: &Contact) -> Self {
        ContactForm {
            name: c.name.clone(),
            relationship: c.relationship.clone().unwrap_or_default(),
            birthday: c
                .birthday
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            industry: c.industry.clone().unwrap_or_default(),
            location: c.location.clone().unwrap_or_default(),
            vip: c.vip.then(|| "on".to_string()),
            status: c.status.as_str().to_string(),
        }
    }

    fn is_vip(&self) -> bool {
        self.vip
            .as_deref()
            .is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "off"))
    }

    fn parse(&self) -> Result<NewContact, DbError> {
        ContactInput {
            name: self.name.clone(),
            relationship: Some(self.relationship.clone()),
            birthday: Some(self.birthday.clone()),
            industry: Some(self.industry.clone()),
            location: Some(self.location.clone()),
            vip: self.is_vip(),
            status: Some(self.status.clone()),
            notes: None,
        }
        .parse()
    }
}

const LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("relationship", "Relationship"),
    ("birthday", "Birthday"),
    ("industry", "Industry"),
    ("location", "Location"),
    ("status", "Status"),
];

#[derive(Template)]
#[template(path = "contacts/form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
    form: ContactForm,
    vip: bool,
    errors: FieldErrors,
    /// Messages for fields the form does not show.
    other_errors: Vec<String>,
    industries: Vec<String>,
    relationships: Vec<String>,
    /// The latest birthday the date picker offers.
    today: String,
    /// The contact being edited, which the breadcrumb leads back to: `(id, name)`.
    editing: Option<(String, String)>,
    /// The birthday in the form was given without its year (stored as
    /// [`devhub_db::transfer::YEARLESS_BIRTHDAY_YEAR`]): the hint says what that year means.
    birthday_without_year: bool,
}

impl FormPage {
    fn new(
        page: &Page,
        editing: Option<&Contact>,
        form: ContactForm,
        errors: FieldErrors,
        (industries, relationships): (Vec<String>, Vec<String>),
    ) -> Self {
        let (title, heading, action, submit, cancel) = match editing {
            None => (
                "New contact".to_string(),
                "New contact".to_string(),
                "/contacts".to_string(),
                "Add contact",
                "/contacts".to_string(),
            ),
            Some(c) => (
                format!("Edit {}", c.name),
                format!("Edit {}", c.name),
                format!("/contacts/{}", c.id),
                "Save changes",
                format!("/contacts/{}", c.id),
            ),
        };
        let birthday_without_year = devhub_db::validate::date(&form.birthday)
            .is_ok_and(devhub_db::transfer::birthday_without_year);
        FormPage {
            layout: page.layout(title, "contacts"),
            editing: editing.map(|c| (c.id.to_string(), c.name.to_string())),
            birthday_without_year,
            heading,
            action,
            submit,
            cancel,
            vip: form.is_vip(),
            form,
            other_errors: errors.others(&LABELS.iter().map(|(f, _)| *f).collect::<Vec<_>>()),
            errors,
            industries,
            relationships,
            today: page.today.iso(),
        }
    }
}

/// The industries and relationships already in use, offered while typing.
fn suggestions<'e>(state: &'e AppState, user: &UserId) -> Query<'e, (Vec<String>, Vec<String>)> {
    let repo = state.db.contacts();
    repo.distinct_values(user, DistinctField::Industry)
        .and(repo.distinct_values(user, DistinctField::Relationship))
}

pub async fn new_page(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    let form = ContactForm {
        status: ContactStatus::Active.as_str().to_string(),
        ..ContactForm::default()
    };
    let suggested = suggestions(&state, page.user_id()).await?;
    let form = FormPage::new(&page, None, form, FieldErrors::default(), suggested);
    Ok(ok(&form))
}

/// Renders the form again with the errors of `error`, or passes other errors on.
async fn invalid(
    state: &AppState,
    page: &Page,
    editing: Option<&Contact>,
    form: ContactForm,
    error: DbError,
) -> Result<Response, AppError> {
    let DbError::Validation(errors) = error else {
        return Err(error.into());
    };
    let errors = FieldErrors::from_validation(&errors, LABELS);
    let suggested = suggestions(state, page.user_id()).await?;
    let form = FormPage::new(page, editing, form, errors, suggested);
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &form))
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    let saved = match form.parse() {
        Ok(new) => state.db.contacts().create(page.user_id(), &new).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(contact) => Ok(flash::redirect(
            jar,
            Flash::success(format!("Contact {} added.", contact.name)),
            &format!("/contacts/{}", contact.id),
        )),
        Err(e) => invalid(&state, &page, None, form, e).await,
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = page.user_id();
    let (contact, suggested) = state
        .db
        .batch((
            state.db.contacts().get(user, &ContactId::from(id)),
            suggestions(&state, user),
        ))
        .await?;
    let form = ContactForm::of(&contact);
    let form = FormPage::new(
        &page,
        Some(&contact),
        form,
        FieldErrors::default(),
        suggested,
    );
    Ok(ok(&form))
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    // Someone else's contact is not found, whatever the form holds.
    let contact = state
        .db
        .contacts()
        .get(page.user_id(), &ContactId::from(id))
        .await?;
    let saved = match form.parse() {
        Ok(new) => {
            state
                .db
                .contacts()
                .update(page.user_id(), &contact.id, &new)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(updated) => Ok(flash::redirect(
            jar,
            Flash::success(format!("Contact {} updated.", updated.name)),
            &format!("/contacts/{}", updated.id),
        )),
        Err(e) => invalid(&state, &page, Some(&contact), form, e).await,
    }
}

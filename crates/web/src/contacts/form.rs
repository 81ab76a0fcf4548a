//! The form that adds a contact (`GET /contacts/new`, `POST /contacts`) and edits one
//! (`GET /contacts/{id}/edit`, `POST /contacts/{id}`): every field of the `contact` table, the
//! values kept and a message beside each field when something is wrong.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::repo::contact_detail::MAX_PER_KIND;
use devhub_db::repo::tag::tag_names;
use devhub_db::{
    Contact, ContactDetails, ContactDetailsInput, ContactId, ContactInput, ContactStatus,
    DistinctField, Error as DbError, Labeled, NewContact, NewContactDetails, Query, Tag, UserId,
    ValidationErrors,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, Form};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

/// The form's fields as typed; the names are the table's columns, and the contact details'
/// rows (`email` with `email_label`, `phone` with `phone_label`) repeat, in order.
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
    pub notes: String,
    pub email: Vec<String>,
    pub email_label: Vec<String>,
    pub phone: Vec<String>,
    pub phone_label: Vec<String>,
    pub main_app: String,
    /// One link per line.
    pub social_links: String,
    /// Tag names separated by commas.
    pub tags: String,
}

/// A form's contact, details and tags, validated.
pub(crate) struct Parsed {
    pub contact: NewContact,
    pub details: NewContactDetails,
    pub tags: Vec<String>,
}

impl ContactForm {
    fn of(c: &Contact, details: &ContactDetails, tags: &[Tag]) -> Self {
        let (email, email_label) = columns(&details.emails);
        let (phone, phone_label) = columns(&details.phones);
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
            notes: c.notes.clone().unwrap_or_default(),
            email,
            email_label,
            phone,
            phone_label,
            main_app: details.main_app().unwrap_or_default().to_string(),
            social_links: details.social_links().join("\n"),
            tags: tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    fn is_vip(&self) -> bool {
        self.vip
            .as_deref()
            .is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "off"))
    }

    /// The e-mail or phone rows as typed, paired with their labels.
    fn rows(values: &[String], labels: &[String]) -> Vec<Labeled> {
        values
            .iter()
            .enumerate()
            .map(|(n, value)| Labeled {
                value: value.clone(),
                label: labels.get(n).filter(|l| !l.trim().is_empty()).cloned(),
            })
            .collect()
    }

    /// Every field checked; the errors of all of them together.
    pub(crate) fn parse(&self) -> Result<Parsed, DbError> {
        let mut errors = ValidationErrors::new();
        let contact = absorb(
            &mut errors,
            ContactInput {
                name: self.name.clone(),
                relationship: Some(self.relationship.clone()),
                birthday: Some(self.birthday.clone()),
                industry: Some(self.industry.clone()),
                location: Some(self.location.clone()),
                vip: self.is_vip(),
                status: Some(self.status.clone()),
                notes: Some(self.notes.clone()),
            }
            .parse(),
        )?;
        let details = absorb(
            &mut errors,
            ContactDetailsInput {
                emails: Self::rows(&self.email, &self.email_label),
                phones: Self::rows(&self.phone, &self.phone_label),
                main_app: Some(self.main_app.clone()),
                social_links: self.social_links.lines().map(str::to_string).collect(),
            }
            .parse(),
        )?;
        let tags = errors.take("tags", tag_names(&self.tags));
        errors.into_result()?;
        match (contact, details, tags) {
            (Some(contact), Some(details), Some(tags)) => Ok(Parsed {
                contact,
                details,
                tags,
            }),
            _ => Err(DbError::validation("name", "could not be read")),
        }
    }
}

/// The value of `result`, or `None` with its validation errors added to `errors`.
fn absorb<T>(
    errors: &mut ValidationErrors,
    result: Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(DbError::Validation(v)) => {
            for e in v.iter() {
                errors.add(e.field, e.message.clone());
            }
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The values and labels of a list of details, as the form's repeated fields.
fn columns(list: &[Labeled]) -> (Vec<String>, Vec<String>) {
    list.iter()
        .map(|l| (l.value.clone(), l.label.clone().unwrap_or_default()))
        .unzip()
}

/// A row of the form's e-mails or phones.
pub struct DetailRow {
    pub n: usize,
    pub value: String,
    pub label: String,
    pub error: Option<String>,
}

/// The rows as the form shows them: the non-blank ones as typed (so that `emails.N` is the
/// N-th row), then one blank row to add another.
fn detail_rows(
    values: &[String],
    labels: &[String],
    field: &str,
    errors: &FieldErrors,
) -> Vec<DetailRow> {
    let mut rows: Vec<DetailRow> = values
        .iter()
        .zip(
            labels
                .iter()
                .map(String::as_str)
                .chain(std::iter::repeat("")),
        )
        .filter(|(v, _)| !v.trim().is_empty())
        .enumerate()
        .map(|(n, (value, label))| DetailRow {
            n,
            value: value.clone(),
            label: label.to_string(),
            error: errors.get(&format!("{field}.{n}")).map(str::to_string),
        })
        .collect();
    if rows.len() < MAX_PER_KIND {
        rows.push(DetailRow {
            n: rows.len(),
            value: String::new(),
            label: String::new(),
            error: None,
        });
    }
    rows
}

/// Labels offered while typing, besides those in use.
pub const EMAIL_LABELS: &[&str] = &["work", "personal", "home", "other"];
pub const PHONE_LABELS: &[&str] = &["mobile", "work", "home", "other"];

const LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("relationship", "Relationship"),
    ("birthday", "Birthday"),
    ("industry", "Industry"),
    ("location", "Location"),
    ("status", "Status"),
    ("notes", "Notes"),
    ("emails", "E-mail addresses"),
    ("phones", "Phone numbers"),
    ("main_app", "Preferred app"),
    ("social_links", "Links:"),
    ("tags", "Tags"),
];

/// The label of an error of a row (`emails.2`).
fn row_label(field: &str) -> Option<&'static str> {
    if field.starts_with("emails.") {
        Some("E-mail")
    } else if field.starts_with("phones.") {
        Some("Phone")
    } else {
        None
    }
}

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
    emails: Vec<DetailRow>,
    phones: Vec<DetailRow>,
    industries: Vec<String>,
    relationships: Vec<String>,
    tag_names: Vec<String>,
    email_labels: &'static [&'static str],
    phone_labels: &'static [&'static str],
    /// The latest birthday the date picker offers.
    today: String,
    /// The contact being edited, which the breadcrumb leads back to: `(id, name)`.
    editing: Option<(String, String)>,
    /// The birthday in the form was given without its year (stored as
    /// [`devhub_db::transfer::YEARLESS_BIRTHDAY_YEAR`]): the hint says what that year means.
    birthday_without_year: bool,
}

/// What the form offers while typing: industries, relationships and tags in use.
struct Suggested {
    industries: Vec<String>,
    relationships: Vec<String>,
    tags: Vec<String>,
}

impl FormPage {
    fn new(
        page: &Page,
        editing: Option<&Contact>,
        form: ContactForm,
        errors: FieldErrors,
        suggested: Suggested,
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
        let rows: Vec<String> = ["emails", "phones"]
            .iter()
            .flat_map(|f| (0..MAX_PER_KIND).map(move |n| format!("{f}.{n}")))
            .collect();
        let shown: Vec<&str> = LABELS
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !matches!(*f, "emails" | "phones"))
            .chain(rows.iter().map(String::as_str))
            .collect();
        FormPage {
            layout: page.layout(title, "contacts"),
            editing: editing.map(|c| (c.id.to_string(), c.name.to_string())),
            birthday_without_year,
            heading,
            action,
            submit,
            cancel,
            vip: form.is_vip(),
            emails: detail_rows(&form.email, &form.email_label, "emails", &errors),
            phones: detail_rows(&form.phone, &form.phone_label, "phones", &errors),
            form,
            other_errors: errors.others(&shown),
            errors,
            industries: suggested.industries,
            relationships: suggested.relationships,
            tag_names: suggested.tags,
            email_labels: EMAIL_LABELS,
            phone_labels: PHONE_LABELS,
            today: page.today.iso(),
        }
    }
}

/// The industries, relationships and tags already in use, offered while typing: one read.
fn suggestions<'e>(state: &'e AppState, user: &UserId) -> Query<'e, Suggested> {
    let repo = state.db.contacts();
    repo.distinct_values(user, DistinctField::Industry)
        .and(repo.distinct_values(user, DistinctField::Relationship))
        .and(state.db.tags().all(user))
        .map(|((industries, relationships), tags)| Suggested {
            industries,
            relationships,
            tags: tags.into_iter().map(|t| t.name).collect(),
        })
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
    let mut messages = FieldErrors::default();
    for e in errors.iter() {
        let label = LABELS
            .iter()
            .find(|(field, _)| *field == e.field)
            .map(|(_, label)| *label)
            .or_else(|| row_label(e.field))
            .unwrap_or(e.field);
        messages.add(e.field, label, &e.message);
    }
    let suggested = suggestions(state, page.user_id()).await?;
    let form = FormPage::new(page, editing, form, messages, suggested);
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &form))
}

/// Stores the contact `id` (a new one when `None`) with its details and tags, in one unit of
/// work.
pub(super) async fn save(
    state: &AppState,
    user: &UserId,
    id: Option<&ContactId>,
    parsed: &Parsed,
) -> Result<Contact, DbError> {
    state
        .db
        .write(async |tx| {
            let contact = match id {
                None => tx.contacts().create(user, &parsed.contact).await?,
                Some(id) => tx.contacts().update(user, id, &parsed.contact).await?,
            };
            tx.contact_details()
                .save(user, &contact.id, &parsed.details)
                .await?;
            tx.tags().set_names(user, &contact.id, &parsed.tags).await?;
            Ok(contact)
        })
        .await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    let saved = match form.parse() {
        Ok(parsed) => save(&state, page.user_id(), None, &parsed).await,
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
    let id = ContactId::from(id);
    let db = &state.db;
    // Every read of the page in one batch: one request on a server.
    let (contact, details, tags, suggested) = db
        .batch((
            db.contacts().get(user, &id),
            db.contact_details().get(user, &id),
            db.tags().of_contact(user, &id),
            suggestions(&state, user),
        ))
        .await?;
    let form = ContactForm::of(&contact, &details, &tags);
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
        Ok(parsed) => save(&state, page.user_id(), Some(&contact.id), &parsed).await,
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

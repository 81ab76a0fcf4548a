//! Logging an interaction (`/contacts/{id}/interactions[/new]`), editing it
//! (`/interactions/{iid}[/edit]`) and deleting it (`/interactions/{iid}/delete`).
//!
//! Every handler first finds the contact or interaction among the user's own, so another
//! user's id is a 404 whatever the form holds.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use devhub_db::{
    Contact, ContactId, Error as DbError, FollowUpId, FollowUpPlan, Interaction, InteractionId,
    InteractionInput, NewInteraction, ValidationErrors,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::follow_ups::{self, FollowUpItem, NewFollowUpFields};
use crate::format::{interaction_label, interaction_noun, interaction_options};
use crate::forms::{return_to, FieldErrors, FormOrEmpty, Query};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

/// The fields of the interaction form, as typed. Unknown fields are ignored: other pages'
/// forms (the contact page's inline form) may carry more.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct InteractionFields {
    #[serde(rename = "type")]
    kind: String,
    date: String,
    notes: String,
    /// A local path to return to after saving; the contact page otherwise.
    back: String,
    /// Ids of the contact's due follow-ups to mark done (logging only).
    complete: Vec<String>,
    /// The next follow-up: `1w` … `3m`, `date` (use `next_due_date`), or empty for none.
    next: String,
    next_due_date: String,
    next_note: String,
}

impl InteractionFields {
    fn parse(&self) -> Result<NewInteraction, DbError> {
        InteractionInput {
            type_: self.kind.clone(),
            date: self.date.clone(),
            notes: Some(self.notes.clone()),
        }
        .parse()
    }

    fn of(interaction: &Interaction, back: String) -> Self {
        InteractionFields {
            kind: interaction.type_.as_str().to_string(),
            date: interaction.date.date_naive().format("%Y-%m-%d").to_string(),
            notes: interaction.notes.clone().unwrap_or_default(),
            back,
            ..InteractionFields::default()
        }
    }

    /// What logging this interaction does to the contact's follow-ups (`today` is the
    /// user's); errors are on `next_due_date`, `next_note` and `next`.
    fn plan(&self, today: chrono::NaiveDate) -> Result<FollowUpPlan, FieldErrors> {
        let complete = self
            .complete
            .iter()
            .map(|id| id.trim())
            .filter(|id| !id.is_empty())
            .map(FollowUpId::from)
            .collect();
        let next = match self.next.trim() {
            "" => None,
            when => {
                let fields = NewFollowUpFields {
                    when: when.to_string(),
                    due_date: self.next_due_date.clone(),
                    note: self.next_note.clone(),
                    back: String::new(),
                };
                let new = fields.parse(today).map_err(|errors| {
                    let mut out = FieldErrors::default();
                    for e in errors.iter() {
                        let (field, label) = match e.field {
                            "due_date" => ("next_due_date", "Follow-up date"),
                            "note" => ("next_note", "Follow-up note"),
                            _ => ("next", "Next follow-up"),
                        };
                        out.add(field, label, &e.message);
                    }
                    out
                })?;
                Some(new)
            }
        };
        Ok(FollowUpPlan { complete, next })
    }

    fn completes(&self, id: &str) -> bool {
        self.complete.iter().any(|c| c == id)
    }
}

const LABELS: &[(&str, &str)] = &[("type", "Type"), ("date", "Date"), ("notes", "Notes")];

/// The follow-up part of the log form: the contact's due follow-ups to complete and the
/// next one to schedule.
pub(super) struct FollowUpOffer {
    due: Vec<FollowUpItem>,
    errors: FieldErrors,
    when_options: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BackQuery {
    back: String,
}

#[derive(Template)]
#[template(path = "interactions/form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    contact_id: String,
    contact_name: String,
    action: String,
    submit_label: &'static str,
    /// The edit page's delete form's action (it deletes at once, with an Undo in the flash).
    delete: Option<String>,
    cancel: String,
    fields: InteractionFields,
    type_error: Option<String>,
    date_error: Option<String>,
    notes_error: Option<String>,
    types: [(&'static str, &'static str); 5],
    /// Logging only.
    offer: Option<FollowUpOffer>,
}

impl FormPage {
    fn has_errors(&self) -> bool {
        self.type_error.is_some()
            || self.date_error.is_some()
            || self.notes_error.is_some()
            || self.offer.as_ref().is_some_and(|o| !o.errors.is_empty())
    }

    /// Whether the due follow-up `id` is ticked: all of them on a fresh form, the ones the
    /// user left ticked on a form that came back.
    fn ticked(&self, id: &str) -> bool {
        if self.fields.complete.is_empty() && !self.has_errors() {
            return true;
        }
        self.fields.completes(id)
    }

    fn with_errors(mut self, errors: &ValidationErrors) -> Self {
        let errors = FieldErrors::from_validation(errors, LABELS);
        let message = |field: &str| errors.get(field).map(str::to_string);
        self.type_error = message("type");
        self.date_error = message("date");
        self.notes_error = message("notes");
        self
    }

    /// The page that logs a new interaction with `contact`.
    fn new_interaction(
        page: &Page,
        contact: &Contact,
        fields: InteractionFields,
        due: Vec<FollowUpItem>,
    ) -> Self {
        let heading = format!("Log interaction with {}", contact.name);
        let contact_page = format!("/contacts/{}", contact.id);
        FormPage {
            layout: page.layout(heading.clone(), "interactions"),
            heading,
            contact_id: contact.id.to_string(),
            contact_name: contact.name.clone(),
            action: format!("/contacts/{}/interactions", contact.id),
            submit_label: "Log interaction",
            delete: None,
            cancel: return_to(&fields.back, contact_page),
            fields,
            type_error: None,
            date_error: None,
            notes_error: None,
            types: interaction_options(),
            offer: Some(FollowUpOffer {
                due,
                errors: FieldErrors::default(),
                when_options: follow_ups::when_options(),
            }),
        }
    }

    fn with_follow_up_errors(mut self, errors: FieldErrors) -> Self {
        if let Some(offer) = self.offer.as_mut() {
            offer.errors = errors;
        }
        self
    }

    /// The page that edits `interaction` (stored as it is now) with `contact`.
    fn edit(
        page: &Page,
        contact: &Contact,
        interaction: &Interaction,
        fields: InteractionFields,
    ) -> Self {
        let what = format!(
            "{} with {}",
            interaction_label(interaction.type_).to_lowercase(),
            contact.name
        );
        let heading = format!("Edit {what}");
        let contact_page = format!("/contacts/{}", contact.id);
        FormPage {
            layout: page.layout(heading.clone(), "interactions"),
            heading,
            contact_id: contact.id.to_string(),
            contact_name: contact.name.clone(),
            action: format!("/interactions/{}", interaction.id),
            submit_label: "Save changes",
            delete: Some(format!("/interactions/{}/delete", interaction.id)),
            cancel: return_to(&fields.back, contact_page),
            fields,
            type_error: None,
            date_error: None,
            notes_error: None,
            types: interaction_options(),
            offer: None,
        }
    }
}

/// `GET /contacts/{id}/interactions/new`: the form, dated today where the user lives.
pub(super) async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(query): Query<BackQuery>,
) -> Result<Response, AppError> {
    let contact = state
        .db
        .contacts()
        .get(page.user_id(), &ContactId::from(id))
        .await?;
    let fields = InteractionFields {
        kind: "meeting".into(),
        date: page.today().format("%Y-%m-%d").to_string(),
        back: query.back,
        ..InteractionFields::default()
    };
    let due = follow_ups::due_for_contact(&state, &page, &contact).await?;
    Ok(ok(&FormPage::new_interaction(&page, &contact, fields, due)))
}

/// `POST /contacts/{id}/interactions`.
pub(super) async fn create(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    FormOrEmpty(form): FormOrEmpty<InteractionFields>,
) -> Result<Response, AppError> {
    let contact = state
        .db
        .contacts()
        .get(page.user_id(), &ContactId::from(id))
        .await?;
    let fields = form;
    let parsed = fields.parse();
    let plan = fields.plan(page.today());
    let (new, plan) = match (parsed, plan) {
        (Ok(new), Ok(plan)) => (new, plan),
        (parsed, plan) => {
            let errors = match parsed {
                Err(DbError::Validation(errors)) => errors,
                Err(e) => return Err(e.into()),
                Ok(_) => ValidationErrors::new(),
            };
            let due = follow_ups::due_for_contact(&state, &page, &contact).await?;
            let form = FormPage::new_interaction(&page, &contact, fields, due)
                .with_errors(&errors)
                .with_follow_up_errors(plan.err().unwrap_or_default());
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &form));
        }
    };
    let logged = state
        .db
        .interactions()
        .log(page.user_id(), &contact.id, &new, &plan)
        .await?;
    let mut message = format!(
        "{} with {} logged.",
        interaction_noun(logged.interaction.type_),
        contact.name
    );
    match logged.completed {
        0 => {}
        1 => message.push_str(" 1 follow-up done."),
        n => message.push_str(&format!(" {n} follow-ups done.")),
    }
    if let Some(next) = &logged.scheduled {
        message.push_str(&format!(
            " Next follow-up: {}.",
            crate::format::long_date(next.due_date)
        ));
    }
    let target = return_to(&fields.back, format!("/contacts/{}", contact.id));
    Ok(flash::redirect(jar, Flash::success(message), &target))
}

/// `GET /contacts/{id}/interactions`: the form's page.
pub(super) async fn to_new_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = state
        .db
        .contacts()
        .get(page.user_id(), &ContactId::from(id))
        .await?;
    Ok(Redirect::to(&format!("/contacts/{}/interactions/new", contact.id)).into_response())
}

/// `GET /interactions/{iid}`: the edit form's page.
pub(super) async fn to_edit_page(
    State(state): State<AppState>,
    page: Page,
    Path(iid): Path<String>,
) -> Result<Response, AppError> {
    let (interaction, _) = find(&state, &page, iid).await?;
    Ok(Redirect::to(&format!("/interactions/{}/edit", interaction.id)).into_response())
}

/// The user's interaction `iid` and its contact; `NotFound` for anyone else's.
async fn find(
    state: &AppState,
    page: &Page,
    iid: String,
) -> Result<(Interaction, Contact), AppError> {
    let interaction = state
        .db
        .interactions()
        .get(page.user_id(), &InteractionId::from(iid))
        .await?;
    let contact = state
        .db
        .contacts()
        .get(page.user_id(), &interaction.contact_id)
        .await?;
    Ok((interaction, contact))
}

/// `GET /interactions/{iid}/edit`.
pub(super) async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Path(iid): Path<String>,
    Query(query): Query<BackQuery>,
) -> Result<Response, AppError> {
    let (interaction, contact) = find(&state, &page, iid).await?;
    let fields = InteractionFields::of(&interaction, query.back);
    Ok(ok(&FormPage::edit(&page, &contact, &interaction, fields)))
}

/// `POST /interactions/{iid}`.
pub(super) async fn update(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(iid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<InteractionFields>,
) -> Result<Response, AppError> {
    let (interaction, contact) = find(&state, &page, iid).await?;
    let fields = form;
    let new = match fields.parse() {
        Ok(new) => new,
        Err(DbError::Validation(errors)) => {
            let form = FormPage::edit(&page, &contact, &interaction, fields).with_errors(&errors);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &form));
        }
        Err(e) => return Err(e.into()),
    };
    let saved = state
        .db
        .interactions()
        .update(page.user_id(), &interaction.id, &new)
        .await?;
    let target = return_to(&fields.back, format!("/contacts/{}", contact.id));
    Ok(flash::redirect(
        jar,
        Flash::success(format!(
            "{} with {} updated.",
            interaction_noun(saved.type_),
            contact.name
        )),
        &target,
    ))
}

/// `POST /interactions/{iid}/delete`: at once, with an Undo in the flash that puts it back; the
/// contact's `last_contacted` falls back to the latest interaction left.
pub(super) async fn delete(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(iid): Path<String>,
    FormOrEmpty(form): FormOrEmpty<BackQuery>,
) -> Result<Response, AppError> {
    let (interaction, contact) = find(&state, &page, iid).await?;
    let back = form.back;
    let target = return_to(&back, format!("/contacts/{}", contact.id));
    let undo = state
        .db
        .trash()
        .delete_interaction(page.user_id(), &interaction.id, &target)
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!(
            "{} with {} deleted.",
            interaction_noun(interaction.type_),
            contact.name
        ))
        .with_undo(Some(undo)),
        &target,
    ))
}

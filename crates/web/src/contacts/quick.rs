//! Quick add: `GET /contacts/quick` (the small form as a page, where the header's "+" leads
//! without JavaScript; with it, the same form opens in a dialog on any page) and
//! `POST /contacts/quick`, which creates the contact with its e-mail and tags in one unit of
//! work and lands on the new contact's page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::Error as DbError;
use serde::Deserialize;

use super::form::{save, ContactForm};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, Form};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

/// The form's fields as typed: tags are one text, separated by commas.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuickForm {
    pub name: String,
    pub email: String,
    pub tags: String,
}

#[derive(Template)]
#[template(path = "contacts/quick.html")]
struct QuickPage {
    layout: Layout,
    form: QuickForm,
    errors: FieldErrors,
}

pub async fn page(page: Page) -> Response {
    ok(&QuickPage {
        layout: page.layout("Quick add", "contacts"),
        form: QuickForm::default(),
        errors: FieldErrors::default(),
    })
}

/// Creates the contact through the contact form's own checks and unit of work (the quick
/// form is the full one with three fields), or shows the quick form again with what is wrong.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<QuickForm>,
) -> Result<Response, AppError> {
    let full = ContactForm {
        name: form.name.clone(),
        email: vec![form.email.clone()],
        tags: form.tags.clone(),
        ..ContactForm::default()
    };
    let errors = match full.parse() {
        Ok(parsed) => {
            let created = save(&state, page.user_id(), None, &parsed).await?;
            return Ok(flash::redirect(
                jar,
                Flash::success(format!("Contact {} added.", created.name)),
                &format!("/contacts/{}", created.id),
            ));
        }
        Err(DbError::Validation(errors)) => errors,
        Err(e) => return Err(e.into()),
    };
    let mut shown = FieldErrors::default();
    for e in errors.iter() {
        let (field, label) = match e.field {
            "name" => ("name", "Name"),
            "tags" => ("tags", "Tags"),
            _ => ("email", "E-mail"),
        };
        shown.add(field, label, &e.message);
    }
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &QuickPage {
            layout: page.layout("Quick add", "contacts"),
            form,
            errors: shown,
        },
    ))
}

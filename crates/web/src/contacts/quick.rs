//! Quick add: `GET /contacts/quick` (the small form as a page, where the header's "+" leads
//! without JavaScript; with it, the same form opens in a dialog on any page) and
//! `POST /contacts/quick`, which creates the contact with its e-mail and tags in one unit of
//! work and lands on the new contact's page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::{ContactInfoInput, ContactInput, Error as DbError, TagInput};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, Form};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

/// At most this many tags at once.
pub const MAX_TAGS: usize = 20;

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

/// The tag names typed: trimmed, blanks dropped, each once (ignoring case), in order.
pub fn tag_names(raw: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !names
            .iter()
            .any(|n| n.to_lowercase() == name.to_lowercase())
        {
            names.push(name.to_string());
        }
    }
    names
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<QuickForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let contact = ContactInput {
        name: form.name.clone(),
        relationship: None,
        birthday: None,
        industry: None,
        location: None,
        vip: false,
        status: None,
    }
    .parse();
    let info = ContactInfoInput {
        email: Some(form.email.clone()),
        ..ContactInfoInput::default()
    }
    .parse();
    let names = tag_names(&form.tags);
    let mut tags = Vec::new();
    if names.len() > MAX_TAGS {
        errors.add(
            "tags",
            "Tags",
            &format!("can be at most {MAX_TAGS} at once"),
        );
    }
    for name in names.iter().take(MAX_TAGS) {
        match (TagInput {
            name: name.clone(),
            color: None,
        })
        .parse()
        {
            Ok(tag) => tags.push(tag),
            Err(DbError::Validation(e)) => {
                let message = e.iter().next().map_or("is not valid", |e| &e.message);
                let shown: String = name.chars().take(20).collect();
                let ellipsis = if shown.len() < name.len() { "…" } else { "" };
                errors.add("tags", &format!("The tag “{shown}{ellipsis}”"), message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let contact = match contact {
        Ok(c) => Some(c),
        Err(DbError::Validation(e)) => {
            for e in e.iter() {
                errors.add(
                    e.field,
                    if e.field == "name" { "Name" } else { e.field },
                    &e.message,
                );
            }
            None
        }
        Err(e) => return Err(e.into()),
    };
    let info = match info {
        Ok(i) => Some(i),
        Err(DbError::Validation(e)) => {
            for e in e.iter() {
                errors.add("email", "E-mail", &e.message);
            }
            None
        }
        Err(e) => return Err(e.into()),
    };
    let (Some(contact), Some(info), true) = (contact, info, errors.is_empty()) else {
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &QuickPage {
                layout: page.layout("Quick add", "contacts"),
                form,
                errors,
            },
        ));
    };
    let user = page.user_id();
    // The contact, its e-mail and its tags: all or nothing.
    let created = state
        .db
        .write(async |tx| {
            let created = tx.contacts().create(user, &contact).await?;
            if !info.is_empty() {
                tx.contact_infos().upsert(user, &created.id, &info).await?;
            }
            if !tags.is_empty() {
                let existing = tx.tags().list(user).await?;
                for new in &tags {
                    let wanted = new.name().to_lowercase();
                    let tag = match existing.iter().find(|t| t.name.to_lowercase() == wanted) {
                        Some(tag) => tag.clone(),
                        None => tx.tags().create(user, new).await?,
                    };
                    tx.tags().attach(user, &created.id, &tag.id).await?;
                }
            }
            Ok(created)
        })
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!("Contact {} added.", created.name)),
        &format!("/contacts/{}", created.id),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_on_commas_once_each() {
        assert_eq!(
            tag_names(" rust, Friends ,, rust ,RUST,friends, ops "),
            ["rust", "Friends", "ops"]
        );
        assert!(tag_names(" , ").is_empty());
    }
}

//! `/api/v1/contacts/{contact_id}/details`: every e-mail address and phone number of a
//! contact, each with its label, its preferred app and its profile links, as one document.
//! Any contact has them, VIP or not. The first e-mail and phone are those of the seed's
//! `contact_info` row (`/contact-info` reads and writes that row alone, as before); PUT here
//! replaces the whole set in one unit of work.

use axum::extract::{Path, State};
use axum::Json;
use devhub_db::repo::contact_detail::MAX_PER_KIND;
use devhub_db::repo::contact_info::label;
use devhub_db::validate::{MAX_EMAIL, MAX_PHONE};
use devhub_db::{ContactDetails, ContactDetailsInput, ContactId, Labeled};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{ApiJson, ApiUser};
use super::ApiErrors;
use crate::state::AppState;

/// Every contact detail of a contact: the e-mails and phones in their order (the first of
/// each is the one `contact-info` holds), the preferred app and the profile links.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "emails": [
        {"value": "ada@analytical.example", "label": "work"},
        {"value": "ada@home.example", "label": "home"}
    ],
    "phones": [{"value": "+44 20 7946 0958", "label": "mobile"}],
    "main_app": "Signal",
    "social_links": ["https://github.com/ada"]
}))]
pub struct ContactDetailsDocument {
    pub emails: Vec<Labeled>,
    pub phones: Vec<Labeled>,
    pub main_app: Option<String>,
    pub social_links: Vec<String>,
}

impl From<ContactDetails> for ContactDetailsDocument {
    fn from(d: ContactDetails) -> Self {
        ContactDetailsDocument {
            main_app: d.main_app().map(str::to_string),
            social_links: d.social_links().to_vec(),
            emails: d.emails,
            phones: d.phones,
        }
    }
}

/// Get every contact detail of a contact (empty lists when it has none).
#[utoipa::path(
    get,
    operation_id = "get_contact_details",
    path = "/api/v1/contacts/{contact_id}/details",
    tag = "contact details",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    responses(
        (status = 200, description = "The contact's details.", body = ContactDetailsDocument),
        ApiErrors
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
) -> ApiResult<Json<ContactDetailsDocument>> {
    let details = state
        .db
        .contact_details()
        .get(&user.user_id, &ContactId::from(contact_id))
        .await?;
    Ok(Json(details.into()))
}

/// Replace every contact detail of a contact: the lists in their order (blank values are
/// dropped, a repeated one is kept once), at most 10 e-mails and 10 phones, labels of at most
/// 40 characters. An invalid value is a 422 naming it: `emails.1` is the second e-mail.
/// Without any detail left, the contact's `contact-info` goes.
#[utoipa::path(
    put,
    operation_id = "put_contact_details",
    path = "/api/v1/contacts/{contact_id}/details",
    tag = "contact details",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body(
        content = ContactDetailsInput,
        example = json!({
            "emails": [
                {"value": "ada@analytical.example", "label": "work"},
                {"value": "ada@home.example", "label": "home"}
            ],
            "phones": [{"value": "+44 20 7946 0958", "label": "mobile"}],
            "main_app": "Signal",
            "social_links": ["https://github.com/ada"]
        })
    ),
    responses(
        (status = 200, description = "The stored details.", body = ContactDetailsDocument),
        ApiErrors
    )
)]
pub async fn put(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(input): ApiJson<ContactDetailsInput>,
) -> ApiResult<Json<ContactDetailsDocument>> {
    // The document says `maxItems`: more entries are refused even when some are blank.
    for (field, list) in [("emails", &input.emails), ("phones", &input.phones)] {
        if list.len() > MAX_PER_KIND {
            return Err(devhub_db::Error::validation(
                field,
                format!("can hold at most {MAX_PER_KIND}"),
            )
            .into());
        }
    }
    // A blank value is dropped, but one longer than its field's limit, or with a label the
    // rules refuse, is refused as the document says (its own place has no number, as only
    // values that are not blank are counted).
    let mut errors = devhub_db::ValidationErrors::new();
    for (field, list, max) in [
        ("emails", &input.emails, MAX_EMAIL),
        ("phones", &input.phones, MAX_PHONE),
    ] {
        for item in list.iter().filter(|i| i.value.trim().is_empty()) {
            if item.value.chars().count() > max {
                errors.add(
                    field,
                    format!("a blank value must be at most {max} characters"),
                );
            } else if let Err(e) = label(item.label.as_deref()) {
                errors.add(field, format!("label {e}"));
            }
        }
    }
    errors.into_result()?;
    let new = input.parse()?;
    let contact_id = ContactId::from(contact_id);
    let details = state
        .db
        .write(async |tx| {
            let repo = tx.contact_details();
            repo.save(&user.user_id, &contact_id, &new).await?;
            repo.get(&user.user_id, &contact_id).await
        })
        .await?;
    Ok(Json(details.into()))
}

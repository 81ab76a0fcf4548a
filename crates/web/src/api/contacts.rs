//! `/api/v1/contacts`: the contact list (the page's search, filters and sorts, keyset pages)
//! and one contact's get, create, partial update and delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use devhub_db::{
    Contact, ContactCursor, ContactFilter, ContactId, ContactInput, ContactQuery, ContactSort,
    SortDirection,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, ApiUser, Paging};
use super::{list_type, nullable, ApiErrors};
use crate::state::AppState;

list_type!(
    /// A page of contacts.
    ContactList,
    Contact
);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    /// Case-insensitive text inside the name, industry, location or relationship.
    q: Option<String>,
    /// Which contacts: all (default), VIPs, active or archived ones.
    filter: Option<ContactFilter>,
    /// Exactly this industry (ignoring case).
    industry: Option<String>,
    /// Exactly this relationship (ignoring case).
    relationship: Option<String>,
    /// Order by name (default), last contacted (never contacted counts as longest ago) or
    /// creation.
    sort: Option<ContactSort>,
    /// Ascending or descending; by default names A→Z, dates newest first.
    dir: Option<SortDirection>,
    /// How many contacts per page: 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl ContactListParams {
    fn query(&self) -> ContactQuery {
        ContactQuery {
            search: self.q.clone(),
            filter: self.filter.unwrap_or_default(),
            industry: self.industry.clone(),
            relationship: self.relationship.clone(),
            ..ContactQuery::default()
        }
        .ordered(self.sort.unwrap_or_default(), self.dir)
    }
}

/// List contacts.
#[utoipa::path(
    get,
    operation_id = "list_contacts",
    path = "/api/v1/contacts",
    tag = "contacts",
    params(ContactListParams),
    responses((status = 200, description = "A page of contacts.", body = ContactList), ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<ContactListParams>,
) -> ApiResult<Json<ContactList>> {
    let query = params.query();
    let order = query.order_key();
    let paging = Paging::<ContactCursor>::new(&order, params.limit, params.cursor.as_deref())?;
    let (data, more) = state
        .db
        .contacts()
        .list_after(&user.user_id, &query, paging.after.as_ref(), paging.limit)
        .await?;
    let next_cursor = paging.next_cursor(&data, more, ContactCursor::after);
    Ok(Json(ContactList { data, next_cursor }))
}

/// Create a contact.
#[utoipa::path(
    post,
    operation_id = "create_contact",
    path = "/api/v1/contacts",
    tag = "contacts",
    request_body = ContactInput,
    responses((status = 201, description = "The new contact.", body = Contact), ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let new = input.parse()?;
    let contact = state.db.contacts().create(&user.user_id, &new).await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// Get a contact.
#[utoipa::path(
    get,
    operation_id = "get_contact",
    path = "/api/v1/contacts/{id}",
    tag = "contacts",
    params(("id" = String, Path, description = "The contact's id.")),
    responses((status = 200, description = "The contact.", body = Contact), ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Contact>> {
    let contact = state
        .db
        .contacts()
        .get(&user.user_id, &ContactId::from(id))
        .await?;
    Ok(Json(contact))
}

/// The fields of a contact to change; absent fields keep their value, `null` clears an
/// optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    relationship: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    birthday: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    location: Option<Option<String>>,
    #[serde(default)]
    vip: Option<bool>,
    /// `active` or `archived`.
    #[serde(default)]
    status: Option<String>,
    /// Free notes about the person.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
}

impl ContactPatch {
    /// The contact's current values with the patch applied, as input to validate.
    fn apply(self, current: &Contact) -> ContactInput {
        ContactInput {
            name: self.name.unwrap_or_else(|| current.name.clone()),
            relationship: self
                .relationship
                .unwrap_or_else(|| current.relationship.clone()),
            birthday: self
                .birthday
                .unwrap_or_else(|| current.birthday.map(|d| d.to_string())),
            industry: self.industry.unwrap_or_else(|| current.industry.clone()),
            location: self.location.unwrap_or_else(|| current.location.clone()),
            vip: self.vip.unwrap_or(current.vip),
            status: Some(
                self.status
                    .unwrap_or_else(|| current.status.as_str().to_string()),
            ),
            notes: self.notes.unwrap_or_else(|| current.notes.clone()),
        }
    }
}

/// Change some fields of a contact.
#[utoipa::path(
    patch,
    operation_id = "update_contact",
    path = "/api/v1/contacts/{id}",
    tag = "contacts",
    params(("id" = String, Path, description = "The contact's id.")),
    request_body = ContactPatch,
    responses((status = 200, description = "The updated contact.", body = Contact), ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ContactPatch>,
) -> ApiResult<Json<Contact>> {
    let id = ContactId::from(id);
    // Read and write in one unit of work: two concurrent PATCHes of different fields both
    // survive.
    let contact = state
        .db
        .write(async |tx| {
            let repo = tx.contacts();
            let current = repo.get(&user.user_id, &id).await?;
            let new = patch.apply(&current).parse()?;
            repo.update(&user.user_id, &id, &new).await
        })
        .await?;
    Ok(Json(contact))
}

/// Delete a contact with its interactions, background, contact info, follow-ups and tags.
#[utoipa::path(
    delete,
    operation_id = "delete_contact",
    path = "/api/v1/contacts/{id}",
    tag = "contacts",
    params(("id" = String, Path, description = "The contact's id.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .db
        .contacts()
        .delete(&user.user_id, &ContactId::from(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

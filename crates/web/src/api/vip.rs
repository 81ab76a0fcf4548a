//! `/api/v1/contacts/{id}/background` and `/api/v1/contacts/{id}/contact-info`: the one
//! background and the one set of contact details a contact can have. PUT creates or
//! replaces, PATCH changes some fields of an existing one, DELETE removes it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use devhub_db::repo::per_contact::{PerContact, PerContactRepo};
use devhub_db::{Background, BackgroundInput, ContactId, ContactInfo, ContactInfoInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, ApiUser, PageParams, Paging};
use super::{list_type, nullable, ApiErrors};
use crate::state::AppState;

list_type!(
    /// A page of backgrounds, oldest first.
    BackgroundList,
    Background
);

list_type!(
    /// A page of contact infos, oldest first.
    ContactInfoList,
    ContactInfo
);

/// A one-per-contact row as the API serves it: the handlers of backgrounds and contact infos
/// are written once, over this.
trait OnePerContact: PerContact + Serialize {
    /// The sort order named in the listing's cursors.
    const ORDER: &'static str;
    /// A whole new value, as PUT sends it.
    type Input;
    /// Some fields to change, as PATCH sends them.
    type Patch;

    fn id(&self) -> &str;

    fn parse(input: &Self::Input) -> devhub_db::Result<Self::New>;

    /// The current value with `patch` applied, as input to validate.
    fn patched(self, patch: Self::Patch) -> Self::Input;
}

/// A page of all the user's rows, oldest first, and the cursor of the next one.
async fn list<T: OnePerContact>(
    state: &AppState,
    user: &ApiUser,
    params: PageParams,
) -> ApiResult<(Vec<T>, Option<String>)> {
    let paging = Paging::<String>::new(T::ORDER, params.limit, params.cursor.as_deref())?;
    let (data, more) = PerContactRepo::<T>::new(&state.db)
        .list_after(&user.user_id, paging.after.as_deref(), paging.limit)
        .await?;
    let next_cursor = paging.next_cursor(&data, more, |last| last.id().to_owned());
    Ok((data, next_cursor))
}

/// The contact's row; 404 when it has none.
async fn get<T: OnePerContact>(
    state: &AppState,
    user: &ApiUser,
    contact_id: String,
) -> ApiResult<Json<T>> {
    PerContactRepo::<T>::new(&state.db)
        .get(&user.user_id, &ContactId::from(contact_id))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Creates or replaces the contact's row.
async fn put<T: OnePerContact>(
    state: &AppState,
    user: &ApiUser,
    contact_id: String,
    input: T::Input,
) -> ApiResult<Json<T>> {
    let new = T::parse(&input)?;
    let stored = PerContactRepo::<T>::new(&state.db)
        .upsert(&user.user_id, &ContactId::from(contact_id), &new)
        .await?;
    Ok(Json(stored))
}

/// Changes some fields of the contact's row; 404 when it has none.
async fn patch<T: OnePerContact>(
    state: &AppState,
    user: &ApiUser,
    contact_id: String,
    patch: T::Patch,
) -> ApiResult<Json<T>> {
    let contact_id = ContactId::from(contact_id);
    // Read and write in one unit of work: a concurrent change is never lost.
    let saved = state
        .db
        .write(async |tx| {
            let repo = PerContactRepo::<T>::new(tx);
            let current = repo
                .get(&user.user_id, &contact_id)
                .await?
                .ok_or(devhub_db::Error::NotFound)?;
            let new = T::parse(&current.patched(patch))?;
            repo.upsert(&user.user_id, &contact_id, &new).await
        })
        .await?;
    Ok(Json(saved))
}

/// Deletes the contact's row; 404 when it has none.
async fn delete<T: OnePerContact>(
    state: &AppState,
    user: &ApiUser,
    contact_id: String,
) -> ApiResult<StatusCode> {
    PerContactRepo::<T>::new(&state.db)
        .delete(&user.user_id, &ContactId::from(contact_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

impl OnePerContact for Background {
    const ORDER: &'static str = "backgrounds:id";
    type Input = BackgroundInput;
    type Patch = BackgroundPatch;

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn parse(input: &BackgroundInput) -> devhub_db::Result<Self::New> {
        input.parse()
    }

    fn patched(self, patch: BackgroundPatch) -> BackgroundInput {
        BackgroundInput {
            family: patch.family.unwrap_or(self.family),
            company: patch.company.unwrap_or(self.company),
            likes_dislikes: patch.likes_dislikes.unwrap_or(self.likes_dislikes),
            misc_notes: patch.misc_notes.unwrap_or(self.misc_notes),
        }
    }
}

impl OnePerContact for ContactInfo {
    const ORDER: &'static str = "contact-infos:id";
    type Input = ContactInfoInput;
    type Patch = ContactInfoPatch;

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn parse(input: &ContactInfoInput) -> devhub_db::Result<Self::New> {
        input.parse()
    }

    fn patched(self, patch: ContactInfoPatch) -> ContactInfoInput {
        ContactInfoInput {
            main_app: patch.main_app.unwrap_or(self.main_app),
            email: patch.email.unwrap_or(self.email),
            phone_number: patch.phone_number.unwrap_or(self.phone_number),
            social_links: patch.social_links.unwrap_or(self.social_links),
            email_label: patch.email_label.unwrap_or(self.email_label),
            phone_label: patch.phone_label.unwrap_or(self.phone_label),
        }
    }
}

/// List the backgrounds of all the user's contacts.
#[utoipa::path(
    get,
    operation_id = "list_backgrounds",
    path = "/api/v1/backgrounds",
    tag = "background",
    params(PageParams),
    responses((status = 200, description = "A page of backgrounds.", body = BackgroundList), ApiErrors)
)]
pub async fn list_backgrounds(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<BackgroundList>> {
    let (data, next_cursor) = list(&state, &user, params).await?;
    Ok(Json(BackgroundList { data, next_cursor }))
}

/// List the contact infos of all the user's contacts.
#[utoipa::path(
    get,
    operation_id = "list_contact_infos",
    path = "/api/v1/contact-infos",
    tag = "contact info",
    params(PageParams),
    responses((status = 200, description = "A page of contact infos.", body = ContactInfoList), ApiErrors)
)]
pub async fn list_contact_infos(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<ContactInfoList>> {
    let (data, next_cursor) = list(&state, &user, params).await?;
    Ok(Json(ContactInfoList { data, next_cursor }))
}

/// Get a contact's background (404 when it has none).
#[utoipa::path(
    get,
    operation_id = "get_background",
    path = "/api/v1/contacts/{contact_id}/background",
    tag = "background",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    responses((status = 200, description = "The background.", body = Background), ApiErrors)
)]
pub async fn get_background(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
) -> ApiResult<Json<Background>> {
    get(&state, &user, contact_id).await
}

/// Create or replace a contact's background.
#[utoipa::path(
    put,
    operation_id = "put_background",
    path = "/api/v1/contacts/{contact_id}/background",
    tag = "background",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body = BackgroundInput,
    responses((status = 200, description = "The stored background.", body = Background), ApiErrors)
)]
pub async fn put_background(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(input): ApiJson<BackgroundInput>,
) -> ApiResult<Json<Background>> {
    put(&state, &user, contact_id, input).await
}

/// The fields of a background to change; absent fields keep their value, `null` clears one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackgroundPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    family: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    company: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    likes_dislikes: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    misc_notes: Option<Option<String>>,
}

/// Change some fields of a contact's background (404 when it has none).
#[utoipa::path(
    patch,
    operation_id = "patch_background",
    path = "/api/v1/contacts/{contact_id}/background",
    tag = "background",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body = BackgroundPatch,
    responses((status = 200, description = "The updated background.", body = Background), ApiErrors)
)]
pub async fn patch_background(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(changes): ApiJson<BackgroundPatch>,
) -> ApiResult<Json<Background>> {
    patch(&state, &user, contact_id, changes).await
}

/// Delete a contact's background.
#[utoipa::path(
    delete,
    operation_id = "delete_background",
    path = "/api/v1/contacts/{contact_id}/background",
    tag = "background",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
pub async fn delete_background(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
) -> ApiResult<StatusCode> {
    delete::<Background>(&state, &user, contact_id).await
}

/// Get a contact's contact info (404 when it has none).
#[utoipa::path(
    get,
    operation_id = "get_contact_info",
    path = "/api/v1/contacts/{contact_id}/contact-info",
    tag = "contact info",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    responses((status = 200, description = "The contact info.", body = ContactInfo), ApiErrors)
)]
pub async fn get_contact_info(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
) -> ApiResult<Json<ContactInfo>> {
    get(&state, &user, contact_id).await
}

/// Create or replace a contact's contact info.
#[utoipa::path(
    put,
    operation_id = "put_contact_info",
    path = "/api/v1/contacts/{contact_id}/contact-info",
    tag = "contact info",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body = ContactInfoInput,
    responses((status = 200, description = "The stored contact info.", body = ContactInfo), ApiErrors)
)]
pub async fn put_contact_info(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(input): ApiJson<ContactInfoInput>,
) -> ApiResult<Json<ContactInfo>> {
    put(&state, &user, contact_id, input).await
}

/// The fields of a contact info to change; absent fields keep their value, `null` clears one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInfoPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    main_app: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    phone_number: Option<Option<String>>,
    /// The whole new list of profile URLs.
    #[serde(default)]
    social_links: Option<Vec<String>>,
    /// What the e-mail address is: work, home … (at most 40 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    email_label: Option<Option<String>>,
    /// What the phone number is: mobile, work … (at most 40 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    phone_label: Option<Option<String>>,
}

/// Change some fields of a contact's contact info (404 when it has none).
#[utoipa::path(
    patch,
    operation_id = "patch_contact_info",
    path = "/api/v1/contacts/{contact_id}/contact-info",
    tag = "contact info",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body = ContactInfoPatch,
    responses((status = 200, description = "The updated contact info.", body = ContactInfo), ApiErrors)
)]
pub async fn patch_contact_info(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(changes): ApiJson<ContactInfoPatch>,
) -> ApiResult<Json<ContactInfo>> {
    patch(&state, &user, contact_id, changes).await
}

/// Delete a contact's contact info.
#[utoipa::path(
    delete,
    operation_id = "delete_contact_info",
    path = "/api/v1/contacts/{contact_id}/contact-info",
    tag = "contact info",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
pub async fn delete_contact_info(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
) -> ApiResult<StatusCode> {
    delete::<ContactInfo>(&state, &user, contact_id).await
}

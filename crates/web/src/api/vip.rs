//! `/api/v1/contacts/{id}/background` and `/api/v1/contacts/{id}/contact-info`: the one
//! background and the one set of contact details a contact can have. PUT creates or
//! replaces, PATCH changes some fields of an existing one, DELETE removes it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use devhub_db::{Background, BackgroundInput, ContactId, ContactInfo, ContactInfoInput};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ApiResult};
use super::extract::{decode_cursor, encode_cursor, limit, ApiJson, ApiQuery, ApiUser};
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

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many per page: 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

const BACKGROUND_ORDER: &str = "backgrounds:id";
const CONTACT_INFO_ORDER: &str = "contact-infos:id";

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
    let limit = limit(params.limit)?;
    let after: Option<String> = decode_cursor(BACKGROUND_ORDER, params.cursor.as_deref())?;
    let (data, more) = state
        .db
        .backgrounds()
        .list_after(&user.user_id, after.as_deref(), limit)
        .await?;
    let next_cursor = data
        .last()
        .filter(|_| more)
        .and_then(|last| encode_cursor(BACKGROUND_ORDER, &last.id));
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
    let limit = limit(params.limit)?;
    let after: Option<String> = decode_cursor(CONTACT_INFO_ORDER, params.cursor.as_deref())?;
    let (data, more) = state
        .db
        .contact_infos()
        .list_after(&user.user_id, after.as_deref(), limit)
        .await?;
    let next_cursor = data
        .last()
        .filter(|_| more)
        .and_then(|last| encode_cursor(CONTACT_INFO_ORDER, &last.id));
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
    state
        .db
        .backgrounds()
        .get(&user.user_id, &ContactId::from(contact_id))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
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
    let new = input.parse()?;
    let stored = state
        .db
        .backgrounds()
        .upsert(&user.user_id, &ContactId::from(contact_id), &new)
        .await?;
    Ok(Json(stored))
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
    ApiJson(patch): ApiJson<BackgroundPatch>,
) -> ApiResult<Json<Background>> {
    let contact_id = ContactId::from(contact_id);
    // Read and write in one unit of work: a concurrent change is never lost.
    let saved = state
        .db
        .write(async |tx| {
            let repo = tx.backgrounds();
            let current = repo
                .get(&user.user_id, &contact_id)
                .await?
                .ok_or(devhub_db::Error::NotFound)?;
            let new = BackgroundInput {
                family: patch.family.unwrap_or(current.family),
                company: patch.company.unwrap_or(current.company),
                likes_dislikes: patch.likes_dislikes.unwrap_or(current.likes_dislikes),
                misc_notes: patch.misc_notes.unwrap_or(current.misc_notes),
            }
            .parse()?;
            repo.upsert(&user.user_id, &contact_id, &new).await
        })
        .await?;
    Ok(Json(saved))
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
    state
        .db
        .backgrounds()
        .delete(&user.user_id, &ContactId::from(contact_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
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
    state
        .db
        .contact_infos()
        .get(&user.user_id, &ContactId::from(contact_id))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
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
    let new = input.parse()?;
    let stored = state
        .db
        .contact_infos()
        .upsert(&user.user_id, &ContactId::from(contact_id), &new)
        .await?;
    Ok(Json(stored))
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
    ApiJson(patch): ApiJson<ContactInfoPatch>,
) -> ApiResult<Json<ContactInfo>> {
    let contact_id = ContactId::from(contact_id);
    // Read and write in one unit of work: a concurrent change is never lost.
    let saved = state
        .db
        .write(async |tx| {
            let repo = tx.contact_infos();
            let current = repo
                .get(&user.user_id, &contact_id)
                .await?
                .ok_or(devhub_db::Error::NotFound)?;
            let new = ContactInfoInput {
                main_app: patch.main_app.unwrap_or(current.main_app),
                email: patch.email.unwrap_or(current.email),
                phone_number: patch.phone_number.unwrap_or(current.phone_number),
                social_links: patch.social_links.unwrap_or(current.social_links),
            }
            .parse()?;
            repo.upsert(&user.user_id, &contact_id, &new).await
        })
        .await?;
    Ok(Json(saved))
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
    state
        .db
        .contact_infos()
        .delete(&user.user_id, &ContactId::from(contact_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

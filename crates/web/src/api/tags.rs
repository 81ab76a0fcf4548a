//! `/api/v1/tags`: the user's tags by name (keyset pages), one tag's get, create, update and
//! delete, and putting tags on contacts and taking them off.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use devhub_db::{ContactId, Tag, TagCursor, TagId, TagInput};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, ApiUser, PageParams, Paging};
use super::{list_type, nullable, ApiErrors};
use crate::state::AppState;

list_type!(
    /// A page of tags, by name.
    TagList,
    Tag
);

const ORDER: &str = "tags:name:asc";

/// List tags.
#[utoipa::path(
    get,
    operation_id = "list_tags",
    path = "/api/v1/tags",
    tag = "tags",
    params(PageParams),
    responses((status = 200, description = "A page of tags.", body = TagList), ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<TagList>> {
    let paging = Paging::<TagCursor>::new(ORDER, params.limit, params.cursor.as_deref())?;
    let (data, more) = state
        .db
        .tags()
        .list_after(&user.user_id, paging.after.as_ref(), paging.limit)
        .await?;
    let next_cursor = paging.next_cursor(&data, more, TagCursor::after);
    Ok(Json(TagList { data, next_cursor }))
}

/// Create a tag (names are unique per user, ignoring case: 409 otherwise).
#[utoipa::path(
    post,
    operation_id = "create_tag",
    path = "/api/v1/tags",
    tag = "tags",
    request_body = TagInput,
    responses((status = 201, description = "The new tag.", body = Tag), ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(input): ApiJson<TagInput>,
) -> ApiResult<(StatusCode, Json<Tag>)> {
    let new = input.parse()?;
    let tag = state.db.tags().create(&user.user_id, &new).await?;
    Ok((StatusCode::CREATED, Json(tag)))
}

/// Get a tag.
#[utoipa::path(
    get,
    operation_id = "get_tag",
    path = "/api/v1/tags/{id}",
    tag = "tags",
    params(("id" = String, Path, description = "The tag's id.")),
    responses((status = 200, description = "The tag.", body = Tag), ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Tag>> {
    Ok(Json(
        state.db.tags().get(&user.user_id, &TagId::from(id)).await?,
    ))
}

/// The fields of a tag to change; absent fields keep their value, `null` clears the color.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagPatch {
    #[serde(default)]
    name: Option<String>,
    /// `#rrggbb`, or a palette name (gray, red, orange, amber, green, teal, blue, indigo,
    /// purple, pink).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    color: Option<Option<String>>,
}

/// Rename or recolor a tag.
#[utoipa::path(
    patch,
    operation_id = "update_tag",
    path = "/api/v1/tags/{id}",
    tag = "tags",
    params(("id" = String, Path, description = "The tag's id.")),
    request_body = TagPatch,
    responses((status = 200, description = "The updated tag.", body = Tag), ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<TagPatch>,
) -> ApiResult<Json<Tag>> {
    let id = TagId::from(id);
    // Read and write in one unit of work: a concurrent change is never lost.
    let tag = state
        .db
        .write(async |tx| {
            let repo = tx.tags();
            let current = repo.get(&user.user_id, &id).await?;
            let new = TagInput {
                name: patch.name.unwrap_or(current.name),
                color: patch.color.unwrap_or(current.color),
            }
            .parse()?;
            repo.update(&user.user_id, &id, &new).await
        })
        .await?;
    Ok(Json(tag))
}

/// Delete a tag (it comes off every contact).
#[utoipa::path(
    delete,
    operation_id = "delete_tag",
    path = "/api/v1/tags/{id}",
    tag = "tags",
    params(("id" = String, Path, description = "The tag's id.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .db
        .tags()
        .delete(&user.user_id, &TagId::from(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tags on a contact, by name.
#[utoipa::path(
    get,
    operation_id = "list_contact_tags",
    path = "/api/v1/contacts/{contact_id}/tags",
    tag = "tags",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    responses((status = 200, description = "The contact's tags.", body = Vec<Tag>), ApiErrors)
)]
pub async fn list_for_contact(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
) -> ApiResult<Json<Vec<Tag>>> {
    Ok(Json(
        state
            .db
            .tags()
            .tags_for_contact(&user.user_id, &ContactId::from(contact_id))
            .await?,
    ))
}

/// Put a tag on a contact (doing it twice is harmless).
#[utoipa::path(
    put,
    operation_id = "attach_tag",
    path = "/api/v1/contacts/{contact_id}/tags/{tag_id}",
    tag = "tags",
    params(
        ("contact_id" = String, Path, description = "The contact's id."),
        ("tag_id" = String, Path, description = "The tag's id."),
    ),
    responses((status = 204, description = "The tag is on the contact."), ApiErrors)
)]
pub async fn attach(
    State(state): State<AppState>,
    user: ApiUser,
    Path((contact_id, tag_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .db
        .tags()
        .attach(
            &user.user_id,
            &ContactId::from(contact_id),
            &TagId::from(tag_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a tag off a contact (harmless when it was not on).
#[utoipa::path(
    delete,
    operation_id = "detach_tag",
    path = "/api/v1/contacts/{contact_id}/tags/{tag_id}",
    tag = "tags",
    params(
        ("contact_id" = String, Path, description = "The contact's id."),
        ("tag_id" = String, Path, description = "The tag's id."),
    ),
    responses((status = 204, description = "The tag is off the contact."), ApiErrors)
)]
pub async fn detach(
    State(state): State<AppState>,
    user: ApiUser,
    Path((contact_id, tag_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .db
        .tags()
        .detach(
            &user.user_id,
            &ContactId::from(contact_id),
            &TagId::from(tag_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

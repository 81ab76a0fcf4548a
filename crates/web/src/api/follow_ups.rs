//! `/api/v1/follow-ups`: the user's follow-ups (open ones by due date as on the follow-ups
//! page, completed ones latest first as on its Completed tab, or all as on a contact's page;
//! keyset pages), adding one to a contact, and one follow-up's get, update (including
//! completing and reopening it) and delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use devhub_db::{ContactId, FollowUp, FollowUpCursor, FollowUpId, FollowUpInput, FollowUpStatus};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, ApiUser, Paging};
use super::{list_type, narrowed_to, nullable, ApiErrors};
use crate::state::AppState;

list_type!(
    /// A page of follow-ups.
    FollowUpList,
    FollowUp
);

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusParam {
    /// Open ones, the earliest due first.
    #[default]
    Open,
    /// Completed ones, the latest completed first.
    Completed,
    /// Open ones first, each group by due date.
    All,
}

/// The query of one contact's follow-ups.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactFollowUpParams {
    /// open (default), completed or all.
    status: Option<StatusParam>,
    /// How many per page: 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpListParams {
    /// open (default), completed or all.
    status: Option<StatusParam>,
    /// Only the follow-ups of this contact.
    contact_id: Option<String>,
    /// How many per page: 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List follow-ups.
#[utoipa::path(
    get,
    operation_id = "list_follow_ups",
    path = "/api/v1/follow-ups",
    tag = "follow-ups",
    params(FollowUpListParams),
    responses((status = 200, description = "A page of follow-ups.", body = FollowUpList), ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<FollowUpListParams>,
) -> ApiResult<Json<FollowUpList>> {
    let contact_id = params.contact_id;
    let page = ContactFollowUpParams {
        status: params.status,
        limit: params.limit,
        cursor: params.cursor,
    };
    page_of(&state, &user, contact_id, page).await.map(Json)
}

/// List one contact's follow-ups (404 when the contact is unknown).
#[utoipa::path(
    get,
    operation_id = "list_contact_follow_ups",
    path = "/api/v1/contacts/{contact_id}/follow-ups",
    tag = "follow-ups",
    params(("contact_id" = String, Path, description = "The contact's id."), ContactFollowUpParams),
    responses((status = 200, description = "A page of the contact's follow-ups.", body = FollowUpList), ApiErrors)
)]
pub async fn list_for_contact(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiQuery(params): ApiQuery<ContactFollowUpParams>,
) -> ApiResult<Json<FollowUpList>> {
    page_of(&state, &user, Some(contact_id), params)
        .await
        .map(Json)
}

/// A page of the user's follow-ups, or of one of their contacts'.
async fn page_of(
    state: &AppState,
    user: &ApiUser,
    contact_id: Option<String>,
    params: ContactFollowUpParams,
) -> ApiResult<FollowUpList> {
    let status = match params.status.unwrap_or_default() {
        StatusParam::Open => FollowUpStatus::Open,
        StatusParam::Completed => FollowUpStatus::Completed,
        StatusParam::All => FollowUpStatus::All,
    };
    let order = format!("follow-ups:{status:?}");
    let paging = Paging::<FollowUpCursor>::new(&order, params.limit, params.cursor.as_deref())?;
    let contact_id = narrowed_to(state, user, contact_id).await?;
    let (rows, more) = state
        .db
        .follow_ups()
        .list_after(
            &user.user_id,
            status,
            contact_id.as_ref(),
            paging.after.as_ref(),
            paging.limit,
        )
        .await?;
    let next_cursor = paging.next_cursor(&rows, more, FollowUpCursor::after);
    let data = rows.into_iter().map(|r| r.follow_up).collect();
    Ok(FollowUpList { data, next_cursor })
}

/// Add a follow-up to a contact.
#[utoipa::path(
    post,
    operation_id = "create_follow_up",
    path = "/api/v1/contacts/{contact_id}/follow-ups",
    tag = "follow-ups",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body = FollowUpInput,
    responses((status = 201, description = "The new follow-up.", body = FollowUp), ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> ApiResult<(StatusCode, Json<FollowUp>)> {
    let new = input.parse()?;
    let follow_up = state
        .db
        .follow_ups()
        .create(&user.user_id, &ContactId::from(contact_id), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(follow_up)))
}

/// Get a follow-up.
#[utoipa::path(
    get,
    operation_id = "get_follow_up",
    path = "/api/v1/follow-ups/{id}",
    tag = "follow-ups",
    params(("id" = String, Path, description = "The follow-up's id.")),
    responses((status = 200, description = "The follow-up.", body = FollowUp), ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<FollowUp>> {
    let follow_up = state
        .db
        .follow_ups()
        .get(&user.user_id, &FollowUpId::from(id))
        .await?;
    Ok(Json(follow_up))
}

/// The fields of a follow-up to change; absent fields keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpPatch {
    /// `YYYY-MM-DD`.
    #[serde(default)]
    due_date: Option<String>,
    /// `null` clears the note.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    note: Option<Option<String>>,
    /// `true` completes the follow-up (keeping the first `completed_at`), `false` reopens it.
    #[serde(default)]
    completed: Option<bool>,
}

/// Change a follow-up: its due date and note, or complete or reopen it.
#[utoipa::path(
    patch,
    operation_id = "update_follow_up",
    path = "/api/v1/follow-ups/{id}",
    tag = "follow-ups",
    params(("id" = String, Path, description = "The follow-up's id.")),
    request_body = FollowUpPatch,
    responses((status = 200, description = "The updated follow-up.", body = FollowUp), ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<FollowUpPatch>,
) -> ApiResult<Json<FollowUp>> {
    let id = FollowUpId::from(id);
    // Read and write in one unit of work: a concurrent change is never lost.
    let follow_up = state
        .db
        .write(async |tx| {
            let repo = tx.follow_ups();
            let mut current = repo.get(&user.user_id, &id).await?;
            if patch.due_date.is_some() || patch.note.is_some() {
                let new = FollowUpInput {
                    due_date: patch
                        .due_date
                        .unwrap_or_else(|| current.due_date.to_string()),
                    note: patch.note.unwrap_or(current.note),
                }
                .parse()?;
                current = repo.update(&user.user_id, &id, &new).await?;
            }
            match patch.completed {
                Some(true) if !current.completed => {
                    current = repo.complete(&user.user_id, &id).await?
                }
                Some(false) if current.completed => {
                    current = repo.reopen(&user.user_id, &id).await?
                }
                _ => {}
            }
            Ok(current)
        })
        .await?;
    Ok(Json(follow_up))
}

/// Delete a follow-up.
#[utoipa::path(
    delete,
    operation_id = "delete_follow_up",
    path = "/api/v1/follow-ups/{id}",
    tag = "follow-ups",
    params(("id" = String, Path, description = "The follow-up's id.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .db
        .follow_ups()
        .delete(&user.user_id, &FollowUpId::from(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

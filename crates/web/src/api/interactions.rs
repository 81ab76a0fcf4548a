//! `/api/v1/interactions`: the log of all interactions (the page's filters, latest first,
//! keyset pages), logging one with a contact, and one interaction's get, update and delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use devhub_db::{
    ContactId, FollowUpPlan, Interaction, InteractionCursor, InteractionId, InteractionInput,
    InteractionQuery, InteractionType,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, ApiUser, PageParams, Paging};
use super::{list_type, narrowed_to, nullable, ApiErrors};
use crate::state::AppState;

list_type!(
    /// A page of interactions, latest first.
    InteractionList,
    Interaction
);

const ORDER: &str = "interactions:date:desc";

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionListParams {
    /// Only this kind of interaction.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<InteractionType>)]
    kind: Option<InteractionType>,
    /// The first day to include (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// The last day to include (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
    /// Case-insensitive text inside the notes or the contact's name. Words of one or two
    /// characters only are looked for in the latest 5,000 interactions (of the contact, with
    /// `contact_id`) that the other filters keep: no index finds them, so each row is tested.
    q: Option<String>,
    /// Only the interactions with this contact.
    contact_id: Option<String>,
    /// How many per page: 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List interactions.
#[utoipa::path(
    get,
    operation_id = "list_interactions",
    path = "/api/v1/interactions",
    tag = "interactions",
    params(InteractionListParams),
    responses((status = 200, description = "A page of interactions.", body = InteractionList), ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<InteractionListParams>,
) -> ApiResult<Json<InteractionList>> {
    let query = InteractionQuery {
        kind: params.kind,
        from: params.from,
        to: params.to,
        search: params.q,
        ..InteractionQuery::default()
    };
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    page_of(&state, &user, &query, params.contact_id, page)
        .await
        .map(Json)
}

/// List one contact's interactions, latest first (404 when the contact is unknown).
#[utoipa::path(
    get,
    operation_id = "list_contact_interactions",
    path = "/api/v1/contacts/{contact_id}/interactions",
    tag = "interactions",
    params(("contact_id" = String, Path, description = "The contact's id."), PageParams),
    responses((status = 200, description = "A page of the contact's interactions.", body = InteractionList), ApiErrors)
)]
pub async fn list_for_contact(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<InteractionList>> {
    let query = InteractionQuery::default();
    page_of(&state, &user, &query, Some(contact_id), params)
        .await
        .map(Json)
}

/// A page of the user's interactions matching `query`, or of one of their contacts' (404 when
/// that contact is not theirs).
async fn page_of(
    state: &AppState,
    user: &ApiUser,
    query: &InteractionQuery,
    contact_id: Option<String>,
    page: PageParams,
) -> ApiResult<InteractionList> {
    let paging = Paging::<InteractionCursor>::new(ORDER, page.limit, page.cursor.as_deref())?;
    let contact_id = narrowed_to(state, user, contact_id).await?;
    let (data, more) = state
        .db
        .interactions()
        .search_after(
            &user.user_id,
            query,
            contact_id.as_ref(),
            paging.after.as_ref(),
            paging.limit,
        )
        .await?;
    let next_cursor = paging.next_cursor(&data, more, InteractionCursor::after);
    Ok(InteractionList { data, next_cursor })
}

/// Log an interaction with a contact (its `last_contacted` follows).
#[utoipa::path(
    post,
    operation_id = "create_interaction",
    path = "/api/v1/contacts/{contact_id}/interactions",
    tag = "interactions",
    params(("contact_id" = String, Path, description = "The contact's id.")),
    request_body = InteractionInput,
    responses((status = 201, description = "The new interaction.", body = Interaction), ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    Path(contact_id): Path<String>,
    ApiJson(input): ApiJson<InteractionInput>,
) -> ApiResult<(StatusCode, Json<Interaction>)> {
    let new = input.parse()?;
    let logged = state
        .db
        .interactions()
        .log(
            &user.user_id,
            &ContactId::from(contact_id),
            &new,
            &FollowUpPlan::default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(logged.interaction)))
}

/// Get an interaction.
#[utoipa::path(
    get,
    operation_id = "get_interaction",
    path = "/api/v1/interactions/{id}",
    tag = "interactions",
    params(("id" = String, Path, description = "The interaction's id.")),
    responses((status = 200, description = "The interaction.", body = Interaction), ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Interaction>> {
    let interaction = state
        .db
        .interactions()
        .get(&user.user_id, &InteractionId::from(id))
        .await?;
    Ok(Json(interaction))
}

/// The fields of an interaction to change; absent fields keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionPatch {
    /// meeting, call, email, message or other.
    #[serde(default, rename = "type")]
    type_: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    date: Option<String>,
    /// `null` clears the notes.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
}

/// Change some fields of an interaction.
#[utoipa::path(
    patch,
    operation_id = "update_interaction",
    path = "/api/v1/interactions/{id}",
    tag = "interactions",
    params(("id" = String, Path, description = "The interaction's id.")),
    request_body = InteractionPatch,
    responses((status = 200, description = "The updated interaction.", body = Interaction), ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<InteractionPatch>,
) -> ApiResult<Json<Interaction>> {
    let id = InteractionId::from(id);
    // Read and write in one unit of work: a concurrent change is never lost.
    let interaction = state
        .db
        .write(async |tx| {
            let repo = tx.interactions();
            let current = repo.get(&user.user_id, &id).await?;
            let new = InteractionInput {
                type_: patch
                    .type_
                    .unwrap_or_else(|| current.type_.as_str().to_string()),
                date: patch
                    .date
                    .unwrap_or_else(|| current.date.date_naive().to_string()),
                notes: patch.notes.unwrap_or(current.notes),
            }
            .parse()?
            .keeping_time_of(current.date);
            repo.update(&user.user_id, &id, &new).await
        })
        .await?;
    Ok(Json(interaction))
}

/// Delete an interaction (the contact's `last_contacted` falls back to the latest left).
#[utoipa::path(
    delete,
    operation_id = "delete_interaction",
    path = "/api/v1/interactions/{id}",
    tag = "interactions",
    params(("id" = String, Path, description = "The interaction's id.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .db
        .interactions()
        .delete(&user.user_id, &InteractionId::from(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

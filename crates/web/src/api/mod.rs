//! `/api/v1`: the JSON API over contacts, interactions, background, contact info, follow-ups
//! and tags, authenticated by personal access tokens; `/api/openapi.json`: its OpenAPI 3.1
//! document, generated from the handlers' annotations (utoipa), so it cannot drift from the
//! routes. Every error is `application/problem+json`.

pub mod auth;
mod contacts;
mod details;
pub mod error;
pub mod extract;
mod follow_ups;
mod interactions;
mod rules;
mod tags;
mod vip;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use devhub_db::ContactId;
use devhub_http::{FieldProblem, Problem};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use error::{ApiError, ApiResult};
use extract::ApiUser;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Developer Hub CRM API",
        version = "1",
        description = "Contacts, interactions, contact details, VIP background, follow-ups and \
            tags. Authenticate with a personal access token from Settings: \
            `Authorization: Bearer <token>`. Lists take `limit` (1–500, default 50) and the \
            `cursor` of the previous page's `next_cursor`. Timestamps are RFC 3339, dates \
            YYYY-MM-DD. Errors are RFC 9457 problem documents."
    ),
    components(schemas(
        Problem,
        FieldProblem,
        devhub_db::ContactFilter,
        devhub_db::ContactSort,
        devhub_db::SortDirection,
        follow_ups::StatusParam
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "contacts"),
        (name = "interactions"),
        (name = "background", description = "A contact's background: at most one per contact."),
        (name = "contact info", description = "A contact's info row: its first e-mail and phone, app and links; at most one per contact."),
        (name = "contact details", description = "Every e-mail and phone of a contact, each with a label, with its app and links: any contact has them."),
        (name = "follow-ups"),
        (name = "tags"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal access token made in Settings."))
                    .build(),
            ),
        );
    }
}

/// The error responses every operation may give: 401 without a valid token, and a problem
/// document for every other error status (400, 404, 409, 413, 415, 422 …).
pub struct ApiErrors;

impl IntoResponses for ApiErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        };
        BTreeMap::from([
            (
                "400".to_string(),
                problem("The request could not be read: malformed JSON, a query parameter of the wrong type, repeated or out of range, or a cursor this listing did not hand out."),
            ),
            (
                "401".to_string(),
                problem("No token, or an unknown, revoked or expired one."),
            ),
            (
                "404".to_string(),
                problem("The resource does not exist or is another user's."),
            ),
            (
                "422".to_string(),
                problem("The body is not a JSON object of the documented shape, or fields are invalid (every field's error is listed)."),
            ),
            (
                "default".to_string(),
                problem(
                    "Any other error: the request could not be read (400, 413, 415), \
                         the resource does not exist or is another user's (404), a conflict \
                         (409), or invalid fields (422, with every field's error).",
                ),
            ),
        ])
    }
}

/// The OpenAPI router of `/api/v1`: each handler with its documentation.
fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .routes(routes!(interactions::list))
        .routes(routes!(
            interactions::list_for_contact,
            interactions::create
        ))
        .routes(routes!(
            interactions::get,
            interactions::update,
            interactions::delete
        ))
        .routes(routes!(vip::list_backgrounds))
        .routes(routes!(vip::list_contact_infos))
        .routes(routes!(
            vip::get_background,
            vip::put_background,
            vip::patch_background,
            vip::delete_background
        ))
        .routes(routes!(
            vip::get_contact_info,
            vip::put_contact_info,
            vip::patch_contact_info,
            vip::delete_contact_info
        ))
        .routes(routes!(details::get, details::put))
        .routes(routes!(follow_ups::list))
        .routes(routes!(follow_ups::list_for_contact, follow_ups::create))
        .routes(routes!(
            follow_ups::get,
            follow_ups::update,
            follow_ups::delete
        ))
        .routes(routes!(tags::list, tags::create))
        .routes(routes!(tags::get, tags::update, tags::delete))
        .routes(routes!(tags::list_for_contact))
        .routes(routes!(tags::attach, tags::detach))
}

/// The API's OpenAPI document as utoipa generates it from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    v1().split_for_parts().1
}

/// The API's OpenAPI document as served: [`openapi`] with the rules the server applies to its
/// input (lengths, patterns, formats, required fields) and the links between operations.
pub fn document(doc: &utoipa::openapi::OpenApi) -> String {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    rules::state_rules(&mut value);
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

pub fn router(state: AppState) -> Router<AppState> {
    let (v1, doc) = v1().split_for_parts();
    let doc = Arc::new(document(&doc));
    // Unknown API paths answer 404 as problem documents, but only to a valid token: without
    // one, everything under /api/v1 is 401 and reveals nothing.
    let protected = v1
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .layer(axum::middleware::map_response(method_not_allowed))
        .layer(axum::middleware::from_fn_with_state(
            state,
            auth::require_token,
        ));
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        )],
                        doc.as_str().to_owned(),
                    )
                        .into_response()
                }
            }),
        )
        .merge(protected)
}

async fn not_found() -> Response {
    ApiError::NotFound.into_response()
}

/// The router's own 405 (a path without the request's method) is an empty body with `Allow`:
/// the same 405 as a problem document, keeping `Allow`.
async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let allowed = allow
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .replace(',', ", ");
    let mut problem = ApiError::BadRequest(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("This endpoint does not accept that method; it accepts {allowed}."),
    )
    .into_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    problem
}

/// The contact a listing is narrowed to (its `contact_id` parameter), once it is known to be
/// the user's: another user's contact is a 404, not an empty list.
async fn narrowed_to(
    state: &AppState,
    user: &ApiUser,
    contact_id: Option<String>,
) -> ApiResult<Option<ContactId>> {
    let Some(contact_id) = contact_id.map(ContactId::from) else {
        return Ok(None);
    };
    state.db.contacts().get(&user.user_id, &contact_id).await?;
    Ok(Some(contact_id))
}

/// For `Option<Option<T>>` fields of PATCH bodies: absent → `None` (keep), `null` →
/// `Some(None)` (clear), a value → `Some(Some(value))`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A list response: the items and, when more follow, the cursor of the next page.
macro_rules! list_type {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        $(#[$meta])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` for the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }
    };
}
pub(crate) use list_type;

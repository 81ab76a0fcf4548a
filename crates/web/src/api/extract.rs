//! Extractors whose rejections are problem documents: JSON bodies, query strings and the
//! token-authenticated user, and the keyset cursors of the listings.

use axum::extract::rejection::{JsonRejection, MissingJsonContentType};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use devhub_db::{ApiTokenId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::error::ApiError;
use crate::forms::{decode_urlencoded, Decoding, Undecodable};

/// A JSON body, which must be a JSON object. Malformed JSON is 400; any other JSON value
/// (serde would read an array into a struct by position) or an object of the wrong shape
/// (wrong types, unknown or missing fields) 422; a missing `Content-Type: application/json`
/// 415; a body above the server's limit 413: each a problem document saying why.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let rejected = |rejection: JsonRejection| {
            ApiError::BadRequest(rejection.status(), rejection.body_text())
        };
        if !json_content_type(request.headers()) {
            return Err(rejected(MissingJsonContentType::default().into()));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| rejected(e.into()))?;
        let first = body
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if first.is_some_and(|&b| b != b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok()
        {
            return Err(ApiError::BadRequest(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The body must be a JSON object.".to_string(),
            ));
        }
        Json::<T>::from_bytes(&body)
            .map(|Json(value)| ApiJson(value))
            .map_err(rejected)
    }
}

/// `Content-Type: application/json` or another JSON type (`application/…+json`).
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(essence) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
    else {
        return false;
    };
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// Query parameters: a parameter given twice is 400 naming it; values that do not parse are
/// 400 with the reason.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        decode_urlencoded(Decoding::Strict, query.as_bytes())
            .map(ApiQuery)
            .map_err(|e| match e {
                Undecodable::Repeated(fields) => ApiError::Repeated(fields),
                Undecodable::Invalid(message) => {
                    ApiError::bad_request(format!("The query string could not be read: {message}."))
                }
            })
    }
}

/// The owner of the bearer token of a request that passed [`super::auth::require_token`].
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user_id: UserId,
    pub token_id: ApiTokenId,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiUser>()
            .cloned()
            .ok_or(ApiError::Internal(
                "ApiUser used on a route without require_token",
            ))
    }
}

/// The default and the largest `limit` of a listing.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = devhub_db::repo::contact::MAX_PER_PAGE;

/// `limit` as given: 1 to 500, 50 when absent.
pub fn limit(raw: Option<u32>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// The query of a listing that takes nothing but a page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many per page: 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The keyset paging of a listing in one sort order: the request's `limit` and decoded
/// `cursor` (the sort keys `K` to start after), and the `next_cursor` of its answer.
pub struct Paging<'o, K> {
    order: &'o str,
    pub limit: u32,
    pub after: Option<K>,
}

impl<'o, K: DeserializeOwned> Paging<'o, K> {
    /// Checks `limit` (see [`limit`]), then decodes `cursor`, which must be of `order`.
    pub fn new(order: &'o str, limit: Option<u32>, cursor: Option<&str>) -> Result<Self, ApiError> {
        Ok(Paging {
            order,
            limit: self::limit(limit)?,
            after: decode_cursor(order, cursor)?,
        })
    }

    /// The cursor of the page after `page` when `more` follow: the sort keys `key` gives of
    /// its last item.
    pub fn next_cursor<T, S: Serialize>(
        &self,
        page: &[T],
        more: bool,
        key: impl FnOnce(&T) -> S,
    ) -> Option<String> {
        page.last()
            .filter(|_| more)
            .and_then(|last| encode_cursor(self.order, &key(last)))
    }
}

/// An opaque cursor: the sort keys of the last item of a page and the order they belong to,
/// as base64url JSON. A cursor used with another order is refused rather than misread.
pub fn encode_cursor<K: Serialize>(order: &str, key: &K) -> Option<String> {
    serde_json::to_vec(&(order, key))
        .ok()
        .map(|json| URL_SAFE_NO_PAD.encode(json))
}

pub fn decode_cursor<K: DeserializeOwned>(
    order: &str,
    raw: Option<&str>,
) -> Result<Option<K>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let invalid = || ApiError::bad_request("cursor is not one this listing handed out");
    let json = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let (cursor_order, key): (String, K) = serde_json::from_slice(&json).map_err(|_| invalid())?;
    if cursor_order != order {
        return Err(ApiError::bad_request(
            "cursor belongs to another sort order: start again without it",
        ));
    }
    Ok(Some(key))
}

//! A contact's photo: uploaded from its page (`POST /contacts/{id}/photo`, a multipart form
//! with the file in `photo`), served to its owner alone (`GET /contacts/{id}/photo`), and
//! removed (`POST /contacts/{id}/photo/remove`). Without one, the avatar shows the initials.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use devhub_db::repo::contact_photo::MAX_PHOTO_BYTES;
use devhub_db::Error as DbError;

use super::show::{owned, render_contact, to_contact_page, Returned};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::page::Page;
use crate::state::AppState;

/// The upload's body limit: the largest photo and room for the form around it.
pub const PHOTO_BODY_LIMIT: usize = MAX_PHOTO_BYTES + 64 * 1024;

/// The photo routes, with their own body limit (merged beside the import upload).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts/{id}/photo", get(show).post(upload))
        .route(
            "/contacts/{id}/photo/remove",
            post(remove).get(to_contact_page),
        )
        .layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT))
}

/// The photo, for its owner; a new photo gets a new address (`?v=` its time), so a browser
/// may keep each for good.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let photo = state
        .db
        .contact_photos()
        .get(page.user_id(), &contact.id)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_string(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        photo.data,
    )
        .into_response())
}

/// The contact's page again with `message` (422): nothing was stored.
async fn refused(
    state: &AppState,
    page: &Page,
    contact: &devhub_db::ContactId,
    message: String,
) -> Result<Response, AppError> {
    let returned = Returned {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        alert: Some(message),
        ..Returned::default()
    };
    render_contact(state, page, contact, 1, returned).await
}

pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    // Someone else's contact is not found, whatever the request holds.
    let contact = owned(&state, &page, id).await?;
    let Ok(mut multipart) = multipart else {
        let message = "The photo must come as a file of a form (multipart/form-data).";
        return refused(&state, &page, &contact.id, message.to_string()).await;
    };
    let mut data: Option<Vec<u8>> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("photo") => match field.bytes().await {
                Ok(bytes) => data = Some(bytes.to_vec()),
                Err(e) => {
                    return refused(
                        &state,
                        &page,
                        &contact.id,
                        format!("Photo: {}", e.body_text()),
                    )
                    .await
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                return refused(
                    &state,
                    &page,
                    &contact.id,
                    format!("Photo: {}", e.body_text()),
                )
                .await
            }
        }
    }
    let data = data.unwrap_or_default();
    match state
        .db
        .contact_photos()
        .set(page.user_id(), &contact.id, &data)
        .await
    {
        Ok(()) => Ok(flash::redirect(
            jar,
            Flash::success(format!("Photo of {} saved.", contact.name)),
            &format!("/contacts/{}", contact.id),
        )),
        Err(DbError::Validation(errors)) => {
            let message = errors
                .get("photo")
                .map_or("The photo could not be read.".to_string(), |m| {
                    format!("The photo {m}.")
                });
            refused(&state, &page, &contact.id, message).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let flash = match state
        .db
        .contact_photos()
        .delete(page.user_id(), &contact.id)
        .await
    {
        Ok(()) => Flash::success(format!("Photo of {} removed.", contact.name)),
        Err(DbError::NotFound) => Flash::error(format!("{} has no photo.", contact.name)),
        Err(e) => return Err(e.into()),
    };
    Ok(flash::redirect(
        jar,
        flash,
        &format!("/contacts/{}", contact.id),
    ))
}

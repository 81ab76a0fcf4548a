//! Getting data in and out from the browser: exports (vCard and CSV of the contact list as
//! filtered, the JSON backup of everything) and the import (upload → preview → confirm).
//!
//! The upload is kept server-side between the preview and the confirmation
//! (`import_upload`, a day at most), so the confirmation sends an id rather than the file
//! again, and the import re-reads exactly the bytes the preview showed.

mod export;
mod import;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The upload limit of the import form: the file limit plus room for the form's other fields.
pub const UPLOAD_BODY_LIMIT: usize = devhub_db::transfer::MAX_IMPORT_BYTES + 64 * 1024;

/// The pages that take ordinary form posts (under the app's default body limit).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts/export", get(export::contacts))
        .route("/settings/backup.json", get(export::backup))
        .route(
            "/contacts/import/confirm",
            axum::routing::post(import::confirm),
        )
}

/// The upload itself, with its own larger body limit (see `app`).
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/contacts/import", get(import::form).post(import::upload))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

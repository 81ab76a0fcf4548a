//! Downloads: the contact list (as filtered on /contacts) as vCard 4.0 or CSV, and the
//! account's JSON backup. Streamed: the export task writes one contact at a time into a
//! small channel that the response body reads, so memory does not grow with the account.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use devhub_db::transfer::backup;
use devhub_db::transfer::export::{export_contacts, ContactFormat, Sink};
use tokio::sync::mpsc;

use crate::contacts::ListParams;
use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

/// Hands chunks to the response body; an error ends the body with an error, so the client
/// sees a failed download rather than a silently shortened file.
struct ChannelSink(mpsc::Sender<Result<Vec<u8>, std::io::Error>>);

impl Sink for ChannelSink {
    async fn write(&mut self, chunk: Vec<u8>) -> devhub_db::Result<()> {
        self.0
            .send(Ok(chunk))
            .await
            .map_err(|_| devhub_db::Error::Config("the download was cancelled".into()))
    }
}

fn streamed<F, Fut>(content_type: &'static str, file_name: String, produce: F) -> Response
where
    F: FnOnce(ChannelSink) -> Fut,
    Fut: std::future::Future<Output = (ChannelSink, devhub_db::Result<u64>)> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(16);
    let task = produce(ChannelSink(tx));
    tokio::spawn(async move {
        let (sink, result) = task.await;
        if let Err(e) = result {
            tracing::error!(error = %e, "export failed");
            let _ = sink
                .0
                .send(Err(std::io::Error::other("export failed")))
                .await;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk.map(Bytes::from), rx))
    });
    let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn today(page: &Page) -> String {
    page.today().format("%Y-%m-%d").to_string()
}

/// `GET /contacts/export?format=vcard|csv&…` with the list's own search and filter
/// parameters: the whole list they select (every page), in the list's order.
pub async fn contacts(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let format = url::form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (format, content_type, ext) = match format.as_str() {
        "vcard" | "vcf" => (ContactFormat::Vcard, "text/vcard; charset=utf-8", "vcf"),
        "csv" => (ContactFormat::Csv, "text/csv; charset=utf-8", "csv"),
        _ => return Err(AppError::NotFound),
    };
    let query = ListParams::parse(raw.as_deref()).repo_query(1);
    let user = page.user_id().clone();
    let db = state.db.clone();
    let name = format!("contacts-{}.{ext}", today(&page));
    Ok(streamed(content_type, name, move |mut sink| async move {
        let result = export_contacts(&db, &user, Some(&query), format, &mut sink).await;
        (sink, result)
    }))
}

/// `GET /settings/backup.json`: everything of the user as one JSON document.
pub async fn backup(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    let user = page.user_id().clone();
    let db = state.db.clone();
    let name = format!("devhub-backup-{}.json", today(&page));
    Ok(streamed(
        "application/json",
        name,
        move |mut sink| async move {
            let result = backup::export(&db, &user, &mut sink).await;
            (sink, result)
        },
    ))
}

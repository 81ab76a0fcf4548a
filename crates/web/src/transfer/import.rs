//! The import: an upload form, a preview of what the file will do (new contacts, duplicates
//! and what to do with them, unreadable records with their lines), and the confirmation that
//! imports in one transaction.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::transfer::plan::{DuplicatePolicy, Match, Target};
use devhub_db::transfer::{self, FileError, ImportError, ImportFormat, Imported};
use devhub_db::ImportUploadId;
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{redirect, Flash};
use crate::format::{count_of, plural};
use crate::forms::Form;
use crate::page::{render, Layout, Page};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "transfer/import.html")]
pub struct ImportPage {
    layout: Layout,
    error: Option<String>,
}

fn form_page(page: &Page, status: StatusCode, error: Option<String>) -> Response {
    render(
        status,
        &ImportPage {
            layout: page.layout("Import contacts", "contacts"),
            error,
        },
    )
}

pub async fn form(page: Page) -> Response {
    form_page(&page, StatusCode::OK, None)
}

/// A record of the preview's tables.
pub struct Row {
    line: usize,
    name: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "transfer/preview.html")]
pub struct PreviewPage {
    layout: Layout,
    upload_id: String,
    file_name: String,
    format: &'static str,
    /// Set for a backup: what it restores.
    backup: Option<BackupSummary>,
    new_count: usize,
    new_vips: usize,
    /// The first new contacts, to recognise the file by.
    new_sample: Vec<Row>,
    duplicates: Vec<Row>,
    errors: Vec<Row>,
}

impl PreviewPage {
    /// What follows the number of new contacts: "new contact", "new contacts, 2 of them
    /// marked as VIPs in the file".
    fn new_words(&self) -> String {
        let (new, vips) = (self.new_count as u64, self.new_vips as u64);
        let mut words = format!("new {}", plural(new, "contact", "contacts"));
        if vips > 0 && vips == new && new == 1 {
            words.push_str(", marked as a VIP in the file");
        } else if vips > 0 {
            words.push_str(&format!(
                ", {vips} of them marked as {} in the file",
                plural(vips, "a VIP", "VIPs")
            ));
        }
        words
    }

    /// What follows the number of duplicates.
    fn duplicate_words(&self) -> &'static str {
        plural(
            self.duplicates.len() as u64,
            "looks like a contact you already have",
            "look like contacts you already have",
        )
    }

    /// What follows the number of unreadable records.
    fn error_words(&self) -> &'static str {
        plural(
            self.errors.len() as u64,
            "record cannot be read and will be left out",
            "records cannot be read and will be left out",
        )
    }

    /// "Import 1 contact", "Import 12 contacts".
    fn import_label(&self) -> String {
        format!(
            "Import {}",
            count_of(self.new_count as u64, "contact", "contacts")
        )
    }
}

pub struct BackupSummary {
    contacts: usize,
    interactions: usize,
    follow_ups: usize,
    tags: usize,
}

impl BackupSummary {
    /// What follows the number of contacts a backup restores.
    fn rest(&self) -> String {
        restored_rest(
            self.contacts as u64,
            self.interactions as u64,
            self.follow_ups as u64,
            self.tags as u64,
        )
    }
}

/// "contacts with 3 interactions, 1 follow-up and 2 tags" after a number of contacts.
fn restored_rest(contacts: u64, interactions: u64, follow_ups: u64, tags: u64) -> String {
    format!(
        "{} with {}, {} and {}",
        plural(contacts, "contact", "contacts"),
        count_of(interactions, "interaction", "interactions"),
        count_of(follow_ups, "follow-up", "follow-ups"),
        count_of(tags, "tag", "tags")
    )
}

const SAMPLE: usize = 10;

/// `POST /contacts/import` (multipart, field `file`): checks and previews the file.
pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Ok(upload_error(&page, e.status(), &e.body_text())),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect())
            .unwrap_or_default();
        match field.bytes().await {
            Ok(bytes) => file = Some((name, bytes.to_vec())),
            Err(e) => return Ok(upload_error(&page, e.status(), &e.body_text())),
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(form_page(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Choose a file to import (vCard, CSV or a Developer Hub backup).".into()),
        ));
    };
    let preview = match preview_of(&state, &page, &bytes).await? {
        Ok(p) => p,
        Err(e) => return Ok(file_error(&page, &e)),
    };
    let id = state
        .db
        .import_uploads()
        .create(page.user_id(), &file_name, &bytes)
        .await?;
    let page_data = PreviewPage {
        layout: page.layout("Import preview", "contacts"),
        upload_id: id.into_string(),
        file_name,
        ..preview
    };
    Ok(render(StatusCode::OK, &page_data))
}

fn upload_error(page: &Page, status: StatusCode, detail: &str) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return file_error(page, &FileError::TooLarge);
    }
    tracing::info!(detail, "unreadable upload");
    form_page(
        page,
        StatusCode::BAD_REQUEST,
        Some("The upload could not be read. Please choose the file again.".into()),
    )
}

fn file_error(page: &Page, e: &FileError) -> Response {
    let status = match e {
        FileError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut message = e.to_string();
    if let Some(first) = message.get(..1) {
        message = format!(
            "{}{}. Nothing was imported.",
            first.to_uppercase(),
            &message[1..]
        );
    }
    form_page(page, status, Some(message))
}

/// What the file would do, or why it is refused. The outer error is the database's.
async fn preview_of(
    state: &AppState,
    page: &Page,
    bytes: &[u8],
) -> Result<Result<PreviewPage, FileError>, AppError> {
    // A dry run of the one import: every check it would make, nothing written.
    let imported = match transfer::import(
        &state.db,
        page.user_id(),
        bytes,
        DuplicatePolicy::default(),
        true,
    )
    .await
    {
        Ok(imported) => imported,
        Err(ImportError::File(e)) => return Ok(Err(e)),
        Err(ImportError::Database(devhub_db::Error::Validation(v))) => {
            return Ok(Err(FileError::Backup(validation_text(&v))))
        }
        Err(ImportError::Database(e)) => return Err(e.into()),
    };
    let empty = |format: ImportFormat| PreviewPage {
        layout: Layout::default(),
        upload_id: String::new(),
        file_name: String::new(),
        format: format.label(),
        backup: None,
        new_count: 0,
        new_vips: 0,
        new_sample: Vec::new(),
        duplicates: Vec::new(),
        errors: Vec::new(),
    };
    let preview = match imported {
        Imported::Backup { backup: b, .. } => {
            return Ok(Ok(PreviewPage {
                backup: Some(BackupSummary {
                    contacts: b.contacts.len(),
                    interactions: b.contacts.iter().map(|c| c.interactions.len()).sum(),
                    follow_ups: b.contacts.iter().map(|c| c.follow_ups.len()).sum(),
                    tags: b.tags.len(),
                }),
                new_count: b.contacts.len(),
                new_sample: b
                    .contacts
                    .iter()
                    .take(SAMPLE)
                    .map(|c| Row {
                        line: 0,
                        name: c.name.clone(),
                        detail: String::new(),
                    })
                    .collect(),
                ..empty(ImportFormat::Backup)
            }));
        }
        Imported::Contacts { preview, .. } => preview,
    };
    Ok(Ok(PreviewPage {
        new_count: preview.new_contacts.len(),
        new_vips: preview.new_vips(),
        new_sample: preview
            .new_contacts
            .iter()
            .take(SAMPLE)
            .map(|c| Row {
                line: c.line,
                name: c.contact.name().to_string(),
                detail: String::new(),
            })
            .collect(),
        duplicates: preview
            .duplicates
            .iter()
            .map(|d| Row {
                line: d.record.line,
                name: d.record.contact.name().to_string(),
                detail: {
                    let why = match &d.matched {
                        Match::Email(e) => format!("same e-mail ({e})"),
                        Match::Name => "same name".to_string(),
                    };
                    match &d.target {
                        Target::Existing { name, .. } => format!("{name}: {why}"),
                        Target::InFile { line, .. } => {
                            format!("the record on line {line} of this file: {why}")
                        }
                    }
                },
            })
            .collect(),
        errors: preview
            .errors
            .iter()
            .map(|e| Row {
                line: e.line,
                name: String::new(),
                detail: e.reason.clone(),
            })
            .collect(),
        ..empty(preview.format)
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    upload_id: String,
    duplicates: String,
}

/// `POST /contacts/import/confirm`: imports the previewed upload, all or nothing.
pub async fn confirm(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let user = page.user_id();
    let id = ImportUploadId::from(form.upload_id.trim());
    let Some(upload) = state.db.import_uploads().get(user, &id).await? else {
        return Ok(redirect(
            jar,
            Flash::error("This import has expired or was already done. Upload the file again."),
            "/contacts/import",
        ));
    };
    let policy = DuplicatePolicy::parse(&form.duplicates).unwrap_or_default();
    let imported = match transfer::import(&state.db, user, &upload.content, policy, false).await {
        Ok(imported) => imported,
        Err(ImportError::Database(devhub_db::Error::Validation(v))) => {
            return Ok(redirect(
                jar,
                Flash::error(format!("Nothing was imported: {}.", validation_text(&v))),
                "/contacts/import",
            ));
        }
        Err(ImportError::File(e)) => return Err(AppError::Internal(e.to_string())),
        Err(ImportError::Database(e)) => return Err(e.into()),
    };
    let message = match imported {
        Imported::Backup {
            restored: Some(r), ..
        } => format!(
            "Restored {} {}.",
            crate::format::count(r.contacts),
            restored_rest(r.contacts, r.interactions, r.follow_ups, r.tags)
        ),
        Imported::Contacts {
            summary: Some(s), ..
        } => format!(
            "Imported {}; {} {}{}.",
            count_of(s.created, "new contact", "new contacts"),
            count_of(s.merged + s.skipped, "duplicate", "duplicates"),
            if policy == DuplicatePolicy::Merge {
                "merged"
            } else {
                "skipped"
            },
            if s.unreadable > 0 {
                format!(
                    ", {} left out",
                    count_of(s.unreadable, "unreadable record", "unreadable records")
                )
            } else {
                String::new()
            }
        ),
        // Not a dry run: the import reports what it wrote.
        _ => return Err(AppError::Internal("the import reported no result".into())),
    };
    state.db.import_uploads().delete(user, &id).await?;
    Ok(redirect(jar, Flash::success(message), "/contacts"))
}

fn validation_text(v: &devhub_db::ValidationErrors) -> String {
    v.iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

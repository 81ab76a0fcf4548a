//! Undo instead of confirmation pages: deleting, archiving, VIP changes, completing a
//! follow-up, deleting an interaction and the contact list's bulk actions happen at once, and
//! the flash that reports them offers "Undo" (`POST /undo/{id}`), which sets back exactly what
//! was there for a day. Deleted contacts also stay in Settings → Recently deleted for 30 days
//! (`POST /settings/recently-deleted/{id}/restore`, `…/delete` for good).
//!
//! The database side is `devhub_db::TrashRepo`; the handlers of the areas call the helpers
//! here, which do the action and build its flash.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::post;
use axum::Router;
use axum_extra::extract::CookieJar;
use devhub_db::{
    BulkAction, ContactId, DeletedContactId, Error as DbError, Restored, UndoId, UndoOutcome,
    Undone,
};

use crate::error::{AppError, ErrorShown};
use crate::flash::{self, Flash};
use crate::format::{count, count_of, When};
use crate::forms::return_to;
use crate::page::{Layout, Page};
use crate::state::AppState;

/// Where Recently deleted is.
pub const RECENTLY_DELETED: &str = "/settings#recently-deleted";

pub fn router() -> Router<AppState> {
    Router::new()
        // A reload of an undo's error page (its address in the bar) lands on the dashboard,
        // not on a 405; the addresses of Recently deleted's buttons lead to it.
        .route("/undo/{id}", post(undo).get(to_dashboard))
        .route(
            "/settings/recently-deleted/{id}/restore",
            post(restore).get(to_recently_deleted),
        )
        .route(
            "/settings/recently-deleted/{id}/delete",
            post(forget).get(to_recently_deleted),
        )
}

/// `GET /undo/{id}` of the user's own undo: the dashboard.
async fn to_dashboard(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Redirect, AppError> {
    state
        .db
        .trash()
        .ensure_undo(page.user_id(), &UndoId::from(id))
        .await?;
    Ok(Redirect::to("/dashboard"))
}

/// `GET` on a Recently deleted button's address, for a contact still there: the list.
async fn to_recently_deleted(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Redirect, AppError> {
    state
        .db
        .trash()
        .get(page.user_id(), &DeletedContactId::from(id))
        .await?;
    Ok(Redirect::to(RECENTLY_DELETED))
}

/// Deletes the user's contacts among `ids` (each kept for Recently deleted) and answers the
/// flash that reports it, with its Undo; `None` when none of them was the user's.
pub(crate) async fn delete_contacts(
    state: &AppState,
    page: &Page,
    ids: &[ContactId],
    back: &str,
) -> Result<Option<Flash>, AppError> {
    let deleted = match state
        .db
        .trash()
        .delete_contacts(page.user_id(), ids, back)
        .await
    {
        Ok(deleted) => deleted,
        Err(DbError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let message = match deleted.contacts.as_slice() {
        [one] => format!("Contact {} deleted.", one.name),
        many => format!(
            "{} deleted.",
            count_of(many.len() as u64, "contact", "contacts")
        ),
    };
    Ok(Some(Flash::success(message).with_undo(Some(deleted.undo))))
}

/// Archives, unarchives, marks or unmarks VIP the user's contacts among `ids`: how many it
/// touched, and the Undo for the flash (none when nothing changed).
pub(crate) async fn change_contacts(
    state: &AppState,
    page: &Page,
    ids: &[ContactId],
    action: BulkAction,
    back: &str,
) -> Result<(u64, Option<UndoId>), AppError> {
    Ok(state
        .db
        .trash()
        .change_contacts(page.user_id(), ids, action, back)
        .await?)
}

/// `POST /undo/{id}`: sets back what the action changed, and returns where it happened with
/// a message. Another user's or an unknown undo is the 404 page; one past its day a 410, one
/// used already a 409, each saying so and changing nothing.
async fn undo(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let outcome = state
        .db
        .trash()
        .undo(page.user_id(), &UndoId::from(id))
        .await?;
    let (undone, back) = match outcome {
        UndoOutcome::Done { undone, back } => (undone, back),
        UndoOutcome::Expired => {
            return Ok(shown(
                StatusCode::GONE,
                "Too late to undo",
                "An action can be undone for a day after it was done. Deleted contacts can \
                 still be restored from Settings → Recently deleted for 30 days.",
            ))
        }
        UndoOutcome::AlreadyUndone => {
            return Ok(shown(
                StatusCode::CONFLICT,
                "Already undone",
                "This action was undone already; nothing changed.",
            ))
        }
    };
    let back = return_to(&back, "/dashboard".to_string());
    let (flash, target) = match undone {
        Undone::Restored { restored, already } => restored_flash(&restored, &already, back),
        Undone::Contacts { action, count } => (
            Flash::success(format!(
                "{} undone{}.",
                capitalized(&action),
                if count == 1 {
                    String::new()
                } else {
                    format!(" for {}", count_of(count as u64, "contact", "contacts"))
                }
            )),
            back,
        ),
        Undone::FollowUps { .. } => (Flash::success("Follow-up open again."), back),
        Undone::Interaction { .. } => (Flash::success("Interaction restored."), back),
        Undone::Tags { name, added, count } => (
            Flash::success(format!(
                "Tag “{name}” {} {}.",
                if added { "taken off" } else { "put back on" },
                count_of(count as u64, "contact", "contacts")
            )),
            back,
        ),
    };
    Ok(flash::redirect(jar, flash, &target))
}

/// The message of contacts restored (and of those that were back already), and where to go:
/// the contact's own page when it is one.
fn restored_flash(
    restored: &[(ContactId, String)],
    already: &[(ContactId, String)],
    back: String,
) -> (Flash, String) {
    match (restored, already) {
        ([(id, name)], []) => (
            Flash::success(format!("Restored {name}.")),
            format!("/contacts/{id}"),
        ),
        ([], []) => (
            Flash::error(
                "Nothing to restore: these contacts were restored or deleted for good already.",
            ),
            back,
        ),
        ([], [(id, name)]) => (
            Flash::error(format!(
                "{name} is already in your contacts; nothing changed."
            )),
            format!("/contacts/{id}"),
        ),
        (restored, already) => {
            let mut message = format!(
                "Restored {}.",
                count_of(restored.len() as u64, "contact", "contacts")
            );
            if !already.is_empty() {
                let n = count(already.len() as u64);
                let verb = if already.len() == 1 { "was" } else { "were" };
                message.push_str(&format!(" {n} {verb} already in your contacts."));
            }
            (Flash::success(message), back)
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An error page saying `message` (the visitor's header is put back by the error layer).
fn shown(status: StatusCode, heading: &'static str, message: &str) -> Response {
    ErrorShown {
        heading,
        message: message.to_string(),
    }
    .render(status, Layout::default())
}

/// `POST /settings/recently-deleted/{id}/restore`.
async fn restore(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let restored =
        match state
            .db
            .trash()
            .restore(page.user_id(), &DeletedContactId::from(id))
            .await
        {
            Ok(restored) => restored,
            Err(DbError::NotFound) => return Ok(shown(
                StatusCode::NOT_FOUND,
                "Not in Recently deleted",
                "This contact is no longer in Recently deleted: it was restored or deleted for \
                 good, or was deleted more than 30 days ago.",
            )),
            Err(e) => return Err(e.into()),
        };
    Ok(match restored {
        Restored::Restored { contact_id, name } => flash::redirect(
            jar,
            Flash::success(format!("Restored {name}.")),
            &format!("/contacts/{contact_id}"),
        ),
        Restored::AlreadyThere { name, .. } => flash::redirect(
            jar,
            Flash::error(format!(
                "{name} is already in your contacts; nothing changed. Delete this copy for good \
                 if you no longer need it."
            )),
            RECENTLY_DELETED,
        ),
    })
}

/// `POST /settings/recently-deleted/{id}/delete`: gone for good.
async fn forget(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let forgotten = state
        .db
        .trash()
        .forget(page.user_id(), &DeletedContactId::from(id))
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!("{} deleted for good.", forgotten.name)),
        RECENTLY_DELETED,
    ))
}

/// A deleted contact as Settings → Recently deleted lists it.
pub(crate) struct DeletedRow {
    pub id: String,
    pub name: String,
    pub when: When,
    /// How many interactions went with it.
    pub interactions: String,
}

/// The user's deleted contacts that can be restored, the latest first.
pub(crate) async fn recently_deleted(
    state: &AppState,
    page: &Page,
) -> Result<Vec<DeletedRow>, AppError> {
    Ok(state
        .db
        .trash()
        .list(page.user_id())
        .await?
        .into_iter()
        .map(|d| DeletedRow {
            id: d.id.into_string(),
            name: d.name,
            when: page.today.when_at(d.deleted_at),
            interactions: count(d.interactions),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_restored_contact_goes_back_to_its_page() {
        let (flash, to) = restored_flash(
            &[(ContactId::from("c1"), "Ada Lovelace".into())],
            &[],
            "/contacts".into(),
        );
        assert_eq!(
            (flash.message.as_str(), to.as_str()),
            ("Restored Ada Lovelace.", "/contacts/c1")
        );
        let two = [
            (ContactId::from("c1"), "A".to_string()),
            (ContactId::from("c2"), "B".to_string()),
        ];
        let (flash, to) = restored_flash(&two, &two[..1], "/contacts?q=a".into());
        assert_eq!(
            flash.message,
            "Restored 2 contacts. 1 was already in your contacts."
        );
        assert_eq!(to, "/contacts?q=a");
        assert_eq!(capitalized("mark VIP"), "Mark VIP");
    }
}

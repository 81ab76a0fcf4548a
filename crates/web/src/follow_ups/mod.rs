//! The follow-ups area: reminders to get back in touch with a contact by a date.
//!
//! - `GET /follow-ups`: the user's open follow-ups grouped Overdue / Today / This week / Later
//!   (by today's date in the user's time zone), and a Completed tab;
//! - `POST /contacts/{id}/follow-ups`: add one from the contact's page;
//! - `GET /follow-ups/{fid}`: its page (edit, snooze to a date, complete, delete);
//! - `POST /follow-ups/{fid}` (edit), `…/complete`, `…/reopen`, `…/snooze`, `…/delete`;
//! - `POST /contacts/{id}/cadence`: the contact's own reconnect cadence.
//!
//! Every handler first finds the follow-up among the user's own, so another user's id is the
//! 404 page whatever the method. The contact page shows a card built by [`contact_card`].

mod actions;
mod list;

use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use devhub_db::{
    CadenceDays, Contact, DueIn, Error as DbError, FollowUp, FollowUpInput, NewFollowUp,
    ValidationErrors,
};
use serde::Deserialize;

use crate::contacts::to_contact_page;
use crate::error::AppError;
use crate::format::long_date;
use crate::forms::FieldErrors;
use crate::page::Page;
use crate::state::AppState;
use crate::today::Today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/follow-ups", get(list::index))
        // The addresses of forms that come back with messages answer GET with the page the
        // form is on (`contacts::to_contact_page`).
        .route(
            "/contacts/{id}/follow-ups",
            post(actions::create).get(to_contact_page),
        )
        .route(
            "/contacts/{id}/cadence",
            post(actions::set_cadence).get(to_contact_page),
        )
        .route(
            "/follow-ups/{fid}",
            get(actions::show).post(actions::update),
        )
        .route("/follow-ups/{fid}/complete", post(actions::complete))
        .route("/follow-ups/{fid}/reopen", post(actions::reopen))
        .route(
            "/follow-ups/{fid}/snooze",
            post(actions::snooze).get(actions::to_follow_up_page),
        )
        .route("/follow-ups/{fid}/delete", post(actions::delete))
}

/// The longest note, as the forms say.
pub const MAX_NOTE: usize = devhub_db::repo::follow_up::MAX_FOLLOW_UP_NOTE;

/// The choices of "when": the quick ones, then a date of one's own.
pub(crate) fn when_options() -> Vec<(&'static str, &'static str)> {
    let mut options: Vec<_> = DueIn::ALL.iter().map(|d| (d.as_str(), d.label())).collect();
    options.push(("date", "On a date"));
    options
}

/// The fields of the add form (and of the "schedule the next one" part of the interaction
/// form), as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewFollowUpFields {
    /// `1w`, `2w`, `1m`, `3m`, or `date` (use `due_date`).
    pub when: String,
    pub due_date: String,
    pub note: String,
    /// A local path to return to.
    pub back: String,
}

impl NewFollowUpFields {
    /// The follow-up these fields describe, `today` being the user's.
    pub fn parse(&self, today: NaiveDate) -> Result<NewFollowUp, ValidationErrors> {
        let when = self.when.trim();
        let due_date = match DueIn::parse(when) {
            Some(quick) => quick.from(today).format("%Y-%m-%d").to_string(),
            None if when.is_empty() || when == "date" => self.due_date.clone(),
            None => {
                let mut errors = ValidationErrors::new();
                errors.add("when", "must be one of the choices");
                return Err(errors);
            }
        };
        FollowUpInput {
            due_date,
            note: Some(self.note.clone()),
        }
        .parse()
        .map_err(|e| match e {
            DbError::Validation(errors) => errors,
            other => {
                let mut errors = ValidationErrors::new();
                errors.add("due_date", other.to_string());
                errors
            }
        })
    }

    /// The quick choice to show selected.
    pub fn selected(&self) -> &str {
        match self.when.trim() {
            "" if !self.due_date.trim().is_empty() => "date",
            "" => "1w",
            other => other,
        }
    }
}

/// The messages of a follow-up form.
pub(crate) fn field_errors(errors: &ValidationErrors) -> FieldErrors {
    FieldErrors::from_validation(
        errors,
        &[("when", "When"), ("due_date", "Due date"), ("note", "Note")],
    )
}

/// An open or completed follow-up as a list shows it.
#[derive(Debug, Clone)]
pub(crate) struct FollowUpItem {
    pub id: String,
    pub contact_id: String,
    pub contact_name: String,
    pub note: Option<String>,
    pub due_iso: String,
    /// "March 3, 2025".
    pub due_exact: String,
    /// "3 days overdue", "due today", "due tomorrow", "due in 5 days".
    pub due_relative: String,
    pub overdue: bool,
    pub due_today: bool,
    pub completed: Option<String>,
    /// The date input's lower bound for "snooze until": tomorrow.
    pub snooze_min: String,
}

impl FollowUpItem {
    /// `f` as of `today`; its completion shows on the date it has where the user lives.
    pub fn new(f: &FollowUp, contact_name: &str, today: &Today) -> Self {
        let days = (f.due_date - today.date).num_days();
        let due_relative = match days {
            0 => "due today".to_string(),
            1 => "due tomorrow".to_string(),
            -1 => "1 day overdue".to_string(),
            d if d < 0 => format!("{} days overdue", -d),
            d => format!("due in {d} days"),
        };
        FollowUpItem {
            id: f.id.to_string(),
            contact_id: f.contact_id.to_string(),
            contact_name: contact_name.to_string(),
            note: f.note.clone(),
            due_iso: f.due_date.to_string(),
            due_exact: long_date(f.due_date),
            due_relative,
            overdue: !f.completed && days < 0,
            due_today: !f.completed && days == 0,
            completed: f.completed_at.map(|at| long_date(today.date_of(at))),
            snooze_min: today.date.succ_opt().unwrap_or(today.date).to_string(),
        }
    }

    /// "the follow-up with Ada due March 3, 2025": what a button acts on, for screen readers.
    pub fn description(&self) -> String {
        format!(
            "the follow-up with {} due {}",
            self.contact_name, self.due_exact
        )
    }
}

/// The follow-ups card of a contact's page: the add form, the open follow-ups and the
/// contact's reconnect cadence.
#[derive(Debug, Clone)]
pub(crate) struct ContactCard {
    pub contact_id: String,
    pub open: Vec<FollowUpItem>,
    pub form: NewFollowUpFields,
    pub errors: FieldErrors,
    /// The cadence field as typed, or the contact's own cadence.
    pub cadence: String,
    pub cadence_error: Option<String>,
    /// The default that applies when the contact has no cadence of its own.
    pub default_cadence: u32,
    pub when_options: Vec<(&'static str, &'static str)>,
    /// Where the card's forms come back to.
    pub back: String,
}

impl ContactCard {
    pub fn when_checked(&self, value: &str) -> bool {
        self.form.selected() == value
    }
}

/// What a failed form of the card puts back.
#[derive(Debug, Clone, Default)]
pub(crate) struct CardReturn {
    pub form: Option<(NewFollowUpFields, FieldErrors)>,
    pub cadence: Option<(String, String)>,
}

/// Builds the card of `contact`'s page from its `open` follow-ups and its `own` cadence.
pub(crate) fn contact_card(
    page: &Page,
    contact: &Contact,
    open: &[FollowUp],
    own: Option<CadenceDays>,
    returned: CardReturn,
) -> ContactCard {
    let open = open
        .iter()
        .map(|f| FollowUpItem::new(f, &contact.name, &page.today))
        .collect();
    let preferences = page.settings.preferences;
    let default_cadence = if contact.vip {
        preferences.vip_cadence_days
    } else {
        preferences.cadence_days
    }
    .get();
    let (form, errors) = returned.form.unwrap_or_default();
    let (cadence, cadence_error) = match returned.cadence {
        Some((typed, error)) => (typed, Some(error)),
        None => (
            own.map(|d: CadenceDays| d.get().to_string())
                .unwrap_or_default(),
            None,
        ),
    };
    ContactCard {
        contact_id: contact.id.to_string(),
        open,
        form,
        errors,
        cadence,
        cadence_error,
        default_cadence,
        when_options: when_options(),
        back: format!("/contacts/{}#follow-ups", contact.id),
    }
}

/// The contact's open follow-ups due today or earlier (in the user's zone): what logging an
/// interaction offers to complete.
pub(crate) async fn due_for_contact(
    state: &AppState,
    page: &Page,
    contact: &Contact,
) -> Result<Vec<FollowUpItem>, AppError> {
    let open = state
        .db
        .follow_ups()
        .list_for_contact(page.user_id(), &contact.id, false)
        .await?;
    Ok(due_items(page, contact, &open))
}

/// Those of the contact's `open` follow-ups due today or earlier, as items.
pub(crate) fn due_items(page: &Page, contact: &Contact, open: &[FollowUp]) -> Vec<FollowUpItem> {
    let today = &page.today;
    open.iter()
        .filter(|f| f.due_date <= today.date)
        .map(|f| FollowUpItem::new(f, &contact.name, today))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn quick_choices_win_over_the_date_field() {
        let today = d("2025-01-31");
        let fields = |when: &str, date: &str| NewFollowUpFields {
            when: when.into(),
            due_date: date.into(),
            note: "  call back ".into(),
            back: String::new(),
        };
        let quick = fields("1m", "2030-01-01").parse(today);
        assert_eq!(quick.map(|f| f.due_date()), Ok(d("2025-02-28")));
        let dated = fields("date", "2025-06-01").parse(today);
        assert_eq!(dated.map(|f| f.due_date()), Ok(d("2025-06-01")));
        let blank = fields("", "2025-06-02").parse(today);
        assert_eq!(blank.map(|f| f.due_date()), Ok(d("2025-06-02")));
        let bad = fields("date", "2025-02-30").parse(today);
        assert!(bad.is_err_and(|e| e.get("due_date").is_some()));
        let odd = fields("soon", "").parse(today);
        assert!(odd.is_err_and(|e| e.get("when").is_some()));
    }

    #[test]
    fn due_dates_read_relative_to_today() {
        let noon = d("2025-03-10").and_hms_opt(12, 0, 0).unwrap_or_default();
        let today = Today::at(noon.and_utc(), devhub_db::TimeZone::default());
        let item = |due: &str| {
            let f = FollowUp {
                id: "f".into(),
                contact_id: "c".into(),
                due_date: d(due),
                note: None,
                completed: false,
                completed_at: None,
                created_at: chrono::DateTime::default(),
                updated_at: chrono::DateTime::default(),
                unreadable: Default::default(),
            };
            FollowUpItem::new(&f, "Ada", &today)
        };
        assert_eq!(item("2025-03-07").due_relative, "3 days overdue");
        assert!(item("2025-03-09").overdue);
        assert_eq!(item("2025-03-10").due_relative, "due today");
        assert!(item("2025-03-10").due_today);
        assert_eq!(item("2025-03-11").due_relative, "due tomorrow");
        assert_eq!(item("2025-03-15").due_relative, "due in 5 days");
    }
}

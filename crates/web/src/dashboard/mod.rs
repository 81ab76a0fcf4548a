//! The dashboard: `GET /dashboard` and `GET /` when signed in. Counts, VIP quick access, the
//! follow-ups of the next seven days, the latest interactions, upcoming birthdays and the
//! people it is time to get back in touch with; a group with nothing in it is left out. Until
//! the first steps are done (a contact, an interaction, a VIP, a follow-up, the calendar feed)
//! a short checklist leads to each, ticked from the data itself.

pub use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use devhub_db::repo::contact::ContactCounts;
use devhub_db::repo::interaction::InteractionQuery;
use devhub_db::{DueContact, FollowUpCounts};

use crate::error::AppError;
use crate::follow_ups::FollowUpItem;
use crate::format::{relative_days, short_date, When};
use crate::interactions::InteractionRow;
use crate::page::{ok, Layout, Page, QueryString};
use crate::state::AppState;
use crate::today::Today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(home))
}

/// How many of each list the dashboard shows.
const VIPS_SHOWN: u32 = 12;
const RECENT_SHOWN: u32 = 10;
const BIRTHDAYS_SHOWN: usize = 12;
const RECONNECT_SHOWN: u32 = 10;
/// Birthdays within this many days are "upcoming".
const BIRTHDAY_DAYS: i64 = 30;
const UPCOMING_SHOWN: u32 = 10;
/// Follow-ups due on one of this many days after today are "upcoming" (today's and overdue
/// ones are the figures at the top).
const UPCOMING_DAYS: u64 = 7;

/// One step of the first-run checklist.
struct Step {
    /// The `data-step` of its item, for tests and styles.
    key: &'static str,
    label: &'static str,
    /// How, in a few words.
    hint: &'static str,
    /// Where it is done.
    href: &'static str,
    done: bool,
}

/// What the account has done so far, as its data shows.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    contact: bool,
    interaction: bool,
    vip: bool,
    follow_up: bool,
    calendar: bool,
}

impl Progress {
    /// The checklist, in the order the steps are usually taken.
    fn steps(self) -> Vec<Step> {
        // Steps that need a contact lead to the list when there is one, else to the new form.
        let a_contact = if self.contact {
            "/contacts"
        } else {
            "/contacts/new"
        };
        vec![
            Step {
                key: "contact",
                label: "Add a contact",
                hint: "someone you talked to recently",
                href: "/contacts/new",
                done: self.contact,
            },
            Step {
                key: "interaction",
                label: "Log an interaction",
                hint: "a meeting, call, email or message, from the contact's page",
                href: a_contact,
                done: self.interaction,
            },
            Step {
                key: "vip",
                label: "Mark a VIP",
                hint: "the people who matter most, one click away here",
                href: a_contact,
                done: self.vip,
            },
            Step {
                key: "follow-up",
                label: "Add a follow-up",
                hint: "a reminder to get back in touch by a date",
                href: a_contact,
                done: self.follow_up,
            },
            Step {
                key: "calendar",
                label: "Subscribe to the calendar feed",
                hint: "birthdays and follow-ups in your calendar app",
                href: "/settings#calendar",
                done: self.calendar,
            },
        ]
    }
}

/// The banner of a reminder that could not be delivered: failed for good, or waiting for its
/// next try.
struct ReminderFailure {
    error: String,
    /// "Dec 6, 08:15" (the user's time) when it is tried again; `None` when it failed for good.
    retry_at: Option<String>,
}

impl ReminderFailure {
    fn new(row: &devhub_db::DeliveryRow, zone: devhub_db::TimeZone) -> Self {
        let error = row
            .last_error
            .clone()
            .unwrap_or_else(|| "no answer".to_string());
        let retry_at = (row.status == devhub_db::DeliveryStatus::Pending)
            .then(|| crate::reminders::settings::local_time(row.next_attempt_at, zone));
        ReminderFailure { error, retry_at }
    }
}

/// A follow-up due in the next days, as the Upcoming group shows it.
struct UpcomingItem {
    item: FollowUpItem,
    /// "Thu, Mar 5".
    day: String,
}

struct ContactLink {
    id: String,
    name: String,
    tags: Vec<crate::tags::Chip>,
}

struct BirthdayItem {
    id: String,
    name: String,
    vip: bool,
    /// "today", "tomorrow", "in 3 days".
    relative: String,
    /// "Mar 3".
    day: String,
    iso: String,
    turns: Option<u32>,
}

struct ReconnectItem {
    id: String,
    name: String,
    vip: bool,
    /// Whole days since the last contact plus the cadence passed.
    overdue: i64,
    cadence_days: u32,
    own_cadence: bool,
    /// The last interaction; `None` when never contacted (the cadence counts from when the
    /// contact was added).
    last: Option<When>,
    tags: Vec<crate::tags::Chip>,
}

impl ReconnectItem {
    /// "12 days overdue", "due today".
    fn overdue_text(&self) -> String {
        match self.overdue {
            0 => "due today".to_string(),
            1 => "1 day overdue".to_string(),
            n => format!("{n} days overdue"),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct HomePage {
    layout: Layout,
    username: String,
    counts: ContactCounts,
    /// "March".
    month: String,
    this_month: u64,
    /// `/interactions?from=…&to=…` for this month.
    this_month_href: String,
    vips: Vec<ContactLink>,
    recent: Vec<InteractionRow>,
    birthdays: Vec<BirthdayItem>,
    more_birthdays: usize,
    /// Birthdays in the window, counted up to [`devhub_db::FIGURE_COUNT_LIMIT`].
    birthdays_counted: u64,
    reconnect: Vec<ReconnectItem>,
    more_reconnect: u64,
    /// Contacts due, counted up to [`devhub_db::FIGURE_COUNT_LIMIT`].
    reconnect_counted: u64,
    vip_reconnect_days: u32,
    /// The newest reminder, when it could not be delivered (or not yet).
    reminder_failure: Option<ReminderFailure>,
    reconnect_days: u32,
    follow_ups: FollowUpCounts,
    upcoming: Vec<UpcomingItem>,
    more_upcoming: u64,
    /// Follow-ups in the window, counted up to [`devhub_db::FIGURE_COUNT_LIMIT`].
    upcoming_counted: u64,
    /// "Welcome" until the first step is done, then "Welcome back".
    greeting: &'static str,
    /// The first-run checklist; empty once every step is done.
    steps: Vec<Step>,
}

impl HomePage {
    /// A count as the page shows it ("10,000+" where counting stopped).
    /// A figure counted up to [`devhub_db::FIGURE_COUNT_LIMIT`] ("1,000+").
    fn total(&self, n: &u64) -> String {
        crate::format::total_up_to(*n, devhub_db::FIGURE_COUNT_LIMIT)
    }

    /// How many more contacts are due than shown: "at least" when counting stopped.
    fn more_reconnect_shown(&self) -> String {
        let more = crate::format::count(self.more_reconnect);
        if self.reconnect_counted == devhub_db::FIGURE_COUNT_LIMIT {
            format!("{more}+")
        } else {
            more
        }
    }

    /// An exact count (a kept one), thousands grouped.
    fn count(&self, n: &u64) -> String {
        crate::format::count(*n)
    }

    /// The VIPs beyond those shown, and the birthdays beyond those shown, as the page says them.
    fn more_vips_shown(&self) -> String {
        crate::format::count(self.more_vips())
    }

    fn more_birthdays_shown(&self) -> String {
        crate::format::at_least(
            self.more_birthdays as u64,
            self.birthdays_counted == devhub_db::FIGURE_COUNT_LIMIT,
        )
    }

    fn more_upcoming_shown(&self) -> String {
        crate::format::at_least(
            self.more_upcoming,
            self.upcoming_counted == devhub_db::FIGURE_COUNT_LIMIT,
        )
    }

    /// How many steps of the checklist are done.
    fn steps_done(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }

    /// Whether the half-width card `card` (`upcoming`, `reconnect`, `birthdays`) takes the
    /// whole row: the last of an odd number shown, so that no half row stays empty.
    fn wide(&self, card: &str) -> bool {
        let shown: Vec<&str> = [
            ("upcoming", self.upcoming.is_empty()),
            ("reconnect", self.reconnect.is_empty()),
            ("birthdays", self.birthdays.is_empty()),
        ]
        .into_iter()
        .filter(|(_, empty)| !empty)
        .map(|(name, _)| name)
        .collect();
        shown.len() % 2 == 1 && shown.last() == Some(&card)
    }

    /// Every group is empty: one line says so instead of a card each.
    fn nothing_due(&self) -> bool {
        self.upcoming.is_empty()
            && self.reconnect.is_empty()
            && self.birthdays.is_empty()
            && self.recent.is_empty()
    }

    fn more_vips(&self) -> u64 {
        self.counts
            .active_vip
            .saturating_sub(self.vips.len() as u64)
    }
}

/// The first and last day of `today`'s calendar month.
fn month_of(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today.with_day(1).unwrap_or(today);
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(today);
    (first, last)
}

fn reconnect_item(due: DueContact, today: &Today) -> ReconnectItem {
    let overdue = due.days_overdue(today.now);
    let contact = due.contact;
    ReconnectItem {
        id: contact.id.into_string(),
        name: contact.name,
        vip: contact.vip,
        overdue,
        cadence_days: due.cadence_days,
        own_cadence: due.own_cadence,
        last: contact.last_contacted.map(|at| today.when_day(at)),
        tags: Vec::new(),
    }
}

async fn home(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    let user = page.user_id();
    let now = page.today.now;
    let today = page.today();
    let contacts = state.db.contacts();
    let interactions = state.db.interactions();
    let (first, last) = month_of(today);
    let month_query = InteractionQuery {
        from: Some(first),
        to: Some(last),
        ..InteractionQuery::default()
    };
    let recent_query = InteractionQuery {
        per_page: RECENT_SHOWN,
        ..InteractionQuery::default()
    };
    // Tomorrow through the seventh day after today, in the user's time zone.
    let tomorrow = today + chrono::Days::new(1);
    let after_window = today + chrono::Days::new(UPCOMING_DAYS + 1);
    let follow_ups = state.db.follow_ups();
    // Every read of the dashboard in one batch: one request on a server.
    let (
        counts,
        this_month,
        vips,
        recent,
        (birthdays, birthdays_total),
        (overdue, overdue_total),
        (upcoming, upcoming_total),
        (any_follow_up, reminder_failure),
    ) = state
        .db
        .batch((
            contacts.counts(user),
            interactions.count(user, &month_query, devhub_db::FIGURE_COUNT_LIMIT),
            contacts.active_vips(user, VIPS_SHOWN),
            interactions.latest(user, &recent_query),
            contacts.birthdays_between(
                user,
                today,
                today + chrono::Days::new(BIRTHDAY_DAYS.unsigned_abs()),
                BIRTHDAYS_SHOWN as u32,
            ),
            state.db.cadences().due(user, now, RECONNECT_SHOWN),
            follow_ups.list_open_between(
                user,
                Some(tomorrow),
                Some(after_window),
                UPCOMING_SHOWN,
                0,
                devhub_db::FIGURE_COUNT_LIMIT,
            ),
            follow_ups
                .any_for_user(user)
                .and(state.db.reminders().last_failure(user)),
        ))
        .await?;
    let progress = Progress {
        contact: counts.total > 0,
        interaction: !recent.is_empty(),
        vip: counts.vip > 0,
        follow_up: any_follow_up,
        calendar: page.settings.calendar_feed_since.is_some(),
    };
    let steps = progress.steps();
    let greeting = if steps.iter().any(|s| s.done) {
        "Welcome back"
    } else {
        "Welcome"
    };
    let steps = if steps.iter().all(|s| s.done) {
        Vec::new()
    } else {
        steps
    };
    let more_upcoming = upcoming_total.saturating_sub(upcoming.len() as u64);
    let upcoming = upcoming
        .iter()
        .map(|f| UpcomingItem {
            item: FollowUpItem::new(&f.follow_up, &f.contact_name, &page.today),
            day: f.follow_up.due_date.format("%a, %b %-d").to_string(),
        })
        .collect();
    let this_month_href = QueryString::new()
        .with("from", first)
        .with("to", last)
        .url("/interactions");

    // The tags of the contacts the dashboard names, in one query.
    let named: Vec<devhub_db::ContactId> = vips
        .iter()
        .map(|c| c.id.clone())
        .chain(overdue.iter().map(|d| d.contact.id.clone()))
        .collect();
    let tagged = crate::tags::TagMap::load(&state.db, user, &named).await?;
    let vips = vips
        .into_iter()
        .map(|c| ContactLink {
            tags: tagged.chips(c.id.as_str()),
            id: c.id.into_string(),
            name: c.name,
        })
        .collect();

    let recent = recent
        .into_iter()
        .map(|r| InteractionRow::new(r, &page.today))
        .collect();

    let soon = crate::birthdays::upcoming(
        birthdays
            .into_iter()
            .map(|b| ((b.id, b.name, b.vip), b.birthday)),
        today,
        BIRTHDAY_DAYS,
    );
    // The candidates are the soonest of the window; the window's count says how many more.
    let birthdays_counted = birthdays_total;
    let in_window = (birthdays_total as usize).max(soon.len());
    let more_birthdays = in_window.saturating_sub(BIRTHDAYS_SHOWN);
    let birthdays = soon
        .into_iter()
        .take(BIRTHDAYS_SHOWN)
        .map(|((id, name, vip), next)| BirthdayItem {
            id: id.into_string(),
            name,
            vip,
            relative: relative_days(-next.days),
            day: short_date(next.date),
            iso: next.date.to_string(),
            turns: next.turns,
        })
        .collect();

    let more_reconnect = overdue_total.saturating_sub(overdue.len() as u64);
    let reconnect_counted = overdue_total;
    let reconnect = overdue
        .into_iter()
        .map(|c| ReconnectItem {
            tags: tagged.chips(c.contact.id.as_str()),
            ..reconnect_item(c, &page.today)
        })
        .collect();
    let preferences = page.settings.preferences;

    let reminder_failure =
        reminder_failure.map(|row| ReminderFailure::new(&row, page.settings.time_zone()));

    Ok(ok(&HomePage {
        reminder_failure,
        layout: page.layout("Dashboard", "dashboard"),
        username: page.current.user.username.clone(),
        counts,
        month: crate::format::month_name(today).to_string(),
        this_month,
        this_month_href,
        vips,
        recent,
        birthdays,
        more_birthdays,
        birthdays_counted,
        reconnect,
        more_reconnect,
        reconnect_counted,
        vip_reconnect_days: preferences.vip_cadence_days.get(),
        reconnect_days: preferences.cadence_days.get(),
        follow_ups: page.follow_ups,
        upcoming,
        more_upcoming,
        upcoming_counted: upcoming_total,
        greeting,
        steps,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        assert_eq!(month_of(d(2024, 2, 10)), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(month_of(d(2025, 2, 28)), (d(2025, 2, 1), d(2025, 2, 28)));
        assert_eq!(month_of(d(2025, 12, 31)), (d(2025, 12, 1), d(2025, 12, 31)));
    }
}

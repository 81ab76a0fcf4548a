//! Follow-ups: the `follow_up` table, reminders to get back in touch with a contact by a date.
//! A follow-up has no `user_id`: it belongs to the owner of its contact.

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use libsql::{params, params_from_iter, Connection, Row, Value};

use super::contact::{self, ContactId};
use super::session::Owner;
use super::user::UserId;
use super::{qualified, query_all, query_count, query_one};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::{Query, Stmt};
use crate::row::{date_to_secs, id_type, now, Reader, Stamps, Unreadable};
use crate::validate;

/// The longest note of a follow-up, in characters.
pub const MAX_FOLLOW_UP_NOTE: usize = 1_000;

id_type!(
    /// The id of a `follow_up` row.
    FollowUpId
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub contact_id: ContactId,
    pub due_date: NaiveDate,
    pub note: Option<String>,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

impl FollowUp {
    /// Open and due before `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.completed && self.due_date < today
    }
}

const COLUMNS: &str =
    "id, contact_id, due_date, note, completed, completed_at, created_at, updated_at";

impl FollowUp {
    fn from_row(row: &Row) -> Result<Self> {
        Self::read(&mut Reader::new(row))
    }

    /// The one decoder of a `follow_up` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("follow_up")?;
        let follow_up = FollowUp {
            id: FollowUpId::from(c.key()),
            contact_id: ContactId::from(c.text("contact_id")?),
            due_date: c.date("due_date")?,
            note: c.opt_text("note")?,
            completed: c.flag("completed")?,
            completed_at: c.opt_timestamp("completed_at")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(FollowUp {
            unreadable: c.finish(),
            ..follow_up
        })
    }
}

/// A follow-up in the list of all the user's open ones, with the name of its contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FollowUpWithContact {
    #[serde(flatten)]
    pub follow_up: FollowUp,
    pub contact_name: String,
}

impl FollowUpWithContact {
    fn from_row(row: &Row) -> Result<Self> {
        let mut r = Reader::new(row);
        Ok(FollowUpWithContact {
            follow_up: FollowUp::read(&mut r)?,
            contact_name: r.text()?,
        })
    }
}

/// A follow-up to insert, or the new values of an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFollowUp {
    due_date: NaiveDate,
    note: Option<String>,
}

impl NewFollowUp {
    pub fn due_date(&self) -> NaiveDate {
        self.due_date
    }
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// A follow-up as typed into a form or sent as JSON.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpInput {
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub note: Option<String>,
}

impl FollowUpInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewFollowUp> {
        let mut errors = ValidationErrors::new();
        let due_date = match self.due_date.trim() {
            "" => {
                errors.add("due_date", "is required");
                None
            }
            raw => errors.take(
                "due_date",
                validate::date(raw).and_then(validate::sane_date),
            ),
        };
        let note = errors
            .take(
                "note",
                validate::optional_text(self.note.as_deref(), MAX_FOLLOW_UP_NOTE),
            )
            .flatten();
        match due_date {
            Some(due_date) if errors.is_empty() => Ok(NewFollowUp { due_date, note }),
            // A missing date has recorded its error.
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// The quick choices of a due date: "in 1 week / 2 weeks / 1 month / 3 months".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueIn {
    OneWeek,
    TwoWeeks,
    OneMonth,
    ThreeMonths,
}

impl DueIn {
    pub const ALL: [DueIn; 4] = [
        DueIn::OneWeek,
        DueIn::TwoWeeks,
        DueIn::OneMonth,
        DueIn::ThreeMonths,
    ];

    /// The form value: `1w`, `2w`, `1m`, `3m`.
    pub fn as_str(self) -> &'static str {
        match self {
            DueIn::OneWeek => "1w",
            DueIn::TwoWeeks => "2w",
            DueIn::OneMonth => "1m",
            DueIn::ThreeMonths => "3m",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueIn::OneWeek => "In 1 week",
            DueIn::TwoWeeks => "In 2 weeks",
            DueIn::OneMonth => "In 1 month",
            DueIn::ThreeMonths => "In 3 months",
        }
    }

    pub fn parse(raw: &str) -> Option<DueIn> {
        DueIn::ALL.into_iter().find(|d| d.as_str() == raw.trim())
    }

    /// The due date counted from `today`. Months keep the day of the month, or take the last
    /// day of a shorter month (31 January + 1 month = 28 or 29 February).
    pub fn from(self, today: NaiveDate) -> NaiveDate {
        let date = match self {
            DueIn::OneWeek => today.checked_add_days(Days::new(7)),
            DueIn::TwoWeeks => today.checked_add_days(Days::new(14)),
            DueIn::OneMonth => today.checked_add_months(Months::new(1)),
            DueIn::ThreeMonths => today.checked_add_months(Months::new(3)),
        };
        date.unwrap_or(today)
    }
}

/// How far to put a follow-up off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snooze {
    OneDay,
    OneWeek,
    Until(NaiveDate),
}

impl Snooze {
    /// The new due date. A relative snooze counts from the due date, or from `today` when
    /// that has passed: snoozing a follow-up three weeks overdue by a day makes it due
    /// tomorrow, not still overdue.
    pub fn apply(self, due: NaiveDate, today: NaiveDate) -> NaiveDate {
        let base = due.max(today);
        match self {
            Snooze::OneDay => base.succ_opt().unwrap_or(base),
            Snooze::OneWeek => base.checked_add_days(Days::new(7)).unwrap_or(base),
            Snooze::Until(date) => date,
        }
    }
}

/// How many of the user's open follow-ups are overdue and due today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUpCounts {
    pub overdue: u64,
    pub today: u64,
    /// Counting stopped at [`crate::FIGURE_COUNT_LIMIT`] (the navigation's counts, read on
    /// every page): `overdue` is "at least".
    pub overdue_capped: bool,
    /// The same for `today`.
    pub today_capped: bool,
}

impl FollowUpCounts {
    pub fn total(&self) -> u64 {
        self.overdue + self.today
    }

    /// Whether the overdue count is "at least" (counting stopped).
    pub fn overdue_at_least(&self) -> bool {
        self.overdue_capped
    }

    /// Whether today's count is "at least".
    pub fn today_at_least(&self) -> bool {
        self.today_capped
    }
}

/// The navigation's counts for each day that can be a user's today while it is `utc_today`
/// in UTC (time zones run from 12 hours behind UTC to 14 ahead): read with the session, before
/// the user's time zone is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUpCountsNear {
    utc_today: NaiveDate,
    /// Open follow-ups due before `utc_today - 1` and on each of the three days from then,
    /// each counted up to [`crate::FIGURE_COUNT_LIMIT`].
    parts: [u64; 4],
}

impl FollowUpCountsNear {
    /// The four counts as columns of a SELECT, for the owner `whose` (a condition on
    /// `user_id`), with the days of [`Self::values`] at `?{first}` to `?{first + 3}`. Each
    /// part one range of the owner's due-date index, counted up to the limit: at any size the
    /// navigation reads at most that many index entries per part.
    pub(crate) fn columns(whose: &str, first: u32) -> String {
        let cap = crate::FIGURE_COUNT_LIMIT;
        let part = |range: String| {
            format!(
                "(SELECT count(*) FROM (SELECT 1 FROM follow_up \
                   WHERE {whose} AND completed = 0 AND {range} LIMIT {cap}))"
            )
        };
        let [a, b, c, d] = [first, first + 1, first + 2, first + 3];
        [
            part(format!("due_date < ?{a}")),
            part(format!("due_date >= ?{a} AND due_date < ?{b}")),
            part(format!("due_date >= ?{b} AND due_date < ?{c}")),
            part(format!("due_date >= ?{c} AND due_date < ?{d}")),
        ]
        .join(", ")
    }

    /// The values of [`Self::columns`]' days: the four days around `utc_today`.
    pub(crate) fn values(utc_today: NaiveDate) -> [Value; 4] {
        [-1, 0, 1, 2].map(|k| Value::Integer(date_to_secs(utc_today + chrono::Duration::days(k))))
    }

    /// Reads [`Self::columns`] starting at column `start`.
    pub(crate) fn from_row_at(row: &Row, start: i32, utc_today: NaiveDate) -> Result<Self> {
        let n = |i| -> Result<u64> { Ok(u64::try_from(row.get::<i64>(start + i)?).unwrap_or(0)) };
        Ok(FollowUpCountsNear {
            utc_today,
            parts: [n(0)?, n(1)?, n(2)?, n(3)?],
        })
    }

    /// The counts on `today` (clamped to the days these counts know).
    pub fn on(&self, today: NaiveDate) -> FollowUpCounts {
        let k = (today - self.utc_today).num_days().clamp(-1, 1) + 1;
        let k = usize::try_from(k).unwrap_or(1);
        let cap = crate::FIGURE_COUNT_LIMIT;
        let overdue = &self.parts[..=k];
        // A capped count reads "1,000+", as the follow-ups page's groups do.
        let sum = overdue.iter().sum::<u64>();
        let overdue_capped = sum > cap || overdue.iter().any(|&n| n >= cap);
        FollowUpCounts {
            overdue: sum.min(cap),
            today: self.parts[k + 1],
            overdue_capped,
            today_capped: self.parts[k + 1] >= cap,
        }
    }
}

/// Matches the follow-up `?1` of the user `?2`. The schema keeps `follow_up.user_id` equal to
/// the owner of its contact, so the user's follow-ups are one range of
/// `follow_up_user_due_idx`.
const OWNED: &str = "id = ?1 AND user_id = ?2";

#[derive(Clone, Copy)]
pub struct FollowUpRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> FollowUpRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        FollowUpRepo { ex: ex.into() }
    }

    /// Adds a follow-up to the user's contact `contact_id`.
    pub async fn create(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewFollowUp,
    ) -> Result<FollowUp> {
        self.create_at(user, contact_id, new, Stamps::now(), Completion::default())
            .await
    }

    /// [`Self::create`] with the given times and completion (a restore keeps the original
    /// ones).
    pub async fn create_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewFollowUp,
        stamps: Stamps,
        completion: Completion,
    ) -> Result<FollowUp> {
        let (_, stmt) = insert_statement(user, contact_id, new, stamps, completion)?;
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("{} RETURNING {COLUMNS}", stmt.sql),
            stmt.values,
            FollowUp::from_row,
        )
        .await
        .map_err(|e| {
            // A contact that is not the user's.
            if e.is_not_null_violation("follow_up.contact_id") {
                Error::NotFound
            } else {
                e
            }
        })?
        .ok_or(Error::NotFound)
    }

    /// [`Self::create_at`] for bulk writes (the demo seed, a restore): the same statement
    /// without `RETURNING`, deferred inside a unit of work (on a server it goes with hundreds
    /// of others in one request). Answers the new follow-up's id. A contact that is not the
    /// user's fails the unit of work (a NOT NULL error, at the latest at its commit) instead
    /// of answering `NotFound` here.
    pub async fn create_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewFollowUp,
        stamps: Stamps,
        completion: Completion,
    ) -> Result<FollowUpId> {
        let (id, stmt) = insert_statement(user, contact_id, new, stamps, completion)?;
        self.ex.defer(stmt).await?;
        Ok(id)
    }

    pub async fn get(&self, user: &UserId, id: &FollowUpId) -> Result<FollowUp> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {COLUMNS} FROM follow_up WHERE {OWNED}"),
            params![id, user],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// The user's open follow-up `id` with its contact's name; `None` when it is done,
    /// deleted or not theirs (a reminder of it has nothing left to say).
    pub async fn open_with_contact(
        &self,
        user: &UserId,
        id: &str,
    ) -> Result<Option<FollowUpWithContact>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "SELECT {}, c.name FROM follow_up f JOIN contact c ON c.id = f.contact_id \
                 WHERE f.id = ?1 AND f.user_id = ?2 AND f.completed = 0",
                qualified("f", COLUMNS)
            ),
            params![id, user],
            FollowUpWithContact::from_row,
        )
        .await
    }

    /// Replaces the due date and the note.
    pub async fn update(
        &self,
        user: &UserId,
        id: &FollowUpId,
        new: &NewFollowUp,
    ) -> Result<FollowUp> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE follow_up SET due_date = ?3, note = ?4, updated_at = ?5 \
                 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![
                id,
                user,
                date_to_secs(new.due_date),
                new.note.clone(),
                now().timestamp()
            ],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Marks the follow-up done. Completing it again keeps the first `completed_at`.
    pub async fn complete(&self, user: &UserId, id: &FollowUpId) -> Result<FollowUp> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE follow_up SET completed = 1, \
                 completed_at = CASE WHEN completed = 1 THEN completed_at ELSE ?3 END, \
                 updated_at = ?3 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![id, user, now().timestamp()],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Marks the follow-up open again.
    pub async fn reopen(&self, user: &UserId, id: &FollowUpId) -> Result<FollowUp> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE follow_up SET completed = 0, completed_at = NULL, updated_at = ?3 \
                 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![id, user, now().timestamp()],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    pub async fn delete(&self, user: &UserId, id: &FollowUpId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                &format!("DELETE FROM follow_up WHERE {OWNED}"),
                params![id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The follow-ups of the user's contact: open ones first, each group by due date.
    pub fn list_for_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        include_completed: bool,
    ) -> Query<'e, Vec<FollowUp>> {
        let follow_ups = Query::all(
            self.ex,
            format!(
                "SELECT {COLUMNS} FROM follow_up WHERE contact_id = ?1 AND (completed = 0 OR ?2) \
                 ORDER BY completed, due_date, created_at, id"
            ),
            params![contact_id, i64::from(include_completed)],
            FollowUp::from_row,
        );
        contact::owned(self.ex, user, contact_id)
            .and(follow_ups)
            .map(|((), follow_ups)| follow_ups)
    }

    /// A page of the user's open follow-ups due on `from` or later and before `until` (each
    /// bound optional), the earliest due first (ties in the order they were made), with how many there
    /// are in all, counted up to `count_limit`. One range of the owner's due-date index,
    /// however many follow-ups the user has.
    pub fn list_open_between(
        &self,
        user: &UserId,
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
        limit: u32,
        offset: u64,
        count_limit: u64,
    ) -> Query<'e, (Vec<FollowUpWithContact>, u64)> {
        let mut condition = String::from("f.user_id = ? AND f.completed = 0");
        let mut values: Vec<Value> = vec![user.into()];
        if let Some(from) = from {
            condition.push_str(" AND f.due_date >= ?");
            values.push(Value::Integer(date_to_secs(from)));
        }
        if let Some(until) = until {
            condition.push_str(" AND f.due_date < ?");
            values.push(Value::Integer(date_to_secs(until)));
        }
        let total = Query::count_up_to(
            self.ex,
            format!("SELECT 1 FROM follow_up f WHERE {condition}"),
            params_from_iter(values.clone()),
            count_limit,
        );
        values.push(Value::Integer(i64::from(
            limit.clamp(1, contact::MAX_PER_PAGE),
        )));
        values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let rows = Query::all(
            self.ex,
            format!(
                "SELECT {}, c.name FROM follow_up f JOIN contact c ON c.id = f.contact_id \
                 WHERE {condition} ORDER BY f.due_date, f.id LIMIT +? OFFSET +?",
                qualified("f", COLUMNS)
            ),
            params_from_iter(values),
            FollowUpWithContact::from_row,
        );
        rows.and(total)
    }

    /// Whether the user has any follow-up, open or done (the dashboard's first-run checklist):
    /// the first entry of the owner's due-date index, at any size.
    pub fn any_for_user(&self, user: &UserId) -> Query<'e, bool> {
        Query::one(
            self.ex,
            "SELECT EXISTS (SELECT 1 FROM follow_up WHERE user_id = ?1)",
            params![user],
            |row| Ok(row.get::<i64>(0)? != 0),
        )
        .map(|found| found.unwrap_or(false))
    }

    /// Every open follow-up of the user, the earliest due first, with its contact's name.
    pub async fn list_open_for_user(&self, user: &UserId) -> Result<Vec<FollowUpWithContact>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {}, c.name FROM follow_up f JOIN contact c ON c.id = f.contact_id \
                 WHERE f.user_id = ?1 AND f.completed = 0 \
                 ORDER BY f.due_date, c.name COLLATE NOCASE, f.id",
                qualified("f", COLUMNS)
            ),
            [user],
            FollowUpWithContact::from_row,
        )
        .await
    }

    /// Puts the follow-up off (`today` is the user's). Dates outside 1900–2100 are refused.
    pub async fn snooze(
        &self,
        user: &UserId,
        id: &FollowUpId,
        snooze: Snooze,
        today: NaiveDate,
    ) -> Result<FollowUp> {
        let tx = self.ex.begin_write().await?;
        let current = query_one(
            &tx,
            &format!("SELECT {COLUMNS} FROM follow_up WHERE {OWNED}"),
            params![id, user],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        let due = snooze.apply(current.due_date, today);
        validate::sane_date(due).map_err(|m| Error::validation("due_date", m))?;
        let snoozed = query_one(
            &tx,
            &format!(
                "UPDATE follow_up SET due_date = ?3, updated_at = ?4 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![id, user, date_to_secs(due), now().timestamp()],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(snoozed)
    }

    /// How many of the user's open follow-ups are overdue and due today: one count over the
    /// `(contact_id, completed, due_date)` index, for the navigation of every page.
    pub async fn counts(&self, user: &UserId, today: NaiveDate) -> Result<FollowUpCounts> {
        let conn = self.ex.conn().await?;
        let tomorrow = today.succ_opt().unwrap_or(today);
        let counts = query_one(
            &conn,
            "SELECT coalesce(sum(due_date < ?2), 0), count(*) FROM follow_up \
             WHERE user_id = ?1 AND completed = 0 AND due_date < ?3",
            params![user, date_to_secs(today), date_to_secs(tomorrow)],
            |row| {
                let overdue = u64::try_from(row.get::<i64>(0)?).unwrap_or(0);
                let all = u64::try_from(row.get::<i64>(1)?).unwrap_or(0);
                Ok(FollowUpCounts {
                    overdue,
                    today: all.saturating_sub(overdue),
                    overdue_capped: false,
                    today_capped: false,
                })
            },
        )
        .await?;
        Ok(counts.unwrap_or_default())
    }

    /// [`Self::counts`] of `owner`, for every day that can be their today (see
    /// [`FollowUpCountsNear`]).
    pub fn counts_near(
        &self,
        owner: Owner<'_>,
        utc_today: NaiveDate,
    ) -> Query<'e, FollowUpCountsNear> {
        let (whose, value) = owner.condition("user_id", 1);
        let mut values = vec![value];
        values.extend(FollowUpCountsNear::values(utc_today));
        Query::one(
            self.ex,
            format!("SELECT {}", FollowUpCountsNear::columns(&whose, 2)),
            params_from_iter(values),
            move |row| FollowUpCountsNear::from_row_at(row, 0, utc_today),
        )
        .map(move |near| {
            near.unwrap_or(FollowUpCountsNear {
                utc_today,
                parts: [0; 4],
            })
        })
    }

    /// A page of the user's completed follow-ups, the latest completed first, and how many
    /// there are in all. Pages count from 1.
    pub async fn list_completed_for_user(
        &self,
        user: &UserId,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<FollowUpWithContact>, u64)> {
        let per_page = per_page.clamp(1, contact::MAX_PER_PAGE);
        let offset = u64::from(page.max(1) - 1) * u64::from(per_page);
        let tx = self.ex.begin_read().await?;
        let total = query_count(
            &tx,
            "SELECT count(*) FROM follow_up WHERE user_id = ?1 AND completed = 1",
            [user],
        )
        .await?;
        let rows = query_all(
            &tx,
            &format!(
                "SELECT {}, c.name FROM follow_up f JOIN contact c ON c.id = f.contact_id \
                 WHERE f.user_id = ?1 AND f.completed = 1 \
                 ORDER BY f.completed_at DESC, f.updated_at DESC, f.id DESC LIMIT +?2 OFFSET +?3",
                qualified("f", COLUMNS)
            ),
            params![
                user,
                i64::from(per_page),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            FollowUpWithContact::from_row,
        )
        .await?;
        tx.commit().await?;
        Ok((rows, total))
    }
}

/// Which follow-ups a listing shows, and in which order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FollowUpStatus {
    /// Open ones, the earliest due first (the follow-ups page).
    #[default]
    Open,
    /// Completed ones, the latest completed first (its Completed tab).
    Completed,
    /// Open ones first, each group by due date (a contact's page).
    All,
}

/// The sort keys of a follow-up, where the next page of a keyset listing starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FollowUpCursor {
    pub completed: bool,
    pub due_date: i64,
    pub contact_name: String,
    pub completed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub id: String,
}

impl FollowUpCursor {
    pub fn after(row: &FollowUpWithContact) -> Self {
        let f = &row.follow_up;
        FollowUpCursor {
            completed: f.completed,
            due_date: date_to_secs(f.due_date),
            contact_name: row.contact_name.clone(),
            completed_at: f.completed_at.map(|t| t.timestamp()),
            created_at: f.created_at.timestamp(),
            updated_at: f.updated_at.timestamp(),
            id: f.id.as_str().to_string(),
        }
    }
}

impl<'e> FollowUpRepo<'e> {
    /// Up to `limit` of the user's follow-ups with `status` (optionally only those of
    /// `contact_id`), in the status's order, starting after `after`; the flag says whether
    /// more follow. Keyset paging.
    pub async fn list_after(
        &self,
        user: &UserId,
        status: FollowUpStatus,
        contact_id: Option<&ContactId>,
        after: Option<&FollowUpCursor>,
        limit: u32,
    ) -> Result<(Vec<FollowUpWithContact>, bool)> {
        let mut condition = String::from("c.user_id = ?");
        let mut values: Vec<Value> = vec![user.into()];
        if let Some(contact_id) = contact_id {
            condition.push_str(" AND c.id = ?");
            values.push(contact_id.into());
        }
        let order = match status {
            FollowUpStatus::Open => {
                condition.push_str(" AND f.completed = 0");
                "f.due_date, c.name COLLATE NOCASE, f.id"
            }
            FollowUpStatus::Completed => {
                condition.push_str(" AND f.completed = 1");
                "coalesce(f.completed_at, 0) DESC, f.updated_at DESC, f.id DESC"
            }
            FollowUpStatus::All => "f.completed, f.due_date, f.created_at, f.id",
        };
        if let Some(after) = after {
            match status {
                FollowUpStatus::Open => {
                    condition.push_str(
                        " AND (f.due_date > ? OR (f.due_date = ? AND \
                         (c.name COLLATE NOCASE > ? OR (c.name COLLATE NOCASE = ? AND f.id > ?))))",
                    );
                    values.extend([
                        Value::Integer(after.due_date),
                        Value::Integer(after.due_date),
                        Value::Text(after.contact_name.clone()),
                        Value::Text(after.contact_name.clone()),
                        Value::Text(after.id.clone()),
                    ]);
                }
                FollowUpStatus::Completed => {
                    condition.push_str(
                        " AND (coalesce(f.completed_at, 0), f.updated_at, f.id) < (?, ?, ?)",
                    );
                    values.extend([
                        Value::Integer(after.completed_at.unwrap_or(0)),
                        Value::Integer(after.updated_at),
                        Value::Text(after.id.clone()),
                    ]);
                }
                FollowUpStatus::All => {
                    condition.push_str(
                        " AND (f.completed, f.due_date, f.created_at, f.id) > (?, ?, ?, ?)",
                    );
                    values.extend([
                        Value::Integer(i64::from(after.completed)),
                        Value::Integer(after.due_date),
                        Value::Integer(after.created_at),
                        Value::Text(after.id.clone()),
                    ]);
                }
            }
        }
        let limit = limit.clamp(1, contact::MAX_PER_PAGE);
        values.push(Value::Integer(i64::from(limit) + 1));
        let conn = self.ex.conn().await?;
        let mut rows = query_all(
            &conn,
            &format!(
                "SELECT {}, c.name FROM contact c CROSS JOIN follow_up f ON f.contact_id = c.id \
                 WHERE {condition} ORDER BY {order} LIMIT +?",
                qualified("f", COLUMNS)
            ),
            params_from_iter(values),
            FollowUpWithContact::from_row,
        )
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}

/// Whether a stored follow-up is done, and since when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Completion {
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Completes those of `ids` that are open follow-ups of `contact_id`, on `conn` (inside the
/// caller's transaction); returns how many it completed. Other ids are left alone: a
/// follow-up completed meanwhile in another tab is not an error.
pub(crate) async fn complete_open_of_contact(
    conn: &Connection,
    contact_id: &ContactId,
    ids: &[FollowUpId],
) -> Result<u64> {
    let at = now().timestamp();
    let mut completed = 0;
    for id in ids {
        completed += conn
            .execute(
                "UPDATE follow_up SET completed = 1, completed_at = ?3, updated_at = ?3 \
                 WHERE id = ?1 AND contact_id = ?2 AND completed = 0",
                params![id, contact_id, at],
            )
            .await?;
    }
    Ok(completed)
}

/// The one INSERT of the table (without `RETURNING`): only for the user's own contact, whose
/// id a subquery yields (NULL otherwise, which the NOT NULL column refuses).
fn insert_statement(
    user: &UserId,
    contact_id: &ContactId,
    new: &NewFollowUp,
    stamps: Stamps,
    completion: Completion,
) -> Result<(FollowUpId, Stmt)> {
    let id = FollowUpId::generate();
    let stmt = Stmt::new(
        "INSERT INTO follow_up (id, user_id, contact_id, due_date, note, completed, \
         completed_at, created_at, updated_at) \
         VALUES (?1, ?2, (SELECT id FROM contact WHERE id = ?3 AND user_id = ?2), \
         ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            &id,
            user,
            contact_id,
            date_to_secs(new.due_date),
            new.note.clone(),
            i64::from(completion.completed),
            completion.completed_at.map(|t| t.timestamp()),
            stamps.created_at.timestamp(),
            stamps.updated_at.timestamp()
        ],
    )?;
    Ok((id, stmt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn quick_due_dates_count_from_today_and_clamp_to_month_ends() {
        let today = d("2025-01-31");
        assert_eq!(DueIn::OneWeek.from(today), d("2025-02-07"));
        assert_eq!(DueIn::TwoWeeks.from(today), d("2025-02-14"));
        assert_eq!(DueIn::OneMonth.from(today), d("2025-02-28"));
        assert_eq!(DueIn::OneMonth.from(d("2024-01-31")), d("2024-02-29"));
        assert_eq!(DueIn::ThreeMonths.from(d("2024-11-30")), d("2025-02-28"));
        assert_eq!(DueIn::parse("3m"), Some(DueIn::ThreeMonths));
        assert_eq!(DueIn::parse("4m"), None);
    }

    #[test]
    fn snoozing_counts_from_the_due_date_or_today_whichever_is_later() {
        let today = d("2025-03-10");
        // Due later: from the due date, across month and year ends.
        assert_eq!(
            Snooze::OneDay.apply(d("2025-03-31"), today),
            d("2025-04-01")
        );
        assert_eq!(
            Snooze::OneWeek.apply(d("2025-12-28"), today),
            d("2026-01-04")
        );
        assert_eq!(
            Snooze::OneDay.apply(d("2028-02-28"), today),
            d("2028-02-29")
        );
        // Overdue: from today.
        assert_eq!(
            Snooze::OneDay.apply(d("2025-02-01"), today),
            d("2025-03-11")
        );
        assert_eq!(
            Snooze::OneWeek.apply(d("2025-02-01"), today),
            d("2025-03-17")
        );
        assert_eq!(
            Snooze::Until(d("2025-05-01")).apply(d("2025-02-01"), today),
            d("2025-05-01")
        );
    }
}

//! Interactions: the `interaction` table, the log of meetings, calls and messages with a
//! contact. Every write refreshes the contact's `last_contacted` in the same transaction.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use libsql::{params, params_from_iter, Row, Value};

use super::contact::{self, ContactId, Search, MAX_PER_PAGE};
use super::follow_up::{self, FollowUp, FollowUpId, NewFollowUp};
use super::user::UserId;
use super::{qualified, query_all, query_one};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::{Query, Stmt};
use crate::row::{date_to_secs, id_type, like_pattern, now, Reader, Stamps, Unreadable};
use crate::validate::{self, MAX_LONG_TEXT};

id_type!(
    /// The id of an `interaction` row.
    InteractionId
);

/// `interaction.type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum InteractionType {
    Meeting,
    Call,
    Email,
    Message,
    Other,
}

impl InteractionType {
    pub const ALL: [InteractionType; 5] = [
        InteractionType::Meeting,
        InteractionType::Call,
        InteractionType::Email,
        InteractionType::Message,
        InteractionType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InteractionType::Meeting => "meeting",
            InteractionType::Call => "call",
            InteractionType::Email => "email",
            InteractionType::Message => "message",
            InteractionType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "meeting" => Ok(InteractionType::Meeting),
            "call" => Ok(InteractionType::Call),
            "email" => Ok(InteractionType::Email),
            "message" => Ok(InteractionType::Message),
            "other" => Ok(InteractionType::Other),
            _ => Err("must be one of meeting, call, email, message or other".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Interaction {
    pub id: InteractionId,
    pub contact_id: ContactId,
    #[serde(rename = "type")]
    pub type_: InteractionType,
    pub date: DateTime<Utc>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

const COLUMNS: &str = "id, contact_id, type, date, notes, created_at, updated_at";

impl Interaction {
    fn from_row(row: &Row) -> Result<Self> {
        Self::read(&mut Reader::new(row))
    }

    /// The one decoder of an `interaction` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("interaction")?;
        let interaction = Interaction {
            id: InteractionId::from(c.key()),
            contact_id: ContactId::from(c.text("contact_id")?),
            type_: c.parsed("type", InteractionType::parse, InteractionType::Other)?,
            date: c.timestamp("date")?,
            notes: c.opt_text("notes")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(Interaction {
            unreadable: c.finish(),
            ..interaction
        })
    }
}

/// An interaction in the log of all the user's contacts, with the name of its contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InteractionWithContact {
    #[serde(flatten)]
    pub interaction: Interaction,
    pub contact_name: String,
}

impl InteractionWithContact {
    fn from_row(row: &Row) -> Result<Self> {
        let mut r = Reader::new(row);
        Ok(InteractionWithContact {
            interaction: Interaction::read(&mut r)?,
            contact_name: r.text()?,
        })
    }
}

/// An interaction to insert, or the new values of an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInteraction {
    kind: InteractionType,
    date: DateTime<Utc>,
    notes: Option<String>,
}

impl NewInteraction {
    /// The same interaction at the time of day of `stored` when it falls on the same day:
    /// a change that leaves the day alone keeps the time another client may have stored.
    pub fn keeping_time_of(mut self, stored: DateTime<Utc>) -> Self {
        if self.date.date_naive() == stored.date_naive() {
            self.date = stored;
        }
        self
    }
    pub fn kind(&self) -> InteractionType {
        self.kind
    }
    pub fn date(&self) -> DateTime<Utc> {
        self.date
    }
    pub fn notes(&self) -> Option<&str> {
        self.notes.as_deref()
    }
}

/// An interaction as typed into a form or sent as JSON: text everywhere.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InteractionInput {
    #[serde(rename = "type")]
    pub type_: String,
    /// `YYYY-MM-DD`; stored as midnight UTC.
    pub date: String,
    pub notes: Option<String>,
}

impl InteractionInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewInteraction> {
        let mut errors = ValidationErrors::new();
        let kind = match self.type_.trim() {
            "" => {
                errors.add("type", "is required");
                None
            }
            raw => errors.take("type", InteractionType::parse(raw)),
        };
        let date = match self.date.trim() {
            "" => {
                errors.add("date", "is required");
                None
            }
            raw => errors.take("date", validate::date(raw).and_then(validate::sane_date)),
        };
        let notes = errors
            .take(
                "notes",
                validate::optional_text(self.notes.as_deref(), MAX_LONG_TEXT),
            )
            .flatten();
        match (kind, date) {
            (Some(kind), Some(date)) if errors.is_empty() => Ok(NewInteraction {
                kind,
                date: date.and_time(NaiveTime::MIN).and_utc(),
                notes,
            }),
            // A missing value has recorded its error.
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// A filtered listing of all the user's interactions (the `/interactions` page). Pages count
/// from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionQuery {
    pub kind: Option<InteractionType>,
    /// The first calendar day (UTC) to include.
    pub from: Option<NaiveDate>,
    /// The last calendar day (UTC) to include.
    pub to: Option<NaiveDate>,
    /// Words in any order, each in the notes or the contact's name; case- and
    /// accent-insensitive (words of one or two characters: ASCII case only, `%` and `_`
    /// literal; a search of only such words looks through the latest
    /// [`SHORT_SEARCH_WINDOW`] interactions, see [`Self::searched_window`]).
    pub search: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for InteractionQuery {
    fn default() -> Self {
        InteractionQuery {
            kind: None,
            from: None,
            to: None,
            search: None,
            page: 1,
            per_page: 50,
        }
    }
}

impl InteractionQuery {
    /// Where counting the matches stops: [`contact::search_count_limit`] for a text search
    /// ("200+", or past this page's rows on a page further on), [`crate::COUNT_LIMIT`]
    /// otherwise.
    pub fn count_limit(&self) -> u64 {
        if self.search.as_deref().and_then(Search::parse).is_some() {
            contact::search_count_limit(self.page, self.per_page)
        } else {
            crate::COUNT_LIMIT
        }
    }

    /// How many of the latest interactions (of those the other filters keep) the text search
    /// looks through: [`SHORT_SEARCH_WINDOW`] when every word is shorter than three characters
    /// (no index finds those: each row is tested), `None` when it finds them all.
    pub fn searched_window(&self) -> Option<u64> {
        let words = self.words();
        let short = !words.is_empty() && words.iter().all(|w| w.fts(None).is_none());
        short.then_some(SHORT_SEARCH_WINDOW)
    }

    /// The words of the text search, if any.
    fn words(&self) -> Vec<Search> {
        self.search
            .as_deref()
            .and_then(Search::parse)
            .iter()
            .flat_map(Search::each)
            .collect()
    }

    /// The `WHERE` clause over `interaction i` and its parameters, read as `plan` says: led by
    /// the interaction's owner, so that the planner reads one range of the owner's
    /// `(user_id, date, …)` index in the log's order, or by the matches of the plan's driving
    /// word, looked up by rowid.
    fn conditions(&self, user: &UserId, plan: &Plan) -> (String, Vec<Value>) {
        self.conditions_of(user, plan, None)
    }

    /// [`Self::conditions`], the latest interactions of a search of short words only those
    /// of `contact`, with one.
    fn conditions_of(
        &self,
        user: &UserId,
        plan: &Plan,
        contact: Option<&ContactId>,
    ) -> (String, Vec<Value>) {
        let mut conditions = vec![];
        let mut values: Vec<Value> = vec![];
        let words = self.words();
        let long: Vec<&Search> = words.iter().filter(|w| w.fts(None).is_some()).collect();
        let led = plan.lead == Lead::Matches && !long.is_empty();
        if led {
            // `+` keeps the owner's index out: the matches lead, looked up by rowid.
            let all = self.search.as_deref().and_then(Search::parse);
            let any_name: Vec<String> = long.iter().filter_map(|w| w.fts(Some("name"))).collect();
            conditions.push(format!("i.rowid IN ({MATCHING_ROWIDS}) AND +i.user_id = ?"));
            values.push(Value::Text(
                all.and_then(|a| a.fts(None)).unwrap_or_default(),
            ));
            values.push(user.into());
            values.push(Value::Text(any_name.join(" OR ")));
            values.push(user.into());
        } else {
            conditions.push("i.user_id = ?".into());
            values.push(user.into());
            if let Some(window) = plan.recent {
                let (recent, recent_values) = self.recent(user, window, contact);
                conditions.push(recent);
                values.extend(recent_values);
            }
        }
        self.filters("i", &mut conditions, &mut values);
        // Each word in the notes or in the contact's name: through the trigram indexes for
        // words of three characters or more, by LIKE for shorter ones.
        for word in &words {
            if led && long.len() == 1 && word.fts(None).is_some() {
                // The matches of the one long word are the rows read.
                continue;
            }
            let names = "i.contact_id IN (SELECT id FROM contact WHERE +user_id = ? \
                           AND rowid IN (SELECT rowid >> 2 FROM contact_fts \
                             WHERE contact_fts MATCH ?))";
            match (
                word.fts(None),
                word.fts(Some("name")),
                word.ascii_lowercase(),
            ) {
                (Some(notes), Some(name), Some(lower)) => {
                    // Each row's notes tested as text: `instr` over ASCII notes finds what
                    // the trigram index finds (a word of ASCII characters, case folded);
                    // other notes (accents to ignore) ask the index, whose matches are then
                    // read once.
                    conditions.push(format!(
                        "(instr(lower(i.notes), ?) > 0 \
                         OR (length(CAST(i.notes AS BLOB)) <> length(i.notes) \
                           AND i.rowid IN (SELECT rowid FROM interaction_fts \
                             WHERE interaction_fts MATCH ?)) \
                         OR {names})"
                    ));
                    values.push(Value::Text(lower));
                    values.push(Value::Text(notes));
                    values.push(user.into());
                    values.push(Value::Text(name));
                }
                (Some(notes), Some(name), _) => {
                    // A word with other characters: both sets are read once (the notes'
                    // matches, and the ids of the owner's contacts whose names match) and each
                    // row is tested against them.
                    conditions.push(format!(
                        "(i.rowid IN (SELECT rowid FROM interaction_fts \
                           WHERE interaction_fts MATCH ?) OR {names})"
                    ));
                    values.push(Value::Text(notes));
                    values.push(user.into());
                    values.push(Value::Text(name));
                }
                _ => {
                    // The contact's name is tested row by row: the set of every contact whose
                    // name holds a short word would be built from all of the owner's contacts.
                    conditions.push(
                        "(i.notes LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM contact n \
                           WHERE n.id = i.contact_id AND n.user_id = ? \
                             AND n.name LIKE ? ESCAPE '\\'))"
                            .into(),
                    );
                    let pattern = like_pattern(&word.words());
                    values.push(Value::Text(pattern.clone()));
                    values.push(user.into());
                    values.push(Value::Text(pattern));
                }
            }
        }
        (conditions.join(" AND "), values)
    }

    /// The kind and date filters over the interactions aliased `alias`.
    fn filters(&self, alias: &str, conditions: &mut Vec<String>, values: &mut Vec<Value>) {
        if let Some(kind) = self.kind {
            conditions.push(format!("{alias}.type = ?"));
            values.push(Value::Text(kind.as_str().into()));
        }
        if let Some(from) = self.from {
            conditions.push(format!("{alias}.date >= ?"));
            values.push(Value::Integer(date_to_secs(from)));
        }
        // Up to the end of the last day: dates written by other clients may carry a time.
        if let Some(end) = self.to.and_then(|to| to.succ_opt()) {
            conditions.push(format!("{alias}.date < ?"));
            values.push(Value::Integer(date_to_secs(end)));
        }
    }

    /// `i.date >= …`: no older than the owner's `window`-th latest interaction that the kind
    /// and date filters keep (the contact's, with one: read from the contact's index), or
    /// every one when there are fewer. Read from the owner's index in the log's order, the
    /// page and its count stop there: at most `window` rows, and those of that last day.
    fn recent(
        &self,
        user: &UserId,
        window: u64,
        contact: Option<&ContactId>,
    ) -> (String, Vec<Value>) {
        let mut conditions = vec![];
        let mut values: Vec<Value> = vec![user.into()];
        match contact {
            Some(contact) => {
                conditions.push("+w.user_id = ? AND w.contact_id = ?".to_string());
                values.push(contact.into());
            }
            None => conditions.push("w.user_id = ?".to_string()),
        }
        self.filters("w", &mut conditions, &mut values);
        values.push(Value::Integer(
            i64::try_from(window.saturating_sub(1)).unwrap_or(i64::MAX),
        ));
        (
            format!(
                "i.date >= coalesce((SELECT w.date FROM interaction w WHERE {} \
                 ORDER BY w.date DESC, w.created_at DESC, w.id DESC LIMIT 1 OFFSET +?), \
                 -9223372036854775808)",
                conditions.join(" AND ")
            ),
            values,
        )
    }
}

/// The latest interactions a text search whose words are all shorter than three characters
/// looks through ([`InteractionQuery::searched_window`]), and those of the same day as the
/// last of them: the trigram index cannot find such words, so each row is read and tested, and
/// at a million interactions testing them all took seconds.
pub const SHORT_SEARCH_WINDOW: u64 = 5_000;

/// The log's order: latest first.
const LOG_ORDER: &str = "i.date DESC, i.created_at DESC, i.id DESC";

impl InteractionQuery {
    /// The first `need` rows of a common word's log (`select` over `interaction i`, with the
    /// `extra` terms), in the log's order, as one statement: the owner's index read in order,
    /// each row tested, no further than the `window` latest interactions (the date of the
    /// window's last row bounds the range read); only when those hold fewer than `need`
    /// matches, the word's matches, looked up and sorted, instead (a part with a LIMIT of 0
    /// reads nothing).
    fn windowed(
        &self,
        user: &UserId,
        window: u64,
        select: &str,
        (extra, extra_values): (String, Vec<Value>),
        need: u64,
    ) -> (String, Vec<Value>) {
        let walk = Plan {
            lead: Lead::Owner,
            ..Plan::default()
        };
        let (walked, walked_values) = self.conditions(user, &walk);
        let led = Plan {
            lead: Lead::Matches,
            ..Plan::default()
        };
        let (matches, matches_values) = self.conditions(user, &led);
        let need = Value::Integer(i64::try_from(need).unwrap_or(i64::MAX));
        // The window is the latest of the interactions the kind and date filters keep.
        let (mut kept, mut kept_values) = (vec![], vec![]);
        self.filters("i", &mut kept, &mut kept_values);
        let kept: String = kept.iter().map(|c| format!(" AND {c}")).collect();
        let mut values = walked_values;
        values.extend(extra_values.iter().cloned());
        values.push(user.into());
        values.extend(kept_values);
        values.extend(extra_values.iter().cloned());
        values.push(Value::Integer(
            i64::try_from(window.saturating_sub(1)).unwrap_or(i64::MAX),
        ));
        values.push(need.clone());
        values.extend([need.clone(), need.clone()]);
        values.extend(matches_values);
        values.extend(extra_values);
        values.extend([need.clone(), need]);
        let filled = "(SELECT count(*) FROM walked) >= ?";
        (
            format!(
                "WITH walked AS MATERIALIZED (SELECT i.rowid AS r FROM interaction i \
                   WHERE {walked}{extra} AND i.date >= coalesce((SELECT i.date \
                     FROM interaction i WHERE i.user_id = ?{kept}{extra} ORDER BY {LOG_ORDER} \
                     LIMIT 1 OFFSET +?), -9223372036854775808) \
                   ORDER BY {LOG_ORDER} LIMIT +?) \
                 SELECT * FROM ({select} WHERE i.rowid IN (SELECT r FROM walked) \
                   ORDER BY {LOG_ORDER} LIMIT CASE WHEN {filled} THEN ? ELSE 0 END) \
                 UNION ALL \
                 SELECT * FROM ({select} WHERE {matches}{extra} \
                   ORDER BY {LOG_ORDER} LIMIT CASE WHEN {filled} THEN 0 ELSE ? END)"
            ),
            values,
        )
    }
}

/// The fewest of the owner's latest interactions a single common word's page is looked for
/// among, in the log's order, before its matches are read instead ([`Plan::window`]).
const RECENT: u64 = 2_000;

/// Rows of the log read in order, at most, for each row a common word's page shows: a word
/// that one note in this many holds fills its page within the window.
const WALKED_PER_ROW: u64 = 40;

/// The rowids of the interactions whose notes match every word (the FTS query `?`) or whose
/// contact (the owner's, `?`) has a name that matches any (`?`): every row that can match a
/// search, and few when its words are rare or together.
const MATCHING_ROWIDS: &str = "SELECT rowid FROM interaction_fts WHERE interaction_fts MATCH ? \
     UNION ALL SELECT rowid FROM interaction WHERE contact_id IN (SELECT id FROM contact \
       WHERE +user_id = ? AND rowid IN (SELECT rowid >> 2 FROM contact_fts \
         WHERE contact_fts MATCH ?))";

/// What a read of the log starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Lead {
    /// The owner's `(user_id, date, …)` index in the log's order, each row tested until the
    /// page is full: a log without text, words too short for the index, or a single common
    /// word (whose matches fill a page within a few rows).
    #[default]
    Owner,
    /// The rows that can match ([`MATCHING_ROWIDS`]), looked up by rowid and sorted: a text
    /// search that is not a single common word.
    Matches,
}

/// How a text search reads the log, chosen by [`InteractionRepo::plan`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Plan {
    lead: Lead,
    /// At least this many rows match (a single common word: the query's count limit), so
    /// counting them is not needed.
    at_least: Option<u64>,
    /// A common word (led by the owner's index): the page is looked for among the owner's
    /// latest this many interactions at most — a statement that reads no further — and, only
    /// when it does not fill there (a word common in older notes only), from the word's
    /// matches, sorted, in the same statement.
    window: Option<u64>,
    /// Words too short for the index: only the owner's latest this many interactions are
    /// looked through ([`InteractionQuery::searched_window`]).
    recent: Option<u64>,
}

#[derive(Clone, Copy)]
pub struct InteractionRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> InteractionRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        InteractionRepo { ex: ex.into() }
    }

    /// Logs an interaction with the user's contact `contact_id` and refreshes the contact's
    /// `last_contacted`.
    pub async fn create(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewInteraction,
    ) -> Result<Interaction> {
        let tx = self.ex.begin_write().await?;
        let interaction = tx
            .interactions()
            .insert_at(user, contact_id, new, Stamps::now())
            .await?;
        contact::refresh_last_contacted(&tx, contact_id).await?;
        tx.commit().await?;
        Ok(interaction)
    }

    /// Stores an interaction with the given times and leaves the contact's `last_contacted`
    /// to the caller (a restore keeps the one of its backup).
    pub async fn insert_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewInteraction,
        stamps: Stamps,
    ) -> Result<Interaction> {
        let (_, stmt) = insert_statement(user, contact_id, new, stamps)?;
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("{} RETURNING {COLUMNS}", stmt.sql),
            stmt.values,
            Interaction::from_row,
        )
        .await
        .map_err(not_owned)?
        .ok_or(Error::NotFound)
    }

    /// [`Self::insert_at`] for bulk writes (the demo seed, a restore): the same statement
    /// without `RETURNING`, deferred inside a unit of work (on a server it goes with hundreds
    /// of others in one request). Answers the new interaction's id. A contact that is not the
    /// user's fails the unit of work (a NOT NULL error, at the latest at its commit) instead
    /// of answering `NotFound` here.
    pub async fn insert_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewInteraction,
        stamps: Stamps,
    ) -> Result<InteractionId> {
        let (id, stmt) = insert_statement(user, contact_id, new, stamps)?;
        self.ex.defer(stmt).await?;
        Ok(id)
    }

    /// The one way an interaction is logged, by the web form, the API and the CLI alike:
    /// stores it, refreshes the contact's `last_contacted`, completes the contact's open
    /// follow-ups among `plan.complete` and schedules `plan.next`, in one unit of work (the
    /// caller's, or one of its own): all of it or nothing. The API and the CLI pass
    /// [`FollowUpPlan::default`].
    pub async fn log(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewInteraction,
        plan: &FollowUpPlan,
    ) -> Result<LoggedInteraction> {
        let tx = self.ex.begin_write().await?;
        let interaction = tx.interactions().create(user, contact_id, new).await?;
        let completed =
            follow_up::complete_open_of_contact(&tx, contact_id, &plan.complete).await?;
        let scheduled = match &plan.next {
            Some(next) => Some(tx.follow_ups().create(user, contact_id, next).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(LoggedInteraction {
            interaction,
            completed,
            scheduled,
        })
    }

    pub async fn get(&self, user: &UserId, id: &InteractionId) -> Result<Interaction> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "SELECT {} FROM interaction i WHERE i.id = ?1 AND i.user_id = ?2",
                qualified("i", COLUMNS)
            ),
            params![id, user],
            Interaction::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Replaces the type, date and notes, and refreshes the contact's `last_contacted`.
    pub async fn update(
        &self,
        user: &UserId,
        id: &InteractionId,
        new: &NewInteraction,
    ) -> Result<Interaction> {
        let tx = self.ex.begin_write().await?;
        let interaction = query_one(
            &tx,
            &format!(
                "UPDATE interaction SET type = ?3, date = ?4, notes = ?5, updated_at = ?6 \
                 WHERE id = ?1 AND user_id = ?2 RETURNING {COLUMNS}"
            ),
            params![
                id,
                user,
                new.kind.as_str(),
                new.date.timestamp(),
                new.notes.clone(),
                now().timestamp()
            ],
            Interaction::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        contact::refresh_last_contacted(&tx, &interaction.contact_id).await?;
        tx.commit().await?;
        Ok(interaction)
    }

    /// Deletes the interaction; the contact's `last_contacted` falls back to the latest one
    /// left (or none).
    pub async fn delete(&self, user: &UserId, id: &InteractionId) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        let contact_id = query_one(
            &tx,
            "DELETE FROM interaction \
             WHERE id = ?1 AND user_id = ?2 RETURNING contact_id",
            params![id, user],
            |row| Ok(ContactId::from(row.get::<String>(0)?)),
        )
        .await?
        .ok_or(Error::NotFound)?;
        contact::refresh_last_contacted(&tx, &contact_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every interaction of the user's contact, oldest first (a backup).
    pub async fn all_for_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
    ) -> Result<Vec<Interaction>> {
        let tx = self.ex.begin_read().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let interactions = query_all(
            &tx,
            &format!("SELECT {COLUMNS} FROM interaction WHERE contact_id = ?1 ORDER BY date, id"),
            [contact_id],
            Interaction::from_row,
        )
        .await?;
        tx.commit().await?;
        Ok(interactions)
    }

    /// A page of one contact's interactions, latest first, and how many there are in all
    /// (the kept count: one row, however long the contact's history; counted only for a
    /// contact none of whose interactions was written since the count was added).
    pub fn list_for_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        limit: u32,
        offset: u64,
    ) -> Query<'e, (Vec<Interaction>, u64)> {
        let total = Query::count(
            self.ex,
            "SELECT coalesce((SELECT total FROM interaction_count WHERE contact_id = ?1), \
             (SELECT count(*) FROM interaction WHERE contact_id = ?1))",
            [contact_id],
        );
        let interactions = Query::all(
            self.ex,
            format!(
                "SELECT {COLUMNS} FROM interaction WHERE contact_id = ?1 \
                 ORDER BY date DESC, created_at DESC, id DESC LIMIT +?2 OFFSET +?3"
            ),
            params![contact_id, page_limit(limit), page_offset(offset)],
            Interaction::from_row,
        );
        contact::owned(self.ex, user, contact_id)
            .and(interactions.and(total))
            .map(|((), page)| page)
    }

    /// How to read a text search: led by its matches, unless it is a single word of ASCII
    /// characters that matches at least the query's count limit of the owner's notes (or of
    /// the interactions with contacts of that name) of the kind and dates asked for — one
    /// statement counts both up to that limit (the trigram indexes in rowid order, each match
    /// looked up by rowid: neighbouring rows), only for such a query. A common word's page is
    /// then read in the log's order within a window of the latest of that kind and those dates
    /// ([`Plan::window`]), and its total is "at least" the limit, not counted again.
    async fn plan(&self, user: &UserId, query: &InteractionQuery) -> Result<Plan> {
        if let Some(window) = query.searched_window() {
            return Ok(Plan {
                recent: Some(window),
                ..Plan::default()
            });
        }
        let words = query.words();
        let single = match words.as_slice() {
            [word] => word.ascii_lowercase().map(|_| word),
            _ => None,
        };
        let Some(word) = single else {
            let long = words.iter().any(|w| w.fts(None).is_some());
            return Ok(Plan {
                lead: if long { Lead::Matches } else { Lead::Owner },
                ..Plan::default()
            });
        };
        let cap = query.count_limit();
        let notes = word.fts(None).unwrap_or_default();
        let name = word.fts(Some("name")).unwrap_or_default();
        // Counted among the interactions the kind and date filters keep.
        let (mut kept, mut kept_values) = (vec![], vec![]);
        query.filters("i", &mut kept, &mut kept_values);
        let kept: String = kept.iter().map(|c| format!(" AND {c}")).collect();
        let names = "i.contact_id IN (SELECT id FROM contact WHERE +user_id = ? AND rowid IN \
                       (SELECT rowid >> 2 FROM contact_fts WHERE contact_fts MATCH ?))";
        // The names are counted only when the notes do not reach the limit.
        let sql = format!(
            "SELECT CASE WHEN notes >= {cap} THEN notes ELSE \
               (SELECT count(*) FROM (SELECT 1 FROM interaction i WHERE {names}{kept} \
                 LIMIT {cap})) END \
             FROM (SELECT (SELECT count(*) FROM (SELECT 1 FROM interaction_fts f \
                 CROSS JOIN interaction i ON i.rowid = f.rowid \
                 WHERE f.interaction_fts MATCH ? AND i.user_id = ?{kept} LIMIT {cap})) AS notes)"
        );
        let mut values: Vec<Value> = vec![user.into(), Value::Text(name)];
        values.extend(kept_values.iter().cloned());
        values.extend([Value::Text(notes), user.into()]);
        values.extend(kept_values);
        let most = query_one(
            &self.ex.conn().await?,
            &sql,
            params_from_iter(values),
            |row| Ok(row.get::<i64>(0)?),
        )
        .await?
        .unwrap_or_default();
        let per_page = u64::from(query.per_page.clamp(1, MAX_PER_PAGE));
        let rows = u64::from(query.page.max(1)) * per_page;
        Ok(if u64::try_from(most).unwrap_or(0) >= cap {
            Plan {
                lead: Lead::Owner,
                at_least: Some(cap),
                window: Some(RECENT.max(rows.saturating_mul(WALKED_PER_ROW))),
                recent: None,
            }
        } else {
            Plan {
                lead: Lead::Matches,
                ..Plan::default()
            }
        })
    }

    /// A page of the user's interactions that match `query`, latest first, with the number
    /// that match in all (up to [`InteractionQuery::count_limit`]).
    pub async fn search(
        &self,
        user: &UserId,
        query: &InteractionQuery,
    ) -> Result<(Vec<InteractionWithContact>, u64)> {
        self.planned(user, query).await?.await
    }

    /// The reads of [`InteractionRepo::search`], once a text search has asked how common its
    /// words are ([`Plan`]).
    pub async fn planned(
        &self,
        user: &UserId,
        query: &InteractionQuery,
    ) -> Result<Query<'e, (Vec<InteractionWithContact>, u64)>> {
        let plan = self.plan(user, query).await?;
        Ok(self.read(user, query, &plan))
    }

    /// The latest of the user's interactions that match `query`, a query without text
    /// (nothing to plan), without their total: the dashboard's "recent", to batch with other
    /// reads.
    pub fn latest(
        &self,
        user: &UserId,
        query: &InteractionQuery,
    ) -> Query<'e, Vec<InteractionWithContact>> {
        let (condition, mut values) = query.conditions(user, &Plan::default());
        values.push(Value::Integer(page_limit(query.per_page)));
        Query::all(
            self.ex,
            format!(
                "SELECT {}, c.name FROM interaction i JOIN contact c ON c.id = i.contact_id \
                 WHERE {condition} ORDER BY i.date DESC, i.created_at DESC, i.id DESC LIMIT +?",
                qualified("i", COLUMNS)
            ),
            params_from_iter(values),
            InteractionWithContact::from_row,
        )
    }

    fn read(
        &self,
        user: &UserId,
        query: &InteractionQuery,
        plan: &Plan,
    ) -> Query<'e, (Vec<InteractionWithContact>, u64)> {
        let (condition, mut values) = query.conditions(user, plan);
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
        let offset = u64::from(query.page.max(1) - 1) * u64::from(per_page);
        let total = match plan.at_least {
            Some(at_least) => Query::ready(self.ex, at_least),
            None => Query::count_up_to(
                self.ex,
                format!("SELECT 1 FROM interaction i WHERE {condition}"),
                params_from_iter(values.clone()),
                query.count_limit(),
            ),
        };
        let select = format!(
            "SELECT {}, c.name FROM interaction i JOIN contact c ON c.id = i.contact_id",
            qualified("i", COLUMNS)
        );
        let sql = match plan.window {
            Some(window) => {
                let need = offset + u64::from(per_page);
                let (sql, more) =
                    query.windowed(user, window, &select, (String::new(), vec![]), need);
                values = more;
                format!("{sql} LIMIT +? OFFSET +?")
            }
            None => format!("{select} WHERE {condition} ORDER BY {LOG_ORDER} LIMIT +? OFFSET +?"),
        };
        values.push(Value::Integer(page_limit(per_page)));
        values.push(Value::Integer(page_offset(offset)));
        let interactions = Query::all(
            self.ex,
            sql,
            params_from_iter(values),
            InteractionWithContact::from_row,
        );
        interactions.and(total)
    }

    /// Up to `limit` of the user's interactions that match `query` (its page is ignored),
    /// optionally only those with `contact_id`, latest first, starting after `after`; the
    /// flag says whether more follow. Keyset paging over `(date, created_at, id)`.
    pub async fn search_after(
        &self,
        user: &UserId,
        query: &InteractionQuery,
        contact_id: Option<&ContactId>,
        after: Option<&InteractionCursor>,
        limit: u32,
    ) -> Result<(Vec<Interaction>, bool)> {
        let limit = limit.clamp(1, MAX_PER_PAGE);
        let plan = self
            .plan(
                user,
                &InteractionQuery {
                    page: 1,
                    per_page: limit,
                    ..query.clone()
                },
            )
            .await?;
        let (mut extra, mut extra_values) = (String::new(), vec![]);
        if let Some(contact_id) = contact_id {
            extra.push_str(" AND i.contact_id = ?");
            extra_values.push(contact_id.into());
        }
        if let Some(after) = after {
            extra.push_str(" AND (i.date, i.created_at, i.id) < (?, ?, ?)");
            extra_values.push(Value::Integer(after.date));
            extra_values.push(Value::Integer(after.created_at));
            extra_values.push(Value::Text(after.id.clone()));
        }
        let select = format!("SELECT {} FROM interaction i", qualified("i", COLUMNS));
        let need = u64::from(limit) + 1;
        let (sql, values) = match plan.window {
            Some(window) => query.windowed(user, window, &select, (extra, extra_values), need),
            None => {
                let (condition, mut values) = query.conditions_of(user, &plan, contact_id);
                values.extend(extra_values);
                values.push(Value::Integer(i64::from(limit) + 1));
                (
                    format!("{select} WHERE {condition}{extra} ORDER BY {LOG_ORDER} LIMIT +?"),
                    values,
                )
            }
        };
        let conn = self.ex.conn().await?;
        let mut interactions =
            query_all(&conn, &sql, params_from_iter(values), Interaction::from_row).await?;
        let more = interactions.len() > limit as usize;
        interactions.truncate(limit as usize);
        Ok((interactions, more))
    }

    /// How many of the user's interactions match `query` (its page is ignored), a query
    /// without text (the dashboard's month), counted up to `limit`.
    pub fn count(&self, user: &UserId, query: &InteractionQuery, limit: u64) -> Query<'e, u64> {
        let (condition, values) = query.conditions(user, &Plan::default());
        Query::count_up_to(
            self.ex,
            format!("SELECT 1 FROM interaction i WHERE {condition}"),
            params_from_iter(values),
            limit,
        )
    }
}

/// The sort keys of an interaction, where the next page of a keyset listing starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InteractionCursor {
    pub date: i64,
    pub created_at: i64,
    pub id: String,
}

impl InteractionCursor {
    pub fn after(interaction: &Interaction) -> Self {
        InteractionCursor {
            date: interaction.date.timestamp(),
            created_at: interaction.created_at.timestamp(),
            id: interaction.id.as_str().to_string(),
        }
    }
}

/// What logging an interaction does to the contact's follow-ups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpPlan {
    /// Follow-ups to mark done (those that are not the contact's open ones are ignored).
    pub complete: Vec<FollowUpId>,
    /// The next follow-up to schedule.
    pub next: Option<NewFollowUp>,
}

/// An interaction logged with [`InteractionRepo::log_with_follow_ups`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedInteraction {
    pub interaction: Interaction,
    /// How many follow-ups it completed.
    pub completed: u64,
    pub scheduled: Option<FollowUp>,
}

fn page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PER_PAGE))
}

fn page_offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// The one INSERT of the table (without `RETURNING`): only for the user's own contact, whose
/// id a subquery yields (NULL otherwise, which the NOT NULL column refuses).
fn insert_statement(
    user: &UserId,
    contact_id: &ContactId,
    new: &NewInteraction,
    stamps: Stamps,
) -> Result<(InteractionId, Stmt)> {
    let id = InteractionId::generate();
    let stmt = Stmt::new(
        "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at, \
         user_id) VALUES (?1, (SELECT id FROM contact WHERE id = ?2 AND user_id = ?8), \
         ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            &id,
            contact_id,
            new.kind.as_str(),
            new.date.timestamp(),
            new.notes.clone(),
            stamps.created_at.timestamp(),
            stamps.updated_at.timestamp(),
            user
        ],
    )?;
    Ok((id, stmt))
}

/// A contact that is not the user's is `NotFound`.
fn not_owned(e: Error) -> Error {
    if e.is_not_null_violation("interaction.contact_id") {
        Error::NotFound
    } else {
        e
    }
}

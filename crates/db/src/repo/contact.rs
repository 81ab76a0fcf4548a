//! Contacts: the `contact` table, its listing (search, filters, sort, pages) and bulk actions.

use chrono::{DateTime, NaiveDate, Utc};
use libsql::{params, params_from_iter, Row, Value};

use super::user::UserId;
use super::{query_all, query_one, Runner};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::{Query, Stmt};
use crate::row::{date_to_secs, id_type, now, Reader, Stamps, Unreadable};
use crate::validate::{self, Birthday, ContactName, MAX_SHORT_TEXT};

id_type!(
    /// The id of a `contact` row.
    ContactId
);

/// `contact.status`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatus {
    #[default]
    Active,
    Archived,
}

impl ContactStatus {
    pub const ALL: [ContactStatus; 2] = [ContactStatus::Active, ContactStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Active => "active",
            ContactStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "active" => Ok(ContactStatus::Active),
            "archived" => Ok(ContactStatus::Archived),
            _ => Err("must be active or archived".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: ContactId,
    pub user_id: UserId,
    pub name: String,
    pub relationship: Option<String>,
    /// A birthday whose year is unknown (a vCard's `--MM-DD`) has the year 1904: it is shown
    /// and exported without a year, and the person's age is not known.
    pub birthday: Option<NaiveDate>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub vip: bool,
    pub last_update: DateTime<Utc>,
    pub last_contacted: Option<DateTime<Utc>>,
    pub status: ContactStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Free notes about the person.
    pub notes: Option<String>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

/// The searched texts of a contact as `contact_user_search_idx` stores them (see schema.sql).
pub const SEARCH_TEXT: &str = "lower(name || char(31) || coalesce(industry, '') || char(31) || \
     coalesce(location, '') || char(31) || coalesce(relationship, ''))";

/// A search as typed: its words, matched in any order, each anywhere in any searched field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Search {
    words: Vec<String>,
}

/// The rowids of the contacts one of whose rows in `contact_fts` matches `?` (a contact's rows
/// are at 4 × its rowid + 0…3: see schema.sql).
pub(crate) const CONTACTS_MATCHING: &str =
    "SELECT rowid >> 2 FROM contact_fts WHERE contact_fts MATCH ?";

/// Where the total of a text search's page stops counting: [`crate::SEARCH_COUNT_LIMIT`] on
/// the first pages ("200+"), else the next multiple of it past the page's last row, so that a
/// total that stopped ("at least") always counts the page after this one: the pager's next
/// page is there while matches remain, however deep. Counting costs about as many reads as
/// the rows shown up to this page, never the whole set of matches.
pub fn search_count_limit(page: u32, per_page: u32) -> u64 {
    let step = crate::SEARCH_COUNT_LIMIT;
    let past = u64::from(page.max(1)) * u64::from(per_page.clamp(1, MAX_PER_PAGE)) + 1;
    past.div_ceil(step) * step
}

/// Words of a search past this many are ignored.
const MAX_SEARCH_WORDS: usize = 8;
/// The shortest word a trigram index can find.
const TRIGRAM: usize = 3;

impl Search {
    /// The words of `text` (control characters dropped); `None` when there are none.
    pub(crate) fn parse(text: &str) -> Option<Search> {
        let words: Vec<String> = text
            .replace(char::is_control, " ")
            .split_whitespace()
            .take(MAX_SEARCH_WORDS)
            .map(str::to_string)
            .collect();
        (!words.is_empty()).then_some(Search { words })
    }

    /// An FTS5 query that every long word must match (each a quoted string, so no word is
    /// read as an operator), within `column` when given; `None` without long words.
    pub(crate) fn fts(&self, column: Option<&str>) -> Option<String> {
        let phrases: Vec<String> = self
            .words
            .iter()
            .filter(|w| w.chars().count() >= TRIGRAM)
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        if phrases.is_empty() {
            return None;
        }
        let all = phrases.join(" AND ");
        Some(match column {
            Some(column) => format!("{column} : ({all})"),
            None => all,
        })
    }

    /// Each word as a search of its own.
    pub(crate) fn each(&self) -> impl Iterator<Item = Search> + '_ {
        self.words.iter().map(|w| Search {
            words: vec![w.clone()],
        })
    }

    /// The words, separated by spaces.
    pub(crate) fn words(&self) -> String {
        self.words.join(" ")
    }

    /// The words in lower case when they are all of ASCII characters and long enough for the
    /// trigram index: then `instr` over an ASCII text's lower case finds what the index finds.
    pub(crate) fn ascii_lowercase(&self) -> Option<String> {
        let words = self.words();
        (words.is_ascii() && self.short_words().next().is_none())
            .then(|| words.to_ascii_lowercase())
    }

    /// The words too short for the trigram index.
    pub(crate) fn short_words(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .filter(|w| w.chars().count() < TRIGRAM)
            .map(String::as_str)
    }
}

/// The columns a contact write sets from a [`NewContact`], in the order of its values.
const WRITTEN: &str = "name, relationship, birthday, industry, location, vip, status, notes";

pub(crate) const COLUMNS: &str = "id, user_id, name, relationship, birthday, industry, location, \
     vip, last_update, last_contacted, status, created_at, updated_at, notes";

impl Contact {
    pub(crate) fn from_row(row: &Row) -> Result<Self> {
        Self::read(&mut Reader::new(row))
    }

    /// The one decoder of a `contact` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("contact")?;
        let id = ContactId::from(c.key());
        let contact = Contact {
            id,
            user_id: UserId::from(c.text("user_id")?),
            name: c.text("name")?,
            relationship: c.opt_text("relationship")?,
            birthday: c.opt_date("birthday")?,
            industry: c.opt_text("industry")?,
            location: c.opt_text("location")?,
            vip: c.flag("vip")?,
            last_update: c.timestamp("last_update")?,
            last_contacted: c.opt_timestamp("last_contacted")?,
            status: c.parsed("status", ContactStatus::parse, ContactStatus::Active)?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            notes: c.opt_text("notes")?,
            unreadable: Unreadable::default(),
        };
        Ok(Contact {
            unreadable: c.finish(),
            ..contact
        })
    }
}

/// A contact to insert, or the new values of an existing one: built only by
/// [`ContactInput::parse`], so every value in it has passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    name: ContactName,
    relationship: Option<String>,
    birthday: Option<Birthday>,
    industry: Option<String>,
    location: Option<String>,
    vip: bool,
    status: ContactStatus,
    notes: Option<String>,
}

impl NewContact {
    pub fn name(&self) -> &ContactName {
        &self.name
    }
    pub fn relationship(&self) -> Option<&str> {
        self.relationship.as_deref()
    }
    pub fn birthday(&self) -> Option<NaiveDate> {
        self.birthday.map(Birthday::date)
    }
    pub fn industry(&self) -> Option<&str> {
        self.industry.as_deref()
    }
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
    pub fn vip(&self) -> bool {
        self.vip
    }
    pub fn status(&self) -> ContactStatus {
        self.status
    }
    pub fn notes(&self) -> Option<&str> {
        self.notes.as_deref()
    }

    /// The values of the columns a write sets, in the order of [`WRITTEN`].
    fn values(&self) -> [Value; 8] {
        [
            Value::Text(self.name.as_str().to_string()),
            self.relationship.clone().into(),
            self.birthday().map(date_to_secs).into(),
            self.industry.clone().into(),
            self.location.clone().into(),
            Value::Integer(i64::from(self.vip)),
            Value::Text(self.status.as_str().to_string()),
            self.notes.clone().into(),
        ]
    }

    /// Fills what this one lacks from `other` (two records of one file for the same person).
    pub fn fill_blanks_from(&mut self, other: &NewContact) {
        use super::contact_info::fill;
        fill(&mut self.relationship, &other.relationship);
        fill(&mut self.birthday, &other.birthday);
        fill(&mut self.industry, &other.industry);
        fill(&mut self.location, &other.location);
        fill(&mut self.notes, &other.notes);
        self.vip |= other.vip;
    }
}

/// When a stored contact was made and changed: now for a new one, the original times for a
/// restored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactStamps {
    pub row: Stamps,
    pub last_update: DateTime<Utc>,
    pub last_contacted: Option<DateTime<Utc>>,
}

impl ContactStamps {
    pub fn now() -> Self {
        let at = now();
        ContactStamps {
            row: Stamps::at(at),
            last_update: at,
            last_contacted: None,
        }
    }
}

/// A contact as typed into a form or sent as JSON: text everywhere.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub relationship: Option<String>,
    /// `YYYY-MM-DD`; the year 1904 means the year is unknown.
    pub birthday: Option<String>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub vip: bool,
    pub status: Option<String>,
    /// Free notes about the person.
    pub notes: Option<String>,
}

impl ContactInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewContact> {
        let mut errors = ValidationErrors::new();
        let name = errors.take("name", ContactName::parse(&self.name));
        let mut text = |field, value: &Option<String>| {
            errors
                .take(
                    field,
                    validate::optional_text(value.as_deref(), MAX_SHORT_TEXT),
                )
                .flatten()
        };
        let relationship = text("relationship", &self.relationship);
        let industry = text("industry", &self.industry);
        let location = text("location", &self.location);
        let notes = errors
            .take(
                "notes",
                validate::optional_text(self.notes.as_deref(), validate::MAX_LONG_TEXT),
            )
            .flatten();
        let birthday = match self.birthday.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => errors.take("birthday", Birthday::parse(raw)),
        };
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => Some(ContactStatus::Active),
            Some(raw) => errors.take("status", ContactStatus::parse(raw)),
        };
        errors.into_result()?;
        match (name, status) {
            (Some(name), Some(status)) => Ok(NewContact {
                name,
                relationship,
                birthday,
                industry,
                location,
                vip: self.vip,
                status,
                notes,
            }),
            // into_result() returned the errors of both.
            _ => Err(Error::validation("name", "is required")),
        }
    }
}

/// A word of the contact list's vocabulary, for interfaces that read any of them.
pub trait ListWord: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == raw.trim())
    }
}

/// Declares a closed set of words of the contact list's vocabulary (URL parameters of the
/// page, query parameters of the API, flags of the CLI), written once.
macro_rules! list_word {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl ListWord for $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                ListWord::as_str(self)
            }

            /// The value a word names; `None` for anything else.
            pub fn parse(raw: &str) -> Option<Self> {
                ListWord::parse(raw)
            }
        }
    };
}

list_word!(
    /// Which contacts a list shows.
    ContactFilter {
        #[default]
        All => "all",
        Vip => "vip",
        Active => "active",
        Archived => "archived",
    }
);

list_word!(
    /// What a contact list is ordered by.
    ContactSort {
        #[default]
        Name => "name",
        LastContacted => "last_contacted",
        Created => "created",
    }
);

list_word!(
    SortDirection {
        #[default]
        Asc => "asc",
        Desc => "desc",
    }
);

impl ContactSort {
    /// Names read A→Z; dates newest first.
    pub fn default_direction(self) -> SortDirection {
        match self {
            ContactSort::Name => SortDirection::Asc,
            ContactSort::LastContacted | ContactSort::Created => SortDirection::Desc,
        }
    }
}

/// A contact list request. Pages count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactQuery {
    /// Words in any order, each anywhere in the name, relationship, industry, location,
    /// company, e-mail, phone, chat app, social links or tags; case- and accent-insensitive
    /// (words of one or two characters: ASCII case only, over the first four).
    pub search: Option<String>,
    pub filter: ContactFilter,
    /// Exact (case-insensitive) industry.
    pub industry: Option<String>,
    /// Exact (case-insensitive) relationship.
    pub relationship: Option<String>,
    /// Tag names (case-insensitive): the contacts that carry every one of them. A name the
    /// user has no tag of matches nothing.
    pub tags: Vec<String>,
    pub sort: ContactSort,
    pub direction: SortDirection,
    pub page: u32,
    pub per_page: u32,
}

impl Default for ContactQuery {
    fn default() -> Self {
        ContactQuery {
            search: None,
            filter: ContactFilter::All,
            industry: None,
            relationship: None,
            tags: Vec::new(),
            sort: ContactSort::Name,
            direction: SortDirection::Asc,
            page: 1,
            per_page: 50,
        }
    }
}

impl ContactQuery {
    /// The tag filter's names, trimmed, blanks and repeats (ignoring case) left out.
    pub fn tag_names(&self) -> impl Iterator<Item = &str> {
        let mut seen: Vec<String> = Vec::new();
        self.tags.iter().map(|t| t.trim()).filter(move |t| {
            let key = t.to_lowercase();
            if t.is_empty() || seen.contains(&key) {
                return false;
            }
            seen.push(key);
            true
        })
    }

    /// The list ordered by `sort`, in `direction` or, when none is asked for, the sort's
    /// own default direction.
    pub fn ordered(mut self, sort: ContactSort, direction: Option<SortDirection>) -> Self {
        self.sort = sort;
        self.direction = direction.unwrap_or_else(|| sort.default_direction());
        self
    }

    /// The order a keyset cursor belongs to: a cursor of another order is refused.
    pub fn order_key(&self) -> String {
        format!(
            "contacts:{}:{}",
            self.sort.as_str(),
            self.direction.as_str()
        )
    }
}

pub const MAX_PER_PAGE: u32 = 500;

/// One page of a contact list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPage {
    pub contacts: Vec<Contact>,
    pub total: u64,
    /// Where counting stopped (a total equal to it reads "at least"): [`crate::COUNT_LIMIT`],
    /// [`search_count_limit`] for a text search, 0 for a kept count (exact at any size).
    pub count_limit: u64,
    pub page: u32,
    pub per_page: u32,
}

impl ContactPage {
    pub fn page_count(&self) -> u32 {
        let per = u64::from(self.per_page.max(1));
        u32::try_from(self.total.div_ceil(per))
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// What a bulk action does to each selected contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Archive,
    Unarchive,
    MarkVip,
    UnmarkVip,
    Delete,
}

#[derive(Clone, Copy)]
pub struct ContactRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ContactRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ContactRepo { ex: ex.into() }
    }

    pub async fn create(&self, user: &UserId, new: &NewContact) -> Result<Contact> {
        self.insert(user, new, ContactStamps::now()).await
    }

    /// Inserts a contact with the given times (a restore keeps the original ones).
    pub async fn insert(
        &self,
        user: &UserId,
        new: &NewContact,
        stamps: ContactStamps,
    ) -> Result<Contact> {
        let (_, stmt) = insert_statement(user, new, stamps)?;
        let conn = self.ex.conn().await?;
        // The violation surfaces at the first `next()` on a local file, so the mapping covers
        // the whole statement (`query_one`), not only `query()`.
        query_one(
            &conn,
            &format!("{} RETURNING {COLUMNS}", stmt.sql),
            stmt.values,
            Contact::from_row,
        )
        .await
        .map_err(|e| {
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e
            }
        })?
        .ok_or(Error::NotFound)
    }

    /// [`Self::insert`] for bulk writes (the demo seed, an import, a restore): the same
    /// statement without `RETURNING`, deferred inside a unit of work ([`Tx::defer`]: on a
    /// server it goes with hundreds of others in one request). Answers the new contact's id.
    /// A user that does not exist fails the unit of work (a foreign key error, at the latest
    /// at its commit), instead of answering `NotFound` here.
    ///
    /// [`Tx::defer`]: crate::Tx
    pub async fn insert_deferred(
        &self,
        user: &UserId,
        new: &NewContact,
        stamps: ContactStamps,
    ) -> Result<ContactId> {
        let (id, stmt) = insert_statement(user, new, stamps)?;
        self.ex.defer(stmt).await?;
        Ok(id)
    }

    pub fn get(&self, user: &UserId, id: &ContactId) -> Query<'e, Contact> {
        Query::one(
            self.ex,
            select_owned(),
            params![id, user],
            Contact::from_row,
        )
        .and_then(|found| found.ok_or(Error::NotFound))
    }

    /// Replaces every editable field.
    pub async fn update(&self, user: &UserId, id: &ContactId, new: &NewContact) -> Result<Contact> {
        let conn = self.ex.conn().await?;
        let at = now().timestamp();
        query_one(
            &conn,
            &format!(
                "UPDATE contact SET ({WRITTEN}) = (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10), \
                 last_update = ?11, updated_at = ?11 \
                 WHERE id = ?1 AND user_id = ?2 RETURNING {COLUMNS}"
            ),
            params_from_iter(
                [id.into(), user.into()]
                    .into_iter()
                    .chain(new.values())
                    .chain([Value::Integer(at)]),
            ),
            Contact::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Fills the blanks of the user's contact `id` from `new`, never overwriting a value; VIP
    /// when `new` is (an import's merge).
    pub async fn fill_blanks(&self, user: &UserId, id: &ContactId, new: &NewContact) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE contact SET relationship = coalesce(relationship, ?3), \
                 birthday = coalesce(birthday, ?4), industry = coalesce(industry, ?5), \
                 location = coalesce(location, ?6), vip = max(vip, ?7), \
                 last_update = ?8, updated_at = ?8, notes = coalesce(notes, ?9) \
                 WHERE id = ?1 AND user_id = ?2",
                params![
                    id,
                    user,
                    new.relationship.clone(),
                    new.birthday().map(date_to_secs),
                    new.industry.clone(),
                    new.location.clone(),
                    i64::from(new.vip),
                    now().timestamp(),
                    new.notes.clone()
                ],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Up to `limit` of the user's contacts in id order after `after` (a backup reads the
    /// whole account this way, a chunk at a time).
    pub async fn list_by_id(
        &self,
        user: &UserId,
        after: Option<&ContactId>,
        limit: u32,
    ) -> Result<Vec<Contact>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {COLUMNS} FROM contact WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT +?3"
            ),
            params![
                user,
                after.map(ContactId::as_str).unwrap_or_default(),
                i64::from(limit.clamp(1, MAX_PER_PAGE))
            ],
            Contact::from_row,
        )
        .await
    }

    pub async fn set_vip(&self, user: &UserId, id: &ContactId, vip: bool) -> Result<Contact> {
        self.set_column(user, id, "vip", Value::Integer(i64::from(vip)))
            .await
    }

    pub async fn set_status(
        &self,
        user: &UserId,
        id: &ContactId,
        status: ContactStatus,
    ) -> Result<Contact> {
        self.set_column(user, id, "status", Value::Text(status.as_str().into()))
            .await
    }

    /// `column` is one of the fixed names above, never input.
    async fn set_column(
        &self,
        user: &UserId,
        id: &ContactId,
        column: &'static str,
        value: Value,
    ) -> Result<Contact> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE contact SET {column} = ?3, last_update = ?4, updated_at = ?4 \
                 WHERE id = ?1 AND user_id = ?2 RETURNING {COLUMNS}"
            ),
            params![id, user, value, now().timestamp()],
            Contact::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Deletes the contact and, through the schema's cascades, its interactions, background,
    /// contact info, follow-ups and tags, in one transaction.
    pub async fn delete(&self, user: &UserId, id: &ContactId) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        let changed = tx
            .execute(
                "DELETE FROM contact WHERE id = ?1 AND user_id = ?2",
                params![id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Applies `action` to the user's contacts among `ids`, all or none; returns how many
    /// contacts it touched. Ids of other users' contacts are ignored.
    pub async fn bulk(&self, user: &UserId, ids: &[ContactId], action: BulkAction) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let tx = self.ex.begin_write().await?;
        let at = now().timestamp();
        let mut touched = 0;
        // Chunks keep each statement well under SQLite's parameter limit.
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let set = match action {
                BulkAction::Archive => Some("status = 'archived'"),
                BulkAction::Unarchive => Some("status = 'active'"),
                BulkAction::MarkVip => Some("vip = 1"),
                BulkAction::UnmarkVip => Some("vip = 0"),
                BulkAction::Delete => None,
            };
            let sql = match set {
                Some(set) => format!(
                    "UPDATE contact SET {set}, last_update = ?, updated_at = ? \
                     WHERE user_id = ? AND id IN ({placeholders})"
                ),
                None => format!("DELETE FROM contact WHERE user_id = ? AND id IN ({placeholders})"),
            };
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() + 3);
            if set.is_some() {
                values.push(Value::Integer(at));
                values.push(Value::Integer(at));
            }
            values.push(user.into());
            values.extend(chunk.iter().map(Value::from));
            touched += tx.execute(&sql, params_from_iter(values)).await?;
        }
        tx.commit().await?;
        Ok(touched)
    }

    /// One page of the user's contacts, with the total count of the whole list.
    pub fn list(&self, user: &UserId, query: &ContactQuery) -> Query<'e, ContactPage> {
        let (conditions, values) = list_conditions(user, query);
        let order = list_order(query);
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
        let page = query.page.max(1);
        let offset = u64::from(page - 1) * u64::from(per_page);
        let where_clause = conditions.join(" AND ");
        // The whole list or a tab of it: the kept counts; a search or a filter: counted, up to
        // COUNT_LIMIT.
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
        let unfiltered = query.search.as_deref().and_then(Search::parse).is_none()
            && blank(&query.industry)
            && blank(&query.relationship)
            && query.tag_names().next().is_none();
        // A text search counts its matches (each looked up) up to SEARCH_COUNT_LIMIT, or past
        // the rows of a page further on.
        let count_limit = if query.search.as_deref().and_then(Search::parse).is_some() {
            search_count_limit(page, per_page)
        } else {
            crate::COUNT_LIMIT
        };
        let kept = unfiltered.then_some(match query.filter {
            ContactFilter::All => "total",
            ContactFilter::Vip => "vip",
            ContactFilter::Active => "active",
            ContactFilter::Archived => "total - active",
        });
        // A search of short words only tests each contact's stored search text
        // (`contact_user_search_idx`).
        let short_only = query
            .search
            .as_deref()
            .and_then(Search::parse)
            .is_some_and(|s| s.each().all(|w| w.fts(None).is_none()));
        let total = match kept {
            Some(column) => Query::count(
                self.ex,
                format!(
                    "SELECT coalesce((SELECT {column} FROM contact_count WHERE user_id = ?1), 0)"
                ),
                [user],
            ),
            None => {
                // Counted from the index that holds the stored text, on every tab. With a
                // tab's filter the planner would rather walk the names index and build the
                // text again for every row, which costs three times as much and an
                // allocation per row.
                let from = if short_only {
                    "contact INDEXED BY contact_user_search_idx"
                } else {
                    "contact"
                };
                match query
                    .search
                    .as_deref()
                    .and_then(Search::parse)
                    .as_ref()
                    .and_then(OneWord::of)
                {
                    Some(word) => {
                        let (sql, values) = word.counted(user, query);
                        Query::count_up_to(self.ex, sql, params_from_iter(values), count_limit)
                    }
                    None => Query::count_up_to(
                        self.ex,
                        format!("SELECT 1 FROM {from} WHERE {where_clause}"),
                        params_from_iter(values.clone()),
                        count_limit,
                    ),
                }
            }
        };
        let search = query.search.as_deref().and_then(Search::parse);
        let limit = Value::Integer(i64::from(per_page));
        let offset = Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX));
        let (sql, page_values) = match search.as_ref().and_then(OneWord::of) {
            Some(word) => word.page(user, query, &order, limit, offset),
            None if short_only => {
                let lead = search.as_ref().and_then(|s| s.short_words().next());
                short_page(
                    &where_clause,
                    values,
                    (&order, query.sort == ContactSort::Name),
                    (limit, offset),
                    count_limit,
                    lead.unwrap_or_default(),
                )
            }
            None => {
                let mut page_values = values;
                // With a search, contacts whose name holds every word come first.
                let rank = match search.and_then(|s| s.fts(Some("name"))) {
                    Some(in_names) => {
                        page_values.push(Value::Text(in_names));
                        "rowid IN (SELECT rowid >> 2 FROM contact_fts WHERE contact_fts MATCH ?) \
                         DESC, "
                    }
                    None => "",
                };
                page_values.push(limit);
                page_values.push(offset);
                (
                    format!(
                        "SELECT {COLUMNS} FROM contact WHERE {where_clause} \
                         ORDER BY {rank}{order} LIMIT +? OFFSET +?"
                    ),
                    page_values,
                )
            }
        };
        let contacts = Query::all(
            self.ex,
            sql,
            params_from_iter(page_values),
            Contact::from_row,
        );
        contacts
            .and(total)
            .map(move |(contacts, total)| ContactPage {
                contacts,
                total,
                count_limit: if kept.is_some() { 0 } else { count_limit },
                page,
                per_page,
            })
    }

    /// Up to `limit` of the user's contacts matching `query` (its page is ignored), in its
    /// order, starting after `after`; the flag says whether more follow. Keyset paging: each
    /// page is one index range, however deep, and rows added or deleted meanwhile neither
    /// repeat nor skip others.
    pub async fn list_after(
        &self,
        user: &UserId,
        query: &ContactQuery,
        after: Option<&ContactCursor>,
        limit: u32,
    ) -> Result<(Vec<Contact>, bool)> {
        let (mut conditions, mut values) = list_conditions(user, query);
        if let Some(after) = after {
            let (condition, more) = after.condition(query.sort, query.direction);
            conditions.push(condition);
            values.extend(more);
        }
        let limit = limit.clamp(1, MAX_PER_PAGE);
        values.push(Value::Integer(i64::from(limit) + 1));
        let conn = self.ex.conn().await?;
        let mut contacts = query_all(
            &conn,
            &format!(
                "SELECT {COLUMNS} FROM contact WHERE {} ORDER BY {} LIMIT +?",
                conditions.join(" AND "),
                list_order(query)
            ),
            params_from_iter(values),
            Contact::from_row,
        )
        .await?;
        let more = contacts.len() > limit as usize;
        contacts.truncate(limit as usize);
        Ok((contacts, more))
    }

    /// The distinct non-empty values of `industry` or `relationship` among the user's
    /// contacts, for filter menus.
    pub fn distinct_values(&self, user: &UserId, field: DistinctField) -> Query<'e, Vec<String>> {
        let column = match field {
            DistinctField::Industry => "industry",
            DistinctField::Relationship => "relationship",
        };
        // A loose index scan: one seek per distinct value on the (user_id, column NOCASE)
        // index, instead of reading every one of the user's contacts on each list page.
        let sql = format!(
            "WITH RECURSIVE next(value) AS ( \
               SELECT min({column} COLLATE NOCASE) FROM contact \
                WHERE user_id = ?1 AND {column} > '' \
               UNION ALL \
               SELECT (SELECT min({column} COLLATE NOCASE) FROM contact \
                        WHERE user_id = ?1 AND {column} > next.value COLLATE NOCASE) \
                 FROM next WHERE next.value IS NOT NULL \
             ) SELECT value FROM next WHERE value IS NOT NULL"
        );
        Query::all(self.ex, sql, [user], |row| Reader::new(row).text())
    }

    /// The dashboard's figures for the user's contacts.
    pub fn counts(&self, user: &UserId) -> Query<'e, ContactCounts> {
        // Kept by triggers on `contact` (see schema.sql): one row, however many contacts.
        Query::one(
            self.ex,
            "SELECT total, vip, active, active_vip FROM contact_count WHERE user_id = ?1",
            [user],
            |row| {
                let n = |i| -> Result<u64> { Ok(u64::try_from(row.get::<i64>(i)?).unwrap_or(0)) };
                Ok(ContactCounts {
                    total: n(0)?,
                    vip: n(1)?,
                    active: n(2)?,
                    active_vip: n(3)?,
                })
            },
        )
        .map(Option::unwrap_or_default)
    }

    /// The user's active VIPs by name, at most `limit` of them.
    pub fn active_vips(&self, user: &UserId, limit: u32) -> Query<'e, Vec<Contact>> {
        Query::all(
            self.ex,
            format!(
                "SELECT {COLUMNS} FROM contact \
                 WHERE user_id = ?1 AND vip = 1 AND status = 'active' \
                 ORDER BY name COLLATE NOCASE, id LIMIT +?2"
            ),
            params![user, i64::from(limit.clamp(1, MAX_PER_PAGE))],
            Contact::from_row,
        )
    }

    /// The birthdays of the user's active contacts that fall from `from` to `until` (month and
    /// day; the range wraps the year end when `until` comes first): at most `limit` of each
    /// side of the year end, the soonest first, and every 29 February; with how many fall in
    /// the range in all (counted up to [`crate::COUNT_LIMIT`]). The candidates for "the next
    /// days", read in order from the month-day index: the caller applies the exact rules (29
    /// February in other years, the age).
    pub fn birthdays_between(
        &self,
        user: &UserId,
        from: NaiveDate,
        until: NaiveDate,
        limit: u32,
    ) -> Query<'e, (Vec<ContactBirthday>, u64)> {
        let (from, until) = (
            from.format("%m-%d").to_string(),
            until.format("%m-%d").to_string(),
        );
        let day = "strftime('%m-%d', birthday, 'unixepoch')";
        let of = |range: &str| {
            format!(
                "FROM contact WHERE user_id = ?1 AND birthday IS NOT NULL \
                 AND status = 'active' AND {range}"
            )
        };
        let ranges = if from <= until {
            vec![format!("{day} BETWEEN ?2 AND ?3")]
        } else {
            vec![format!("{day} >= ?2"), format!("{day} <= ?3")]
        };
        let mut parts: Vec<String> = ranges
            .iter()
            .map(|range| {
                format!(
                    "SELECT * FROM (SELECT id, name, vip, birthday {} ORDER BY {day} LIMIT +?4)",
                    of(range)
                )
            })
            .collect();
        parts.push(format!(
            "SELECT id, name, vip, birthday {}",
            of(&format!("{day} = '02-29'"))
        ));
        // The dashboard's figure: counted up to FIGURE_COUNT_LIMIT ("at least").
        let cap = crate::FIGURE_COUNT_LIMIT;
        let counts: Vec<String> = ranges
            .iter()
            .map(|range| {
                format!(
                    "(SELECT count(*) FROM (SELECT 1 {} LIMIT {cap}))",
                    of(range)
                )
            })
            .collect();
        let limit = i64::from(limit.clamp(1, MAX_PER_PAGE));
        let birthdays = Query::all(
            self.ex,
            parts.join(" UNION "),
            params![user, from.clone(), until.clone(), limit],
            ContactBirthday::from_row,
        )
        .map(|birthdays| birthdays.into_iter().flatten().collect::<Vec<_>>());
        let total = Query::count(
            self.ex,
            format!("SELECT min({cap}, {}) WHERE ?4 > 0", counts.join(" + ")),
            params![user, from, until, limit],
        );
        birthdays.and(total)
    }

    /// The birthdays of the user's active contacts that have one, in no particular order: the
    /// caller works out which come up soon (the year wrap and 29 February are easier in Rust
    /// than in SQL, and a user's contacts are few enough to read in one go).
    pub fn active_birthdays(&self, user: &UserId) -> Query<'e, Vec<ContactBirthday>> {
        Query::all(
            self.ex,
            "SELECT id, name, vip, birthday FROM contact \
             WHERE user_id = ?1 AND status = 'active' AND birthday IS NOT NULL",
            [user],
            ContactBirthday::from_row,
        )
        .map(|birthdays| birthdays.into_iter().flatten().collect())
    }
}

/// How many contacts a user has, for the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactCounts {
    pub total: u64,
    pub vip: u64,
    pub active: u64,
    pub active_vip: u64,
}

/// A contact's birthday, for the upcoming-birthdays list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactBirthday {
    pub id: ContactId,
    pub name: String,
    pub vip: bool,
    pub birthday: NaiveDate,
}

impl ContactBirthday {
    /// `id, name, vip, birthday`; a birthday another tool stored unreadably is left out (and
    /// logged).
    fn from_row(row: &Row) -> Result<Option<Self>> {
        let mut r = Reader::new(row);
        let mut c = r.record("contact")?;
        let name = c.text("name")?;
        let vip = c.flag("vip")?;
        let birthday = c.opt_date("birthday")?;
        Ok(birthday.map(|birthday| ContactBirthday {
            id: ContactId::from(c.key()),
            name,
            vip,
            birthday,
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistinctField {
    Industry,
    Relationship,
}

/// A contact search of one word long enough for the trigram index (the most common kind):
/// its page is read in the list's order from the owner's index, each row tested against the
/// matches, when the word is common — a page fills within a few rows, where looking up every
/// match and sorting them all would cost thousands of reads — and by its matches otherwise.
struct OneWord {
    /// The FTS query for any of a contact's rows, and for its name row's name.
    any: String,
    name: String,
}

/// Matches (rows of `contact_fts`) from which a word counts as common.
const COMMON_MATCHES: u32 = 2_000;

impl OneWord {
    fn of(search: &Search) -> Option<OneWord> {
        let mut words = search.each();
        let word = words.next()?;
        if words.next().is_some() {
            return None;
        }
        Some(OneWord {
            any: word.fts(None)?,
            name: word.fts(Some("name"))?,
        })
    }

    /// The contacts that match, to count (up to a limit): read in the index's rowid order, each
    /// looked up by rowid as it comes, so that counting stops after as many lookups as the
    /// limit — an `IN` over the matches would collect every one of them first (thousands for
    /// a common word). A contact with several matching rows comes once (its rows are
    /// neighbours in that order).
    fn counted(&self, user: &UserId, query: &ContactQuery) -> (String, Vec<Value>) {
        let unsearched = ContactQuery {
            search: None,
            ..query.clone()
        };
        let (base, base_values) = list_conditions(user, &unsearched);
        let mut values = vec![Value::Text(self.any.clone())];
        values.extend(base_values);
        (
            format!(
                "SELECT DISTINCT c.rowid FROM contact_fts f \
                 CROSS JOIN contact c ON c.rowid = f.rowid >> 2 \
                 WHERE f.contact_fts MATCH ? AND {}",
                base.join(" AND ")
            ),
            values,
        )
    }

    /// The page's statement: names that match first, then the other matches, each in the
    /// list's order. Four parts, of which the first two (names) and the third (others) or the
    /// fourth alone run, as the counts of matches in the index say (each read from the index
    /// alone, up to [`COMMON_MATCHES`]): a common set is walked in order, a rare one looked up
    /// and sorted.
    fn page(
        &self,
        user: &UserId,
        query: &ContactQuery,
        order: &str,
        limit: Value,
        offset: Value,
    ) -> (String, Vec<Value>) {
        let unsearched = ContactQuery {
            search: None,
            ..query.clone()
        };
        let (base, base_values) = list_conditions(user, &unsearched);
        let walk = base.join(" AND ");
        let lookup = format!("+{walk}");
        let end = Value::Integer(match (&limit, &offset) {
            (Value::Integer(l), Value::Integer(o)) => l.saturating_add(*o),
            _ => i64::MAX,
        });
        let (any, name) = (self.any.as_str(), self.name.as_str());
        // The contacts whose names match, read from the index once (a column filter decodes
        // the whole list of the word's rows each time it runs), and the counts, read once:
        // two materialized CTEs.
        let mut values = vec![Value::Text(name.to_string()), Value::Text(any.to_string())];
        let names = "SELECT r FROM names";
        let mut parts = Vec::new();
        // Each part reads nothing unless the counts call for it: a LIMIT of 0 skips its loop
        // (a condition in its WHERE would be tested on each row it reads).
        let mut part = |condition: String, fts: &[&str], guard: &str| {
            values.extend(base_values.iter().cloned());
            values.extend(fts.iter().map(|f| Value::Text(f.to_string())));
            values.push(end.clone());
            parts.push(format!(
                "{condition} LIMIT CASE WHEN (SELECT {guard} FROM common_word) THEN ? ELSE 0 END"
            ));
        };
        // 1. Common names, walked in order.
        part(
            format!("{walk} AND +rowid IN ({names}) ORDER BY {order}"),
            &[],
            "any_common AND names_common",
        );
        // 2. Rare names among common matches, looked up and sorted.
        part(
            format!("{lookup} AND rowid IN ({names}) ORDER BY {order}"),
            &[],
            "any_common AND NOT names_common",
        );
        // 3. The other matches of a common word, walked in order.
        part(
            format!(
                "{walk} AND +rowid IN ({CONTACTS_MATCHING}) \
                 AND +rowid NOT IN ({names}) ORDER BY {order}"
            ),
            &[any],
            "any_common",
        );
        // 4. A rare word: its matches looked up, names first.
        part(
            format!(
                "{lookup} AND rowid IN ({CONTACTS_MATCHING}) \
                 ORDER BY rowid IN ({names}) DESC, {order}"
            ),
            &[any],
            "NOT any_common",
        );
        values.push(limit);
        values.push(offset);
        let parts: Vec<String> = parts
            .into_iter()
            .map(|part| format!("SELECT * FROM (SELECT {COLUMNS} FROM contact WHERE {part})"))
            .collect();
        (
            format!(
                "WITH names(r) AS MATERIALIZED ({CONTACTS_MATCHING}), \
                 common_word AS MATERIALIZED (SELECT \
                   (SELECT count(*) FROM (SELECT 1 FROM contact_fts WHERE contact_fts MATCH ? \
                     LIMIT {COMMON_MATCHES})) >= {COMMON_MATCHES} AS any_common, \
                   (SELECT count(*) FROM (SELECT 1 FROM names LIMIT {COMMON_MATCHES})) \
                     >= {COMMON_MATCHES} AS names_common) \
                 SELECT * FROM ({}) LIMIT +? OFFSET +?",
                parts.join(" UNION ALL ")
            ),
            values,
        )
    }
}

/// The page of a search whose words are all too short for the trigram index (`where_clause`
/// tests each contact's stored search text). Contacts whose name begins with the first word
/// come first (what one types of a name is its beginning; a letter or two inside names
/// matches most of them), then the other matches, each in the list's order.
///
/// In the name order the first set is a range of the names index, walked up to the page. In
/// another order it is read from the range of the stored texts (which start with the name)
/// up to [`COMMON_MATCHES`]: a set that large is walked in the list's order, a smaller one
/// looked up and sorted. The other matches are read from the index of stored texts up to
/// `most` (the count's limit: the count reads the same): past that many the list's order is
/// walked, a rarer word has its matches looked up and sorted (walking would read every
/// contact: at 100,000 contacts, 290 ms on the Active tab). A LIMIT of 0 reads nothing of a
/// part that does not run.
fn short_page(
    where_clause: &str,
    values: Vec<Value>,
    (order, by_name): (&str, bool),
    (limit, offset): (Value, Value),
    most: u64,
    first_word: &str,
) -> (String, Vec<Value>) {
    let lookup = where_clause.replacen("user_id = ?", "+user_id = ?", 1);
    // The name's beginning: `NOCASE` folds as `lower` does (ASCII only), and no character
    // sorts after U+10FFFF. Outside the name order the range is only tested (`+`), so that
    // the walk follows the list's order.
    let from = Value::Text(first_word.to_ascii_lowercase());
    let to = Value::Text(format!("{}\u{10FFFF}", first_word.to_ascii_lowercase()));
    let begins = if by_name {
        "name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE"
    } else {
        "+name >= ? COLLATE NOCASE AND +name < ? COLLATE NOCASE"
    };
    let end = Value::Integer(match (&limit, &offset) {
        (Value::Integer(l), Value::Integer(o)) => l.saturating_add(*o),
        _ => i64::MAX,
    });
    let mut page_values = values.clone();
    page_values.extend(values.iter().cloned());
    page_values.extend([from.clone(), to.clone()]);
    // One part: its rows in order, up to the page's end when `guard` is `runs`, else none.
    let mut part = |condition: String, ranged: bool, guard: &str, runs: bool| {
        page_values.extend(values.iter().cloned());
        if ranged {
            page_values.extend([from.clone(), to.clone()]);
        }
        page_values.push(end.clone());
        let (then, otherwise) = if runs { ("?", "0") } else { ("0", "?") };
        format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM contact WHERE {condition} ORDER BY {order} \
             LIMIT CASE WHEN {guard} THEN {then} ELSE {otherwise} END)"
        )
    };
    let (leads_common, found_common) = (
        format!("{by_name} OR (SELECT count(*) FROM leads) > {COMMON_MATCHES}"),
        format!("(SELECT count(*) FROM found) > {most}"),
    );
    let parts = [
        part(
            format!("{where_clause} AND {begins}"),
            true,
            &leads_common,
            true,
        ),
        part(
            format!("rowid IN (SELECT r FROM leads) AND {lookup}"),
            false,
            &leads_common,
            false,
        ),
        part(
            format!("{where_clause} AND NOT ({begins})"),
            true,
            &found_common,
            true,
        ),
        part(
            format!("rowid IN (SELECT r FROM found) AND {lookup} AND NOT ({begins})"),
            true,
            &found_common,
            false,
        ),
    ];
    page_values.extend([limit, offset]);
    // In the name order, `leads` is never read (`leads_common` is true before it).
    (
        format!(
            "WITH found AS MATERIALIZED (SELECT rowid AS r FROM contact \
               INDEXED BY contact_user_search_idx WHERE {where_clause} LIMIT {}), \
             leads AS MATERIALIZED (SELECT rowid AS r FROM contact \
               INDEXED BY contact_user_search_idx WHERE {where_clause} \
               AND {SEARCH_TEXT} >= ? AND {SEARCH_TEXT} < ? LIMIT {}) \
             SELECT * FROM ({}) LIMIT +? OFFSET +?",
            most.saturating_add(1),
            COMMON_MATCHES + 1,
            parts.join(" UNION ALL "),
        ),
        page_values,
    )
}

/// The `WHERE` terms of a contact list and their parameters.
pub(crate) fn list_conditions(user: &UserId, query: &ContactQuery) -> (Vec<String>, Vec<Value>) {
    let mut conditions = vec!["user_id = ?".to_string()];
    let mut values: Vec<Value> = vec![user.into()];
    if let Some(search) = query.search.as_deref().and_then(Search::parse) {
        // Words of three characters or more: the trigram index, each word in one of the
        // contact's rows there (name and fields, company, details, tags).
        let words: Vec<String> = search.each().filter_map(|w| w.fts(None)).collect();
        if !words.is_empty() {
            for word in words {
                conditions.push(format!("rowid IN ({CONTACTS_MATCHING})"));
                values.push(Value::Text(word));
            }
            // The matches lead, looked up by rowid, and the owner is checked on each: without
            // statistics the planner would rather walk all of the owner's contacts (the unary
            // `+` keeps it off the owner's indexes).
            conditions[0] = "+user_id = ?".to_string();
        }
        // Shorter words, which a trigram index cannot serve: `lower` and `instr` as SQLite
        // has them (ASCII case folding, no wildcards) over the texts `contact_user_search_idx`
        // holds, so the test reads that index alone.
        for word in search.short_words() {
            conditions.push(format!("instr({SEARCH_TEXT}, lower(?)) > 0"));
            values.push(Value::Text(word.to_string()));
        }
    }
    match query.filter {
        ContactFilter::All => {}
        ContactFilter::Vip => conditions.push("vip = 1".into()),
        ContactFilter::Active => conditions.push("status = 'active'".into()),
        ContactFilter::Archived => conditions.push("status = 'archived'".into()),
    }
    for (column, value) in [
        ("industry", &query.industry),
        ("relationship", &query.relationship),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            conditions.push(format!("{column} = ? COLLATE NOCASE"));
            values.push(Value::Text(v.to_string()));
        }
    }
    // Each tag: its id from the names index, then its contacts from `contact_tag`'s own index
    // on the tag, tested against this contact's id.
    for name in query.tag_names() {
        conditions.push(
            "id IN (SELECT ct.contact_id FROM contact_tag ct WHERE ct.tag_id = \
             (SELECT t.id FROM tag t WHERE t.user_id = ? AND t.name = ? COLLATE NOCASE))"
                .to_string(),
        );
        values.push(user.into());
        values.push(Value::Text(name.to_string()));
    }
    (conditions, values)
}

/// The `ORDER BY` of a contact list: every order ends in the id, so it is total.
pub(crate) fn list_order(query: &ContactQuery) -> String {
    let dir = match query.direction {
        SortDirection::Asc => "ASC",
        SortDirection::Desc => "DESC",
    };
    match (query.sort, query.direction) {
        (ContactSort::Name, _) => format!("name COLLATE NOCASE {dir}, id {dir}"),
        // Never contacted counts as longest ago.
        (ContactSort::LastContacted, SortDirection::Asc) => {
            "last_contacted ASC NULLS FIRST, name COLLATE NOCASE ASC, id ASC".to_string()
        }
        (ContactSort::LastContacted, SortDirection::Desc) => {
            "last_contacted DESC NULLS LAST, name COLLATE NOCASE ASC, id ASC".to_string()
        }
        (ContactSort::Created, _) => format!("created_at {dir}, id {dir}"),
    }
}

/// The sort keys of a contact, where the next page of a keyset listing starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactCursor {
    pub name: String,
    pub last_contacted: Option<i64>,
    pub created_at: i64,
    pub id: String,
}

impl ContactCursor {
    pub fn after(contact: &Contact) -> Self {
        ContactCursor {
            name: contact.name.clone(),
            last_contacted: contact.last_contacted.map(|t| t.timestamp()),
            created_at: contact.created_at.timestamp(),
            id: contact.id.as_str().to_string(),
        }
    }

    /// "Comes after this contact in the order of `sort` and `direction`" (see
    /// [`list_order`]), as a `WHERE` term and its parameters.
    fn condition(&self, sort: ContactSort, direction: SortDirection) -> (String, Vec<Value>) {
        let name = || Value::Text(self.name.clone());
        let id = || Value::Text(self.id.clone());
        let cmp = match direction {
            SortDirection::Asc => ">",
            SortDirection::Desc => "<",
        };
        // Ties on the name (case-insensitive) go by id, ascending.
        let name_tie = "(name COLLATE NOCASE > ? OR (name COLLATE NOCASE = ? AND id > ?))";
        match (sort, direction, self.last_contacted) {
            (ContactSort::Name, _, _) => (
                format!(
                    "(name COLLATE NOCASE {cmp} ? OR (name COLLATE NOCASE = ? AND id {cmp} ?))"
                ),
                vec![name(), name(), id()],
            ),
            (ContactSort::Created, _, _) => (
                format!("(created_at {cmp} ? OR (created_at = ? AND id {cmp} ?))"),
                vec![
                    Value::Integer(self.created_at),
                    Value::Integer(self.created_at),
                    id(),
                ],
            ),
            // Never contacted first, then oldest first.
            (ContactSort::LastContacted, SortDirection::Asc, None) => (
                format!("(last_contacted IS NOT NULL OR (last_contacted IS NULL AND {name_tie}))"),
                vec![name(), name(), id()],
            ),
            (ContactSort::LastContacted, SortDirection::Asc, Some(at)) => (
                format!("(last_contacted > ? OR (last_contacted = ? AND {name_tie}))"),
                vec![Value::Integer(at), Value::Integer(at), name(), name(), id()],
            ),
            // Latest first, never contacted last.
            (ContactSort::LastContacted, SortDirection::Desc, None) => (
                format!("(last_contacted IS NULL AND {name_tie})"),
                vec![name(), name(), id()],
            ),
            (ContactSort::LastContacted, SortDirection::Desc, Some(at)) => (
                format!(
                    "(last_contacted < ? OR last_contacted IS NULL \
                     OR (last_contacted = ? AND {name_tie}))"
                ),
                vec![Value::Integer(at), Value::Integer(at), name(), name(), id()],
            ),
        }
    }
}

/// The contact `?1` of the user `?2`.
fn select_owned() -> String {
    format!("SELECT {COLUMNS} FROM contact WHERE id = ?1 AND user_id = ?2")
}

/// The one INSERT of the table (without `RETURNING`), for a new contact id.
fn insert_statement(
    user: &UserId,
    new: &NewContact,
    stamps: ContactStamps,
) -> Result<(ContactId, Stmt)> {
    let id = ContactId::generate();
    let stmt = Stmt::new(
        format!(
            "INSERT INTO contact (id, user_id, {WRITTEN}, last_update, last_contacted, \
             created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
        ),
        params_from_iter(
            [(&id).into(), user.into()]
                .into_iter()
                .chain(new.values())
                .chain([
                    Value::Integer(stamps.last_update.timestamp()),
                    stamps.last_contacted.map(|t| t.timestamp()).into(),
                    Value::Integer(stamps.row.created_at.timestamp()),
                    Value::Integer(stamps.row.updated_at.timestamp()),
                ]),
        ),
    )?;
    Ok((id, stmt))
}

/// [`ensure_owned`] as part of a query: its result is `NotFound` unless `id` is one of the
/// user's contacts.
pub(crate) fn owned<'e>(ex: Executor<'e>, user: &UserId, id: &ContactId) -> Query<'e, ()> {
    Query::one(
        ex,
        "SELECT 1 FROM contact WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        |_| Ok(()),
    )
    .and_then(|found| found.ok_or(Error::NotFound))
}

/// Checks that `id` is one of the user's contacts (for child rows); `NotFound` otherwise.
pub(crate) async fn ensure_owned(
    conn: &(impl Runner + ?Sized),
    user: &UserId,
    id: &ContactId,
) -> Result<()> {
    query_one(
        conn,
        "SELECT 1 FROM contact WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        |_| Ok(()),
    )
    .await?
    .ok_or(Error::NotFound)
}

/// Sets every contact's `last_contacted` of the user to its latest interaction's date, in one
/// pass (after a bulk write of interactions that left it alone).
pub(crate) async fn refresh_last_contacted_of_user(
    conn: &(impl Runner + ?Sized),
    user: &UserId,
) -> Result<()> {
    super::settle(conn).await?;
    conn.connection()
        .execute(
            "UPDATE contact SET last_contacted = \
         (SELECT max(date) FROM interaction WHERE interaction.contact_id = contact.id) \
         WHERE user_id = ?1",
            [user],
        )
        .await?;
    Ok(())
}

/// Sets `last_contacted` to the latest interaction's date and touches `last_update`; run in
/// the same transaction as every interaction write.
pub(crate) async fn refresh_last_contacted(
    conn: &(impl Runner + ?Sized),
    id: &ContactId,
) -> Result<()> {
    let at = now().timestamp();
    super::execute(
        conn,
        "UPDATE contact SET \
         last_contacted = (SELECT max(date) FROM interaction WHERE contact_id = ?1), \
         last_update = ?2, updated_at = ?2 WHERE id = ?1",
        params![id, at],
    )
    .await?;
    Ok(())
}

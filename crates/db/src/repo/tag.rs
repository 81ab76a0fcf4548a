//! Tags: the `tag` table (a user's labels, unique by name ignoring case) and `contact_tag`
//! (which contacts carry which tag).

use crate::repo::Runner;
use chrono::{DateTime, Utc};
use libsql::{params, params_from_iter, Row, Value};

use super::contact::{self, ContactId};
use super::user::UserId;
use super::{qualified, query_all, query_one};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::{Query, Stmt};
use crate::row::{id_type, now, Reader, Stamps, Unreadable};
use crate::validate::{self, TagColor};

/// The longest tag name, in characters.
pub const MAX_TAG_NAME: usize = 50;

id_type!(
    /// The id of a `tag` row.
    TagId
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Tag {
    pub id: TagId,
    pub user_id: UserId,
    pub name: String,
    /// A name of the palette (`validate::TAG_PALETTE`) or `#rrggbb`, lowercase.
    pub color: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

const COLUMNS: &str = "id, user_id, name, color, created_at, updated_at";

impl Tag {
    fn from_row(row: &Row) -> Result<Self> {
        Self::read(&mut Reader::new(row))
    }

    /// The one decoder of a `tag` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("tag")?;
        let tag = Tag {
            id: TagId::from(c.key()),
            user_id: UserId::from(c.text("user_id")?),
            name: c.text("name")?,
            color: c.opt_text("color")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(Tag {
            unreadable: c.finish(),
            ..tag
        })
    }
}

/// A `contact_tag` row: a tag on a contact, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactTag {
    pub tag_id: TagId,
    pub stamps: Stamps,
}

impl ContactTag {
    /// The one decoder of a `contact_tag` row (tag_id, created_at, updated_at).
    fn from_row(row: &Row) -> Result<Self> {
        Ok(ContactTag {
            tag_id: TagId::from(row.get::<String>(0)?),
            stamps: Stamps {
                created_at: crate::row::timestamp(row.get(1)?, "contact_tag.created_at")?,
                updated_at: crate::row::timestamp(row.get(2)?, "contact_tag.updated_at")?,
            },
        })
    }
}

/// A tag to insert, or the new name and color of an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    name: String,
    color: Option<String>,
}

impl NewTag {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn color(&self) -> Option<&str> {
        self.color.as_deref()
    }

    /// The values as stored: the name trimmed, the color lowercase, a blank color absent.
    fn normalized(&self) -> Result<NewTag> {
        let mut errors = ValidationErrors::new();
        let name = errors.take("name", validate::required_text(&self.name, MAX_TAG_NAME));
        let color = match self
            .color
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(raw) => errors.take("color", TagColor::parse(raw).map(|c| c.to_string())),
        };
        errors.into_result()?;
        Ok(NewTag {
            name: name.unwrap_or_default(),
            color,
        })
    }
}

/// A tag as typed into a form or sent as JSON.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TagInput {
    pub name: String,
    pub color: Option<String>,
}

impl TagInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewTag> {
        NewTag {
            name: self.name.clone(),
            color: self.color.clone(),
        }
        .normalized()
    }
}

/// The unique index on `(user_id, name COLLATE NOCASE)`, as SQLite names it in the violation.
const UNIQUE_NAME: &str = "tag.user_id, tag.name";
const NAME_TAKEN: &str = "is already a tag of yours";

#[derive(Clone, Copy)]
pub struct TagRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> TagRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        TagRepo { ex: ex.into() }
    }

    /// Creates a tag; a name the user already has (ignoring case) is a `Conflict` on `name`.
    pub async fn create(&self, user: &UserId, new: &NewTag) -> Result<Tag> {
        self.create_at(user, new, Stamps::now()).await
    }

    /// [`Self::create`] with the given times (a restore keeps the original ones).
    pub async fn create_at(&self, user: &UserId, new: &NewTag, stamps: Stamps) -> Result<Tag> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "INSERT INTO tag (id, user_id, name, color, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING {COLUMNS}"
            ),
            params![
                TagId::generate(),
                user,
                new.name.clone(),
                new.color.clone(),
                stamps.created_at.timestamp(),
                stamps.updated_at.timestamp()
            ],
            Tag::from_row,
        )
        .await
        .map_err(|e| {
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e.map_unique(UNIQUE_NAME, "name", NAME_TAKEN)
            }
        })?
        .ok_or(Error::NotFound)
    }

    pub async fn get(&self, user: &UserId, id: &TagId) -> Result<Tag> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {COLUMNS} FROM tag WHERE id = ?1 AND user_id = ?2"),
            params![id, user],
            Tag::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Renames and recolors a tag; a name the user already has is a `Conflict` on `name`.
    pub async fn update(&self, user: &UserId, id: &TagId, new: &NewTag) -> Result<Tag> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE tag SET name = ?3, color = ?4, updated_at = ?5 \
                 WHERE id = ?1 AND user_id = ?2 RETURNING {COLUMNS}"
            ),
            params![
                id,
                user,
                new.name.clone(),
                new.color.clone(),
                now().timestamp()
            ],
            Tag::from_row,
        )
        .await
        .map_err(|e| e.map_unique(UNIQUE_NAME, "name", NAME_TAKEN))?
        .ok_or(Error::NotFound)
    }

    /// Deletes the tag and, through the schema's cascade, takes it off every contact.
    pub async fn delete(&self, user: &UserId, id: &TagId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "DELETE FROM tag WHERE id = ?1 AND user_id = ?2",
                params![id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The user's tags by name.
    pub async fn list(&self, user: &UserId) -> Result<Vec<Tag>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {COLUMNS} FROM tag WHERE user_id = ?1 ORDER BY name COLLATE NOCASE, id"
            ),
            [user],
            Tag::from_row,
        )
        .await
    }

    /// Up to `limit` of the user's tags by name, starting after `after`; the flag says
    /// whether more follow.
    pub async fn list_after(
        &self,
        user: &UserId,
        after: Option<&TagCursor>,
        limit: u32,
    ) -> Result<(Vec<Tag>, bool)> {
        let limit = limit.clamp(1, contact::MAX_PER_PAGE);
        let (name, id) = match after {
            Some(after) => (Some(after.name.clone()), after.id.clone()),
            None => (None, String::new()),
        };
        let conn = self.ex.conn().await?;
        let mut tags = query_all(
            &conn,
            &format!(
                "SELECT {COLUMNS} FROM tag WHERE user_id = ?1 AND (?2 IS NULL \
                 OR name COLLATE NOCASE > ?2 OR (name COLLATE NOCASE = ?2 AND id > ?3)) \
                 ORDER BY name COLLATE NOCASE, id LIMIT +?4"
            ),
            params![user, name, id, i64::from(limit) + 1],
            Tag::from_row,
        )
        .await?;
        let more = tags.len() > limit as usize;
        tags.truncate(limit as usize);
        Ok((tags, more))
    }

    /// Puts the tag on the contact; doing it twice is harmless. Both must be the user's.
    pub async fn attach(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        tag_id: &TagId,
    ) -> Result<()> {
        self.attach_at(user, contact_id, tag_id, Stamps::now())
            .await
    }

    /// [`Self::attach`] with the given times (a restore keeps the original ones).
    pub async fn attach_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        tag_id: &TagId,
        stamps: Stamps,
    ) -> Result<()> {
        let stmt = attach_statement(user, contact_id, tag_id, stamps)?;
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        ensure_owned(&tx, user, tag_id).await?;
        tx.execute(&stmt.sql, stmt.values).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Self::attach_at`] for bulk writes (an import, a restore): the same statement,
    /// deferred inside a unit of work (on a server it goes with hundreds of others in one
    /// request). A contact or tag that is not the user's fails the unit of work (a NOT NULL
    /// error, at the latest at its commit) instead of answering `NotFound` here.
    pub async fn attach_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        tag_id: &TagId,
        stamps: Stamps,
    ) -> Result<()> {
        let stmt = attach_statement(user, contact_id, tag_id, stamps)?;
        self.ex.defer(stmt).await
    }

    /// Takes the tag off the contact; harmless when it was not on. Both must be the user's.
    pub async fn detach(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        tag_id: &TagId,
    ) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        ensure_owned(&tx, user, tag_id).await?;
        tx.execute(
            "DELETE FROM contact_tag WHERE contact_id = ?1 AND tag_id = ?2",
            params![contact_id, tag_id],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The `contact_tag` rows of the user's contact, by tag id: which tags it carries since
    /// when.
    pub async fn links_of_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
    ) -> Result<Vec<ContactTag>> {
        let tx = self.ex.begin_read().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let links = query_all(
            &tx,
            "SELECT tag_id, created_at, updated_at FROM contact_tag WHERE contact_id = ?1 \
             ORDER BY tag_id",
            [contact_id],
            ContactTag::from_row,
        )
        .await?;
        tx.commit().await?;
        Ok(links)
    }

    /// The tags on the user's contact, by name.
    pub async fn tags_for_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
    ) -> Result<Vec<Tag>> {
        let tx = self.ex.begin_read().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let tags = query_all(
            &tx,
            &format!(
                "SELECT {} FROM contact_tag ct JOIN tag t ON t.id = ct.tag_id \
                 WHERE ct.contact_id = ?1 AND t.user_id = ?2 ORDER BY t.name COLLATE NOCASE, t.id",
                qualified("t", COLUMNS)
            ),
            params![contact_id, user],
            Tag::from_row,
        )
        .await?;
        tx.commit().await?;
        Ok(tags)
    }

    /// The ids of the user's contacts that carry the tag, by contact name.
    pub async fn contacts_with_tag(&self, user: &UserId, tag_id: &TagId) -> Result<Vec<ContactId>> {
        let tx = self.ex.begin_read().await?;
        ensure_owned(&tx, user, tag_id).await?;
        let ids = query_all(
            &tx,
            "SELECT c.id FROM contact_tag ct JOIN contact c ON c.id = ct.contact_id \
             WHERE ct.tag_id = ?1 AND c.user_id = ?2 ORDER BY c.name COLLATE NOCASE, c.id",
            params![tag_id, user],
            |row| Ok(ContactId::from(row.get::<String>(0)?)),
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }
}

impl<'e> TagRepo<'e> {
    /// The user's tags by name, each with how many of the user's contacts carry it.
    pub async fn list_with_counts(&self, user: &UserId) -> Result<Vec<TagCount>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {}, (SELECT count(*) FROM contact_tag ct WHERE ct.tag_id = t.id) \
                 FROM tag t WHERE t.user_id = ?1 ORDER BY t.name COLLATE NOCASE, t.id",
                qualified("t", COLUMNS)
            ),
            [user],
            |row| {
                let tag = Tag::read(&mut Reader::new(row))?;
                let contacts = u64::try_from(row.get::<i64>(6)?).unwrap_or(0);
                Ok(TagCount { tag, contacts })
            },
        )
        .await
    }

    /// The user's tag of that name (ignoring case and surrounding spaces), if any.
    pub async fn find_by_name(&self, user: &UserId, name: &str) -> Result<Option<Tag>> {
        let conn = self.ex.conn().await?;
        find_by_name(&conn, user, name.trim()).await
    }

    /// Renames the tag, keeping its colour. A name another tag of the user has (ignoring case)
    /// is a `Conflict` on `name`; the same name in another case is a rename.
    pub async fn rename(&self, user: &UserId, id: &TagId, name: &str) -> Result<Tag> {
        let name = tag_name(name)?;
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE tag SET name = ?3, updated_at = ?4 WHERE id = ?1 AND user_id = ?2 \
                 RETURNING {COLUMNS}"
            ),
            params![id, user, name, now().timestamp()],
            Tag::from_row,
        )
        .await
        .map_err(|e| e.map_unique(UNIQUE_NAME, "name", NAME_TAKEN))?
        .ok_or(Error::NotFound)
    }

    /// Gives the tag a colour of the palette ([`validate::TAG_PALETTE`]), stored by name.
    pub async fn recolor(&self, user: &UserId, id: &TagId, color: &str) -> Result<Tag> {
        let color = validate::palette_color(color).map_err(|m| Error::validation("color", m))?;
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE tag SET color = ?3, updated_at = ?4 WHERE id = ?1 AND user_id = ?2 \
                 RETURNING {COLUMNS}"
            ),
            params![id, user, color, now().timestamp()],
            Tag::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Merges `from` into `into` in one unit of work: every contact that carried `from` carries
    /// `into` (once, however many of them had both), and `from` is deleted. Answers the number
    /// of contacts that carried `from`. Both must be the user's; merging a tag into itself is
    /// a validation error on `into`.
    pub async fn merge(&self, user: &UserId, from: &TagId, into: &TagId) -> Result<u64> {
        if from == into {
            return Err(Error::validation("into", "must be another tag"));
        }
        let tx = self.ex.begin_write().await?;
        ensure_owned(&tx, user, from).await?;
        ensure_owned(&tx, user, into).await?;
        let at = now().timestamp();
        tx.execute(
            "INSERT INTO contact_tag (contact_id, tag_id, created_at, updated_at) \
             SELECT contact_id, ?2, created_at, ?3 FROM contact_tag WHERE tag_id = ?1 \
             ON CONFLICT (contact_id, tag_id) DO NOTHING",
            params![from, into, at],
        )
        .await?;
        // The links go one by one before the tag, so that the search index's trigger on
        // `contact_tag` writes each contact's tags again (now without `from`).
        let moved = tx
            .execute("DELETE FROM contact_tag WHERE tag_id = ?1", params![from])
            .await?;
        tx.execute(
            "DELETE FROM tag WHERE id = ?1 AND user_id = ?2",
            params![from, user],
        )
        .await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Puts the tag called `name` on the user's contact: the user's tag of that name (ignoring
    /// case), or a new one. Answers the tag and whether the contact did not carry it yet.
    pub async fn add_to_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        name: &str,
    ) -> Result<(Tag, bool)> {
        let name = tag_name(name)?;
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let tag = find_or_create(&tx, user, &name).await?;
        let stmt = attach_statement(user, contact_id, &tag.id, Stamps::now())?;
        let added = tx.execute(&stmt.sql, stmt.values).await?;
        tx.commit().await?;
        Ok((tag, added > 0))
    }

    /// Puts the tag called `name` (the user's, or a new one) on those of `ids` that are the
    /// user's contacts, in one unit of work. Answers the tag and how many contacts got it;
    /// when none of `ids` is the user's, nothing is written (no new tag either) and the
    /// answer is `NotFound`.
    pub async fn bulk_add(
        &self,
        user: &UserId,
        ids: &[ContactId],
        name: &str,
    ) -> Result<(Tag, u64)> {
        let name = tag_name(name)?;
        let tx = self.ex.begin_write().await?;
        let owned = owned_contacts(&tx, user, ids).await?;
        if owned == 0 {
            return Err(Error::NotFound);
        }
        let tag = find_or_create(&tx, user, &name).await?;
        let at = now().timestamp();
        let mut added = 0;
        for chunk in ids.chunks(CHUNK) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let mut values: Vec<Value> = vec![tag.id.as_str().into(), Value::Integer(at)];
            values.push(user.into());
            values.extend(chunk.iter().map(Value::from));
            added += tx
                .execute(
                    &format!(
                        "INSERT INTO contact_tag (contact_id, tag_id, created_at, updated_at) \
                         SELECT id, ?1, ?2, ?2 FROM contact WHERE user_id = ?3 \
                         AND id IN ({placeholders}) ON CONFLICT (contact_id, tag_id) DO NOTHING"
                    ),
                    params_from_iter(values),
                )
                .await?;
        }
        tx.commit().await?;
        Ok((tag, added))
    }

    /// Takes the user's tag called `name` (ignoring case) off those of `ids` that are the
    /// user's contacts, in one unit of work; answers the tag and how many contacts lost it.
    /// A name the user has no tag of is `NotFound`.
    pub async fn bulk_remove(
        &self,
        user: &UserId,
        ids: &[ContactId],
        name: &str,
    ) -> Result<(Tag, u64)> {
        let name = tag_name(name)?;
        let tx = self.ex.begin_write().await?;
        let tag = find_by_name(&tx, user, &name)
            .await?
            .ok_or(Error::NotFound)?;
        let mut removed = 0;
        for chunk in ids.chunks(CHUNK) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let mut values: Vec<Value> = vec![tag.id.as_str().into(), user.into()];
            values.extend(chunk.iter().map(Value::from));
            removed += tx
                .execute(
                    &format!(
                        "DELETE FROM contact_tag WHERE tag_id = ?1 AND contact_id IN \
                         (SELECT id FROM contact WHERE user_id = ?2 AND id IN ({placeholders}))"
                    ),
                    params_from_iter(values),
                )
                .await?;
        }
        tx.commit().await?;
        Ok((tag, removed))
    }

    /// [`Self::list`] as a query of a batch.
    pub fn all(&self, user: &UserId) -> Query<'e, Vec<Tag>> {
        Query::all(
            self.ex,
            format!(
                "SELECT {COLUMNS} FROM tag WHERE user_id = ?1 ORDER BY name COLLATE NOCASE, id"
            ),
            params![user],
            Tag::from_row,
        )
    }

    /// The user's tags on the contact, by name, as a query of a batch (empty for a contact
    /// that is not the user's: only the user's tags are read).
    pub fn of_contact(&self, user: &UserId, contact_id: &ContactId) -> Query<'e, Vec<Tag>> {
        Query::all(
            self.ex,
            format!(
                "SELECT {} FROM contact_tag ct JOIN tag t ON t.id = ct.tag_id \
                 WHERE ct.contact_id = ?1 AND t.user_id = ?2 ORDER BY t.name COLLATE NOCASE, t.id",
                qualified("t", COLUMNS)
            ),
            params![contact_id, user],
            Tag::from_row,
        )
    }

    /// The tags of each of the user's contacts among `ids`, by name: `(contact, tag)` pairs
    /// in the order of the contacts' ids, then the tags' names. Each contact is looked up by
    /// the primary key of `contact_tag`.
    pub fn for_contacts(
        &self,
        user: &UserId,
        ids: &[ContactId],
    ) -> Query<'e, Vec<(ContactId, Tag)>> {
        let mut values: Vec<Value> = vec![user.into()];
        values.extend(ids.iter().take(MAX_LOOKUP).map(Value::from));
        let placeholders = vec!["?"; values.len() - 1].join(", ");
        let placeholders = if placeholders.is_empty() {
            "NULL".to_string()
        } else {
            placeholders
        };
        Query::all(
            self.ex,
            format!(
                "SELECT {}, ct.contact_id FROM contact_tag ct JOIN tag t ON t.id = ct.tag_id \
                 WHERE ct.contact_id IN ({placeholders}) AND t.user_id = ? \
                 ORDER BY ct.contact_id, t.name COLLATE NOCASE, t.id",
                qualified("t", COLUMNS)
            ),
            params_from_iter({
                // The user comes last in the statement.
                let user = values.remove(0);
                values.push(user);
                values
            }),
            |row| {
                let tag = Tag::read(&mut Reader::new(row))?;
                let contact = ContactId::from(row.get::<String>(6)?);
                Ok((contact, tag))
            },
        )
    }
}

/// A tag and how many contacts carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub tag: Tag,
    pub contacts: u64,
}

/// Ids per statement of a bulk write: well under SQLite's parameter limit.
const CHUNK: usize = 500;
/// The most contacts [`TagRepo::for_contacts`] looks up at once (a page of a list).
const MAX_LOOKUP: usize = 500;

/// A tag name as typed: trimmed, required, at most [`MAX_TAG_NAME`] characters.
fn tag_name(raw: &str) -> Result<String> {
    validate::required_text(raw, MAX_TAG_NAME).map_err(|m| Error::validation("name", m))
}

async fn find_by_name(
    conn: &(impl Runner + ?Sized),
    user: &UserId,
    name: &str,
) -> Result<Option<Tag>> {
    query_one(
        conn,
        &format!("SELECT {COLUMNS} FROM tag WHERE user_id = ?1 AND name = ?2 COLLATE NOCASE"),
        params![user, name],
        Tag::from_row,
    )
    .await
}

/// The user's tag called `name` (ignoring case), created (without a colour) if there is none.
async fn find_or_create(conn: &(impl Runner + ?Sized), user: &UserId, name: &str) -> Result<Tag> {
    if let Some(tag) = find_by_name(conn, user, name).await? {
        return Ok(tag);
    }
    let at = now().timestamp();
    query_one(
        conn,
        &format!(
            "INSERT INTO tag (id, user_id, name, color, created_at, updated_at) \
             VALUES (?1, ?2, ?3, NULL, ?4, ?4) RETURNING {COLUMNS}"
        ),
        params![TagId::generate(), user, name, at],
        Tag::from_row,
    )
    .await
    .map_err(|e| e.map_unique(UNIQUE_NAME, "name", NAME_TAKEN))?
    .ok_or(Error::NotFound)
}

/// How many of `ids` are the user's contacts.
async fn owned_contacts(
    conn: &(impl Runner + ?Sized),
    user: &UserId,
    ids: &[ContactId],
) -> Result<u64> {
    let mut owned = 0;
    for chunk in ids.chunks(CHUNK) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let mut values: Vec<Value> = vec![user.into()];
        values.extend(chunk.iter().map(Value::from));
        owned += query_one(
            conn,
            &format!("SELECT count(*) FROM contact WHERE user_id = ? AND id IN ({placeholders})"),
            params_from_iter(values),
            |row| Ok(u64::try_from(row.get::<i64>(0)?).unwrap_or(0)),
        )
        .await?
        .unwrap_or(0);
    }
    Ok(owned)
}

/// The sort keys of a tag, where the next page of a keyset listing starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagCursor {
    pub name: String,
    pub id: String,
}

impl TagCursor {
    pub fn after(tag: &Tag) -> Self {
        TagCursor {
            name: tag.name.clone(),
            id: tag.id.as_str().to_string(),
        }
    }
}

/// Checks that `id` is one of the user's tags; `NotFound` otherwise.
async fn ensure_owned(conn: &(impl Runner + ?Sized), user: &UserId, id: &TagId) -> Result<()> {
    query_one(
        conn,
        "SELECT 1 FROM tag WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        |_| Ok(()),
    )
    .await?
    .ok_or(Error::NotFound)
}

/// The one INSERT of `contact_tag`; harmless when the tag is on already. Contact and tag are
/// the user's, or a subquery yields NULL, which the NOT NULL columns refuse.
fn attach_statement(
    user: &UserId,
    contact_id: &ContactId,
    tag_id: &TagId,
    stamps: Stamps,
) -> Result<Stmt> {
    Stmt::new(
        "INSERT INTO contact_tag (contact_id, tag_id, created_at, updated_at) \
         VALUES ((SELECT id FROM contact WHERE id = ?1 AND user_id = ?5), \
         (SELECT id FROM tag WHERE id = ?2 AND user_id = ?5), ?3, ?4) \
         ON CONFLICT (contact_id, tag_id) DO NOTHING",
        params![
            contact_id,
            tag_id,
            stamps.created_at.timestamp(),
            stamps.updated_at.timestamp(),
            user
        ],
    )
}

/// The most tags one contact may carry through [`TagRepo::set_names`].
pub const MAX_TAGS_PER_CONTACT: usize = 30;

/// Tag names as typed into one field, separated by commas: trimmed, blank ones dropped, a name
/// repeated (ignoring case) kept once. Errors name the first bad one.
pub fn tag_names(raw: &str) -> std::result::Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for piece in raw.split(',') {
        if piece.trim().is_empty() {
            continue;
        }
        let name = validate::required_text(piece, MAX_TAG_NAME)
            .map_err(|e| format!("“{}” {e}", piece.trim()))?;
        if !names
            .iter()
            .any(|n| n.to_lowercase() == name.to_lowercase())
        {
            names.push(name);
        }
    }
    if names.len() > MAX_TAGS_PER_CONTACT {
        return Err(format!("can hold at most {MAX_TAGS_PER_CONTACT} tags"));
    }
    Ok(names)
}

impl TagRepo<'_> {
    /// Makes `names` the tags of the user's contact: each an existing tag of the user (its
    /// name matched ignoring case) or a new one; tags not named are taken off (the tags stay).
    pub async fn set_names(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        names: &[String],
    ) -> Result<Vec<TagId>> {
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let mut ids = Vec::new();
        for name in names {
            ids.push(find_or_create(&*tx, user, &tag_name(name)?).await?.id);
        }
        let keep: Vec<String> = ids.iter().map(|id| id.as_str().to_string()).collect();
        tx.execute(
            "DELETE FROM contact_tag WHERE contact_id = ?1 \
             AND tag_id NOT IN (SELECT value FROM json_each(?2))",
            params![
                contact_id,
                serde_json::to_string(&keep)
                    .map_err(|e| Error::validation("tags", e.to_string()))?
            ],
        )
        .await?;
        for id in &ids {
            let stmt = attach_statement(user, contact_id, id, Stamps::now())?;
            tx.execute(&stmt.sql, stmt.values).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }
}

//! The tables that hold at most one row per contact (`background`, `contact_info`): one
//! repository for both, so that reading, upserting, merging, listing and deleting such a row
//! is written once.

use std::marker::PhantomData;

use libsql::{params, params_from_iter, Value};

use super::contact::{self, ContactId};
use super::user::UserId;
use super::{qualified, query_all, query_one, Upsert};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::query::{Query, Stmt};
use crate::row::{new_id, Reader, Stamps};

/// A row type of a one-per-contact table.
pub trait PerContact: Sized + Send + 'static {
    /// The validated values a write stores (built only by the table's `*Input::parse`).
    type New;
    const TABLE: &'static str;
    /// Every column, in the order [`PerContact::read`] reads them.
    const COLUMNS: &'static str;
    /// The columns a write sets, in the order of [`PerContact::values`].
    const DATA: &'static [&'static str];

    /// The table's one row decoder.
    fn read(r: &mut Reader) -> Result<Self>;

    /// The values of [`PerContact::DATA`] for a write.
    fn values(new: &Self::New) -> Result<Vec<Value>>;
}

/// The repository of a one-per-contact table `T`.
pub struct PerContactRepo<'e, T> {
    ex: Executor<'e>,
    row: PhantomData<fn() -> T>,
}

impl<T> Clone for PerContactRepo<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for PerContactRepo<'_, T> {}

impl<'e, T: PerContact> PerContactRepo<'e, T> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        PerContactRepo {
            ex: ex.into(),
            row: PhantomData,
        }
    }

    /// The row of the user's contact `contact_id`, `None` when it has none yet; `NotFound`
    /// when the contact is not the user's.
    pub fn get(&self, user: &UserId, contact_id: &ContactId) -> Query<'e, Option<T>> {
        // One row when the contact is the user's; the joined columns are NULL without one.
        Query::one(
            self.ex,
            format!(
                "SELECT {} FROM contact c LEFT JOIN {} t ON t.contact_id = c.id \
                 WHERE c.id = ?1 AND c.user_id = ?2",
                qualified("t", T::COLUMNS),
                T::TABLE
            ),
            params![contact_id, user],
            |row| {
                let mut r = Reader::new(row);
                if r.next_is_null()? {
                    Ok(None)
                } else {
                    T::read(&mut r).map(Some)
                }
            },
        )
        .and_then(|found| found.ok_or(Error::NotFound))
    }

    /// Creates or replaces the row of the user's contact `contact_id`.
    pub async fn upsert(&self, user: &UserId, contact_id: &ContactId, new: &T::New) -> Result<T> {
        self.upsert_at(user, contact_id, new, Stamps::now()).await
    }

    /// [`Self::upsert`] with the given times (a restore keeps the original ones).
    pub async fn upsert_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &T::New,
        stamps: Stamps,
    ) -> Result<T> {
        self.write(user, contact_id, new, stamps, Upsert::Replace)
            .await
    }

    /// Fills the blanks of the contact's row with `new` (creating it when there is none),
    /// never overwriting a value: what an import's merge does.
    pub async fn merge(&self, user: &UserId, contact_id: &ContactId, new: &T::New) -> Result<T> {
        self.write(user, contact_id, new, Stamps::now(), Upsert::FillBlanks)
            .await
    }

    /// [`Self::upsert_at`] for bulk writes (the demo seed, a restore): the same statement
    /// without `RETURNING`, deferred inside a unit of work (on a server it goes with hundreds
    /// of others in one request). A contact that is not the user's fails the unit of work (a
    /// NOT NULL error, at the latest at its commit) instead of answering `NotFound` here.
    pub async fn upsert_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &T::New,
        stamps: Stamps,
    ) -> Result<()> {
        let stmt = Self::statement(user, contact_id, new, stamps, Upsert::Replace)?;
        self.ex.defer(stmt).await
    }

    /// [`Self::merge`] for bulk writes (an import), deferred like [`Self::upsert_deferred`].
    pub async fn merge_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &T::New,
    ) -> Result<()> {
        let stmt = Self::statement(user, contact_id, new, Stamps::now(), Upsert::FillBlanks)?;
        self.ex.defer(stmt).await
    }

    /// The one INSERT of the table (without `RETURNING`): only for the user's own contact,
    /// whose id a subquery yields (NULL otherwise, which the NOT NULL column refuses).
    fn statement(
        user: &UserId,
        contact_id: &ContactId,
        new: &T::New,
        stamps: Stamps,
        mode: Upsert,
    ) -> Result<Stmt> {
        let mut values = vec![Value::Text(new_id()), contact_id.into()];
        values.extend(T::values(new)?);
        values.push(Value::Integer(stamps.created_at.timestamp()));
        values.push(Value::Integer(stamps.updated_at.timestamp()));
        values.push(user.into());
        let n = T::DATA.len();
        // ?3 … ?(n+2): the data; then the two times and the user.
        let data: Vec<String> = (3..3 + n).map(|i| format!("?{i}")).collect();
        Stmt::new(
            format!(
                "INSERT INTO {} (id, contact_id, {}, created_at, updated_at) \
                 VALUES (?1, (SELECT id FROM contact WHERE id = ?2 AND user_id = ?{}), \
                 {}, ?{}, ?{}) \
                 ON CONFLICT (contact_id) DO UPDATE SET {}",
                T::TABLE,
                T::DATA.join(", "),
                n + 5,
                data.join(", "),
                n + 3,
                n + 4,
                mode.set_clause(T::TABLE, T::DATA),
            ),
            params_from_iter(values),
        )
    }

    async fn write(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &T::New,
        stamps: Stamps,
        mode: Upsert,
    ) -> Result<T> {
        let stmt = Self::statement(user, contact_id, new, stamps, mode)?;
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let row = query_one(
            &tx,
            &format!("{} RETURNING {}", stmt.sql, T::COLUMNS),
            stmt.values,
            |row| T::read(&mut Reader::new(row)),
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(row)
    }

    /// Up to `limit` of the user's rows in id order (creation order: ids are UUID v7),
    /// starting after the id `after`; the flag says whether more follow.
    pub async fn list_after(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<T>, bool)> {
        let limit = limit.clamp(1, contact::MAX_PER_PAGE);
        let conn = self.ex.conn().await?;
        let mut rows = query_all(
            &conn,
            &format!(
                "SELECT {} FROM contact c JOIN {} t ON t.contact_id = c.id \
                 WHERE c.user_id = ?1 AND (?2 IS NULL OR t.id > ?2) ORDER BY t.id LIMIT +?3",
                qualified("t", T::COLUMNS),
                T::TABLE
            ),
            params![user, after.map(str::to_string), i64::from(limit) + 1],
            |row| T::read(&mut Reader::new(row)),
        )
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// Deletes the row of the user's contact; `NotFound` when there is none.
    pub async fn delete(&self, user: &UserId, contact_id: &ContactId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                &format!(
                    "DELETE FROM {} WHERE contact_id = ?1 \
                     AND contact_id IN (SELECT id FROM contact WHERE user_id = ?2)",
                    T::TABLE
                ),
                params![contact_id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}

//! Upkeep of the two full-text indexes (`contact_fts`, `interaction_fts`; see schema.sql).
//!
//! FTS5 writes an index as segments and merges them as it goes (`automerge`), but a bulk load
//! or years of small writes still leave it in several, and a search opens and reads every
//! segment: at 100,000 contacts a common word's page took a third less time on an index merged
//! into one (BENCHMARKS.md, stop 23). [`merge`] merges each index into one segment at once
//! (`devhub db optimize`, the end of `seed-demo`); [`merge_step`] does a bounded part of that
//! in one short transaction, and [`tidy`] takes such steps, within a time budget, on indexes
//! that have become fragmented: the server's hourly sweep.

use crate::db::Db;
use crate::error::Result;
use crate::repo::query_one;

/// The full-text indexes, each a contentless FTS5 table.
pub const SEARCH_INDEXES: [&str; 2] = ["contact_fts", "interaction_fts"];

/// Pages a [`merge_step`] writes at most per index: about 2 MiB, 20–50 ms at 100,000 contacts.
pub const STEP_PAGES: u32 = 500;

/// Segments from which [`tidy`] merges an index. FTS5's own merging keeps an index that takes
/// small writes at a few segments; merging those into one every hour would rewrite the whole
/// index each time (rows written, which a hosted database bills) for little gain.
pub const FRAGMENTED: i64 = 8;

/// How many segments each index holds now, in the order of [`SEARCH_INDEXES`].
pub async fn segments(db: &Db) -> Result<Vec<(&'static str, i64)>> {
    let conn = db.conn().await?;
    let mut out = Vec::new();
    for table in SEARCH_INDEXES {
        let count = query_one(
            &conn,
            &format!("SELECT count(DISTINCT segid) FROM {table}_idx"),
            (),
            |row| Ok(row.get::<i64>(0)?),
        )
        .await?
        .unwrap_or(0);
        out.push((table, count));
    }
    Ok(out)
}

/// Merges each index into one segment (FTS5's `optimize`), in one write transaction: about
/// 3 s at 100,000 contacts and a million interactions, during which other writes wait.
pub async fn merge(db: &Db) -> Result<()> {
    write_each(db, |t| {
        format!("INSERT INTO {t} ({t}) VALUES ('optimize');")
    })
    .await
}

/// Merges up to `pages` pages of each index's segments, of any level, towards one segment
/// (FTS5's `merge` with a negative amount), in one short write transaction. Repeated, it ends
/// where [`merge`] does; on an index of one segment it writes nothing.
pub async fn merge_step(db: &Db, pages: u32) -> Result<()> {
    write_each(db, |t| {
        format!("INSERT INTO {t} ({t}, rank) VALUES ('merge', -{pages});")
    })
    .await
}

/// Runs `statement` for each index, all in one write transaction.
async fn write_each(db: &Db, statement: impl Fn(&str) -> String) -> Result<()> {
    let batch = SEARCH_INDEXES.map(statement).join(" ");
    db.write(async |tx| {
        tx.execute_batch(&batch).await?;
        Ok(())
    })
    .await
}

/// When an index holds more than [`FRAGMENTED`] segments, merges the indexes a
/// [`merge_step`] at a time, each step a transaction of its own (other writes go between
/// them), until each is one segment or `budget` has passed; a merge left unfinished goes on at
/// the next call. Returns the steps taken. At 100,000 contacts, after a 5,000-card import left
/// 19 segments, 21 steps of 20–50 ms made one (BENCHMARKS.md).
pub async fn tidy(db: &Db, budget: std::time::Duration) -> Result<u32> {
    let started = std::time::Instant::now();
    let mut steps = 0;
    loop {
        let counts = segments(db).await?;
        let from = if steps == 0 { FRAGMENTED } else { 1 };
        if counts.iter().all(|(_, n)| *n <= from) || started.elapsed() >= budget {
            return Ok(steps);
        }
        merge_step(db, STEP_PAGES).await?;
        steps += 1;
    }
}

/// The statements that set how much of its new entries each index keeps in memory, and how
/// many segments of a level it lets pile up before merging them (FTS5's `hashsize` and
/// `automerge`; 1 MiB and 4 by default).
pub(crate) fn settings(hash_bytes: u32, automerge: u32) -> String {
    SEARCH_INDEXES
        .map(|t| {
            format!(
                "INSERT INTO {t} ({t}, rank) VALUES ('hashsize', {hash_bytes}); \
                 INSERT INTO {t} ({t}, rank) VALUES ('automerge', {automerge});"
            )
        })
        .join(" ")
}

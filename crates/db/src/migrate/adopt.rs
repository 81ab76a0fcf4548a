//! `devhub db adopt`: brings a database made by the original app (SvelteKit + Drizzle ORM,
//! recognised by Drizzle's `__drizzle_migrations` and no `__devhub_migrations`) to devhub's
//! schema in place, without losing a row.
//!
//! Everything happens in one write transaction with foreign keys off, so that it works on a
//! libSQL server too (where a file cannot be swapped) and a failure changes nothing:
//! the six original tables are renamed aside (`__adopt_user` …), devhub's migrations create
//! the schema (each recorded in `__devhub_migrations` by the runner's own apply), every row is
//! copied over (the database's triggers fill what devhub adds: an interaction's owner, the
//! contact counts, the search index), the renamed tables are dropped, Drizzle's journal is kept
//! as `__devhub_adopted_drizzle` (a record of what was adopted, ignored by drift), and
//! `PRAGMA foreign_key_check`, the row counts per table and per user and the schema are checked
//! before the commit.
//!
//! What changes on the way:
//! - `contact_info.social_links`, a JSON object of platform → URL in the original app, becomes
//!   devhub's JSON array of links: each value that is a web address (`github.com/ada` included)
//!   as that address, any other value (a handle) as the text "platform: value", so nothing is
//!   lost and the contact page shows links as links.
//! - Birthdays: devhub reads a birthday as the UTC date of its timestamp, and stores midnight
//!   UTC. A birthday stored at another time of day (a client that wrote local midnight) is moved
//!   to the nearest UTC midnight, the date it meant (negative timestamps before 1970 included).
//! - Usernames are lowercased (devhub's log-in lowercases what is typed).
//! - Password hashes are kept as they are. Those devhub cannot verify (anything but argon2) are
//!   reported: log-in tells their owners to ask for a password reset.
//! - The oldest account becomes the instance's admin.
//!
//! What it refuses (naming the rows, changing nothing): rows that reference missing parents
//! (devhub's foreign keys forbid them), a second background or contact info for one contact,
//! a status or interaction type outside devhub's closed sets, columns devhub does not have.

use std::collections::BTreeMap;

use super::{
    apply_in_transaction, dangling_references, differences, schema_of_migrations, table_exists,
    Migration, Schema, CREATE_MIGRATIONS_TABLE, MIGRATIONS_TABLE,
};
use crate::db::{Db, PooledConn};
use crate::error::{Error, Result};
use crate::repo::{query_all, query_one};
use crate::validate;

/// Drizzle's bookkeeping table.
pub const DRIZZLE_TABLE: &str = "__drizzle_migrations";
/// What `__drizzle_migrations` is renamed to: the record that this database was adopted.
pub const ADOPTED_TABLE: &str = "__devhub_adopted_drizzle";

/// The original design's tables, parents first, with the columns the original app has.
const ORIGINAL: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "id",
            "username",
            "password_hash",
            "created_at",
            "updated_at",
        ],
    ),
    ("session", &["id", "user_id", "expires_at"]),
    (
        "contact",
        &[
            "id",
            "user_id",
            "name",
            "relationship",
            "birthday",
            "industry",
            "location",
            "vip",
            "last_update",
            "last_contacted",
            "status",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "interaction",
        &[
            "id",
            "contact_id",
            "type",
            "date",
            "notes",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "background",
        &[
            "id",
            "contact_id",
            "family",
            "company",
            "likes_dislikes",
            "misc_notes",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "contact_info",
        &[
            "id",
            "contact_id",
            "main_app",
            "email",
            "phone_number",
            "social_links",
            "created_at",
            "updated_at",
        ],
    ),
];

/// What kind of database this is, as far as adoption goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Made by the original app: `__drizzle_migrations`, no `__devhub_migrations`.
    Drizzle,
    /// Already devhub's; `adopted` when it was adopted from the original app.
    Devhub { adopted: bool },
    /// Neither: an empty database, or one made by something else.
    Other,
}

/// Which kind of database `conn` holds.
pub async fn origin(conn: &PooledConn) -> Result<Origin> {
    if table_exists(conn, MIGRATIONS_TABLE).await? {
        return Ok(Origin::Devhub {
            adopted: table_exists(conn, ADOPTED_TABLE).await?,
        });
    }
    if table_exists(conn, DRIZZLE_TABLE).await? {
        return Ok(Origin::Drizzle);
    }
    Ok(Origin::Other)
}

/// The message `db migrate` and `serve` give on a database of the original app.
pub fn needs_adoption_message() -> String {
    "this database was made by the original app (it has Drizzle's __drizzle_migrations and no \
     devhub migrations): bring it to devhub's schema with `devhub db adopt` (keeps every row; \
     `--dry-run` first to see what it does)"
        .to_string()
}

/// Refuses (a one-line [`Error::Config`]) when `conn` holds a database of the original app
/// that has not been adopted: migrating it would fail on its first `CREATE TABLE`.
pub async fn refuse_unadopted(conn: &PooledConn) -> Result<()> {
    match origin(conn).await? {
        Origin::Drizzle => Err(Error::Config(needs_adoption_message())),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Default)]
pub struct AdoptOptions {
    /// Do everything, check everything, then roll back.
    pub dry_run: bool,
}

/// One account after adoption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptedUser {
    pub username: String,
    /// The username the original app had, when adoption lowercased it.
    pub renamed_from: Option<String>,
    pub contacts: i64,
    pub interactions: i64,
    /// Its password hash is not one devhub can verify: it needs a password reset.
    pub needs_reset: bool,
    pub admin: bool,
}

/// What adoption did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default)]
pub struct AdoptReport {
    pub dry_run: bool,
    /// Rows per original table, equal before and after.
    pub rows: Vec<(String, i64)>,
    pub users: Vec<AdoptedUser>,
    /// The migrations applied to make devhub's schema.
    pub migrations: Vec<String>,
    pub social_links_converted: i64,
    pub birthdays_moved: i64,
    /// Things worth knowing that did not stop it (a username devhub would not accept …).
    pub warnings: Vec<String>,
}

impl AdoptReport {
    pub fn needing_reset(&self) -> impl Iterator<Item = &AdoptedUser> {
        self.users.iter().filter(|u| u.needs_reset)
    }
}

#[derive(Debug, Clone)]
pub enum Adoption {
    /// The database is devhub's already (adopted before, or never the original app's).
    AlreadyDevhub {
        adopted: bool,
    },
    Adopted(AdoptReport),
}

fn refuse(message: impl Into<String>) -> Error {
    Error::Migration(format!("{}; nothing was changed", message.into()))
}

/// `devhub db adopt`: brings a database of the original app to devhub's schema (`migrations`,
/// normally every embedded one), in one transaction.
pub async fn adopt(db: &Db, migrations: &[Migration], options: &AdoptOptions) -> Result<Adoption> {
    // On an embedded replica, straight to the primary: the transaction, its reads included,
    // must see the server's database.
    let conn = db.primary().conn().await?;
    match origin(&conn).await? {
        Origin::Devhub { adopted } => return Ok(Adoption::AlreadyDevhub { adopted }),
        Origin::Other => {
            return Err(Error::Config(
                "not a database of the original app: it has no __drizzle_migrations table \
                 (`devhub db migrate` sets up a new or devhub database)"
                    .into(),
            ))
        }
        Origin::Drizzle => {}
    }
    let desired = schema_of_migrations(migrations).await?;
    // As the migration runner does: foreign keys off and BEGIN IMMEDIATE in one batch (a
    // server's stream keeps the setting only inside the transaction).
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE")
        .await?;
    let result = adopt_in_transaction(&conn, migrations, &desired).await;
    let commit = matches!(result, Ok(Adoption::Adopted(_))) && !options.dry_run;
    let ended = conn
        .execute(if commit { "COMMIT" } else { "ROLLBACK" }, ())
        .await;
    let restored = conn.execute("PRAGMA foreign_keys = ON", ()).await;
    let mut adoption = result?;
    ended?;
    restored?;
    if let Adoption::Adopted(report) = &mut adoption {
        report.dry_run = options.dry_run;
    }
    drop(conn);
    db.sync().await?;
    Ok(adoption)
}

async fn adopt_in_transaction(
    conn: &PooledConn,
    migrations: &[Migration],
    desired: &Schema,
) -> Result<Adoption> {
    // Again inside the transaction: another process may have adopted it meanwhile.
    match origin(conn).await? {
        Origin::Devhub { adopted } => return Ok(Adoption::AlreadyDevhub { adopted }),
        Origin::Other => return Err(refuse("the database changed while adopting it")),
        Origin::Drizzle => {}
    }
    let mut report = AdoptReport::default();
    check_source(conn, &mut report).await?;
    let before = counts(conn, "").await?;
    let users_before = per_user(conn, "").await?;
    let social = social_link_conversions(conn).await?;
    let names: BTreeMap<String, String> =
        query_all(conn, "SELECT id, username FROM user", (), |row| {
            Ok((row.get::<String>(0)?, row.get::<String>(1)?))
        })
        .await?
        .into_iter()
        .collect();

    // Aside: the original tables (their indexes dropped, so no name can clash with devhub's).
    let indexes = strings(
        conn,
        &format!(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ({})",
            original_names()
        ),
        (),
    )
    .await?;
    for index in indexes {
        conn.execute(&format!("DROP INDEX \"{index}\""), ()).await?;
    }
    for (table, _) in ORIGINAL {
        conn.execute(
            &format!("ALTER TABLE \"{table}\" RENAME TO \"__adopt_{table}\""),
            (),
        )
        .await?;
    }

    // devhub's schema, migration by migration, recorded as `db migrate` records them.
    conn.execute(CREATE_MIGRATIONS_TABLE, ()).await?;
    for migration in migrations {
        apply_in_transaction(conn, migration).await?;
        report.migrations.push(migration.label());
    }

    copy_rows(conn, &social).await?;
    report.social_links_converted = social.len() as i64;
    report.birthdays_moved = count(
        conn,
        "SELECT count(*) FROM __adopt_contact a JOIN contact c ON c.id = a.id \
         WHERE a.birthday IS NOT c.birthday",
    )
    .await?;

    // Every row is there, for every user.
    let after = counts(conn, "__adopt_").await?;
    let new: BTreeMap<String, i64> = counts(conn, "").await?.into_iter().collect();
    for ((table, old), (_, copied)) in before.iter().zip(&after) {
        let now = new.get(table).copied().unwrap_or(-1);
        if old != copied || *old != now {
            return Err(refuse(format!(
                "table {table} would have {now} rows instead of {old}"
            )));
        }
    }
    let users_after = per_user(conn, "new").await?;
    if users_after != users_before {
        return Err(refuse(
            "the contacts or interactions per user would differ after adoption",
        ));
    }
    report.rows = before;

    for (table, _) in ORIGINAL.iter().rev() {
        conn.execute(&format!("DROP TABLE \"__adopt_{table}\""), ())
            .await?;
    }
    conn.execute(
        &format!("ALTER TABLE {DRIZZLE_TABLE} RENAME TO {ADOPTED_TABLE}"),
        (),
    )
    .await?;

    if let Some(table) = dangling_references(conn).await? {
        return Err(refuse(format!(
            "rows in `{table}` would reference missing rows"
        )));
    }

    // The result is exactly devhub's schema (Drizzle's journal, kept as a record, aside).
    let mut live = Schema::read(conn).await?;
    live.tables.retain(|t| t.name != ADOPTED_TABLE);
    let left = differences(&live, desired);
    if !left.is_empty() {
        return Err(refuse(format!(
            "the adopted schema would differ from devhub's: {}",
            left.join("; ")
        )));
    }

    // The oldest account is the admin, as `serve` would make it.
    conn.execute(
        "UPDATE user SET role = 'admin' WHERE id = (\
         SELECT id FROM user WHERE disabled_at IS NULL ORDER BY created_at, rowid LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM user WHERE role = 'admin' AND disabled_at IS NULL)",
        (),
    )
    .await?;
    report.users = adopted_users(conn, &users_before, &names).await?;
    for u in &report.users {
        if validate::Username::parse(&u.username).is_err() {
            report.warnings.push(format!(
                "username {:?} is not one devhub accepts (3–32 of a–z, 0–9, _ and -): \
                 it is kept, but cannot be typed at log-in",
                u.username
            ));
        }
    }
    Ok(Adoption::Adopted(report))
}

fn original_names() -> String {
    ORIGINAL
        .iter()
        .map(|(t, _)| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn strings(
    conn: &PooledConn,
    sql: &str,
    params: impl libsql::params::IntoParams,
) -> Result<Vec<String>> {
    query_all(conn, sql, params, |row| Ok(row.get::<String>(0)?)).await
}

async fn count(conn: &PooledConn, sql: &str) -> Result<i64> {
    let n = query_one(conn, sql, (), |row| Ok(row.get::<i64>(0)?)).await?;
    Ok(n.unwrap_or(0))
}

/// Refuses what devhub's schema cannot hold, naming it, before anything is changed.
async fn check_source(conn: &PooledConn, report: &mut AdoptReport) -> Result<()> {
    let schema = Schema::read(conn).await?;
    for (table, columns) in ORIGINAL {
        let Some(t) = schema.table(table) else {
            return Err(refuse(format!(
                "the original app's table `{table}` is missing"
            )));
        };
        for c in *columns {
            if !t.columns.iter().any(|x| x.name.eq_ignore_ascii_case(c)) {
                return Err(refuse(format!("column {table}.{c} is missing")));
            }
        }
        for x in &t.columns {
            if !columns.iter().any(|c| x.name.eq_ignore_ascii_case(c)) {
                return Err(refuse(format!(
                    "column {table}.{} is not one devhub has: it would be lost",
                    x.name
                )));
            }
        }
    }
    // Other tables stay as they are (one named like a table of devhub's makes its migration
    // fail, and everything rolls back).
    for t in &schema.tables {
        let name = t.name.as_str();
        if ORIGINAL.iter().any(|(o, _)| *o == name) || name == DRIZZLE_TABLE {
            continue;
        }
        report.warnings.push(format!(
            "table {name} is not the original app's: kept as it is"
        ));
    }

    let problems: &[(&str, &str)] = &[
        (
            "contacts belong to a user that does not exist",
            "SELECT id FROM contact WHERE user_id NOT IN (SELECT id FROM user)",
        ),
        (
            "sessions belong to a user that does not exist",
            "SELECT id FROM session WHERE user_id NOT IN (SELECT id FROM user)",
        ),
        (
            "interactions belong to a contact that does not exist",
            "SELECT id FROM interaction WHERE contact_id NOT IN (SELECT id FROM contact)",
        ),
        (
            "backgrounds belong to a contact that does not exist",
            "SELECT id FROM background WHERE contact_id NOT IN (SELECT id FROM contact)",
        ),
        (
            "contact infos belong to a contact that does not exist",
            "SELECT id FROM contact_info WHERE contact_id NOT IN (SELECT id FROM contact)",
        ),
        (
            "contacts have a second background (devhub keeps one per contact)",
            "SELECT contact_id FROM background GROUP BY contact_id HAVING count(*) > 1",
        ),
        (
            "contacts have a second contact info (devhub keeps one per contact)",
            "SELECT contact_id FROM contact_info GROUP BY contact_id HAVING count(*) > 1",
        ),
        (
            "contacts have a status other than active or archived",
            "SELECT id FROM contact WHERE status NOT IN ('active', 'archived')",
        ),
        (
            "contacts have a vip flag other than 0 or 1",
            "SELECT id FROM contact WHERE vip NOT IN (0, 1)",
        ),
        (
            "interactions have a type other than meeting, call, email, message or other",
            "SELECT id FROM interaction \
             WHERE type NOT IN ('meeting', 'call', 'email', 'message', 'other')",
        ),
        (
            "usernames are the same but for upper and lower case",
            "SELECT lower(trim(username)) FROM user GROUP BY lower(trim(username)) \
             HAVING count(*) > 1",
        ),
    ];
    for (what, sql) in problems {
        let ids = strings(conn, sql, ()).await?;
        if !ids.is_empty() {
            let shown = ids.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            let more = if ids.len() > 5 { " …" } else { "" };
            return Err(refuse(format!(
                "{} {what} ({shown}{more}): fix them with the original app or the studio first",
                ids.len()
            )));
        }
    }
    Ok(())
}

/// Rows per original table, of `prefix` + table.
async fn counts(conn: &PooledConn, prefix: &str) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for (table, _) in ORIGINAL {
        let n = count(conn, &format!("SELECT count(*) FROM \"{prefix}{table}\"")).await?;
        out.push((table.to_string(), n));
    }
    Ok(out)
}

/// Per user id: (contacts, interactions, backgrounds, contact infos, sessions), read from
/// the original tables (`""`, before they are renamed) or devhub's (`"new"`).
async fn per_user(
    conn: &PooledConn,
    which: &str,
) -> Result<BTreeMap<String, (i64, i64, i64, i64, i64)>> {
    let sql = if which.is_empty() {
        "SELECT u.id, \
            (SELECT count(*) FROM contact c WHERE c.user_id = u.id), \
            (SELECT count(*) FROM interaction i JOIN contact c ON c.id = i.contact_id \
                WHERE c.user_id = u.id), \
            (SELECT count(*) FROM background b JOIN contact c ON c.id = b.contact_id \
                WHERE c.user_id = u.id), \
            (SELECT count(*) FROM contact_info x JOIN contact c ON c.id = x.contact_id \
                WHERE c.user_id = u.id), \
            (SELECT count(*) FROM session s WHERE s.user_id = u.id) \
         FROM user u"
    } else {
        // devhub's own way of owning an interaction: its user_id, filled by the trigger.
        "SELECT u.id, \
            (SELECT count(*) FROM contact c WHERE c.user_id = u.id), \
            (SELECT count(*) FROM interaction i WHERE i.user_id = u.id), \
            (SELECT count(*) FROM background b JOIN contact c ON c.id = b.contact_id \
                WHERE c.user_id = u.id), \
            (SELECT count(*) FROM contact_info x JOIN contact c ON c.id = x.contact_id \
                WHERE c.user_id = u.id), \
            (SELECT count(*) FROM session s WHERE s.user_id = u.id) \
         FROM user u"
    };
    let rows = query_all(conn, sql, (), |row| {
        Ok((
            row.get::<String>(0)?,
            (
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ),
        ))
    })
    .await?;
    Ok(rows.into_iter().collect())
}

/// The original `social_links` that need converting: contact info id → devhub's JSON array.
async fn social_link_conversions(conn: &PooledConn) -> Result<BTreeMap<String, String>> {
    let rows = query_all(
        conn,
        "SELECT id, social_links FROM contact_info \
         WHERE social_links IS NOT NULL AND trim(social_links) != ''",
        (),
        |row| {
            let raw: String = match row.get_value(1)? {
                libsql::Value::Text(t) => t,
                other => format!("{other:?}"),
            };
            Ok((row.get::<String>(0)?, raw))
        },
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, raw)| convert_social_links(&raw).map(|converted| (id, converted)))
        .collect())
}

/// devhub's `social_links` (a JSON array of strings) for what the original app stored, or
/// `None` when it is devhub's format already.
///
/// An object of platform → URL gives its values in order: a value that is a web address as
/// that address (`github.com/ada` → `https://github.com/ada`), anything else as
/// "platform: value" (text the page shows as it is). A plain string is one link.
pub fn convert_social_links(raw: &str) -> Option<String> {
    let link = |key: Option<&str>, value: &str| -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        Some(match validate::web_address(value) {
            Ok(url) => url,
            Err(_) => match key {
                Some(key) if !key.trim().is_empty() => format!("{}: {value}", key.trim()),
                _ => value.to_string(),
            },
        })
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // An object keeps its order (serde_json's map would sort the platforms).
    if let Ok(Ordered(entries)) = serde_json::from_str::<Ordered>(raw) {
        let links: Vec<String> = entries
            .iter()
            .filter_map(|(k, v)| link(Some(k), &text(v)))
            .collect();
        return Some(serde_json::Value::from(links).to_string());
    }
    let links: Vec<String> = match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => {
            if items.iter().all(serde_json::Value::is_string) {
                return None;
            }
            items.iter().filter_map(|v| link(None, &text(v))).collect()
        }
        Ok(serde_json::Value::Null) => return None,
        Ok(other) => link(None, &text(&other)).into_iter().collect(),
        Err(_) => link(None, raw).into_iter().collect(),
    };
    Some(serde_json::Value::from(links).to_string())
}

/// A JSON object's entries in their order.
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// Copies every row from the renamed original tables into devhub's, parents first, in their
/// original order (so the search index is written in increasing rowids).
async fn copy_rows(conn: &PooledConn, social: &BTreeMap<String, String>) -> Result<()> {
    let map = serde_json::to_string(social).unwrap_or_else(|_| "{}".into());
    let statements: [(&str, &str); 6] = [
        (
            "user",
            "INSERT INTO user (id, username, password_hash, created_at, updated_at) \
             SELECT id, lower(trim(username)), password_hash, created_at, updated_at \
             FROM __adopt_user ORDER BY rowid",
        ),
        (
            "session",
            "INSERT INTO session (id, user_id, expires_at) \
             SELECT id, user_id, expires_at FROM __adopt_session ORDER BY rowid",
        ),
        (
            "contact",
            // A birthday at another time than midnight UTC: the nearest midnight UTC.
            "INSERT INTO contact (id, user_id, name, relationship, birthday, industry, location, \
                vip, last_update, last_contacted, status, created_at, updated_at) \
             SELECT id, user_id, name, relationship, \
                CASE WHEN birthday IS NULL THEN NULL \
                    ELSE unixepoch(date(birthday + 43200, 'unixepoch')) END, \
                industry, location, vip, last_update, last_contacted, status, created_at, \
                updated_at \
             FROM __adopt_contact ORDER BY rowid",
        ),
        (
            "interaction",
            "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
             SELECT id, contact_id, type, date, notes, created_at, updated_at \
             FROM __adopt_interaction ORDER BY rowid",
        ),
        (
            "background",
            "INSERT INTO background (id, contact_id, family, company, likes_dislikes, misc_notes, \
                created_at, updated_at) \
             SELECT id, contact_id, family, company, likes_dislikes, misc_notes, created_at, \
                updated_at \
             FROM __adopt_background ORDER BY rowid",
        ),
        (
            "contact_info",
            "INSERT INTO contact_info (id, contact_id, main_app, email, phone_number, \
                social_links, created_at, updated_at) \
             SELECT a.id, a.contact_id, a.main_app, a.email, a.phone_number, \
                coalesce((SELECT m.value FROM json_each(?1) m WHERE m.key = a.id), \
                    a.social_links), \
                a.created_at, a.updated_at \
             FROM __adopt_contact_info a ORDER BY a.rowid",
        ),
    ];
    for (table, sql) in statements {
        let done = if table == "contact_info" {
            conn.execute(sql, [map.clone()]).await
        } else {
            conn.execute(sql, ()).await
        };
        done.map_err(|e| refuse(format!("copying the rows of {table} failed: {e}")))?;
    }
    Ok(())
}

async fn adopted_users(
    conn: &PooledConn,
    counts: &BTreeMap<String, (i64, i64, i64, i64, i64)>,
    original_names: &BTreeMap<String, String>,
) -> Result<Vec<AdoptedUser>> {
    let rows = query_all(
        conn,
        "SELECT id, username, password_hash, role FROM user ORDER BY created_at, rowid",
        (),
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
            ))
        },
    )
    .await?;
    let mut out = Vec::new();
    for (id, username, hash, role) in rows {
        let (contacts, interactions, ..) = counts.get(&id).copied().unwrap_or_default();
        out.push(AdoptedUser {
            renamed_from: original_names.get(&id).filter(|o| **o != username).cloned(),
            username,
            contacts,
            interactions,
            needs_reset: !crate::password::is_supported_hash(&hash),
            admin: role == "admin",
        });
    }
    Ok(out)
}

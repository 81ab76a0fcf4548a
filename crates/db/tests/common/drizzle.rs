//! A database of the original app (SvelteKit + Drizzle ORM), as SQL that loads into any
//! database (a file or a libSQL server), for the tests of `devhub db adopt`.
//!
//! When `../shared/fixtures/seed-drizzle/original-app.db` exists (or `DEVHUB_DRIZZLE_DB` names
//! a file), a copy of it is dumped (schema and every row); otherwise the same kind of database
//! is made here: the original app's drizzle-kit migration (a copy of the fixture's, in
//! `crates/db/tests/fixtures/drizzle/`) run the way Drizzle's libsql migrator runs it (with its
//! `__drizzle_migrations` journal), then rows as Drizzle writes them: 2 users, 60 contacts,
//! 180 interactions, VIP backgrounds and contact infos; Unix-second timestamps, negative
//! birthdays before 1970, `vip` 0/1, `social_links` as a JSON object of platform → URL, and
//! `scrypt$…` password hashes devhub does not know.
#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::PathBuf;

use devhub_db::{Db, DbConfig, OpenMode};

/// The original app's migration, as drizzle-kit wrote it.
pub const DRIZZLE_MIGRATION: &str = include_str!("../fixtures/drizzle/migrations/0000_init.sql");
/// The `when` of drizzle-kit's journal entry (Drizzle's migrator stores it as created_at).
const DRIZZLE_WHEN: i64 = 1_795_634_613_473;

/// The fixture database made by the original app's stack, when it is on this machine.
pub fn original_app_db() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DEVHUB_DRIZZLE_DB") {
        return Some(PathBuf::from(path));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/seed-drizzle/original-app.db");
    path.exists().then_some(path)
}

/// SQL that makes the original app's database: the fixture's dump when there is one, the
/// generated one otherwise.
pub async fn original_app_sql() -> String {
    match original_app_db() {
        Some(path) => dump(&path).await,
        None => generated_sql(),
    }
}

/// Loads the original app's database into `db` (empty: a file or a server).
pub async fn load(db: &Db) {
    let sql = original_app_sql().await;
    let conn = db.conn().await.unwrap();
    conn.execute_batch(&sql).await.unwrap();
}

/// A dump of a copy of `path` (the fixture is read-only input): its schema, then its rows.
pub async fn dump(path: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("original-app.db");
    std::fs::copy(path, &copy).unwrap();
    let db = Db::open(&DbConfig::local(&copy), OpenMode::MustExist)
        .await
        .unwrap();
    let conn = db.conn().await.unwrap();
    let mut out = String::new();
    let mut tables = Vec::new();
    let mut rows = conn
        .query(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL \
             AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid",
            (),
        )
        .await
        .unwrap();
    while let Some(row) = rows.next().await.unwrap() {
        let kind: String = row.get(0).unwrap();
        let name: String = row.get(1).unwrap();
        let sql: String = row.get(2).unwrap();
        writeln!(out, "{sql};").unwrap();
        if kind == "table" {
            tables.push(name);
        }
    }
    drop(rows);
    for table in tables {
        let mut columns = Vec::new();
        let mut rows = conn
            .query("SELECT name FROM pragma_table_info(?1)", [table.clone()])
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            columns.push(row.get::<String>(0).unwrap());
        }
        drop(rows);
        let quoted = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let names = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows = conn
            .query(
                &format!("SELECT {quoted} FROM \"{table}\" ORDER BY rowid"),
                (),
            )
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            let values: String = row.get(0).unwrap();
            writeln!(out, "INSERT INTO \"{table}\" ({names}) VALUES ({values});").unwrap();
        }
    }
    out
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt(s: Option<&str>) -> String {
    s.map_or("NULL".into(), q)
}

/// Midnight UTC of a date, in Unix seconds (how `new Date('1956-03-14')` is stored).
fn day(y: i32, m: u32, d: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

pub const USERS: [(&str, &str); 2] = [("u-ada", "ada"), ("u-grace", "Grace")];
/// Contacts per user, in the order of [`USERS`].
pub const CONTACTS_PER_USER: [usize; 2] = [40, 20];

/// The generated database: Drizzle's migration and journal, then the rows.
pub fn generated_sql() -> String {
    let mut out = String::new();
    // Drizzle's libsql migrator: its journal table, then each migration's statements (split on
    // drizzle-kit's breakpoints) and a journal row with the file's sha256.
    out.push_str(
        "CREATE TABLE IF NOT EXISTS \"__drizzle_migrations\" (\n\
         \tid SERIAL PRIMARY KEY,\n\thash text NOT NULL,\n\tcreated_at numeric\n);\n",
    );
    for statement in DRIZZLE_MIGRATION.split("--> statement-breakpoint") {
        writeln!(out, "{};", statement.trim()).unwrap();
    }
    use sha2::Digest as _;
    let hash: String = sha2::Sha256::digest(DRIZZLE_MIGRATION.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    writeln!(
        out,
        "INSERT INTO \"__drizzle_migrations\" (\"hash\", \"created_at\") VALUES ('{hash}', {DRIZZLE_WHEN});"
    )
    .unwrap();

    let base = 1_735_689_600; // 2025-01-01
    for (i, (id, name)) in USERS.iter().enumerate() {
        writeln!(
            out,
            "INSERT INTO user (id, username, password_hash, created_at, updated_at) VALUES \
             ({}, {}, {}, {}, {});",
            q(id),
            q(name),
            q(&format!("scrypt$c2FsdHNhbHQ{i}$aGFzaGhhc2hoYXNo{i}")),
            base + i as i64 * 86_400,
            base + i as i64 * 86_400,
        )
        .unwrap();
    }
    writeln!(
        out,
        "INSERT INTO session (id, user_id, expires_at) VALUES \
         ('{}', 'u-ada', {});",
        "a".repeat(64),
        base + 40 * 86_400
    )
    .unwrap();

    let relationships = ["colleague", "friend", "mentor", "conference", "open source"];
    let industries = ["software", "fintech", "education", "health", "games"];
    let types = ["meeting", "call", "email", "message", "other"];
    let mut n = 0;
    for (u, (user, _)) in USERS.iter().enumerate() {
        for k in 0..CONTACTS_PER_USER[u] {
            n += 1;
            let id = format!("c-{n:03}");
            let vip = i64::from(n % 10 == 0);
            let status = if n % 13 == 0 { "archived" } else { "active" };
            let birthday = match n % 4 {
                0 => "NULL".to_string(),
                1 => day(
                    1950 + (n % 19) as i32,
                    1 + (n % 12) as u32,
                    1 + (n % 28) as u32,
                )
                .to_string(),
                2 => day(
                    1975 + (n % 20) as i32,
                    1 + (n % 12) as u32,
                    1 + (n % 28) as u32,
                )
                .to_string(),
                _ => day(
                    1962 + (n % 7) as i32,
                    1 + (n % 12) as u32,
                    1 + (n % 28) as u32,
                )
                .to_string(),
            };
            let created = base + 2 * 86_400 + n as i64 * 3_600;
            let name = match n {
                1 => "Margaret Hamilton".to_string(),
                2 => "Linus Example".to_string(),
                _ => format!("Contact {n:03} of {}", &user[2..]),
            };
            let birthday = match n {
                // 1936-08-17, before 1970: negative.
                1 => day(1936, 8, 17).to_string(),
                // Written at local midnight by a browser two hours east of UTC: 22:00 UTC the
                // day before. Devhub reads birthdays as UTC dates.
                2 => (day(1969, 12, 28) - 2 * 3_600).to_string(),
                _ => birthday,
            };
            writeln!(
                out,
                "INSERT INTO contact (id, user_id, name, relationship, birthday, industry, \
                 location, vip, last_update, last_contacted, status, created_at, updated_at) \
                 VALUES ({}, {}, {}, {}, {birthday}, {}, {}, {vip}, {created}, {}, {}, \
                 {created}, {created});",
                q(&id),
                q(user),
                q(&name),
                opt((k % 3 != 0).then_some(relationships[n % 5])),
                opt(Some(industries[n % 5])),
                opt((n % 2 == 0).then_some("Berlin")),
                if n % 5 == 0 {
                    "NULL".to_string()
                } else {
                    (created + 86_400).to_string()
                },
                q(status),
            )
            .unwrap();
            for j in 0..3 {
                writeln!(
                    out,
                    "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, \
                     updated_at) VALUES ({}, {}, {}, {}, {}, {}, {});",
                    q(&format!("i-{n:03}-{j}")),
                    q(&id),
                    q(types[(n + j) % 5]),
                    created + (j as i64 + 1) * 86_400,
                    opt((j != 1).then_some(&*format!("talked about project {n}-{j}"))),
                    created + (j as i64 + 1) * 86_400,
                    created + (j as i64 + 1) * 86_400,
                )
                .unwrap();
            }
            if vip == 1 {
                writeln!(
                    out,
                    "INSERT INTO background (id, contact_id, family, company, likes_dislikes, \
                     misc_notes, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, NULL, \
                     {created}, {created});",
                    q(&format!("b-{n:03}")),
                    q(&id),
                    q("two kids"),
                    q(&format!("Company {n}")),
                    q("likes tea, dislikes meetings"),
                )
                .unwrap();
            }
            if n % 3 == 1 {
                let social = match n {
                    1 => Some(
                        r#"{"linkedin": "https://www.linkedin.com/in/mhamilton", "x": "https://x.com/mhamilton", "github": "github.com/mhamilton", "mastodon": "@mh@hachyderm.io"}"#
                            .to_string(),
                    ),
                    _ if n % 2 == 0 => Some(format!(r#"{{"github": "https://github.com/c{n}"}}"#)),
                    _ => None,
                };
                writeln!(
                    out,
                    "INSERT INTO contact_info (id, contact_id, main_app, email, phone_number, \
                     social_links, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, \
                     {created}, {created});",
                    q(&format!("ci-{n:03}")),
                    q(&id),
                    q("Signal"),
                    q(&format!("contact{n}@example.com")),
                    q("+44 20 7946 0958"),
                    opt(social.as_deref()),
                )
                .unwrap();
            }
        }
    }
    out
}

//! Bulk writes on a libSQL server: the demo seed, an import and a restore send their rows as
//! deferred statements, hundreds per request, instead of one request per row. A counting proxy
//! between the client and a real `sqld` counts the requests. The other tests run in every mode
//! (`DEVHUB_TEST_MODE=local|remote|replica`): a deferred write that fails fails its unit of
//! work, which then writes nothing.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "common/counting_proxy.rs"]
mod counting_proxy;

use common::{contact, sqld, test_db, user};
use counting_proxy::CountingProxy;
use devhub_db::repo::contact::ContactStamps;
use devhub_db::seed::{seed_user, SeedOptions};
use devhub_db::transfer::plan::DuplicatePolicy;
use devhub_db::transfer::{import, Imported};
use devhub_db::{migrate, Db, DbConfig, InteractionInput, OpenMode};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

/// A database on a fresh `sqld`, reached through a counting proxy.
async fn counted_server(dir: &std::path::Path) -> (sqld::Sqld, CountingProxy, Db) {
    let server = sqld::Sqld::start(dir);
    let proxy = CountingProxy::start(server.port).await;
    let config = DbConfig {
        url: proxy.url(),
        ..DbConfig::default()
    };
    let db = Db::open(&config, OpenMode::CreateIfMissing).await.unwrap();
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    (server, proxy, db)
}

async fn rows(db: &Db, sql: &str) -> i64 {
    common::count(db, sql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_a_user_on_a_server_sends_hundreds_of_rows_per_request() {
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, proxy, db) = counted_server(dir.path()).await;
    let options = SeedOptions {
        contacts_per_user: 300,
        interactions_per_contact: 3,
        seed: 7,
    };
    let before = proxy.requests();
    let seeded = seed_user(&db, 1, HASH, &options).await.unwrap();
    let requests = proxy.requests() - before;
    eprintln!("seeding 1 user x 300 contacts x 3 interactions: {requests} requests");
    assert_eq!(seeded.contacts, 300);
    assert_eq!(seeded.interactions, 900);
    // About 1,300 rows: one request each was about 1,300 requests.
    assert!(requests < 50, "seeding cost {requests} requests");

    let user = seeded.user.id.as_str().to_string();
    let q = |sql: &str| sql.replace("?U", &format!("'{user}'"));
    assert_eq!(
        rows(&db, &q("SELECT count(*) FROM contact WHERE user_id = ?U")).await,
        300
    );
    assert_eq!(
        rows(
            &db,
            &q(
                "SELECT count(*) FROM interaction i JOIN contact c ON c.id = i.contact_id \
                WHERE c.user_id = ?U"
            )
        )
        .await,
        900
    );
    // About half of the others have contact details too, and every other VIP a second
    // e-mail and phone (in contact_detail).
    let count = |table: &str| {
        q(&format!(
            "SELECT count(*) FROM {table} t JOIN contact c ON c.id = t.contact_id \
             WHERE c.user_id = ?U"
        ))
    };
    let infos = rows(&db, &count("contact_info")).await;
    assert!((100..=200).contains(&infos), "{infos} contact_info rows");
    assert!(rows(&db, &count("contact_detail")).await >= 30);
    // Every 10th contact is a VIP with a background.
    for table in ["background"] {
        assert_eq!(
            rows(
                &db,
                &q(&format!(
                    "SELECT count(*) FROM {table} t JOIN contact c ON c.id = t.contact_id \
                     WHERE c.user_id = ?U"
                ))
            )
            .await,
            30,
            "{table}"
        );
    }
    assert!(rows(&db, &q("SELECT count(*) FROM follow_up WHERE user_id = ?U")).await > 0);
    // The one pass after the deferred interactions saw all of them.
    assert_eq!(
        rows(
            &db,
            &q("SELECT count(*) FROM contact WHERE user_id = ?U AND last_contacted IS NULL")
        )
        .await,
        0
    );
}

/// `count` vCards, each with an e-mail, a company and a category.
fn vcards(count: usize) -> Vec<u8> {
    let mut text = String::new();
    for i in 0..count {
        text.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nEMAIL:person{i}@example.com\r\n\
             ORG:Company {}\r\nCATEGORIES:group{}\r\nEND:VCARD\r\n",
            i % 7,
            i % 3
        ));
    }
    text.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_on_a_server_sends_hundreds_of_rows_per_request() {
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, proxy, db) = counted_server(dir.path()).await;
    let u = user(&db).await;
    let before = proxy.requests();
    let imported = import(&db, &u.id, &vcards(300), DuplicatePolicy::Merge, false)
        .await
        .unwrap();
    let requests = proxy.requests() - before;
    eprintln!("importing 300 vCards: {requests} requests");
    let Imported::Contacts { summary, .. } = imported else {
        panic!("a vCard import")
    };
    assert_eq!(summary.unwrap().created, 300);
    // 300 contacts, 300 backgrounds, 300 contact details, 300 tag links and 3 tags.
    assert!(requests < 40, "the import cost {requests} requests");
    let user = u.id.as_str();
    for (sql, expected) in [
        ("SELECT count(*) FROM contact WHERE user_id = ?U", 300),
        (
            "SELECT count(*) FROM background t JOIN contact c ON c.id = t.contact_id \
             WHERE c.user_id = ?U",
            300,
        ),
        (
            "SELECT count(*) FROM contact_info t JOIN contact c ON c.id = t.contact_id \
             WHERE c.user_id = ?U",
            300,
        ),
        (
            "SELECT count(*) FROM contact_tag t JOIN contact c ON c.id = t.contact_id \
             WHERE c.user_id = ?U",
            300,
        ),
        ("SELECT count(*) FROM tag WHERE user_id = ?U", 3),
    ] {
        let sql = sql.replace("?U", &format!("'{user}'"));
        assert_eq!(rows(&db, &sql).await, expected, "{sql}");
    }
    // Importing the same file again finds only duplicates, and merges them.
    let again = import(&db, &u.id, &vcards(300), DuplicatePolicy::Merge, false)
        .await
        .unwrap();
    let Imported::Contacts { summary, .. } = again else {
        panic!("a vCard import")
    };
    assert_eq!(summary.unwrap().created, 0);
    assert_eq!(
        rows(
            &db,
            &format!("SELECT count(*) FROM contact WHERE user_id = '{user}'")
        )
        .await,
        300
    );
}

fn call() -> devhub_db::NewInteraction {
    InteractionInput {
        type_: "call".into(),
        date: "2024-05-01".into(),
        notes: None,
    }
    .parse()
    .unwrap()
}

#[tokio::test]
async fn a_deferred_write_that_fails_fails_its_unit_of_work_and_nothing_is_written() {
    let db = test_db().await;
    let u = user(&db).await;
    let other = user(&db).await;
    let theirs = db
        .contacts()
        .create(&other.id, &contact("Theirs"))
        .await
        .unwrap();
    let result = db
        .write(async |tx| {
            for name in ["Ada", "Grace", "Barbara"] {
                let id = tx
                    .contacts()
                    .insert_deferred(&u.id, &contact(name), ContactStamps::now())
                    .await?;
                tx.interactions()
                    .insert_deferred(&u.id, &id, &call(), devhub_db::row::Stamps::now())
                    .await?;
            }
            // Another user's contact: refused (at once on a local file, at the commit on a
            // server), and everything above goes too.
            tx.interactions()
                .insert_deferred(&u.id, &theirs.id, &call(), devhub_db::row::Stamps::now())
                .await?;
            Ok(())
        })
        .await;
    let err = result.unwrap_err();
    assert!(
        err.to_string().contains("NOT NULL constraint failed"),
        "{err}"
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM contact").await, 1);
    assert_eq!(rows(&db, "SELECT count(*) FROM interaction").await, 0);
    // The pool goes on.
    db.contacts().create(&u.id, &contact("Ada")).await.unwrap();
    assert_eq!(rows(&db, "SELECT count(*) FROM contact").await, 2);
}

#[tokio::test]
async fn a_failed_deferred_write_fails_the_next_read_and_the_commit_even_when_ignored() {
    let db = test_db().await;
    let u = user(&db).await;
    let other = user(&db).await;
    let theirs = db
        .contacts()
        .create(&other.id, &contact("Theirs"))
        .await
        .unwrap();
    let tx = db.begin_write().await.unwrap();
    let ada = tx
        .contacts()
        .insert_deferred(&u.id, &contact("Ada"), ContactStamps::now())
        .await
        .unwrap();
    // The error is dropped on purpose (on a local file it comes here, on a server later).
    let _ = tx
        .interactions()
        .insert_deferred(&u.id, &theirs.id, &call(), devhub_db::row::Stamps::now())
        .await;
    let read = tx.contacts().get(&u.id, &ada).await;
    // A replica's unit of work runs on its primary, as on a plain server.
    if !tx.location().is_remote() {
        // Run at once: the failed statement undid itself alone, the contact is there.
        assert!(read.is_ok(), "{read:?}");
        tx.rollback().await.unwrap();
    } else {
        assert!(read.is_err(), "{read:?}");
        let committed = tx.commit().await;
        assert!(committed.is_err(), "{committed:?}");
    }
    assert_eq!(rows(&db, "SELECT count(*) FROM contact").await, 1);
}

#[tokio::test]
async fn reads_in_a_unit_of_work_see_its_deferred_writes() {
    let db = test_db().await;
    let u = user(&db).await;
    let (listed, found) = db
        .write(async |tx| {
            let id = tx
                .contacts()
                .insert_deferred(&u.id, &contact("Ada"), ContactStamps::now())
                .await?;
            tx.interactions()
                .insert_deferred(&u.id, &id, &call(), devhub_db::row::Stamps::now())
                .await?;
            let found = tx.contacts().get(&u.id, &id).await?;
            let (listed, total) = tx
                .interactions()
                .list_for_contact(&u.id, &id, 10, 0)
                .await?;
            assert_eq!(total, 1);
            Ok((listed, found))
        })
        .await
        .unwrap();
    assert_eq!(found.name, "Ada");
    assert_eq!(listed.len(), 1);
    assert!(matches!(
        db.contacts().get(&u.id, &found.id).await,
        Ok(c) if c.name == "Ada"
    ));
}

//! Reads on a libSQL server keep their stream open between requests (`Db::read_on_server`):
//! the server then need not open a connection for every page. A counting proxy between the
//! client and a real `sqld` counts the requests that open a stream. These tests start their
//! own server, so they run in the default pass alone: the behaviour is the plain remote
//! mode's, whatever `DEVHUB_TEST_MODE` says.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "common/counting_proxy.rs"]
mod counting_proxy;

#[path = "common/drizzle.rs"]
mod drizzle;

use common::{contact, sqld, user};
use counting_proxy::CountingProxy;
use devhub_db::{migrate, Db, DbConfig, OpenMode};

async fn open(url: String) -> Db {
    let config = DbConfig {
        url,
        ..DbConfig::default()
    };
    Db::open(&config, OpenMode::CreateIfMissing).await.unwrap()
}

/// The contacts of `owner` as the pages read them: a batch of reads.
async fn contacts_seen(db: &Db, owner: &devhub_db::UserId) -> u64 {
    let contacts = db.contacts();
    let (counts, _) = db
        .batch((
            contacts.counts(owner),
            db.user_settings().saved(devhub_db::Owner::User(owner)),
        ))
        .await
        .unwrap();
    counts.total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_reuse_their_stream_and_still_see_every_write_at_once() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let proxy = CountingProxy::start(server.port).await;
    let db = open(proxy.url()).await;
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    // Another instance on the same server, not through the proxy.
    let other = open(server.url()).await;
    let me = user(&db).await;

    assert_eq!(contacts_seen(&db, &me.id).await, 0);
    let (requests, streams) = (proxy.requests(), proxy.new_streams());
    for _ in 0..20 {
        assert_eq!(contacts_seen(&db, &me.id).await, 0);
    }
    assert_eq!(proxy.requests() - requests, 20, "one request per batch");
    assert_eq!(
        proxy.new_streams() - streams,
        0,
        "reads one after the other go on the stream the one before left open"
    );

    // A write on another instance is seen by the next read, on its kept stream.
    other
        .contacts()
        .create(&me.id, &contact("Ada"))
        .await
        .unwrap();
    assert_eq!(contacts_seen(&db, &me.id).await, 1);

    // A write through this pool after reads is not held inside a kept stream's transaction: the other
    // instance sees it the moment it is acknowledged, and so does this one.
    db.contacts()
        .create(&me.id, &contact("Grace"))
        .await
        .unwrap();
    assert_eq!(contacts_seen(&other, &me.id).await, 2);
    assert_eq!(contacts_seen(&db, &me.id).await, 2);
    let tx = db.begin_write().await.unwrap();
    tx.contacts()
        .create(&me.id, &contact("Linus"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(contacts_seen(&other, &me.id).await, 3);

    // Reads at the same time each get a stream; they are all kept for the next ones.
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (db, owner) = (db.clone(), me.id.clone());
        reads.spawn(async move { contacts_seen(&db, &owner).await });
    }
    while let Some(seen) = reads.join_next().await {
        assert_eq!(seen.unwrap(), 3);
    }
    let streams = proxy.new_streams();
    for _ in 0..10 {
        assert_eq!(contacts_seen(&db, &me.id).await, 3);
    }
    assert_eq!(proxy.new_streams() - streams, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_stream_the_server_forgot_is_replaced_without_an_error() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = sqld::Sqld::start(dir.path());
    let db = open(server.url()).await;
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    let me = user(&db).await;
    db.contacts().create(&me.id, &contact("Ada")).await.unwrap();
    assert_eq!(contacts_seen(&db, &me.id).await, 1);

    // A restart forgets every stream: the kept one answers "invalid baton".
    server.restart();
    assert_eq!(contacts_seen(&db, &me.id).await, 1);
    db.contacts()
        .create(&me.id, &contact("Grace"))
        .await
        .unwrap();
    assert_eq!(contacts_seen(&db, &me.id).await, 2);

    // One kept past the server's 10 s of inactivity is closed rather than reused.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    assert_eq!(contacts_seen(&db, &me.id).await, 2);
}

/// A read through the connection itself (`Connection::query`: a cursor, as `/healthz` and a few
/// lookups read) leaves its stream open on the server, which expires it after 10 s idle. The
/// pooled connection's next use, on any path, must not send that stream's baton again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_a_cursor_left_open_is_not_reused_once_the_server_expired_it() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let db = open(server.url()).await;
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    let me = user(&db).await;
    {
        let conn = db.conn().await.unwrap();
        let mut rows = conn.query("SELECT 1", ()).await.unwrap();
        assert!(rows.next().await.unwrap().is_some());
    }
    db.users().get(&me.id).await.unwrap();

    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    // Every path of the pool, one after the other, on the connections the reads above left.
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query("SELECT 2", ()).await.unwrap();
    assert!(rows.next().await.unwrap().is_some());
    drop(rows);
    drop(conn);
    db.users().get(&me.id).await.unwrap();
    assert_eq!(contacts_seen(&db, &me.id).await, 0);
    db.contacts().create(&me.id, &contact("Ada")).await.unwrap();
    assert_eq!(contacts_seen(&db, &me.id).await, 1);
}

/// On a server, a connection is one stream, which runs one request at a time, and a read's
/// rows arrive as its response's body. Reading the schema (`devhub serve`'s drift check at
/// start-up, `db status`) sent its next request while the rows of the first were still
/// arriving: once they filled the connection, the server waited for the client to read them
/// and the client for the server to answer its next request, for good. A schema of a few
/// megabytes hung every time; a usual one now and then, under load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drift_check_of_a_schema_of_megabytes_finishes_on_a_server() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let db = open(server.url()).await;
    let migrations = migrate::embedded().unwrap();
    migrate::migrate(&db, &migrations).await.unwrap();
    // Views of about 14 kB each (5.6 MB), made by another tool: drift.
    const VIEWS: usize = 400;
    let condition = (0..600)
        .map(|n| format!("name = 'someone {n}'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql: String = (0..VIEWS)
        .map(|n| format!("CREATE VIEW extra_{n} AS SELECT id FROM contact WHERE {condition};\n"))
        .collect();
    db.conn().await.unwrap().execute_batch(&sql).await.unwrap();

    let drift = tokio::time::timeout(
        std::time::Duration::from_secs(300),
        migrate::drift(&db, &migrations),
    )
    .await
    .expect("the drift check finishes")
    .unwrap();
    assert_eq!(drift.len(), VIEWS);
    assert_eq!(
        drift[0].to_string(),
        "view extra_0 exists in the database but not in the migrations"
    );
}

/// A cursor's rows come back as its response's body, and sqld keeps the cursor running on the
/// stream's connection while the client has not read them all; libSQL's client stops at the
/// last row and leaves the body's end unread. A request sent next on the stream could then
/// wait for that connection (the start-up hang above) or be interrupted by the cursor's end
/// ("SQLite error: interrupted" in a migration). So the whole tooling reads answers whole, as
/// one batch each: schema, migrations, push, adoption, backup, export, health and counts. A
/// counting proxy sees every request; not one may be a cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tooling_reads_whole_answers_on_a_server_never_a_cursor() {
    if !sqld::own_server_runs_here() {
        return;
    }
    use devhub_db::migrate::push::{self, PushOptions};
    use devhub_db::migrate::GenerateOptions;
    use devhub_db::transfer::export::{export_contacts, ContactFormat};

    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(&dir.path().join("server"));
    let proxy = CountingProxy::start(server.port).await;
    let db = open(proxy.url()).await;
    let migrations = migrate::embedded().unwrap();

    // Migrating, its status and the drift check (`devhub serve` at start, `db status`).
    assert_eq!(
        migrate::migrate(&db, &migrations).await.unwrap().len(),
        migrations.len()
    );
    assert!(migrate::migrate(&db, &migrations).await.unwrap().is_empty());
    assert_eq!(
        migrate::status(&db, &migrations).await.unwrap().len(),
        migrations.len()
    );
    assert!(migrate::drift(&db, &migrations).await.unwrap().is_empty());

    // Accounts and contacts the CLI reads and changes.
    let me = user(&db).await;
    let ada = db.contacts().create(&me.id, &contact("Ada")).await.unwrap();
    let renamed = db
        .contacts()
        .update(&me.id, &ada.id, &contact("Ada Lovelace"))
        .await
        .unwrap();
    assert_eq!(renamed.name, "Ada Lovelace");
    assert_eq!(db.users().get(&me.id).await.unwrap().id, me.id);
    assert!(db
        .users()
        .find_by_username(&me.username)
        .await
        .unwrap()
        .is_some());
    assert_eq!(db.users().list().await.unwrap().len(), 1);

    // Health, the instance's figures and the search indexes' segments.
    db.ping().await.unwrap();
    assert_eq!(
        devhub_db::stats::instance_counts(&db)
            .await
            .unwrap()
            .accounts,
        1
    );
    assert_eq!(
        devhub_db::search_index::segments(&db).await.unwrap().len(),
        2
    );

    // An export, and a backup of the server into a file, which is then checked.
    let mut vcf = Vec::new();
    let exported = export_contacts(&db, &me.id, None, ContactFormat::Vcard, &mut vcf)
        .await
        .unwrap();
    assert_eq!(exported, 1);
    let file = dir.path().join("backup.db");
    let summary = devhub_db::backup::backup(&db, &file, false).await.unwrap();
    assert_eq!(summary.rows_of("contact"), Some(1));

    // A push of schema.sql with one table more, then the pushes it recorded.
    let schema =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.sql")).unwrap();
    let schema = format!("{schema}\nCREATE TABLE pushed_extra (id INTEGER PRIMARY KEY);\n");
    let prepared = push::prepare(&db, &schema, &migrations, &GenerateOptions::default())
        .await
        .unwrap();
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();
    assert_eq!(
        push::pushes(&db.conn().await.unwrap()).await.unwrap().len(),
        1
    );
    assert!(proxy.requests() > 100, "the proxy saw the work");
    assert_eq!(proxy.cursors(), 0, "cursor requests on the server");

    // Adopting a database of the original app, on a server of its own.
    let original = sqld::Sqld::start(&dir.path().join("original"));
    let original_proxy = CountingProxy::start(original.port).await;
    let old = open(original_proxy.url()).await;
    drizzle::load(&old).await;
    let adopted = devhub_db::migrate::adopt::adopt(
        &old,
        &migrations,
        &devhub_db::migrate::adopt::AdoptOptions::default(),
    )
    .await
    .unwrap();
    assert!(matches!(
        adopted,
        devhub_db::migrate::adopt::Adoption::Adopted(_)
    ));
    assert_eq!(
        original_proxy.cursors(),
        0,
        "cursor requests while adopting"
    );
}

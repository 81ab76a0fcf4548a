//! `devhub import` and `devhub export` as a script runs them, on a real database file.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use devhub_db::validate::Username;
use devhub_db::{Db, DbConfig, NewUser, OpenMode};

fn devhub(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(args)
        .current_dir(cwd)
        .env("DATABASE_URL", "file:./local.db")
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env_remove("DEVHUB_USER")
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    format!("{}/../db/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A migrated database in `dir` with the users `names`.
async fn database_with_users(dir: &Path, names: &[&str]) {
    let o = devhub(dir, &["db", "migrate"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let db = Db::open(&DbConfig::local(dir.join("local.db")), OpenMode::MustExist)
        .await
        .unwrap();
    for name in names {
        db.users()
            .create(
                &NewUser::new(
                    Username::parse(name).unwrap(),
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
                )
                .unwrap(),
            )
            .await
            .unwrap();
    }
    db.close();
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn import_then_export_round_trips_for_a_user_and_a_second_import_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    database_with_users(dir.path(), &["ada", "bob"]).await;
    let file = fixture("google.vcf");

    let dry = devhub(dir.path(), &["import", &file, "--user", "ada", "--dry-run"]);
    assert!(dry.status.success());
    assert!(
        out(&dry).contains("would create 3 contacts"),
        "{}",
        out(&dry)
    );

    let first = devhub(dir.path(), &["import", &file, "--user", "ada", "--json"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(doc["created"], 3);

    let second = devhub(dir.path(), &["import", &file, "--user", "ada"]);
    assert!(
        out(&second).contains("created 0 contacts, merged 0, skipped 3"),
        "{}",
        out(&second)
    );
    // One of a thing is counted in the singular.
    let one = fixture("apple.vcf");
    let single = devhub(dir.path(), &["import", &one, "--user", "ada", "--dry-run"]);
    assert!(
        out(&single).contains("would create 1 contact; 0 look like duplicates"),
        "{}",
        out(&single)
    );

    let vcards = devhub(
        dir.path(),
        &["export", "--format", "vcard", "--user", "ada"],
    );
    assert!(vcards.status.success());
    assert_eq!(out(&vcards).matches("BEGIN:VCARD").count(), 3);
    assert!(out(&vcards).contains("FN:Zoë Müller-Łukasiewicz"));

    let bob = devhub(dir.path(), &["export", "--format", "csv", "--user", "bob"]);
    assert_eq!(
        out(&bob).lines().count(),
        1,
        "only the header: {}",
        out(&bob)
    );

    // A backup of Ada restores into Bob's empty account.
    let backup = dir.path().join("ada.json");
    let o = devhub(
        dir.path(),
        &[
            "export",
            "--format",
            "json",
            "--user",
            "ada",
            "-o",
            backup.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let restored = devhub(
        dir.path(),
        &["import", backup.to_str().unwrap(), "--user", "bob"],
    );
    assert!(
        out(&restored).contains("Restored 3 contacts"),
        "{}",
        out(&restored)
    );
}

#[tokio::test]
async fn broken_files_and_unknown_users_fail_with_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    database_with_users(dir.path(), &["ada"]).await;
    let cut = dir.path().join("cut.vcf");
    std::fs::write(&cut, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\n").unwrap();
    let o = devhub(
        dir.path(),
        &["import", cut.to_str().unwrap(), "--user", "ada"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("truncated") && err.contains("nothing was imported"),
        "{err}"
    );

    let o = devhub(
        dir.path(),
        &["import", &fixture("google.vcf"), "--user", "nobody"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no user named"));

    let o = devhub(
        dir.path(),
        &["export", "--format", "vcard", "--user", "ada"],
    );
    assert_eq!(out(&o), "", "nothing was written");
}

#[tokio::test]
async fn contacts_are_added_listed_shown_and_logged_by_id_or_unambiguous_name() {
    let dir = tempfile::tempdir().unwrap();
    database_with_users(dir.path(), &["ada", "bob"]).await;
    let d = dir.path();
    let added = devhub(
        d,
        &[
            "contact",
            "add",
            "Grace Hopper",
            "--user",
            "ada",
            "--industry",
            "Navy",
            "--json",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let grace: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    let grace_id = grace["id"].as_str().unwrap().to_string();
    assert!(
        devhub(d, &["contact", "add", "Grace Kelly", "--user", "ada"])
            .status
            .success()
    );
    assert!(
        devhub(d, &["contact", "add", "Linus", "--user", "ada", "--vip"])
            .status
            .success()
    );

    let list = out(&devhub(d, &["contact", "list", "--user", "ada"]));
    let names: Vec<&str> = list.lines().collect();
    assert_eq!(names.len(), 3, "{list}");
    assert!(names[0].contains("Grace Hopper · Navy"));
    assert!(names[2].contains("Linus") && names[2].contains("[VIP]"));
    assert_eq!(out(&devhub(d, &["contact", "list", "--user", "bob"])), "");

    // "Grace" is ambiguous: the candidates are listed, nothing is logged.
    let o = devhub(d, &["log", "Grace", "Talked", "--user", "ada"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Grace Hopper") && err.contains("Grace Kelly"),
        "{err}"
    );

    let o = devhub(
        d,
        &[
            "log",
            "hopper",
            "Talked about COBOL",
            "--user",
            "ada",
            "--type",
            "call",
            "--date",
            "2024-05-01",
        ],
    );
    assert!(
        out(&o).contains("Logged a call with Grace Hopper on 2024-05-01"),
        "{}",
        out(&o)
    );
    let o = devhub(d, &["log", &grace_id, "Again", "--user", "ada", "--json"]);
    let logged: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(logged["contact_id"], grace_id.as_str());

    let shown = out(&devhub(
        d,
        &["contact", "show", "Grace Hopper", "--user", "ada"],
    ));
    assert!(
        shown.contains("2024-05-01 call: Talked about COBOL"),
        "{shown}"
    );
    let json = devhub(
        d,
        &["contact", "show", &grace_id, "--user", "ada", "--json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["interactions"].as_array().unwrap().len(), 2);

    // Another user's contact does not exist for Bob, by id or by name.
    let o = devhub(d, &["contact", "show", &grace_id, "--user", "bob"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no contact matches"));
    let o = devhub(
        d,
        &["log", "Linus", "x", "--user", "ada", "--type", "lunch"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[tokio::test]
async fn contact_add_takes_labelled_emails_and_phones_and_notes_and_show_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    database_with_users(dir.path(), &["ada"]).await;
    let d = dir.path();
    let added = devhub(
        d,
        &[
            "contact",
            "add",
            "Grace Hopper",
            "--user",
            "ada",
            "--email",
            "work:grace@navy.example",
            "--email",
            "grace@home.example",
            "--phone",
            "mobile:+1 555 0100",
            "--phone",
            "+1 555 0199",
            "--notes",
            "Found the first bug.",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let shown = out(&devhub(d, &["contact", "show", "Grace", "--user", "ada"]));
    for line in [
        "  e-mail: grace@navy.example (work)\n",
        "  e-mail: grace@home.example\n",
        "  phone: +1 555 0100 (mobile)\n",
        "  phone: +1 555 0199\n",
        "  notes: Found the first bug.\n",
    ] {
        assert!(shown.contains(line), "{line:?} in {shown}");
    }
    let json = devhub(d, &["contact", "show", "Grace", "--user", "ada", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["contact"]["notes"], "Found the first bug.");
    assert_eq!(doc["contact_info"]["email"], "grace@navy.example");
    assert_eq!(doc["emails"][1]["value"], "grace@home.example");
    assert_eq!(doc["phones"][0]["label"], "mobile");

    // A bad e-mail names its place, and the contact is not added either.
    let o = devhub(
        d,
        &[
            "contact",
            "add",
            "Linus",
            "--user",
            "ada",
            "--email",
            "a@b.example",
            "--email",
            "nope",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("emails.1"), "{err}");
    assert!(!out(&devhub(d, &["contact", "list", "--user", "ada"])).contains("Linus"));
}

/// `devhub serve` on the database in `dir`, on a free port; killed when dropped.
struct Served(std::process::Child, String);

impl Served {
    fn start(dir: &Path) -> Served {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_devhub"))
            .args(["serve", "--port", "0", "--no-migrate"])
            .current_dir(dir)
            .env("DATABASE_URL", "file:./local.db")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .unwrap()
            .to_string();
        Served(child, address)
    }

    /// The status of `GET path` with the bearer `token`.
    fn get_status(&self, path: &str, token: &str) -> u16 {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.1).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            self.1
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_token_made_on_the_command_line_opens_the_api_until_it_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    database_with_users(dir.path(), &["ada", "bob"]).await;
    let d = dir.path();

    let made = devhub(
        d,
        &[
            "token",
            "create",
            "--name",
            "backup script",
            "--user",
            "ada",
            "--json",
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    let token = made["token"].as_str().unwrap().to_string();
    let id = made["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("dh_"), "{token}");
    assert!(made["expires_at"].is_null());

    // Only the hash is stored, and the listing never shows the token.
    let db = Db::open(&DbConfig::local(d.join("local.db")), OpenMode::MustExist)
        .await
        .unwrap();
    let stored = db
        .api_tokens()
        .find_by_hash(&devhub_db::sha256_hex(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "backup script");
    db.close();
    let list = out(&devhub(d, &["token", "list", "--user", "ada"]));
    assert!(
        list.contains("backup script") && list.contains(&id),
        "{list}"
    );
    assert!(!list.contains(&token), "{list}");
    assert!(out(&devhub(d, &["token", "list", "--user", "bob"])).contains("No tokens"));

    let server = Served::start(d);
    assert_eq!(server.get_status("/api/v1/contacts", &token), 200);

    // Bob cannot revoke Ada's token; Ada can, and the API stops answering to it.
    let theirs = devhub(d, &["token", "revoke", &id, "--user", "bob"]);
    assert_eq!(theirs.status.code(), Some(2));
    assert_eq!(server.get_status("/api/v1/contacts", &token), 200);
    let revoked = devhub(d, &["token", "revoke", &id, "--user", "ada"]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert_eq!(server.get_status("/api/v1/contacts", &token), 401);
}

#[tokio::test]
async fn bad_token_arguments_are_one_line_errors_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    database_with_users(dir.path(), &["ada"]).await;
    let d = dir.path();
    for args in [
        vec!["token", "create", "--name", "", "--user", "ada"],
        vec!["token", "create", "--name", "x", "--user", "nobody"],
        vec![
            "token",
            "create",
            "--name",
            "x",
            "--user",
            "ada",
            "--expires-in-days",
            "0",
        ],
        vec!["token", "revoke", "no-such-id", "--user", "ada"],
    ] {
        let o = devhub(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let made = devhub(
        d,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--user",
            "ada",
            "--expires-in-days",
            "30",
        ],
    );
    assert!(made.status.success());
    assert!(out(&made).contains("expires"), "{}", out(&made));
    let list = out(&devhub(d, &["token", "list", "--user", "ada"]));
    assert_eq!(
        list.lines().count(),
        1,
        "only the valid token is stored: {list}"
    );
}

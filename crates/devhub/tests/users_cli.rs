//! `devhub user …`: accounts from the command line, as an operator runs it.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery";

/// Runs `devhub args…` in `cwd` (its database `./local.db`), with `stdin` on standard input.
fn devhub_with(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env_remove("DEVHUB_USER")
        .env_remove("PUBLIC_URL")
        .env("RUST_LOG", "warn")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn devhub(cwd: &Path, args: &[&str]) -> Output {
    devhub_with(cwd, args, None)
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

/// A usage error: exit code 2 and exactly one line on stderr, no panic.
fn assert_usage_error(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

fn create(dir: &Path, name: &str, extra: &[&str]) -> Output {
    let mut args = vec!["user", "create", name, "--password-stdin"];
    args.extend_from_slice(extra);
    devhub_with(dir, &args, Some(&format!("{PASSWORD}\n")))
}

async fn password_is(dir: &Path, name: &str, password: &str) -> bool {
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(dir.join("local.db")),
        devhub_db::OpenMode::MustExist,
    )
    .await
    .unwrap();
    let user = db.users().find_by_username(name).await.unwrap().unwrap();
    devhub_db::password::verify_password(password.into(), user.password_hash)
        .await
        .unwrap()
}

#[tokio::test]
async fn accounts_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&devhub(d, &["db", "migrate"]));

    // create: the first account is the admin.
    assert_eq!(ok(&create(d, "ada", &[])), "Created ada (admin).\n");
    let bob = json(&create(d, "bob", &["--json"]));
    assert_eq!(bob["username"], "bob");
    assert_eq!(bob["role"], "member");
    assert_eq!(bob["disabled"], false);
    ok(&devhub(
        d,
        &["contact", "add", "Grace Hopper", "--user", "bob"],
    ));
    assert_usage_error(&create(d, "bob", &[]), "already taken");
    assert_usage_error(&create(d, "A!", &[]), "username");
    assert_usage_error(
        &devhub_with(
            d,
            &["user", "create", "carol", "--password-stdin"],
            Some("short\n"),
        ),
        "the password must be at least 8 characters",
    );
    assert_usage_error(&devhub(d, &["user", "create", "carol"]), "--password-stdin");

    // list
    let list = json(&devhub(d, &["user", "list", "--json"]));
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["username"], "ada");
    assert_eq!(rows[0]["role"], "admin");
    assert_eq!(rows[1]["contacts"], 1);
    assert!(rows[1]["storage_bytes"].as_u64().unwrap() > 0);
    let human = ok(&devhub(d, &["user", "list"]));
    let ada_line = human.lines().find(|l| l.starts_with("ada ")).unwrap();
    assert!(
        ada_line.contains("admin") && ada_line.contains("enabled"),
        "{human}"
    );

    // disable / enable
    let disabled = json(&devhub(d, &["user", "disable", "bob", "--json"]));
    assert_eq!(disabled["disabled"], true);
    assert_eq!(disabled["sessions_ended"], 0);
    let listed = json(&devhub(d, &["user", "list", "--json"]));
    assert_eq!(listed[1]["disabled"], true);
    assert_eq!(ok(&devhub(d, &["user", "enable", "bob"])), "Enabled bob.\n");
    assert_eq!(
        json(&devhub(d, &["user", "enable", "bob", "--json"]))["disabled"],
        false
    );

    // promote / demote, never the last admin
    assert_usage_error(&devhub(d, &["user", "demote", "ada"]), "last admin");
    assert_usage_error(&devhub(d, &["user", "disable", "ada"]), "last admin");
    assert_eq!(
        json(&devhub(d, &["user", "promote", "bob", "--json"]))["role"],
        "admin"
    );
    assert_eq!(
        ok(&devhub(d, &["user", "demote", "bob"])),
        "bob is now a member.\n"
    );
    assert_usage_error(
        &devhub(d, &["user", "promote", "nobody"]),
        "no user named \"nobody\"",
    );
    assert_usage_error(
        &devhub(d, &["user", "disable", "nobody", "--json"]),
        "no user named",
    );

    // reset-password: a link (an hour), or the password set directly
    let link = json(&devhub(
        d,
        &[
            "user",
            "reset-password",
            "bob",
            "--json",
            "--public-url",
            "https://crm.example.com/",
        ],
    ));
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://crm.example.com/reset-password/"),
        "{url}"
    );
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(link["expires_at"].clone()).unwrap();
    let minutes = (expires - chrono::Utc::now()).num_minutes();
    assert!((58..=60).contains(&minutes), "{minutes}");
    let human = ok(&devhub(d, &["user", "reset-password", "bob"]));
    assert!(
        human.starts_with("http://127.0.0.1:3000/reset-password/"),
        "{human}"
    );
    assert_usage_error(
        &devhub(
            d,
            &[
                "user",
                "reset-password",
                "bob",
                "--public-url",
                "crm.example.com",
            ],
        ),
        "http:// or https://",
    );
    let set = devhub_with(
        d,
        &[
            "user",
            "reset-password",
            "bob",
            "--password-stdin",
            "--json",
        ],
        Some("a brand new password\n"),
    );
    assert_eq!(json(&set)["password_set"], true);
    assert!(password_is(d, "bob", "a brand new password").await);
    assert!(!password_is(d, "bob", PASSWORD).await);

    // delete: the counts, and --yes without a terminal
    let refused = devhub(d, &["user", "delete", "bob"]);
    assert_usage_error(&refused, "--yes");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("1 contacts"));
    assert_usage_error(
        &devhub(d, &["user", "delete", "ada", "--yes"]),
        "last admin",
    );
    let deleted = json(&devhub(d, &["user", "delete", "bob", "--yes", "--json"]));
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["contacts"], 1);
    assert_eq!(deleted["interactions"], 0);
    assert_eq!(
        json(&devhub(d, &["user", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The only account left may go: the next registration makes the next admin.
    assert_eq!(
        ok(&devhub(d, &["user", "delete", "ada", "--yes"])),
        "Deleted ada and 0 contacts, 0 interactions, 0 follow-ups.\n"
    );
    assert_eq!(
        ok(&devhub(d, &["user", "list"])),
        "No accounts. Create one with `devhub user create NAME`.\n"
    );
}

#[test]
fn user_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let o = devhub(dir.path(), &["user", "list"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!dir.path().join("local.db").exists());
}

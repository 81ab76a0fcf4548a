//! `devhub contact list` speaks the contact list's one vocabulary (filter, sort, direction),
//! as the contacts page and the API do.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn devhub(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devhub"))
        .arg("--database-url")
        .arg(db)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn names(o: &Output) -> Vec<String> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    rows.iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn contact_list_filters_and_sorts_like_the_page_and_refuses_unknown_words() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let seeded = devhub(
        &db,
        &[
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "30",
            "--interactions",
            "1",
        ],
    );
    assert!(seeded.status.success(), "{seeded:?}");
    let user = ["--user", "demo1", "--json"];

    let all = names(&devhub(&db, &[&["contact", "list"][..], &user].concat()));
    assert_eq!(all.len(), 30);
    let mut sorted = all.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(all, sorted, "by name, A→Z by default");

    let desc = names(&devhub(
        &db,
        &[&["contact", "list", "--dir", "desc"][..], &user].concat(),
    ));
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(
        desc.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>(),
        reversed
            .iter()
            .map(|n| n.to_lowercase())
            .collect::<Vec<_>>()
    );

    // The seed makes exactly every tenth contact a VIP.
    let vips = names(&devhub(
        &db,
        &[&["contact", "list", "--filter", "vip"][..], &user].concat(),
    ));
    assert_eq!(vips.len(), 3);

    let bad = devhub(
        &db,
        &["contact", "list", "--user", "demo1", "--sort", "age"],
    );
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("expected one of name, last_contacted, created"),
        "{err}"
    );
}

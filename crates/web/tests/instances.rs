//! Several instances as one: three apps on one libSQL server (`sqld`), two reading from
//! embedded replicas of their own and one without, with a browser's requests alternating
//! between them. The replicas never sync in the background here (interval zero), so what they
//! show after another instance's write comes from the mechanism under test: an instance with
//! a replica pulls what the primary had when a signed-in request arrived before it reads.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use axum::http::StatusCode;
use common::{Client, TestApp};
use devhub_db::{Db, DbConfig, OpenMode};

struct Instances {
    _server: sqld::Sqld,
    _dir: tempfile::TempDir,
    /// Replica, replica, plain remote.
    apps: Vec<TestApp>,
}

async fn three_instances() -> Option<Instances> {
    if !sqld::available() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let remote = DbConfig {
        url: server.url(),
        ..DbConfig::default()
    };
    let primary = common::migrated(&remote).await;
    let mut apps = Vec::new();
    for name in ["a.db", "b.db"] {
        let replica = DbConfig {
            replica_path: Some(dir.path().join(name)),
            ..remote.clone()
        };
        let db = Db::open(&replica, OpenMode::CreateIfMissing).await.unwrap();
        apps.push(TestApp::on(db));
    }
    apps.push(TestApp::on(primary));
    Some(Instances {
        _server: server,
        _dir: dir,
        apps,
    })
}

/// The client's next requests go to `app`, cookies and all (a load balancer's choice).
fn to<'a>(client: &mut Client<'a>, app: &'a TestApp) {
    client.app = app;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_start_and_end_on_every_instance_at_once() {
    let Some(set) = three_instances().await else {
        return;
    };
    let [a, b, c] = [&set.apps[0], &set.apps[1], &set.apps[2]];

    // Registered on A: signed in on B and C with the next request.
    let mut laptop = a.client();
    laptop.register("ada", "correct horse battery").await;
    let made = laptop.post_form("/contacts", &[("name", "Grace")]).await;
    let contact = made.location().unwrap().to_string();
    // A contact page is a page that checks the session in the batch of its own reads once
    // the instance knows the session (`View`): every instance knows it after this.
    for app in [b, c, a] {
        to(&mut laptop, app);
        for page in ["/dashboard", &contact, &contact] {
            let r = laptop.get(page).await;
            assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
        }
    }
    // A second browser signs in on C.
    let mut phone = c.client().with_peer("10.0.0.2:5000");
    let r = phone.login("ada", "correct horse battery").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    to(&mut phone, a);
    assert_eq!(phone.get("/contacts").await.status, StatusCode::OK);

    // Logging out on B ends the laptop's session on A and C at once.
    let token = laptop.session_token().unwrap();
    to(&mut laptop, b);
    assert_eq!(
        laptop.post_form("/logout", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    for app in [a, c] {
        let mut old = app.client();
        old.cookies.insert("auth-session".into(), token.clone());
        for page in [&contact, "/dashboard", &contact] {
            let r = old.get(page).await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "the ended session still opens {page}"
            );
            assert!(r.location().unwrap().starts_with("/login"));
            assert!(!r.body.contains("Grace"));
        }
    }
    // The phone's session is another one: still signed in.
    assert_eq!(phone.get("/dashboard").await.status, StatusCode::OK);

    // "Sign out everywhere" from the phone on A: the laptop, signed in again on C, is out on
    // B at once.
    to(&mut laptop, c);
    laptop.login("ada", "correct horse battery").await;
    assert_eq!(laptop.get("/dashboard").await.status, StatusCode::OK);
    for app in [b, a, b, a] {
        to(&mut laptop, app);
        assert_eq!(laptop.get(&contact).await.status, StatusCode::OK);
    }
    let r = phone.post_form("/settings/sessions/revoke", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let laptop_token = laptop.session_token().unwrap();
    for app in [b, a, c] {
        for page in [contact.as_str(), "/dashboard"] {
            let mut old = app.client();
            old.cookies
                .insert("auth-session".into(), laptop_token.clone());
            let r = old.get(page).await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "signed out everywhere, but not on {page} here"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_after_a_write_shows_it_on_whichever_instance_serves_it() {
    let Some(set) = three_instances().await else {
        return;
    };
    let apps = &set.apps;
    let mut browser = apps[2].client();
    browser.register("grace", "correct horse battery").await;

    // Each write on one instance, the page it redirects to on the next one (A → B → C → A …).
    for round in 0..6 {
        let writer = &apps[round % 3];
        let reader = &apps[(round + 1) % 3];
        to(&mut browser, writer);
        let name = format!("Contact {round}");
        let made = browser
            .post_form("/contacts", &[("name", &name), ("location", "Oslo")])
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let page = made.location().unwrap().to_string();
        to(&mut browser, reader);
        let shown = browser.get(&page).await;
        assert_eq!(
            shown.status,
            StatusCode::OK,
            "round {round}: {}",
            shown.body
        );
        assert!(shown.body.contains(&name), "round {round}");

        // An edit on the reader, seen on the writer.
        let edited = browser
            .post_form(
                &page,
                &[
                    ("name", &format!("{name} (edited)")),
                    ("location", "Bergen"),
                ],
            )
            .await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
        to(&mut browser, writer);
        let shown = browser.get(&page).await;
        assert!(
            shown.body.contains("(edited)"),
            "round {round}: edit not shown"
        );
        let list = browser.get("/contacts").await;
        assert!(
            list.body.contains(&format!("{name} (edited)")),
            "round {round}"
        );
    }

    // Read straight from B's replica, without a request's pull, a write made on C is not
    // there yet: the checks above do not pass by luck.
    to(&mut browser, &apps[2]);
    let made = browser.post_form("/contacts", &[("name", "Unseen")]).await;
    let page = made.location().unwrap().to_string();
    let id = devhub_db::ContactId::from(page.trim_start_matches("/contacts/").to_string());
    let (_, user) = apps[2]
        .db
        .sessions()
        .find(&devhub_db::SessionId::from_token(
            &browser.session_token().unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    let unseen = apps[1].db.contacts().get(&user.id, &id).await;
    assert!(
        matches!(unseen, Err(devhub_db::Error::NotFound)),
        "{unseen:?}"
    );
    to(&mut browser, &apps[1]);
    assert_eq!(browser.get(&page).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_in_limit_holds_across_instances() {
    let Some(set) = three_instances().await else {
        return;
    };
    let apps = &set.apps;
    let mut owner = apps[0].client();
    owner.register("linus", "correct horse battery").await;
    // An attacker from one address, spreading wrong passwords over the three instances: the
    // limit (10 a minute, per address and per username) is the limit of all of them
    // together, not ten per instance.
    let mut statuses = Vec::new();
    for attempt in 0..15 {
        let app = &apps[attempt % 3];
        let mut attacker = app.client().with_peer("203.0.113.9:4000");
        let r = attacker.login("linus", "wrong password!").await;
        statuses.push(r.status);
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused, 5, "{statuses:?}");
    assert!(statuses[..10]
        .iter()
        .all(|s| *s != StatusCode::TOO_MANY_REQUESTS));
    // The username's back-off is shared too: after ten more failures (from a botnet, here
    // written straight into the shared database), a browser that never logged in as linus
    // waits minutes on any instance, while the owner's own browser is let in.
    for _ in 0..10 {
        let rule = devhub_db::Rule::Window {
            limit: u32::MAX,
            window: std::time::Duration::from_secs(60),
        };
        let key = ("login-user:linus".to_string(), rule);
        let now = devhub_db::row::now();
        apps[2]
            .db
            .primary()
            .auth_attempts()
            .hit(&[key], now)
            .await
            .unwrap()
            .unwrap();
    }
    let mut elsewhere = apps[1].client().with_peer("198.51.100.7:4000");
    let r = elsewhere.login("linus", "correct horse battery").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    to(&mut owner, &apps[1]);
    let r = owner.login("linus", "correct horse battery").await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{:?} {}",
        owner.cookies,
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_made_on_one_instance_logs_in_on_another_at_once() {
    let Some(set) = three_instances().await else {
        return;
    };
    let apps = &set.apps;
    // Many rounds, so that a replica that had not pulled the new account yet would be caught.
    for round in 0..10 {
        let name = format!("user{round}");
        let mut laptop = apps[round % 3].client();
        laptop.register(&name, "correct horse battery").await;
        let mut phone = apps[(round + 1) % 3].client().with_peer("198.51.100.20:1");
        let r = phone.login(&name, "correct horse battery").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "round {round}: {}", r.body);
    }
}

//! Read-modify-write through the API runs in one unit of work: two PATCHes of different
//! fields of one contact, sent at the same moment, both survive.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use devhub_db::validate::Username;
use devhub_db::{ContactInput, NewUser};
use serde_json::{json, Value};
use tower::ServiceExt;

async fn patch(app: &axum::Router, token: &str, path: &str, body: Value) -> StatusCode {
    let mut request = Request::builder()
        .method(Method::PATCH)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(
        "10.0.0.9:5000".parse::<std::net::SocketAddr>().unwrap(),
    ));
    app.clone().oneshot(request).await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_patches_of_different_fields_both_survive_every_time() {
    let app = common::spawn_app().await;
    let user = app
        .db
        .users()
        .create(
            &NewUser::new(
                Username::parse("racer").unwrap(),
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let token = common::api_token(&app.db, &user.id).await;
    let contact = app
        .db
        .contacts()
        .create(
            &user.id,
            &ContactInput {
                name: "Grace Hopper".into(),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let path = format!("/api/v1/contacts/{}", contact.id);

    for round in 0..100 {
        let location = format!("Arlington {round}");
        let industry = format!("Navy {round}");
        let a = tokio::spawn({
            let (router, token, path) = (app.router.clone(), token.clone(), path.clone());
            let body = json!({ "location": location });
            async move { patch(&router, &token, &path, body).await }
        });
        let b = tokio::spawn({
            let (router, token, path) = (app.router.clone(), token.clone(), path.clone());
            let body = json!({ "industry": industry });
            async move { patch(&router, &token, &path, body).await }
        });
        assert_eq!(a.await.unwrap(), StatusCode::OK, "round {round}");
        assert_eq!(b.await.unwrap(), StatusCode::OK, "round {round}");

        let stored = app.db.contacts().get(&user.id, &contact.id).await.unwrap();
        assert_eq!(
            (stored.location.as_deref(), stored.industry.as_deref()),
            (Some(location.as_str()), Some(industry.as_str())),
            "round {round}: one PATCH lost the other's change"
        );
    }
}

//! `GET /metrics`: off by default (the 404 page), on with `--metrics`; only from loopback (as
//! the trusted proxies resolve the client) or with the bearer token; the Prometheus text format
//! read back by a Prometheus parser (`prometheus-parse`), with requests counted by route
//! template and status, latency histograms, pool waits, accounts and sessions, and nothing
//! personal.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use common::{spawn_app, spawn_app_with, TestApp};
use devhub_web::metrics::{MetricsSettings, MetricsToken};
use devhub_web::Settings;
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::PrometheusValue;

const TOKEN: &str = "metrics-token-0123456789";

async fn app_with_metrics() -> TestApp {
    spawn_app_with(Settings {
        metrics: MetricsSettings {
            enabled: true,
            token: MetricsToken::new(TOKEN),
        },
        // A reverse proxy on this machine and one on the network.
        trusted_proxies: std::sync::Arc::new("127.0.0.1,10.0.0.0/8".parse().unwrap()),
        ..Settings::default()
    })
    .await
}

/// One series of a scrape, as the parser read it.
#[derive(Debug)]
struct Sample {
    metric: String,
    labels: HashMap<String, String>,
    value: Value,
}

#[derive(Debug)]
enum Value {
    Single(f64),
    /// Cumulative (upper bound, count) pairs, and the count.
    Histogram(Vec<(f64, f64)>, u64),
}

struct Scrape {
    samples: Vec<Sample>,
}

/// Parses the Prometheus text format (0.0.4) with a parser of its own grammar
/// (`openmetrics-parser`): label values with `{`, `}` or `,` in them (route templates) are
/// read as Prometheus reads them.
fn parse(body: &str) -> Scrape {
    let exposition = parse_prometheus(body).unwrap_or_else(|e| panic!("{e:?}\n{body}"));
    let mut samples = Vec::new();
    for (name, family) in &exposition.families {
        for sample in family.iter_samples() {
            let set = sample.get_labelset().unwrap();
            let labels = family
                .get_label_names()
                .iter()
                .map(|n| (n.clone(), set.get_label_value(n).unwrap().to_string()))
                .collect();
            let value = match &sample.value {
                PrometheusValue::Unknown(n) | PrometheusValue::Gauge(n) => {
                    Value::Single(n.as_f64())
                }
                PrometheusValue::Counter(c) => Value::Single(c.value.as_f64()),
                PrometheusValue::Histogram(h) => Value::Histogram(
                    h.buckets
                        .iter()
                        .map(|b| (b.upper_bound, b.count.as_f64()))
                        .collect(),
                    h.count.unwrap(),
                ),
                PrometheusValue::Summary(_) => panic!("no summaries are served"),
            };
            samples.push(Sample {
                metric: name.clone(),
                labels,
                value,
            });
        }
    }
    if std::env::var_os("SHOW_FAMILIES").is_some() {
        for s in &samples {
            eprintln!("{} {:?} {:?}", s.metric, s.labels, s.value);
        }
    }
    Scrape { samples }
}

/// The samples of `metric` whose labels include every pair of `labels`.
fn find<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| {
            s.metric == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

fn one_value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(scrape, metric, labels);
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    match found[0].value {
        Value::Single(v) => v,
        Value::Histogram(..) => panic!("{metric} is a histogram"),
    }
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status_and_parse_as_prometheus_text() {
    let app = app_with_metrics().await;
    // A client on this machine, straight to the server.
    let mut alice = app.client().with_peer("127.0.0.1:40000");
    alice
        .register("alice_private", "correct horse battery")
        .await;
    let created = alice
        .post_form(
            "/contacts",
            &[("name", "Zaphod Beeblebrox"), ("location", "Betelgeuse")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let contact_page = created.location().unwrap().to_string();
    let contact_id = contact_page.trim_start_matches("/contacts/").to_string();
    for _ in 0..2 {
        assert_eq!(alice.get(&contact_page).await.status, StatusCode::OK);
    }
    assert_eq!(
        alice.get("/no/such/page/alice_private").await.status,
        StatusCode::NOT_FOUND
    );

    let scraped = alice.get("/metrics").await;
    assert_eq!(scraped.status, StatusCode::OK, "{}", scraped.body);
    assert!(scraped.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let body = scraped.body;
    for private in [
        "alice_private",
        "Zaphod",
        "Beeblebrox",
        "Betelgeuse",
        contact_id.as_str(),
        "no/such",
    ] {
        assert!(!body.contains(private), "{private} in the metrics:\n{body}");
    }
    let scrape = parse(&body);
    let requests = "devhub_http_requests_total";
    assert_eq!(
        one_value(
            &scrape,
            requests,
            &[
                ("method", "POST"),
                ("route", "/register"),
                ("status", "303")
            ]
        ),
        1.0
    );
    assert_eq!(
        one_value(
            &scrape,
            requests,
            &[
                ("method", "POST"),
                ("route", "/contacts"),
                ("status", "303")
            ]
        ),
        1.0
    );
    assert_eq!(
        one_value(
            &scrape,
            requests,
            &[
                ("method", "GET"),
                ("route", "/contacts/{id}"),
                ("status", "200")
            ]
        ),
        2.0
    );
    assert_eq!(
        one_value(
            &scrape,
            requests,
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ),
        1.0
    );
    // Every route label is a template or `unmatched`.
    for s in find(&scrape, requests, &[]) {
        let route = &s.labels["route"];
        assert!(route == "unmatched" || route.starts_with('/'), "{route}");
    }

    // The latency histogram of the contact page: cumulative buckets ending in +Inf = count.
    let histograms = find(
        &scrape,
        "devhub_http_request_duration_seconds",
        &[("method", "GET"), ("route", "/contacts/{id}")],
    );
    assert_eq!(histograms.len(), 1);
    let Value::Histogram(buckets, count) = &histograms[0].value else {
        panic!("not a histogram: {:?}", histograms[0]);
    };
    assert_eq!(*count, 2);
    assert!(buckets.len() >= 10, "{buckets:?}");
    assert!(buckets
        .windows(2)
        .all(|w| w[0].1 <= w[1].1 && w[0].0 < w[1].0));
    let last = buckets.last().unwrap();
    assert!(last.0.is_infinite());
    assert_eq!(last.1, 2.0);

    // The database pool's waits: one observation per checkout.
    let waits = find(&scrape, "devhub_db_pool_wait_seconds", &[]);
    let Value::Histogram(_, waited) = &waits[0].value else {
        panic!("{waits:?}")
    };
    assert!(*waited >= 3, "{waits:?}");
    // The scrape's own connection is checked out while it counts; none after.
    let in_use = one_value(&scrape, "devhub_db_connections_in_use", &[]);
    assert!((0.0..=1.0).contains(&in_use), "{in_use}");

    assert_eq!(one_value(&scrape, "devhub_accounts", &[]), 1.0);
    assert_eq!(one_value(&scrape, "devhub_active_sessions", &[]), 1.0);
    assert_eq!(one_value(&scrape, "devhub_database_up", &[]), 1.0);
    assert_eq!(
        one_value(
            &scrape,
            "devhub_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    let started = one_value(&scrape, "process_start_time_seconds", &[]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(started <= now && now - started < 600.0, "{started}");
    assert!(one_value(&scrape, "devhub_uptime_seconds", &[]) >= 0.0);

    // A second scrape counts the first one, and a second account and session.
    let mut bob = app.client().with_peer("127.0.0.1:40001");
    bob.register("bob_private", "correct horse battery").await;
    let scrape = parse(&alice.get("/metrics").await.body);
    assert_eq!(
        one_value(
            &scrape,
            requests,
            &[("method", "GET"), ("route", "/metrics"), ("status", "200")]
        ),
        1.0
    );
    assert_eq!(one_value(&scrape, "devhub_accounts", &[]), 2.0);
    assert_eq!(one_value(&scrape, "devhub_active_sessions", &[]), 2.0);
}

#[tokio::test]
async fn metrics_are_off_by_default_and_then_the_404_page() {
    let app = spawn_app().await;
    let r = app
        .client()
        .with_peer("127.0.0.1:40000")
        .get("/metrics")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found"), "{}", r.body);
    let authorized = format!("Bearer {TOKEN}");
    let r = app
        .client()
        .send(
            Method::GET,
            "/metrics",
            None,
            &[("authorization", &authorized)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_loopback_or_the_bearer_token_gets_the_metrics() {
    let app = app_with_metrics().await;
    let scrape = async |peer: &str, headers: &[(&str, &str)]| {
        app.client()
            .with_peer(peer)
            .send(Method::GET, "/metrics", None, headers)
            .await
    };
    // Straight from another machine: the 404 page, as if there were no metrics.
    let r = scrape("203.0.113.9:5000", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found"));
    // Its own X-Forwarded-For proves nothing: it is not a trusted proxy.
    let r = scrape("203.0.113.9:5000", &[("x-forwarded-for", "127.0.0.1")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Through a trusted reverse proxy on this machine, for a client elsewhere: refused too
    // (the peer is loopback, the client is not).
    let r = scrape("127.0.0.1:5000", &[("x-forwarded-for", "203.0.113.9")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = scrape("10.1.2.3:5000", &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A wrong token: 401, with the scheme to use.
    let r = scrape(
        "10.1.2.3:5000",
        &[
            ("x-forwarded-for", "198.51.100.7"),
            ("authorization", "Bearer not-the-token"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    assert!(!r.body.contains("devhub_"), "{}", r.body);
    // The right token, from anywhere.
    let authorized = format!("Bearer {TOKEN}");
    for (peer, forwarded) in [("10.1.2.3:5000", "198.51.100.7"), ("203.0.113.9:5000", "")] {
        let r = scrape(
            peer,
            &[
                ("x-forwarded-for", forwarded),
                ("authorization", &authorized),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{peer}");
        assert!(!parse(&r.body).samples.is_empty());
    }
    // Loopback itself, without a token.
    let r = scrape("127.0.0.1:5000", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = scrape("[::1]:5000", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_token_only_loopback_gets_them() {
    let app = spawn_app_with(Settings {
        metrics: MetricsSettings {
            enabled: true,
            token: MetricsToken::new("  "),
        },
        ..Settings::default()
    })
    .await;
    for header in ["Bearer ", "Bearer  ", "Basic x"] {
        let r = app
            .client()
            .with_peer("203.0.113.9:5000")
            .send(Method::GET, "/metrics", None, &[("authorization", header)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{header:?}");
    }
    let r = app
        .client()
        .with_peer("127.0.0.1:5000")
        .get("/metrics")
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

//! `devhub serve --metrics` on the real binary: `/metrics` answers loopback in the Prometheus
//! text format; without the flag it is the 404 page; a token without the flag is a usage error.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

fn serve(db: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .args(["serve", "--port", "0"])
        .args(extra)
        .env("DATABASE_URL", format!("file:{}", db.display()))
        .env_remove("DEVHUB_METRICS")
        .env_remove("DEVHUB_METRICS_TOKEN")
        .env("RUST_LOG", "error")
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

#[test]
fn serve_with_metrics_answers_loopback_and_without_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.db");
    for (extra, env, status) in [
        (&["--metrics"][..], &[][..], 200),
        (&[][..], &[][..], 404),
        (&[][..], &[("DEVHUB_METRICS", "true")][..], 200),
    ] {
        let (mut child, url) = support::spawn_announced(serve(&db, extra, env));
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        assert_eq!(support::http_get(&addr, "/healthz").0, 200);
        let (got, body) = support::http_get(&addr, "/metrics");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(got, status, "{extra:?} {env:?}: {body}");
        if status == 200 {
            assert!(
                body.contains("devhub_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"),
                "{body}"
            );
            assert!(body.contains("# TYPE devhub_http_request_duration_seconds histogram"));
            assert!(body.contains("devhub_accounts 0"), "{body}");
        } else {
            assert!(body.contains("Page not found"), "{body}");
        }
    }
    let o = serve(&db, &[], &[("DEVHUB_METRICS_TOKEN", "abc")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--metrics"), "{err}");
}

//! `GET /healthz`: 200 when the database answers, 503 otherwise. With an embedded replica,
//! the primary must answer too: the replica alone serves reads, but every write (logging in
//! included) needs the primary.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let probe = async {
        state.db.ping().await?;
        // Pulls what the primary has (a no-op without a replica), which needs the primary.
        state.db.sync().await?;
        Ok::<_, devhub_db::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out"),
    }
}

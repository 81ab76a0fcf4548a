//! `devhub studio`: open the existing database (never create or migrate it), listen, print
//! the address with its access token, and stop on SIGINT / SIGTERM.

use std::net::IpAddr;

use devhub_db::{Db, DbConfig, OpenMode};

use crate::state::{AccessToken, StudioSettings, StudioState};

pub const DEFAULT_PORT: u16 = 4983;

#[derive(Debug, Clone)]
pub struct StudioConfig {
    pub host: String,
    pub port: u16,
    pub settings: StudioSettings,
}

impl Default for StudioConfig {
    fn default() -> Self {
        StudioConfig {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            settings: StudioSettings::default(),
        }
    }
}

pub use devhub_http::ServeError;

/// True for addresses only this machine reaches.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub async fn serve(db_config: &DbConfig, config: StudioConfig) -> Result<(), ServeError> {
    let db = Db::open(db_config, OpenMode::MustExist)
        .await
        .map_err(|e| match e {
            devhub_db::Error::Config(m) => ServeError::Config(m),
            other => ServeError::Failed(other.to_string()),
        })?;
    // SQLite's memory cap is the process's: set once here for every page, not only the
    // console's and the exports' statements, which set it too.
    let conn = db
        .conn()
        .await
        .map_err(|e| ServeError::Failed(e.to_string()))?;
    if db.location().is_local() {
        conn.query(
            &format!("PRAGMA hard_heap_limit = {}", crate::console::MEMORY_LIMIT),
            (),
        )
        .await
        .map_err(|e| ServeError::Failed(e.to_string()))?;
    }
    drop(conn);
    let (listener, local) = devhub_http::listen(&config.host, config.port).await?;
    if !is_loopback(&config.host) {
        eprintln!(
            "warning: studio listens on {local}, which other machines can reach; anyone with \
             the token can read and change the database"
        );
    }
    let token = AccessToken::generate();
    let url = format!("http://{local}/?token={}", token.reveal());
    let state = StudioState::new(db.clone(), token, config.settings.clone());
    // Written without `println!`, which panics when nobody reads stdout any more (a pipe
    // closed after the first line, `devhub studio | head -1`).
    {
        use std::io::Write as _;
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "Developer Hub Studio is running on {url} (press Ctrl+C to stop)"
        );
        let _ = writeln!(
            out,
            "Database: {}; SQL console: {}",
            db.location().describe(),
            if config.settings.allow_writes {
                "writes allowed"
            } else {
                "read-only"
            }
        );
        let _ = out.flush();
    }
    axum::serve(listener, crate::app(state))
        .with_graceful_shutdown(devhub_http::shutdown_signal())
        .await
        .map_err(|e| ServeError::Failed(e.to_string()))?;
    db.close();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_recognised() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("0.0.0.0"));
        assert!(!is_loopback("192.168.1.5"));
    }
}

//! Starting a server: why it could not start, and the listening socket.

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// Why a server could not start or stopped.
#[derive(Debug)]
pub enum ServeError {
    /// Bad configuration (a missing database, an address in use): the binary exits with
    /// code 2.
    Config(String),
    Failed(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Config(m) | ServeError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ServeError {}

/// Listens on `host:port`; an address in use or out of reach is a configuration error.
/// Returns the socket and the address it got (port 0 picks a free one).
pub async fn listen(host: &str, port: u16) -> Result<(TcpListener, SocketAddr), ServeError> {
    let addr = format!("{host}:{port}");
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| ServeError::Config(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Failed(e.to_string()))?;
    Ok((listener, local))
}

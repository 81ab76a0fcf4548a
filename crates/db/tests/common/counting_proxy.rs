//! A counting proxy in front of a libSQL server: every HTTP request a client sends through it
//! is one round trip to the server, and the proxy counts them. Tests put it between the app
//! and `sqld` to count what a page costs.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; it stops with the test's runtime.
pub struct CountingProxy {
    pub port: u16,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    /// Those that opened a stream on the server (no baton: the server opens a connection).
    new_streams: AtomicU64,
    /// Hrana cursors (`POST /v3/cursor`): a read whose rows come back as the response's body.
    cursors: AtomicU64,
}

impl CountingProxy {
    /// A proxy on a free loopback port that forwards to `127.0.0.1:upstream`.
    pub async fn start(upstream: u16) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = Arc::new(Counts::default());
        let counters = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counters = Arc::clone(&counters);
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await {
                        let _ = forward(client, server, counters).await;
                    }
                });
            }
        });
        CountingProxy { port, counts }
    }

    /// The URL a client uses to reach the server through the proxy.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> u64 {
        self.counts.requests.load(Ordering::SeqCst)
    }

    /// Requests forwarded so far that opened a stream (Hrana's `"baton":null`).
    pub fn new_streams(&self) -> u64 {
        self.counts.new_streams.load(Ordering::SeqCst)
    }

    /// Cursor requests forwarded so far.
    pub fn cursors(&self) -> u64 {
        self.counts.cursors.load(Ordering::SeqCst)
    }
}

/// Copies responses back as they come, and requests forward one at a time, counting each
/// (HTTP/1.1 with `Content-Length` bodies, which is what the libSQL client sends).
async fn forward(client: TcpStream, server: TcpStream, counts: Arc<Counts>) -> std::io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        // The head of the next request.
        let head_end = loop {
            if let Some(at) = find(&buffer, b"\r\n\r\n") {
                break at + 4;
            }
            let n = client_read.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        assert!(
            !head.contains("transfer-encoding: chunked"),
            "the counting proxy reads Content-Length bodies only"
        );
        while buffer.len() < head_end + length {
            let n = client_read.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        counts.requests.fetch_add(1, Ordering::SeqCst);
        if find(&buffer[head_end..head_end + length], b"\"baton\":null").is_some() {
            counts.new_streams.fetch_add(1, Ordering::SeqCst);
        }
        if head.starts_with("post /v3/cursor") || head.starts_with("post /v2/cursor") {
            counts.cursors.fetch_add(1, Ordering::SeqCst);
        }
        let rest = buffer.split_off(head_end + length);
        server_write.write_all(&buffer).await?;
        buffer = rest;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

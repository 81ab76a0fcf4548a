//! A real libSQL server (`sqld`) for tests: a fresh instance on a free port with its own
//! data folder, stopped by its process id. Shared by the db and web tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `sqld`, killed when dropped.
pub struct Sqld {
    child: Option<Child>,
    pub port: u16,
    data: PathBuf,
}

/// `SQLD_BIN` (the test command sets it), else the shared tools folder beside the project.
fn sqld_bin() -> PathBuf {
    match std::env::var_os("SQLD_BIN") {
        Some(bin) => bin.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/sqld/sqld"),
    }
}

/// Whether a server can be started here; when not, says so loudly on stderr.
pub fn available() -> bool {
    let found = sqld_bin().is_file();
    if !found {
        eprintln!(
            "!!! NOT TESTED: no sqld at {} (set SQLD_BIN)",
            sqld_bin().display()
        );
    }
    found
}

impl Sqld {
    /// Starts sqld on a free port with its data in `dir`, once it answers.
    pub fn start(dir: &Path) -> Sqld {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Sqld {
            child: None,
            port,
            data: dir.join("sqld-data"),
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data, once it answers.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new(sqld_bin())
            .arg("--db-path")
            .arg(&self.data)
            .args([
                "--http-listen-addr",
                &format!("127.0.0.1:{}", self.port),
                "--no-welcome",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sqld (set SQLD_BIN)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "sqld did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sqld {
    fn drop(&mut self) {
        self.stop();
    }
}

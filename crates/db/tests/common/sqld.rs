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
    /// The Ed25519 public key clients' JWTs must be signed for, when authentication is on.
    jwt_key: Option<PathBuf>,
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

/// Whether a test that starts a sqld of its own runs in this pass: the default pass of
/// `scripts/test` only (`DEVHUB_TEST_MODE` unset or `local`; the remote and replica passes
/// would run it again for nothing), and only where a server can be started.
pub fn own_server_runs_here() -> bool {
    matches!(
        std::env::var("DEVHUB_TEST_MODE")
            .unwrap_or_default()
            .as_str(),
        "" | "local"
    ) && available()
}

impl Sqld {
    /// Starts sqld on a free port with its data in `dir`, once it answers.
    pub fn start(dir: &Path) -> Sqld {
        Self::start_checking(dir, None)
    }

    /// Starts sqld on a free port with its data in `dir`, requiring JWTs signed for the
    /// Ed25519 public key `jwt_key` when given, once it answers.
    ///
    /// A free port is found by binding port 0 and letting it go, so another test doing the
    /// same, or an outgoing connection's ephemeral port, can take it before sqld binds it.
    /// sqld then exits ("Address already in use"), and a test that only waited for the port
    /// to answer would use another test's server (two tests' migrations on one database: sqld
    /// interrupted one). So a start counts once this child's own socket listens on the port;
    /// otherwise it tries another port.
    fn start_checking(dir: &Path, jwt_key: Option<PathBuf>) -> Sqld {
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            if let Some(server) = Self::try_start_on(dir, port, jwt_key.clone()) {
                return server;
            }
        }
        panic!(
            "sqld did not start on any of ten free ports: {}",
            last_lines(
                &std::fs::read_to_string(dir.join("sqld-data.log")).unwrap_or_default(),
                20
            )
        );
    }

    /// Starts sqld on `port` with its data in `dir`; `None` when it cannot listen there.
    pub fn try_start_on(dir: &Path, port: u16, jwt_key: Option<PathBuf>) -> Option<Sqld> {
        let mut server = Sqld {
            child: None,
            port,
            data: dir.join("sqld-data"),
            jwt_key,
        };
        server.spawn().then_some(server)
    }

    /// Starts sqld with JWT authentication (`--auth-jwt-key-file`); returns it and a valid
    /// token for it (an EdDSA JWT, made with the `openssl` command).
    pub fn start_with_auth(dir: &Path) -> (Sqld, String) {
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("run openssl");
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
            out.stdout
        };
        openssl(&["genpkey", "-algorithm", "ed25519", "-out", "jwt.key"]);
        openssl(&["pkey", "-in", "jwt.key", "-pubout", "-out", "jwt.pub"]);
        let b64 = |bytes: &[u8]| base64url(bytes);
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let signing = format!(
            "{}.{}",
            b64(br#"{"alg":"EdDSA","typ":"JWT"}"#),
            b64(format!(r#"{{"exp":{expires}}}"#).as_bytes())
        );
        std::fs::write(dir.join("jwt.signing"), &signing).unwrap();
        let signature = openssl(&[
            "pkeyutl",
            "-sign",
            "-inkey",
            "jwt.key",
            "-rawin",
            "-in",
            "jwt.signing",
        ]);
        let token = format!("{signing}.{}", b64(&signature));
        (Self::start_checking(dir, Some(dir.join("jwt.pub"))), token)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's database opened directly (no replica, no app), as it must already be.
    pub async fn open_directly(&self) -> devhub_db::Db {
        let config = devhub_db::DbConfig {
            url: self.url(),
            ..devhub_db::DbConfig::default()
        };
        devhub_db::Db::open(&config, devhub_db::OpenMode::MustExist)
            .await
            .unwrap()
    }

    /// Kills the server (as a crash would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Where the server's own log goes (appended at each start), beside its data folder.
    fn log_path(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    fn log_file(&self) -> Stdio {
        std::fs::create_dir_all(self.data.parent().unwrap()).unwrap();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        Stdio::from(file)
    }

    /// The last lines of the server's own log, for a test's failure message.
    pub fn log_tail(&self, lines: usize) -> String {
        last_lines(
            &std::fs::read_to_string(self.log_path()).unwrap_or_default(),
            lines,
        )
    }

    /// Starts the server again on the same port and data, once it answers.
    pub fn restart(&mut self) {
        assert!(
            self.spawn(),
            "sqld could not listen on its port {} again: {}",
            self.port,
            self.log_tail(20)
        );
    }

    /// Starts sqld on `self.port` and waits until its own socket listens there: `false` when
    /// it exited first (the port was taken).
    fn spawn(&mut self) -> bool {
        self.stop();
        let mut command = Command::new(sqld_bin());
        if let Some(key) = &self.jwt_key {
            command.arg("--auth-jwt-key-file").arg(key);
        }
        let child = command
            .arg("--db-path")
            .arg(&self.data)
            .args([
                "--http-listen-addr",
                &format!("127.0.0.1:{}", self.port),
                "--no-welcome",
            ])
            .stdout(self.log_file())
            .stderr(self.log_file())
            .spawn()
            .expect("start sqld (set SQLD_BIN)");
        let pid = child.id();
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut() {
                if child.try_wait().ok().flatten().is_some() {
                    self.child = None;
                    return false;
                }
            }
            if listens(pid, self.port) {
                return true;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "sqld did not start: {}",
                self.log_tail(20)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port`: the listening
/// socket's inode in `/proc/net/tcp`, among the process's open files.
fn listens(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let local = format!("0100007F:{port:04X}");
    let Some(inode) = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // local address, remote address, state (0A: listening), …, inode
        (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
            .then(|| fields.get(9).map(|i| i.to_string()))
            .flatten()
    }) else {
        return false;
    };
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == socket.as_str())
        })
}

impl Drop for Sqld {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `lines` lines of a log.
pub fn last_lines(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Base64url without padding (JWT's alphabet).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

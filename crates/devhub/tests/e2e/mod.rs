//! End-to-end harness: the real `devhub` binary on a free port with a temporary database, and
//! headless Chromium driven through ChromeDriver (WebDriver). There is no skipping: a missing
//! browser is a failure (`scripts/test` installs Debian's chromium and chromium-driver).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};

/// The password the browser tests register their users with.
pub const PASSWORD: &str = "correct horse battery";

#[path = "../../../db/tests/common/sqld.rs"]
mod sqld;

/// A running `devhub serve`, killed when dropped. With `DEVHUB_TEST_MODE=remote|replica` its
/// database is a fresh libSQL server (sqld) of its own, plainly or through an embedded replica;
/// with `remote-jwt`, a server that requires a token.
pub struct Server {
    pub url: String,
    child: Child,
    /// Dropped after the app is killed (in `drop`) and before its folder goes.
    database: Option<sqld::Sqld>,
    pub dir: tempfile::TempDir,
}

/// The database of a test's `devhub` processes, in the mode `DEVHUB_TEST_MODE` names: the
/// file `./e2e.db` of the folder they run in, or a fresh sqld of its own (kept running while
/// this lives), plainly or through an embedded replica in that folder.
pub struct TestDatabase {
    env: Vec<(&'static str, String)>,
    pub server: Option<sqld::Sqld>,
}

impl TestDatabase {
    pub fn new(dir: &std::path::Path) -> TestDatabase {
        let mode = std::env::var("DEVHUB_TEST_MODE").unwrap_or_default();
        match mode.as_str() {
            "" | "local" => TestDatabase {
                env: vec![("DATABASE_URL", "file:./e2e.db".into())],
                server: None,
            },
            "remote" | "replica" => {
                let server = sqld::Sqld::start(dir);
                let mut env = vec![("DATABASE_URL", server.url())];
                if mode == "replica" {
                    let replica = dir.join("replica.db");
                    env.push(("DATABASE_REPLICA_PATH", replica.display().to_string()));
                }
                TestDatabase {
                    env,
                    server: Some(server),
                }
            }
            // A server that requires a JWT (`DATABASE_AUTH_TOKEN`), plainly.
            "remote-jwt" => {
                let (server, token) = sqld::Sqld::start_with_auth(dir);
                TestDatabase {
                    env: vec![
                        ("DATABASE_URL", server.url()),
                        ("DATABASE_AUTH_TOKEN", token),
                    ],
                    server: Some(server),
                }
            }
            other => {
                panic!("DEVHUB_TEST_MODE={other}: expected local, remote, replica or remote-jwt")
            }
        }
    }

    /// Points `command` at this database (and nowhere else).
    pub fn configure<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env_remove("DATABASE_REPLICA_PATH")
            .env_remove("DATABASE_AUTH_TOKEN");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }
}

impl Server {
    pub fn start() -> Server {
        Self::start_seeded(&[])
    }

    /// A server whose database `devhub seed-demo` filled first, with `seed` as its arguments
    /// (none: an empty database).
    pub fn start_seeded(seed: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
        let database = TestDatabase::new(dir.path());
        if !seed.is_empty() {
            let seeded = database
                .configure(&mut Command::new(env!("CARGO_BIN_EXE_devhub")))
                .arg("seed-demo")
                .args(seed)
                .current_dir(dir.path())
                .env("RUST_LOG", "warn")
                .output()
                .unwrap();
            assert!(
                seeded.status.success(),
                "seed-demo failed: {}",
                String::from_utf8_lossy(&seeded.stderr)
            );
        }
        database.configure(&mut command);
        let database = database.server;
        let mut child = command
            .args(["serve", "--port", "0"])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start devhub serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server {
            url,
            dir,
            child,
            database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// ChromeDriver plus one headless Chromium session.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    shots: Option<PathBuf>,
}

/// Where screenshots go: `$E2E_SCREENSHOTS`, or `target/e2e-screenshots` of the workspace.
pub fn screenshot_dir() -> PathBuf {
    std::env::var("E2E_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots")
        })
}

/// The port that chromedriver, started with `--port=0`, says it listens on; `None` when it
/// exits without saying (now and then it does, at once, when tests start many at a time).
/// Finding a free port first and passing it raced with the other tests: a driver that found
/// its port taken exited, and the test then opened its session in another test's driver,
/// which that test stops.
fn driver_port(stdout: std::process::ChildStdout) -> Option<u16> {
    let (tx, rx) = std::sync::mpsc::channel();
    // The driver's output is read to its end, so that the pipe never fills and blocks it.
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        let mut said = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let port = line
                .split_once("started successfully on port ")
                .and_then(|(_, port)| port.trim_end_matches('.').parse::<u16>().ok());
            match (port, tx.take_if(|_| port.is_some())) {
                (Some(port), Some(tx)) => drop(tx.send(port)),
                _ if tx.is_some() => said.push(line),
                _ => {}
            }
        }
        if tx.is_some() {
            eprintln!("chromedriver exited without a port: {said:?}");
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).ok()
}

/// A chromedriver that listens, and its port: a driver that exits without saying which port
/// it took is started again (five tries).
fn start_driver() -> (Child, u16) {
    let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    for _ in 0..5 {
        let mut driver = Command::new(&driver_path)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {driver_path} ({e}): install Debian's chromium and chromium-driver \
                     (scripts/test does) or set CHROMEDRIVER"
                )
            });
        match driver_port(driver.stdout.take().expect("the driver's output is piped")) {
            Some(port) => return (driver, port),
            None => {
                let _ = driver.kill();
                let _ = driver.wait();
            }
        }
    }
    panic!("{driver_path} exited five times without saying which port it listens on")
}

impl Browser {
    pub async fn start() -> Browser {
        Self::launch(true).await
    }

    /// A browser with JavaScript switched off: every page must work without it.
    pub async fn start_without_javascript() -> Browser {
        Self::launch(false).await
    }

    async fn launch(javascript: bool) -> Browser {
        let (width, height) = (1280, 900);
        let (driver, port) = start_driver();
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},{height}"),
        ];
        if let Ok(extra) = std::env::var("CHROME_EXTRA_ARGS") {
            args.extend(extra.split_whitespace().map(str::to_string));
        }
        let mut options = serde_json::json!({ "args": args });
        if !javascript {
            options["prefs"] = serde_json::json!({
                "profile.managed_default_content_settings.javascript": 2
            });
        }
        let binary = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if std::path::Path::new(&binary).exists() {
            options["binary"] = serde_json::Value::from(binary);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        // Two rustls crypto providers are compiled into the tests (fantoccini's aws-lc-rs, the
        // app's ring): rustls picks none by itself then, so this process names one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = loop {
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot open a Chromium session through {webdriver}: {e}"),
            }
        };
        let shots = Some(screenshot_dir());
        Browser {
            client,
            driver,
            _profile: profile,
            shots,
        }
    }

    /// Registers `username` (password [`PASSWORD`]) on `server` and checks it is signed in.
    pub async fn register(&self, server: &Server, username: &str) {
        self.goto(&server.url("/register")).await;
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.click("main button[type=submit]").await;
        assert_eq!(self.text(".nav-user").await, username);
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks something that loads a new page (a link, a submit button) and waits until the
    /// old page is gone, so that what is read next is the new page.
    pub async fn click(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.press(css).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while old.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clicking {css} did not load a page"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks something that stays on the page (a checkbox, a `<summary>`).
    pub async fn press(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Saves a screenshot of the whole page into [`screenshot_dir`].
    pub async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            let png = self.client.screenshot().await.unwrap();
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    /// Makes the page's `prefers-color-scheme` `light` or `dark`, as the system's setting would
    /// (DevTools' media emulation; it stays for the pages loaded after).
    pub async fn emulate_color_scheme(&self, scheme: &str) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: serde_json::json!({
                    "features": [{ "name": "prefers-color-scheme", "value": scheme }]
                }),
            })
            .await
            .unwrap_or_else(|e| panic!("emulating prefers-color-scheme: {scheme}: {e}"));
    }

    /// The computed value of CSS `property` of the first element matching `css`.
    pub async fn computed_style(&self, css: &str, property: &str) -> String {
        let value = self
            .client
            .execute(
                "return getComputedStyle(document.querySelector(arguments[0]))\
                 .getPropertyValue(arguments[1]);",
                vec![css.into(), property.into()],
            )
            .await
            .unwrap();
        value.as_str().unwrap_or_default().to_string()
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// The texts of every element matching `css`.
    /// (Retried briefly: right after a click the old page may still be going away.)
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut attempts = 0;
        'retry: loop {
            attempts += 1;
            let mut out = Vec::new();
            for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
                match e.text().await {
                    Ok(t) => out.push(t),
                    Err(_) if attempts < 20 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue 'retry;
                    }
                    Err(e) => panic!("reading {css}: {e}"),
                }
            }
            return out;
        }
    }

    pub async fn close(self) {
        let Browser {
            client, mut driver, ..
        } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
    }
}

/// A Chrome DevTools Protocol command, sent through ChromeDriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

//! What the studio's handlers share: the database, the access token, the browser sessions
//! (each with its SQL history, kept in memory) and the console's own connection.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devhub_db::Db;
use rand::RngCore;

/// How many browser sessions and queries per session are remembered.
const MAX_SESSIONS: usize = 64;
pub const MAX_HISTORY: usize = 20;

/// The access token printed at start; `Debug` does not show it.
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn generate() -> Self {
        AccessToken(random_hex(16))
    }

    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Compares without stopping at the first differing byte.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// What became of a token given in an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    /// The printed token, used for the first time and in time: it is spent now.
    Accepted,
    /// Not the printed token.
    Wrong,
    /// The printed token, already exchanged for a session once.
    AlreadyUsed,
    /// The printed token, not used within [`StudioSettings::access_link_lifetime`].
    Expired,
}

/// The printed token and whether it is still good: it opens one browser session, once.
struct AccessLink {
    token: AccessToken,
    issued: Instant,
    used: bool,
}

/// Settings of one studio process.
#[derive(Debug, Clone)]
pub struct StudioSettings {
    /// Whether the SQL console may run statements that write.
    pub allow_writes: bool,
    /// Console statements running longer than this are interrupted.
    pub statement_timeout: Duration,
    /// Rows shown per table page.
    pub page_size: usize,
    /// Rows of a query result shown in the console.
    pub console_rows: usize,
    /// How long after the start the printed address may be opened; after that, or once it
    /// has been opened, it signs nobody in.
    pub access_link_lifetime: Duration,
}

impl Default for StudioSettings {
    fn default() -> Self {
        StudioSettings {
            allow_writes: false,
            statement_timeout: Duration::from_secs(5),
            page_size: 50,
            console_rows: 1000,
            access_link_lifetime: Duration::from_secs(60),
        }
    }
}

/// One query run in the console, as the history shows it.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub sql: String,
    pub outcome: String,
    pub ok: bool,
}

#[derive(Debug, Default)]
struct Session {
    history: VecDeque<HistoryEntry>,
}

#[derive(Clone)]
pub struct StudioState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    link: Mutex<AccessLink>,
    settings: StudioSettings,
    sessions: Mutex<(HashMap<String, Session>, VecDeque<String>)>,
    /// The console's connection, checked out of the pool once and never returned to it: it
    /// carries `PRAGMA query_only` and may be interrupted.
    console: tokio::sync::Mutex<Option<crate::console::ConsoleConn>>,
}

impl StudioState {
    pub fn new(db: Db, token: AccessToken, settings: StudioSettings) -> Self {
        StudioState {
            inner: Arc::new(Inner {
                db,
                link: Mutex::new(AccessLink {
                    token,
                    issued: Instant::now(),
                    used: false,
                }),
                settings,
                sessions: Mutex::new((HashMap::new(), VecDeque::new())),
                console: tokio::sync::Mutex::new(None),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Checks a token given in an address, and spends it if it is the printed one, unused
    /// and in time: the printed address cannot be replayed.
    pub fn redeem(&self, candidate: &str) -> Redeemed {
        let Ok(mut link) = self.inner.link.lock() else {
            return Redeemed::Wrong;
        };
        if !link.token.matches(candidate) {
            Redeemed::Wrong
        } else if link.used {
            Redeemed::AlreadyUsed
        } else if link.issued.elapsed() > self.inner.settings.access_link_lifetime {
            Redeemed::Expired
        } else {
            link.used = true;
            Redeemed::Accepted
        }
    }

    pub fn settings(&self) -> &StudioSettings {
        &self.inner.settings
    }

    pub(crate) fn console(&self) -> &tokio::sync::Mutex<Option<crate::console::ConsoleConn>> {
        &self.inner.console
    }

    /// Starts a browser session and returns its id (the cookie's value).
    pub fn new_session(&self) -> String {
        let id = random_hex(16);
        if let Ok(mut guard) = self.inner.sessions.lock() {
            let (sessions, order) = &mut *guard;
            while order.len() >= MAX_SESSIONS {
                if let Some(old) = order.pop_front() {
                    sessions.remove(&old);
                }
            }
            sessions.insert(id.clone(), Session::default());
            order.push_back(id.clone());
        }
        id
    }

    pub fn has_session(&self, id: &str) -> bool {
        self.inner
            .sessions
            .lock()
            .map(|guard| guard.0.contains_key(id))
            .unwrap_or(false)
    }

    pub fn history(&self, id: &str) -> Vec<HistoryEntry> {
        self.inner
            .sessions
            .lock()
            .ok()
            .and_then(|guard| guard.0.get(id).map(|s| s.history.iter().cloned().collect()))
            .unwrap_or_default()
    }

    /// Records a query at the front of the session's history (newest first, no repeats).
    pub fn remember(&self, id: &str, entry: HistoryEntry) {
        if let Ok(mut guard) = self.inner.sessions.lock() {
            if let Some(session) = guard.0.get_mut(id) {
                session.history.retain(|e| e.sql != entry.sql);
                session.history.push_front(entry);
                session.history.truncate(MAX_HISTORY);
            }
        }
    }
}

/// The browser session of a request that passed the access check.
#[derive(Debug, Clone)]
pub struct SessionId(pub String);

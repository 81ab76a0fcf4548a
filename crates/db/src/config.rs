//! Where the database lives: `DATABASE_URL` and friends, parsed into a [`Location`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const DEFAULT_DATABASE_URL: &str = "file:./local.db";

/// `synchronous` pragma for local files (DESIGN.md §3): NORMAL loses nothing a crashed
/// process committed; FULL also survives a power cut at the cost of slower commits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Normal,
    Full,
}

impl Synchronous {
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "normal" | "" => Ok(Synchronous::Normal),
            "full" => Ok(Synchronous::Full),
            other => Err(Error::Config(format!(
                "DATABASE_SYNCHRONOUS must be `normal` or `full`, not `{other}`"
            ))),
        }
    }

    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// The raw settings, as given by flags, environment or `.env`.
#[derive(Clone, Default)]
pub struct DbConfig {
    pub url: String,
    pub auth_token: Option<String>,
    pub replica_path: Option<PathBuf>,
    pub synchronous: Synchronous,
    /// How often an embedded replica pulls the primary's changes in the background (zero:
    /// only at start, after its own writes, and before a signed-in request reads).
    pub sync_interval: std::time::Duration,
}

/// `DATABASE_SYNC_INTERVAL`'s default: one second.
pub const DEFAULT_SYNC_INTERVAL: &str = "1";

/// Parses `DATABASE_SYNC_INTERVAL`: seconds, fractions allowed (`0.5`), `0` for none.
pub fn parse_sync_interval(value: &str) -> Result<std::time::Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && (0.0..=86_400.0).contains(s))
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| {
            Error::Config(format!(
                "DATABASE_SYNC_INTERVAL must be a number of seconds from 0 to 86400, not `{}`",
                value.trim()
            ))
        })
}

impl std::fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &redact_url(&self.url))
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "[redacted]"),
            )
            .field("replica_path", &self.replica_path)
            .field("synchronous", &self.synchronous)
            .field("sync_interval", &self.sync_interval)
            .finish()
    }
}

impl DbConfig {
    pub fn local(path: impl Into<PathBuf>) -> Self {
        DbConfig {
            url: path.into().display().to_string(),
            ..DbConfig::default()
        }
    }
}

/// Which libSQL mode a configuration selects.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A local SQLite file.
    Local(PathBuf),
    /// A private in-memory database (one connection; for tools and tests).
    Memory,
    /// A libSQL server (Turso or self-hosted `sqld`).
    Remote { url: String, auth_token: String },
    /// A local replica of a remote primary: reads local, writes go to the primary.
    Replica {
        url: String,
        auth_token: String,
        path: PathBuf,
        /// See [`DbConfig::sync_interval`].
        sync_interval: std::time::Duration,
    },
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Location {
    /// Parses the configuration without touching the file system or the network.
    pub fn from_config(config: &DbConfig) -> Result<Self> {
        let url = config.url.trim();
        let url = if url.is_empty() {
            DEFAULT_DATABASE_URL
        } else {
            url
        };
        if url == ":memory:" || url == "file::memory:" {
            return Ok(Location::Memory);
        }
        match scheme_of(url) {
            None => Ok(Location::Local(PathBuf::from(url))),
            Some("file") => {
                let rest = &url["file:".len()..];
                // `file:///abs/path` and `file://localhost/abs` are URLs; `file:./x.db` is a path.
                let rest = rest
                    .strip_prefix("//localhost")
                    .or_else(|| rest.strip_prefix("//"))
                    .unwrap_or(rest);
                let path = rest.split('?').next().unwrap_or(rest);
                if path.is_empty() {
                    return Err(Error::Config(
                        "DATABASE_URL `file:` needs a path, for example file:./local.db".into(),
                    ));
                }
                Ok(Location::Local(PathBuf::from(path)))
            }
            Some(scheme @ ("libsql" | "https" | "http")) => {
                let parsed = url::Url::parse(url).map_err(|e| {
                    Error::Config(format!("DATABASE_URL is not a valid URL ({e})"))
                })?;
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(Error::Config(format!(
                        "DATABASE_URL `{}` has no host",
                        redact_url(url)
                    )));
                }
                let token = config
                    .auth_token
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty());
                let auth_token = match (token, scheme) {
                    (Some(t), _) => t.to_string(),
                    // A self-hosted sqld on a trusted network may run without authentication.
                    (None, "http") => String::new(),
                    (None, _) => {
                        return Err(Error::Config(format!(
                            "DATABASE_URL `{}` is a remote database: set DATABASE_AUTH_TOKEN",
                            redact_url(url)
                        )))
                    }
                };
                Ok(match &config.replica_path {
                    Some(path) => Location::Replica {
                        url: url.to_string(),
                        auth_token,
                        path: path.clone(),
                        sync_interval: config.sync_interval,
                    },
                    None => Location::Remote {
                        url: url.to_string(),
                        auth_token,
                    },
                })
            }
            Some(other) => Err(Error::Config(format!(
                "DATABASE_URL has an unknown scheme `{other}:` (use file:, libsql://, https:// or http://)"
            ))),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Location::Local(_) | Location::Memory)
    }

    /// A server without a local replica: every statement is a request over the network.
    pub fn is_remote(&self) -> bool {
        matches!(self, Location::Remote { .. })
    }

    /// A human description without credentials, for logs and the studio.
    pub fn describe(&self) -> String {
        match self {
            Location::Local(path) => format!("local file {}", path.display()),
            Location::Memory => "in-memory database".to_string(),
            Location::Remote { url, .. } => format!("remote {}", redact_url(url)),
            Location::Replica { url, path, .. } => {
                format!("replica {} of remote {}", path.display(), redact_url(url))
            }
        }
    }
}

/// `Some(scheme)` when `s` starts with `scheme:`; Windows drive letters are paths.
fn scheme_of(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || scheme.len() == 1
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    Some(scheme)
}

/// The URL without user info or query (tokens sometimes travel as `?authToken=`).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.has_host() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        _ => url.split('?').next().unwrap_or(url).to_string(),
    }
}

/// Checks that a local database path can be used. `create` allows a missing file.
pub(crate) fn check_local_path(path: &Path, create: bool) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(Error::Config(format!(
            "database path {} is a directory",
            path.display()
        ))),
        Ok(_) => std::fs::OpenOptions::new()
            .read(true)
            .open(path)
            .map(|_| ())
            .map_err(|e| Error::Config(format!("cannot read database {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(Error::Config(format!(
                    "database {} does not exist (run `devhub db migrate` or `devhub serve` to create it)",
                    path.display()
                )));
            }
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !parent.is_dir() {
                return Err(Error::Config(format!(
                    "cannot create database {}: folder {} does not exist",
                    path.display(),
                    parent.display()
                )));
            }
            Ok(())
        }
        Err(e) => Err(Error::Config(format!(
            "cannot read database {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(url: &str, token: Option<&str>, replica: Option<&str>) -> Result<Location> {
        Location::from_config(&DbConfig {
            url: url.into(),
            auth_token: token.map(Into::into),
            replica_path: replica.map(PathBuf::from),
            synchronous: Synchronous::Normal,
            sync_interval: std::time::Duration::ZERO,
        })
    }

    #[test]
    fn the_sync_interval_is_seconds_from_zero_to_a_day() {
        use std::time::Duration;
        assert_eq!(parse_sync_interval("1").unwrap(), Duration::from_secs(1));
        assert_eq!(
            parse_sync_interval(" 0.25 ").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(parse_sync_interval("0").unwrap(), Duration::ZERO);
        for bad in ["-1", "soon", "", "1e9", "NaN", "inf"] {
            let e = parse_sync_interval(bad).unwrap_err().to_string();
            assert!(e.contains("DATABASE_SYNC_INTERVAL"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_documented_url_form_selects_its_mode() {
        assert_eq!(
            loc("", None, None).unwrap(),
            Location::Local("./local.db".into())
        );
        assert_eq!(
            loc("file:./x.db", None, None).unwrap(),
            Location::Local("./x.db".into())
        );
        assert_eq!(
            loc("file:///tmp/x.db", None, None).unwrap(),
            Location::Local("/tmp/x.db".into())
        );
        assert_eq!(
            loc("data/x.db", None, None).unwrap(),
            Location::Local("data/x.db".into())
        );
        assert_eq!(
            loc("/abs/x.db", None, None).unwrap(),
            Location::Local("/abs/x.db".into())
        );
        assert_eq!(loc(":memory:", None, None).unwrap(), Location::Memory);
        assert!(matches!(
            loc("libsql://db.turso.io", Some("t"), None).unwrap(),
            Location::Remote { .. }
        ));
        assert!(matches!(
            loc("https://db.example.com", Some("t"), None).unwrap(),
            Location::Remote { .. }
        ));
        assert!(matches!(
            loc("http://127.0.0.1:8080", None, None).unwrap(),
            Location::Remote { .. }
        ));
        assert!(matches!(
            loc("libsql://db.turso.io", Some("t"), Some("replica.db")).unwrap(),
            Location::Replica { .. }
        ));
    }

    #[test]
    fn unknown_schemes_and_missing_tokens_are_config_errors() {
        let err = loc("postgres://localhost/db", None, None).unwrap_err();
        assert!(
            err.to_string().contains("unknown scheme `postgres:`"),
            "{err}"
        );
        let err = loc("libsql://db.turso.io", None, None).unwrap_err();
        assert!(err.to_string().contains("DATABASE_AUTH_TOKEN"), "{err}");
        let err = loc("https://db.example.com", Some("  "), None).unwrap_err();
        assert!(err.to_string().contains("DATABASE_AUTH_TOKEN"), "{err}");
        assert!(loc("libsql://", Some("t"), None).is_err());
        assert!(loc("file:", None, None).is_err());
    }

    #[test]
    fn descriptions_never_show_credentials() {
        let l = loc(
            "libsql://user:pw@db.turso.io?authToken=secret",
            Some("tok"),
            None,
        )
        .unwrap();
        let d = l.describe();
        assert!(
            !d.contains("secret") && !d.contains("pw") && !d.contains("tok"),
            "{d}"
        );
        assert!(!format!(
            "{:?}",
            DbConfig {
                url: "x".into(),
                auth_token: Some("tok".into()),
                ..Default::default()
            }
        )
        .contains("tok\""));
    }

    #[test]
    fn synchronous_accepts_normal_and_full_only() {
        assert_eq!(Synchronous::parse("FULL").unwrap(), Synchronous::Full);
        assert_eq!(Synchronous::parse("normal").unwrap(), Synchronous::Normal);
        assert!(Synchronous::parse("off").is_err());
    }
}

//! The one error type of the data layer.

use std::fmt;

/// A problem with one input field, reported next to that field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Every field error of one input, in the order the fields were checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The first message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(())` when nothing was added, the collected errors otherwise.
    pub fn into_result(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    /// Records the error of a parse step and returns its value, if any.
    pub fn take<T>(&mut self, field: &'static str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The row does not exist, or belongs to another user (indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    /// A uniqueness rule of the schema refused the write.
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// Bad `DATABASE_URL` and friends: reported as a one-line error at start.
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Migration(String),
    /// A stored value that the row types cannot represent.
    #[error("unexpected value in column {column}: {reason}")]
    Decode {
        column: &'static str,
        reason: String,
    },
    #[error("database error: {0}")]
    Database(#[from] libsql::Error),
    /// The database server did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::new();
        errors.add(field, message);
        Error::Validation(errors)
    }

    /// The message of the database, when this is a database error.
    pub fn database_message(&self) -> Option<String> {
        match self {
            Error::Database(e) => Some(e.to_string()),
            _ => None,
        }
    }

    /// True when the database refused the write because of a UNIQUE or PRIMARY KEY constraint
    /// on `table.column` (works for local files and remote servers alike: both carry SQLite's text).
    pub fn is_unique_violation(&self, table_column: &str) -> bool {
        self.database_message()
            .is_some_and(|m| m.contains("UNIQUE constraint failed") && m.contains(table_column))
    }

    /// True when the database refused the write because `table.column` would be NULL: what
    /// the bulk-write INSERTs answer for a contact that is not the user's (the owner check is
    /// a subquery that yields NULL then).
    pub fn is_not_null_violation(&self, table_column: &str) -> bool {
        self.database_message()
            .is_some_and(|m| m.contains("NOT NULL constraint failed") && m.contains(table_column))
    }

    /// True when the database server could not be reached (refused, reset or timed out
    /// connections): a temporary condition, not a fault of the request.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unavailable(_) => true,
            Error::Database(libsql::Error::Hrana(_))
            | Error::Database(libsql::Error::Replication(_))
            // An embedded replica's writes, sent to the primary over gRPC.
            | Error::Database(libsql::Error::WriteDelegation(_)) => {
                let m = self.to_string().to_ascii_lowercase();
                [
                    "error trying to connect",
                    "connection refused",
                    "connection reset",
                    "broken pipe",
                    "timed out",
                    "connection closed",
                    // The server died while it was answering (killed mid-response).
                    "unexpected eof",
                    "error reading a body from connection",
                    "channel closed",
                    // An embedded replica that cannot reach its primary to sync.
                    "timeout performing handshake",
                    // A server that restarted and forgot the stream of a unit of work.
                    "invalid baton",
                    // A stream the server expired after 10 s idle (a unit of work that
                    // waited that long between two statements, on a starved machine).
                    "stream has expired",
                    // An embedded replica far behind, whose primary is still writing the
                    // snapshot of its log that the replica needs (after a large write).
                    "snapshot not found",
                ]
                .iter()
                .any(|needle| m.contains(needle))
            }
            _ => false,
        }
    }

    pub fn is_foreign_key_violation(&self) -> bool {
        self.database_message()
            .is_some_and(|m| m.contains("FOREIGN KEY constraint failed"))
    }

    /// Turns a unique violation on `table_column` into a `Conflict` on `field`, leaves others alone.
    pub fn map_unique(self, table_column: &str, field: &'static str, message: &str) -> Self {
        if self.is_unique_violation(table_column) {
            Error::Conflict {
                field,
                message: message.to_string(),
            }
        } else {
            self
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

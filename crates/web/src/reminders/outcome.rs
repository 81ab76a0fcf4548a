//! How one send attempt ended, for the delivery record and the retry decision.

use super::content::one_line;

/// The most a `response` keeps, in characters.
pub const RESPONSE_MAX: usize = 300;

/// The outcome of one attempt on one channel. `response` is a short line for people (the
/// server's answer, or what went wrong): never a password or a webhook secret.
///
/// - `Sent`: the server took it (SMTP 2xx, HTTP 2xx).
/// - `Temporary`: worth trying again later (SMTP 4xx; HTTP 5xx, 408, 429; timeouts; a refused,
///   reset or failed connection; a failed TLS handshake).
/// - `Permanent`: trying again will not help (SMTP 5xx; HTTP 3xx and other 4xx; an address or
///   URL that is not valid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent { response: String },
    Temporary { response: String },
    Permanent { response: String },
}

impl Outcome {
    pub fn sent(response: impl AsRef<str>) -> Outcome {
        Outcome::Sent {
            response: short(response.as_ref()),
        }
    }

    pub fn temporary(response: impl AsRef<str>) -> Outcome {
        Outcome::Temporary {
            response: short(response.as_ref()),
        }
    }

    pub fn permanent(response: impl AsRef<str>) -> Outcome {
        Outcome::Permanent {
            response: short(response.as_ref()),
        }
    }

    /// The line to store and show.
    pub fn response(&self) -> &str {
        match self {
            Outcome::Sent { response }
            | Outcome::Temporary { response }
            | Outcome::Permanent { response } => response,
        }
    }

    /// `sent`, `temporary` or `permanent` (for the record, the logs and the metrics).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "sent",
            Outcome::Temporary { .. } => "temporary",
            Outcome::Permanent { .. } => "permanent",
        }
    }

    pub fn is_sent(&self) -> bool {
        matches!(self, Outcome::Sent { .. })
    }

    /// True when a later attempt may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Outcome::Temporary { .. })
    }

    /// The outcome of an HTTP answer with `status`: 2xx sent; 5xx, 408 and 429 temporary;
    /// anything else permanent.
    pub fn of_http_status(status: u16, response: impl AsRef<str>) -> Outcome {
        match status {
            200..=299 => Outcome::sent(response),
            408 | 429 | 500..=599 => Outcome::temporary(response),
            _ => Outcome::permanent(response),
        }
    }
}

/// `text` on one line, at most [`RESPONSE_MAX`] characters.
pub fn short(text: &str) -> String {
    one_line(text, RESPONSE_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_are_classified() {
        assert!(Outcome::of_http_status(200, "").is_sent());
        assert!(Outcome::of_http_status(204, "").is_sent());
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                Outcome::of_http_status(status, "").is_temporary(),
                "{status}"
            );
        }
        for status in [301, 302, 400, 401, 403, 404, 410, 413] {
            assert_eq!(
                Outcome::of_http_status(status, "").label(),
                "permanent",
                "{status}"
            );
        }
    }

    #[test]
    fn responses_are_short_single_lines() {
        let long = "x".repeat(1000);
        assert_eq!(
            Outcome::temporary(&long).response().chars().count(),
            RESPONSE_MAX
        );
        assert_eq!(
            Outcome::sent("250 ok\r\n  queued").response(),
            "250 ok queued"
        );
    }
}

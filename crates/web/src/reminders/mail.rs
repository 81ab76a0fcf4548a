//! Reminders by e-mail, over SMTP (lettre with rustls: STARTTLS or implicit TLS).
//!
//! `SMTP_URL` forms:
//! - `smtp://user:pass@smtp.example.com:587`: STARTTLS, required (the default port is 587);
//! - `smtps://user:pass@smtp.example.com:465`: implicit TLS (the default port is 465);
//! - `smtp://localhost:25?tls=none`: no encryption, for a relay on the same machine or a test
//!   server (`tls=starttls` spells out the default).
//!
//! User name and password are percent-decoded (`%40` for an `@` in a user name).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::response::Response;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::content::{Links, Reminder};
use super::outcome::Outcome;

/// How long one send may take in all (connecting, TLS, every command) by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
    /// `smtp://`: plain, then STARTTLS, which the server must offer.
    StartTls,
    /// `smtp://…?tls=none`: no encryption.
    None,
}

/// Sends e-mail through the operator's SMTP server. Cheap to clone. Its `Debug` never shows
/// the password.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    host: String,
    port: u16,
    security: Security,
    username: Option<String>,
    credentials: Option<Credentials>,
    from: Mailbox,
    from_text: String,
    timeout: Duration,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Mailer")
            .field("host", &inner.host)
            .field("port", &inner.port)
            .field("security", &inner.security)
            .field("username", &inner.username)
            .field(
                "password",
                &inner.credentials.as_ref().map(|_| "[redacted]"),
            )
            .field("from", &inner.from_text)
            .field("timeout", &inner.timeout)
            .finish()
    }
}

impl Mailer {
    /// A mailer from the operator's `SMTP_URL` and sender address (`reminders@example.com` or
    /// `Developer Hub <reminders@example.com>`). A bad URL or sender is an error of one line
    /// that says what is wrong (and never contains the password).
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, String> {
        let url = url::Url::parse(smtp_url.trim())
            .map_err(|e| format!("SMTP_URL is not a valid URL: {e}"))?;
        let security = match url.scheme() {
            "smtp" => Security::StartTls,
            "smtps" => Security::ImplicitTls,
            other => {
                return Err(format!(
                    "SMTP_URL must start with smtp:// or smtps:// (it starts with {other}://)"
                ))
            }
        };
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.trim_matches(['[', ']']).to_string(),
            _ => return Err("SMTP_URL has no host name (smtp://host:port)".to_string()),
        };
        if !matches!(url.path(), "" | "/") {
            return Err("SMTP_URL must not have a path (smtp://host:port)".to_string());
        }
        let mut security = security;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "none", Security::StartTls) => security = Security::None,
                ("tls", "starttls" | "required", Security::StartTls) => {}
                ("tls", _, Security::ImplicitTls) => {
                    return Err(
                        "SMTP_URL: smtps:// always uses TLS; use smtp://…?tls=none for no TLS"
                            .to_string(),
                    )
                }
                ("tls", other, _) => {
                    return Err(format!(
                        "SMTP_URL: tls={other} is not known (tls=none or tls=starttls)"
                    ))
                }
                (other, _, _) => {
                    return Err(format!(
                        "SMTP_URL: the parameter {other:?} is not known (only tls=none or tls=starttls)"
                    ))
                }
            }
        }
        let port = match (url.port(), security) {
            (Some(0), _) => return Err("SMTP_URL: port 0 is not a port".to_string()),
            (Some(port), _) => port,
            (None, Security::ImplicitTls) => 465,
            (None, _) => 587,
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
        };
        let username = decode(url.username())
            .map_err(|_| "SMTP_URL: the user name is not valid UTF-8".to_string())?;
        let password = match url.password() {
            Some(p) => Some(
                decode(p).map_err(|_| "SMTP_URL: the password is not valid UTF-8".to_string())?,
            ),
            None => None,
        };
        let credentials = match (username.is_empty(), password) {
            (true, None) => None,
            (true, Some(_)) => {
                return Err("SMTP_URL has a password but no user name".to_string());
            }
            (false, password) => Some(Credentials::new(
                username.clone(),
                password.unwrap_or_default(),
            )),
        };
        if credentials.is_some() && security == Security::None && !is_loopback(&host) {
            return Err(
                "SMTP_URL: tls=none would send the password unencrypted; use STARTTLS or smtps://"
                    .to_string(),
            );
        }
        let from_text = from.trim().to_string();
        let from: Mailbox = from_text.parse().map_err(|e| {
            format!("the sender address {from_text:?} is not a valid e-mail address: {e}")
        })?;
        let mut inner = Inner {
            host,
            port,
            security,
            username: (!username.is_empty()).then_some(username),
            credentials,
            from,
            from_text,
            timeout: DEFAULT_TIMEOUT,
            transport: AsyncSmtpTransport::<Tokio1Executor>::unencrypted_localhost(),
        };
        inner.transport = inner.build_transport()?;
        Ok(Mailer {
            inner: Arc::new(inner),
        })
    }

    /// The same mailer with another total timeout per send (a stalled server then ends as
    /// `Temporary` after `timeout`).
    pub fn with_timeout(self, timeout: Duration) -> Mailer {
        let old = &self.inner;
        let mut inner = Inner {
            host: old.host.clone(),
            port: old.port,
            security: old.security,
            username: old.username.clone(),
            credentials: old.credentials.clone(),
            from: old.from.clone(),
            from_text: old.from_text.clone(),
            timeout,
            transport: old.transport.clone(),
        };
        if let Ok(transport) = inner.build_transport() {
            inner.transport = transport;
        }
        Mailer {
            inner: Arc::new(inner),
        }
    }

    /// The sender address as configured.
    pub fn from_address(&self) -> &str {
        &self.inner.from_text
    }

    /// Where the mail goes, without credentials: "smtp.example.com:587 (STARTTLS)".
    pub fn server(&self) -> String {
        let security = match self.inner.security {
            Security::ImplicitTls => "TLS",
            Security::StartTls => "STARTTLS",
            Security::None => "no TLS",
        };
        format!("{}:{} ({security})", self.inner.host, self.inner.port)
    }

    /// Sends a reminder to `to`: a text/plain and a text/html part, every contact linked to its
    /// page, the settings link in the footer, and when `links.unsubscribe` is set a visible
    /// unsubscribe link and the `List-Unsubscribe` / `List-Unsubscribe-Post` headers
    /// (RFC 8058 one-click). `message_id` (`<delivery-id@host>`) is the same on every retry
    /// of one delivery.
    pub async fn send_reminder(
        &self,
        to: &str,
        r: &Reminder,
        links: &Links,
        message_id: &str,
    ) -> Outcome {
        let (text, html) = match r.render_mail(links) {
            Ok(bodies) => bodies,
            Err(e) => return Outcome::permanent(format!("the e-mail could not be written: {e}")),
        };
        let mut headers = Vec::new();
        if let Some(unsubscribe) = &links.unsubscribe {
            headers.push(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ));
            headers.push(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
        }
        self.send(to, &r.subject(), text, html, message_id, headers)
            .await
    }

    /// A plain message (the address confirmation): `subject`, a text and an HTML part.
    pub async fn send_plain(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
        message_id: &str,
    ) -> Outcome {
        self.send(
            to,
            subject,
            text.to_string(),
            html.to_string(),
            message_id,
            Vec::new(),
        )
        .await
    }

    async fn send(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: String,
        message_id: &str,
        headers: Vec<HeaderValue>,
    ) -> Outcome {
        let to: Mailbox = match to.trim().parse() {
            Ok(to) => to,
            Err(e) => {
                return Outcome::permanent(format!(
                    "the address {:?} is not a valid e-mail address: {e}",
                    to.trim()
                ))
            }
        };
        let mut builder = Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(super::content::one_line(subject, 200))
            .message_id(Some(message_id.to_string()))
            .date_now()
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_string(),
            ));
        for header in headers {
            builder = builder.raw_header(header);
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html),
            );
        let message = match builder.multipart(body) {
            Ok(message) => message,
            Err(e) => return Outcome::permanent(format!("the e-mail could not be built: {e}")),
        };
        let timeout = self.inner.timeout;
        match tokio::time::timeout(timeout, self.inner.transport.send(message)).await {
            Err(_) => Outcome::temporary(format!(
                "no answer from {} within {} s",
                self.server(),
                timeout.as_secs_f32()
            )),
            Ok(Ok(response)) => Outcome::sent(reply(&response)),
            Ok(Err(e)) => classify(&e, &self.server()),
        }
    }
}

impl Inner {
    fn build_transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_string())
                .map_err(|e| format!("SMTP_URL: TLS cannot be set up for {host}: {e}"))
        };
        let tls = match self.security {
            Security::ImplicitTls => Tls::Wrapper(tls(&self.host)?),
            Security::StartTls => Tls::Required(tls(&self.host)?),
            Security::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            // Each read, write and the connect; the whole send is bounded by `self.timeout`.
            .timeout(Some(self.timeout));
        if let Some(credentials) = &self.credentials {
            builder = builder.credentials(credentials.clone());
        }
        Ok(builder.build())
    }
}

/// "250 2.0.0 Ok: queued as 1234".
fn reply(response: &Response) -> String {
    let text = response.message().collect::<Vec<_>>().join(" ");
    format!("{} {text}", response.code())
}

/// The outcome of a failed send: a 5xx answer is permanent, anything else (4xx, a refused or
/// reset connection, a timeout, a TLS failure) temporary.
fn classify(e: &lettre::transport::smtp::Error, server: &str) -> Outcome {
    use std::error::Error as _;
    if let Some(code) = e.status() {
        let text = e.source().map(|s| s.to_string()).unwrap_or_default();
        let line = format!("{code} {text}");
        return if e.is_permanent() {
            Outcome::permanent(line)
        } else {
            Outcome::temporary(line)
        };
    }
    // The whole chain, which names the cause (connection refused, certificate, …).
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    // Nested errors repeat their kind ("Connection error: Connection error: …"): once is enough.
    let mut segments: Vec<&str> = line.split(": ").collect();
    segments.dedup();
    let line = segments.join(": ");
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_tls() {
        "TLS failed"
    } else {
        "could not send"
    };
    Outcome::temporary(format!("{server}: {what}: {line}"))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_choose_the_security_and_default_port() {
        let m = Mailer::new("smtp://u:p@mail.example.com", "a@example.com")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.server(), "mail.example.com:587 (STARTTLS)");
        let m = Mailer::new("smtps://u:p@mail.example.com", "a@example.com")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.server(), "mail.example.com:465 (TLS)");
        let m = Mailer::new("smtp://127.0.0.1:2525?tls=none", "Hub <a@example.com>")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.server(), "127.0.0.1:2525 (no TLS)");
        assert_eq!(m.from_address(), "Hub <a@example.com>");
    }
}

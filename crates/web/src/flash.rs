//! One-time messages shown on the page after a redirect ("Contact saved"), carried in a
//! short-lived cookie so that they work without JavaScript.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};

const COOKIE: &str = "flash";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `success` or `error`: the style of the message.
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Flash {
            kind: "success",
            message: message.into(),
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Flash {
            kind: "error",
            message: message.into(),
        }
    }
}

/// Adds the flash cookie for the next page.
pub fn set(jar: CookieJar, flash: Flash) -> CookieJar {
    let value = format!(
        "{}:{}",
        flash.kind,
        utf8_percent_encode(&flash.message, NON_ALPHANUMERIC)
    );
    jar.add(
        Cookie::build((COOKIE, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .build(),
    )
}

/// Reads the flash message, if any, and removes its cookie.
pub fn take(jar: CookieJar) -> (CookieJar, Option<Flash>) {
    let Some(cookie) = jar.get(COOKIE) else {
        return (jar, None);
    };
    let flash = cookie.value().split_once(':').and_then(|(kind, message)| {
        let kind = match kind {
            "success" => "success",
            "error" => "error",
            _ => return None,
        };
        let message = percent_decode_str(message).decode_utf8().ok()?.into_owned();
        Some(Flash { kind, message })
    });
    let removal = Cookie::build((COOKIE, "")).path("/").build();
    (jar.remove(removal), flash)
}

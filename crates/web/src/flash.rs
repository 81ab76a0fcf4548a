//! One-time messages shown on the page after a redirect ("Contact saved"), carried in a
//! short-lived cookie so that they work without JavaScript.

use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};

pub const COOKIE: &str = "flash";

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

/// The 303 that ends every successful form post: to `to`, with `flash` for the next page.
pub fn redirect(jar: CookieJar, flash: Flash, to: &str) -> Response {
    (set(jar, flash), Redirect::to(to)).into_response()
}

/// The flash message the request carries, if any.
pub fn read(jar: &CookieJar) -> Option<Flash> {
    let cookie = jar.get(COOKIE)?;
    let (kind, message) = cookie.value().split_once(':')?;
    let kind = match kind {
        "success" => "success",
        "error" => "error",
        _ => return None,
    };
    let message = percent_decode_str(message).decode_utf8().ok()?.into_owned();
    Some(Flash { kind, message })
}

/// The cookie that deletes the flash message.
pub fn removal() -> Cookie<'static> {
    let mut c = Cookie::build((COOKIE, "")).path("/").build();
    c.make_removal();
    c
}

/// Reads the flash message, if any, and removes its cookie (for handlers that manage the jar
/// themselves; pages using [`crate::page::Page`] get this from the middleware).
pub fn take(jar: CookieJar) -> (CookieJar, Option<Flash>) {
    let flash = read(&jar);
    if jar.get(COOKIE).is_none() {
        return (jar, None);
    }
    (jar.add(removal()), flash)
}

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
    /// The undo of the action the message reports (`undo_action.id`): the flash offers an
    /// "Undo" button that posts to `/undo/{id}`.
    pub undo: Option<String>,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Flash {
            kind: "success",
            message: message.into(),
            undo: None,
        }
    }

    /// The message with an "Undo" for `undo` (none: no button).
    pub fn with_undo(mut self, undo: Option<impl std::fmt::Display>) -> Self {
        self.undo = undo.map(|id| id.to_string());
        self
    }

    pub fn error(message: impl Into<String>) -> Self {
        Flash {
            kind: "error",
            message: message.into(),
            undo: None,
        }
    }
}

/// Adds the flash cookie for the next page.
pub fn set(jar: CookieJar, flash: Flash) -> CookieJar {
    // `kind:message[:undo]`: the message is percent-encoded, so it holds no colon.
    let mut value = format!(
        "{}:{}",
        flash.kind,
        utf8_percent_encode(&flash.message, NON_ALPHANUMERIC)
    );
    if let Some(undo) = flash.undo.as_deref().filter(|u| is_undo_id(u)) {
        value.push(':');
        value.push_str(undo);
    }
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
    let (kind, rest) = cookie.value().split_once(':')?;
    let (message, undo) = match rest.split_once(':') {
        Some((message, undo)) => (message, Some(undo).filter(|u| is_undo_id(u))),
        None => (rest, None),
    };
    let kind = match kind {
        "success" => "success",
        "error" => "error",
        _ => return None,
    };
    let message = percent_decode_str(message).decode_utf8().ok()?.into_owned();
    Some(Flash {
        kind,
        message,
        undo: undo.map(str::to_string),
    })
}

/// An id as the app makes them (a UUID): anything else in the cookie is ignored.
fn is_undo_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(flash: Flash) -> Option<Flash> {
        let jar = set(CookieJar::new(), flash);
        read(&jar)
    }

    #[test]
    fn the_undo_id_travels_with_the_message() {
        let flash = Flash::success("Deleted Ada: Lovelace.").with_undo(Some("0193-abc"));
        assert_eq!(round_trip(flash.clone()), Some(flash));
        let plain = Flash::error("No: nothing.");
        assert_eq!(round_trip(plain.clone()), Some(plain));
        // A forged id that is not an id is dropped, the message kept.
        let forged = Flash::success("x").with_undo(Some("../../settings"));
        assert_eq!(round_trip(forged).and_then(|f| f.undo), None);
    }
}

//! What every page shares: the layout's data, the `Page` extractor that gathers it, rendering,
//! and small helpers for URLs and pagination.

use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};

use crate::assets;
use crate::auth::session::PendingSession;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::state::AppState;
use crate::today::Today;
use chrono::{NaiveDate, Utc};
use devhub_db::{FollowUpCounts, UserSettings};

/// The data of the shared layout (`templates/base.html`).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    /// The signed-in user's name; `None` on public pages.
    pub username: Option<String>,
    pub flash: Option<Flash>,
    /// `light`, `dark`, or empty for the system's choice.
    pub theme: String,
    /// Which navigation entry is current: `dashboard`, `contacts`, `follow-ups`,
    /// `interactions`, `settings`.
    pub nav: &'static str,
    /// The signed-in user's overdue and today's follow-ups, counted in the navigation.
    pub follow_ups: FollowUpCounts,
    /// The page's `<meta name="description">`, when it has one of its own.
    pub description: Option<&'static str>,
    /// The browser has the stylesheet in its cache (see [`remember_stylesheet`]): the page
    /// links it. Otherwise (a first visit, an error page) it carries it inline.
    pub css_cached: bool,
    /// The signed-in user is an admin: the navigation links the admin page.
    pub admin: bool,
}

/// What every other page says of itself in `<meta name="description">` (search results, link
/// previews).
pub const DESCRIPTION: &str = "Developer Hub CRM: a self-hosted personal CRM for developers. \
    The people you meet, what you talked about, and when to get back in touch.";

impl Layout {
    pub fn new(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            ..Layout::default()
        }
    }

    pub fn user(mut self, username: &str) -> Self {
        self.username = Some(username.to_string());
        self
    }

    pub fn flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash;
        self
    }

    /// The theme stored in the request's cookie (and whether the stylesheet is cached).
    pub fn theme_from(mut self, jar: &CookieJar) -> Self {
        self.theme = theme(jar);
        self.css_cached = css_cached(jar);
        self
    }

    /// The layout of a page that no signed-in handler made (an error page): the visitor's
    /// header when they are signed in, and their theme either way.
    pub fn for_visitor(current: Option<&CurrentUser>, jar: &CookieJar) -> Self {
        let mut layout = Layout::default().theme_from(jar);
        if let Some(current) = current {
            let today = Today::at(Utc::now(), current.settings.time_zone());
            layout.username = Some(current.user.username.clone());
            layout.admin = current.user.is_admin();
            layout.follow_ups = current.follow_ups.on(today.date);
        }
        layout
    }

    /// A description of the page's own instead of [`DESCRIPTION`].
    pub fn described(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    pub fn description(&self) -> &'static str {
        self.description.unwrap_or(DESCRIPTION)
    }

    pub fn nav(mut self, nav: &'static str) -> Self {
        self.nav = nav;
        self
    }

    pub fn css(&self) -> &'static str {
        assets::css_path()
    }

    /// The stylesheet itself, for the pages that carry it inline.
    pub fn css_text(&self) -> &'static str {
        assets::css_text()
    }

    pub fn js(&self) -> &'static str {
        assets::js_path()
    }

    pub fn icon(&self) -> &'static str {
        assets::icon_path()
    }

    pub fn noscript_css(&self) -> &'static str {
        assets::noscript_css_path()
    }
}

/// Everything a signed-in page needs from the request: the user and their settings, today in
/// their time zone, the flash message to show (its cookie is cleared by [`clear_flash`]), the
/// theme, and the follow-up counts of the navigation.
#[derive(Debug, Clone)]
pub struct Page {
    pub current: CurrentUser,
    pub flash: Option<Flash>,
    pub theme: String,
    pub settings: UserSettings,
    /// The request's one "today", in the user's time zone: every date on the page counts
    /// from it.
    pub today: Today,
    pub follow_ups: FollowUpCounts,
    /// See [`Layout::css_cached`].
    pub css_cached: bool,
}

impl Page {
    /// The layout for a page titled `title` under navigation entry `nav`.
    pub fn layout(&self, title: impl Into<String>, nav: &'static str) -> Layout {
        Layout {
            title: title.into(),
            username: Some(self.current.user.username.clone()),
            flash: self.flash.clone(),
            theme: self.theme.clone(),
            nav,
            follow_ups: self.follow_ups,
            description: None,
            css_cached: self.css_cached,
            admin: self.current.user.is_admin(),
        }
    }

    pub fn user_id(&self) -> &devhub_db::UserId {
        &self.current.user.id
    }

    /// Today's date in the user's time zone (`self.today.date`).
    pub fn today(&self) -> NaiveDate {
        self.today.date
    }
}

impl Page {
    /// The page of `current`, with what the request's cookies say.
    fn new(current: CurrentUser, jar: &CookieJar) -> Self {
        let settings = current.settings.clone();
        let today = Today::at(Utc::now(), settings.time_zone());
        let follow_ups = current.follow_ups.on(today.date);
        Page {
            current,
            flash: flash::read(jar),
            theme: theme(jar),
            css_cached: css_cached(jar),
            settings,
            today,
            follow_ups,
        }
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Read with the session (`require_user`), or, for a GET whose check waits for a
        // `View`'s reads, checked here on its own.
        let current = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Page::new(current, &CookieJar::from_headers(&parts.headers)))
    }
}

/// A page that only reads (a GET handler that writes nothing): the session is checked in the
/// same batch as the page's reads when it can be (see [`KnownSessions`]), one request to a
/// server instead of two. Until [`View::read`] the handler knows only whose page it is.
///
/// [`KnownSessions`]: crate::auth::session::KnownSessions
pub struct View(Viewing);

enum Viewing {
    Checked(Box<Page>),
    Pending(PendingSession, CookieJar),
}

impl View {
    /// Whose page this is (if the session holds).
    pub fn user_id(&self) -> &devhub_db::UserId {
        match &self.0 {
            Viewing::Checked(page) => page.user_id(),
            Viewing::Pending(pending, _) => pending.user_id(),
        }
    }

    /// Runs the page's reads `q` (with the session check, when it is still to be done) and
    /// answers the page and their result.
    pub async fn read<'e, T: Send + 'e>(
        self,
        state: &'e AppState,
        q: devhub_db::Query<'e, T>,
    ) -> Result<(Page, T), AppError> {
        match self.0 {
            Viewing::Checked(page) => Ok((*page, q.await?)),
            Viewing::Pending(pending, jar) => {
                let (current, read) = pending.read(state, q).await?;
                Ok((Page::new(current, &jar), read))
            }
        }
    }
}

impl From<Page> for View {
    fn from(page: Page) -> Self {
        View(Viewing::Checked(Box::new(page)))
    }
}

impl From<&Page> for View {
    fn from(page: &Page) -> Self {
        View::from(page.clone())
    }
}

impl FromRequestParts<AppState> for View {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let pending = parts.extensions.get::<PendingSession>().cloned();
        match pending {
            Some(pending) if parts.extensions.get::<CurrentUser>().is_none() => Ok(View(
                Viewing::Pending(pending, CookieJar::from_headers(&parts.headers)),
            )),
            _ => Ok(View::from(Page::from_request_parts(parts, state).await?)),
        }
    }
}

/// The theme chosen with the toggle (`light` / `dark`), or empty for the system's.
pub fn theme(jar: &CookieJar) -> String {
    match jar.get(THEME_COOKIE).map(Cookie::value) {
        Some("light") => "light".into(),
        Some("dark") => "dark".into(),
        _ => String::new(),
    }
}

pub const THEME_COOKIE: &str = "theme";

/// Names the version of the stylesheet the browser was given to cache (its content hash).
const CSS_COOKIE: &str = "devhub-css";

/// Whether the browser has this version of the stylesheet in its cache, as far as we know.
fn css_cached(jar: &CookieJar) -> bool {
    jar.get(CSS_COOKIE)
        .is_some_and(|c| c.value() == assets::css_hash())
}

/// The stylesheet without a render-blocking request: a page shown to a browser that does not
/// have the stylesheet yet carries it inline (about 9 KB compressed) and has the browser
/// prefetch the file once the page is up; this remembers that in a cookie, so that the next
/// pages link the cached file instead of carrying it again (on every later page that saves
/// the 9 KB; a browser whose cache was emptied since gets one blocking request, as every
/// page did before).
pub async fn remember_stylesheet(request: Request, next: Next) -> Response {
    let cached = css_cached(&CookieJar::from_headers(request.headers()));
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        // The policy allows this stylesheet inline, by its hash, and no other style.
        let policy = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .map(|p| p.replace("style-src 'self'", assets::css_source()));
        if let Some(Ok(value)) = policy.map(|p| p.parse()) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    if html && !cached {
        let cookie = Cookie::build((CSS_COOKIE, assets::css_hash()))
            .path("/")
            .http_only(true)
            .same_site(axum_extra::extract::cookie::SameSite::Lax)
            .max_age(cookie::time::Duration::days(365))
            .build();
        if let Ok(value) = cookie.to_string().parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Removes the flash cookie once a page has been shown (any non-redirect HTML response to a
/// request that carried it), so each message is seen once.
pub async fn clear_flash(request: Request, next: Next) -> Response {
    let had_flash = CookieJar::from_headers(request.headers())
        .get(flash::COOKIE)
        .is_some();
    let mut response = next.run(request).await;
    let shown = !response.status().is_redirection()
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    if had_flash && shown {
        let sets_flash = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.starts_with("flash=")));
        if !sets_flash {
            if let Ok(value) = flash::removal().to_string().parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }
    response
}

/// Renders a template with `status`; a template error becomes a logged, plain 500.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response()
        }
    }
}

/// Renders with 200.
pub fn ok<T: Template>(template: &T) -> Response {
    render(StatusCode::OK, template)
}

/// What a query value keeps as is: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a value for a query string.
pub fn encode_query(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Builds `path?k=v&…` from the non-empty parameters, in order: links that keep the state of
/// a list (search, filters, sort) while changing one parameter.
#[derive(Debug, Clone, Default)]
pub struct QueryString {
    pairs: Vec<(String, String)>,
}

impl QueryString {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value` unless the value is empty.
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.set(key, value);
        self
    }

    /// Sets (or replaces) `key`; an empty value removes it.
    pub fn set(&mut self, key: &str, value: impl ToString) {
        let value = value.to_string();
        self.pairs.retain(|(k, _)| k != key);
        if !value.is_empty() {
            self.pairs.push((key.to_string(), value));
        }
    }

    /// Adds another `key=value` (a repeated parameter), unless the value is empty.
    pub fn push(&mut self, key: &str, value: impl ToString) {
        let value = value.to_string();
        if !value.is_empty() {
            self.pairs.push((key.to_string(), value));
        }
    }

    /// A copy without the `key=value` pairs whose value is `value` (ignoring case).
    pub fn without(&self, key: &str, value: &str) -> Self {
        let mut copy = self.clone();
        copy.pairs
            .retain(|(k, v)| !(k == key && v.to_lowercase() == value.to_lowercase()));
        copy
    }

    /// A copy with `key` set to `value`.
    pub fn replaced(&self, key: &str, value: impl ToString) -> Self {
        let mut copy = self.clone();
        copy.set(key, value);
        copy
    }

    /// `path` followed by the query, if any.
    pub fn url(&self, path: &str) -> String {
        if self.pairs.is_empty() {
            return path.to_string();
        }
        let query = self
            .pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!("{path}?{query}")
    }
}

/// Previous / next links of a paginated list; the other parameters stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The total stopped counting ("200+"): there may be more pages than `pages`.
    pub open: bool,
}

impl Pager {
    /// `query` holds the list's other parameters; `page` counts from 1.
    pub fn new(path: &str, query: &QueryString, page: u32, total: u64, per_page: u32) -> Self {
        let per_page = u64::from(per_page.max(1));
        let pages = u32::try_from(total.div_ceil(per_page))
            .unwrap_or(u32::MAX)
            .max(1);
        let page = page.clamp(1, pages);
        let link = |p: u32| {
            let q = if p == 1 {
                query.replaced("page", "")
            } else {
                query.replaced("page", p)
            };
            q.url(path)
        };
        Pager {
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            open: false,
        }
    }

    /// The pager of a total that stopped counting when `open` ("200+"): its page count reads
    /// "at least" ("page 1 of 4+").
    pub fn counted_up_to(mut self, open: bool) -> Self {
        self.open = open;
        self
    }

    /// The number of pages as the pager shows it: "4", or "4+" when the total stopped
    /// counting.
    pub fn pages_label(&self) -> String {
        let mut label = crate::format::count(u64::from(self.pages));
        if self.open {
            label.push('+');
        }
        label
    }

    pub fn is_needed(&self) -> bool {
        self.pages > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_keep_other_parameters_and_drop_empty_ones() {
        let q = QueryString::new()
            .with("q", "a b")
            .with("filter", "")
            .with("sort", "name");
        assert_eq!(q.url("/contacts"), "/contacts?q=a%20b&sort=name");
        assert_eq!(
            q.replaced("sort", "created").url("/c"),
            "/c?q=a%20b&sort=created"
        );
        assert_eq!(QueryString::new().url("/c"), "/c");
    }

    #[test]
    fn pagers_link_neighbouring_pages_with_the_same_filters() {
        let q = QueryString::new().with("q", "x").with("page", 2);
        let p = Pager::new("/contacts", &q, 2, 120, 50);
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev.as_deref(), Some("/contacts?q=x"));
        assert_eq!(p.next.as_deref(), Some("/contacts?q=x&page=3"));
        let last = Pager::new("/contacts", &q, 9, 120, 50);
        assert_eq!((last.page, last.next), (3, None));
        assert!(!Pager::new("/c", &q, 1, 0, 50).is_needed());
    }
}

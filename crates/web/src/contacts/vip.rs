//! What a VIP's page keeps besides the contact: the background (family, company, likes and
//! dislikes, notes) and the contact info (preferred app, e-mail, phone, social links), each
//! edited in place without a script (`<details>` around a form). Social links are added and
//! removed one at a time, and shown with the platform recognised from their address.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::repo::per_contact::{PerContact, PerContactRepo};
use devhub_db::validate::{self, MAX_SOCIAL_LINKS};
use devhub_db::{
    Background, BackgroundInput, ContactId, ContactInfo, ContactInfoInput, Error as DbError, UserId,
};
use serde::Deserialize;

use super::show::{owned, render_contact, Returned};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, Form};
use crate::page::Page;
use crate::state::AppState;

/// Where a social profile lives, recognised from its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    GitHub,
    LinkedIn,
    X,
    Mastodon,
    Bluesky,
    Website,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::GitHub => "GitHub",
            Platform::LinkedIn => "LinkedIn",
            Platform::X => "X (Twitter)",
            Platform::Mastodon => "Mastodon",
            Platform::Bluesky => "Bluesky",
            Platform::Website => "Website",
        }
    }

    /// A CSS class for the platform's badge.
    pub fn slug(self) -> &'static str {
        match self {
            Platform::GitHub => "github",
            Platform::LinkedIn => "linkedin",
            Platform::X => "x",
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Website => "website",
        }
    }
}

/// Well-known Mastodon servers, recognised even without an `/@user` path.
const MASTODON_SERVERS: &[&str] = &[
    "mastodon.social",
    "mastodon.online",
    "mastodon.world",
    "mas.to",
    "mstdn.social",
    "fosstodon.org",
    "hachyderm.io",
    "infosec.exchange",
    "techhub.social",
    "ruby.social",
    "floss.social",
    "chaos.social",
];

/// Sites whose profile paths also look like `/@user` but are not Mastodon.
const NOT_MASTODON: &[&str] = &[
    "medium.com",
    "youtube.com",
    "tiktok.com",
    "threads.net",
    "threads.com",
];

/// The platform of a profile address: by host (and its subdomains), and for Mastodon, any
/// server whose path is `/@user`.
pub fn platform_of(address: &str) -> Platform {
    let Ok(parsed) = url::Url::parse(address.trim()) else {
        return Platform::Website;
    };
    let Some(host) = parsed.host_str() else {
        return Platform::Website;
    };
    let host = host.to_ascii_lowercase();
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if is("github.com") {
        Platform::GitHub
    } else if is("linkedin.com") {
        Platform::LinkedIn
    } else if is("x.com") || is("twitter.com") {
        Platform::X
    } else if is("bsky.app") {
        Platform::Bluesky
    } else if MASTODON_SERVERS.iter().any(|d| is(d)) {
        Platform::Mastodon
    } else if NOT_MASTODON.iter().any(|d| is(d)) {
        Platform::Website
    } else if parsed
        .path_segments()
        .and_then(|mut s| s.next())
        .is_some_and(|first| first.len() > 1 && first.starts_with('@'))
    {
        Platform::Mastodon
    } else {
        Platform::Website
    }
}

/// A social link as listed: the address, its platform, and a short text to show.
pub struct SocialLink {
    pub url: String,
    /// Only http(s) addresses become links: other clients may have stored anything.
    pub linkable: bool,
    pub platform: &'static str,
    pub slug: &'static str,
    pub text: String,
}

impl SocialLink {
    fn of(address: &str) -> Self {
        let platform = platform_of(address);
        SocialLink {
            url: address.to_string(),
            linkable: validate::url(address).is_ok(),
            platform: platform.name(),
            slug: platform.slug(),
            text: short_text(address),
        }
    }
}

/// `https://www.github.com/ada/` → `github.com/ada`.
fn short_text(address: &str) -> String {
    let Ok(parsed) = url::Url::parse(address.trim()) else {
        return address.to_string();
    };
    let host = parsed.host_str().unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host);
    let path = parsed.path().trim_end_matches('/');
    format!("{host}{path}")
}

/// The background form's fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BackgroundForm {
    pub family: String,
    pub company: String,
    pub likes_dislikes: String,
    pub misc_notes: String,
}

/// A stored text of `row` as its form field shows it: blank without a row or a value.
fn text<T>(row: Option<&T>, value: impl Fn(&T) -> &Option<String>) -> String {
    row.and_then(|r| value(r).clone()).unwrap_or_default()
}

impl BackgroundForm {
    fn of(b: Option<&Background>) -> Self {
        BackgroundForm {
            family: text(b, |b| &b.family),
            company: text(b, |b| &b.company),
            likes_dislikes: text(b, |b| &b.likes_dislikes),
            misc_notes: text(b, |b| &b.misc_notes),
        }
    }
}

const BACKGROUND_LABELS: &[(&str, &str)] = &[
    ("family", "Family"),
    ("company", "Company"),
    ("likes_dislikes", "Likes and dislikes"),
    ("misc_notes", "Notes"),
];

/// The contact info form's fields; social links have forms of their own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InfoForm {
    pub main_app: String,
    pub email: String,
    pub phone_number: String,
    pub email_label: String,
    pub phone_label: String,
}

impl InfoForm {
    fn of(i: Option<&ContactInfo>) -> Self {
        InfoForm {
            main_app: text(i, |i| &i.main_app),
            email: text(i, |i| &i.email),
            phone_number: text(i, |i| &i.phone_number),
            email_label: text(i, |i| &i.email_label),
            phone_label: text(i, |i| &i.phone_label),
        }
    }

    /// The form's fields with `social_links`, as input to validate.
    fn input(&self, social_links: Vec<String>) -> ContactInfoInput {
        ContactInfoInput {
            main_app: Some(self.main_app.clone()),
            email: Some(self.email.clone()),
            phone_number: Some(self.phone_number.clone()),
            social_links,
            email_label: Some(self.email_label.clone()),
            phone_label: Some(self.phone_label.clone()),
        }
    }
}

const INFO_LABELS: &[(&str, &str)] = &[
    ("main_app", "Preferred app"),
    ("email", "E-mail"),
    ("phone_number", "Phone number"),
    ("social_links", "Social links:"),
];

/// The contact info and background sections of a contact's page, with a form that came back.
pub struct VipView {
    pub background: Option<Background>,
    pub bg_form: BackgroundForm,
    pub bg_errors: FieldErrors,
    pub bg_open: bool,
    pub info: Option<ContactInfo>,
    pub links: Vec<SocialLink>,
    pub link_url: String,
    pub link_error: Option<String>,
}

impl VipView {
    /// The stored links are there but could not be read (written by another tool).
    pub fn links_unreadable(&self) -> bool {
        self.info
            .as_ref()
            .is_some_and(|i| i.unreadable.contains("social_links"))
    }

    pub fn has_background(&self) -> bool {
        self.background.as_ref().is_some_and(|b| {
            b.family.is_some()
                || b.company.is_some()
                || b.likes_dislikes.is_some()
                || b.misc_notes.is_some()
        })
    }
}

/// The VIP sections, with the values and messages of a form that came back.
pub(super) fn view(
    background: Option<Background>,
    info: Option<ContactInfo>,
    returned: &Returned,
) -> VipView {
    let (bg_form, bg_errors, bg_open) = match &returned.background {
        Some((form, errors)) => (form.clone(), errors.clone(), true),
        None => (
            BackgroundForm::of(background.as_ref()),
            FieldErrors::default(),
            false,
        ),
    };
    let (link_url, link_error) = match &returned.link {
        Some((url, message)) => (url.clone(), Some(message.clone())),
        None => (String::new(), None),
    };
    let links = info
        .as_ref()
        .map(|i| i.social_links.iter().map(|l| SocialLink::of(l)).collect())
        .unwrap_or_default();
    VipView {
        background,
        bg_form,
        bg_errors,
        bg_open,
        info,
        links,
        link_url,
        link_error,
    }
}

/// An e-mail address cut where a line may break when it does not fit: after the `@` and
/// before each dot (the next line starting with "." reads as a continuation). The page puts a
/// `<wbr>` between the pieces, so that the address breaks there rather than inside a word.
pub fn email_pieces(email: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in email.chars() {
        if c == '.' && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
        }
        piece.push(c);
        if c == '@' {
            pieces.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

fn unprocessable() -> Option<StatusCode> {
    Some(StatusCode::UNPROCESSABLE_ENTITY)
}

/// Stores `parsed` as the contact's row in `repo`, or gives back why it did not parse.
async fn store<T: PerContact>(
    repo: PerContactRepo<'_, T>,
    user: &UserId,
    contact: &ContactId,
    parsed: devhub_db::Result<T::New>,
) -> devhub_db::Result<T> {
    repo.upsert(user, contact, &parsed?).await
}

pub async fn save_background(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<BackgroundForm>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let input = BackgroundInput {
        family: Some(form.family.clone()),
        company: Some(form.company.clone()),
        likes_dislikes: Some(form.likes_dislikes.clone()),
        misc_notes: Some(form.misc_notes.clone()),
    };
    let repo = state.db.backgrounds();
    let saved = store(repo, page.user_id(), &contact.id, input.parse()).await;
    match saved {
        Ok(_) => Ok(flash::redirect(
            jar,
            Flash::success(format!("Background of {} saved.", contact.name)),
            &format!("/contacts/{}#background", contact.id),
        )),
        Err(DbError::Validation(errors)) => {
            let returned = Returned {
                status: unprocessable(),
                background: Some((
                    form,
                    FieldErrors::from_validation(&errors, BACKGROUND_LABELS),
                )),
                ..Returned::default()
            };
            render_contact(&state, &page, &contact.id, 1, returned).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Saves the contact info with `form`'s fields and `links`, or answers with the page showing
/// what is wrong.
async fn save_info(
    state: &AppState,
    page: &Page,
    contact: devhub_db::Contact,
    form: InfoForm,
    links: Vec<String>,
    returned_link: Option<String>,
) -> Result<Result<(), Response>, AppError> {
    let repo = state.db.contact_infos();
    let saved = store(repo, page.user_id(), &contact.id, form.input(links).parse()).await;
    match saved {
        Ok(_) => Ok(Ok(())),
        Err(DbError::Validation(errors)) => {
            let errors = FieldErrors::from_validation(&errors, INFO_LABELS);
            let returned = Returned {
                status: unprocessable(),
                link: returned_link.map(|url| {
                    (
                        url,
                        "The link could not be saved: fix the contact details first.".into(),
                    )
                }),
                info: Some((form, errors)),
                ..Returned::default()
            };
            Ok(Err(
                render_contact(state, page, &contact.id, 1, returned).await?
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn save_contact_info(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<InfoForm>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let links = state
        .db
        .contact_infos()
        .get(page.user_id(), &contact.id)
        .await?
        .map(|i| i.social_links)
        .unwrap_or_default();
    let (id, name) = (contact.id.clone(), contact.name.clone());
    if let Err(response) = save_info(&state, &page, contact, form, links, None).await? {
        return Ok(response);
    }
    Ok(flash::redirect(
        jar,
        Flash::success(format!("Contact info of {name} saved.")),
        &format!("/contacts/{id}#contact-info"),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    url: String,
}

/// The same address, give or take case in the scheme and host and a trailing slash.
fn same_link(a: &str, b: &str) -> bool {
    let norm = |s: &str| match url::Url::parse(s.trim()) {
        Ok(u) => u.as_str().trim_end_matches('/').to_string(),
        Err(_) => s.trim().to_string(),
    };
    norm(a) == norm(b)
}

/// What a change of a contact's links came to.
enum LinkChange {
    Saved,
    /// Nothing to do, and the message that says why.
    Unchanged(Flash),
    /// The link itself is refused.
    Refused(String),
    /// The contact's other stored details break a rule, so nothing could be saved.
    Invalid(InfoForm, devhub_db::ValidationErrors),
}

/// Reads the contact's links, lets `change` edit them, and saves the result, in one unit of
/// work: two changes at once (two tabs, a double click) both survive.
async fn change_links(
    state: &AppState,
    page: &Page,
    contact: &devhub_db::Contact,
    change: impl FnOnce(&mut Vec<String>) -> Option<LinkChange>,
) -> Result<LinkChange, AppError> {
    let user = page.user_id();
    let outcome = state
        .db
        .write(async |tx| {
            let info = tx.contact_infos().get(user, &contact.id).await?;
            let mut links = info
                .as_ref()
                .map(|i| i.social_links.clone())
                .unwrap_or_default();
            if let Some(outcome) = change(&mut links) {
                return Ok(outcome);
            }
            let form = InfoForm::of(info.as_ref());
            match form.input(links).parse() {
                Ok(new) => {
                    tx.contact_infos().upsert(user, &contact.id, &new).await?;
                    Ok(LinkChange::Saved)
                }
                Err(DbError::Validation(errors)) => Ok(LinkChange::Invalid(form, errors)),
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(outcome)
}

/// The page or redirect for a link change; `url` is the link the add form sent back to it.
async fn link_response(
    state: &AppState,
    page: &Page,
    jar: CookieJar,
    contact: devhub_db::Contact,
    url: Option<&str>,
    outcome: LinkChange,
    done: &str,
) -> Result<Response, AppError> {
    let back = format!("/contacts/{}#contact-info", contact.id);
    let returned = match outcome {
        LinkChange::Saved => return Ok(flash::redirect(jar, Flash::success(done), &back)),
        LinkChange::Unchanged(flash) => return Ok(flash::redirect(jar, flash, &back)),
        LinkChange::Refused(message) => Returned {
            status: unprocessable(),
            link: Some((url.unwrap_or_default().trim().to_string(), message)),
            ..Returned::default()
        },
        LinkChange::Invalid(form, errors) => Returned {
            status: unprocessable(),
            link: url.map(|url| {
                (
                    url.trim().to_string(),
                    "The link could not be saved: fix the contact details first.".into(),
                )
            }),
            info: Some((form, FieldErrors::from_validation(&errors, INFO_LABELS))),
            ..Returned::default()
        },
    };
    render_contact(state, page, &contact.id, 1, returned).await
}

pub async fn add_social_link(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let outcome = if form.url.trim().is_empty() {
        LinkChange::Refused("URL is required.".into())
    } else {
        match validate::web_address(&form.url) {
            Err(message) => LinkChange::Refused(format!("URL {message}.")),
            Ok(address) => {
                change_links(&state, &page, &contact, |links| {
                    if links.iter().any(|l| same_link(l, &address)) {
                        Some(LinkChange::Unchanged(Flash::success(
                            "That link is already listed.",
                        )))
                    } else if links.len() >= MAX_SOCIAL_LINKS {
                        Some(LinkChange::Refused(format!(
                            "A contact can have at most {MAX_SOCIAL_LINKS} links; remove one first."
                        )))
                    } else {
                        links.push(address.clone());
                        None
                    }
                })
                .await?
            }
        }
    };
    link_response(
        &state,
        &page,
        jar,
        contact,
        Some(&form.url),
        outcome,
        "Link added.",
    )
    .await
}

pub async fn remove_social_link(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let contact = owned(&state, &page, id).await?;
    let outcome = change_links(&state, &page, &contact, |links| {
        let before = links.len();
        links.retain(|l| l.trim() != form.url.trim());
        (links.len() == before)
            .then(|| LinkChange::Unchanged(Flash::error("That link is not listed.")))
    })
    .await?;
    link_response(&state, &page, jar, contact, None, outcome, "Link removed.").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_break_after_the_at_sign_and_before_dots() {
        assert_eq!(
            email_pieces("anita.perlman@cyberdyne.example.com"),
            vec!["anita", ".perlman@", "cyberdyne", ".example", ".com"]
        );
        assert_eq!(email_pieces("ada@x"), vec!["ada@", "x"]);
        assert_eq!(email_pieces(".odd..@"), vec![".odd", ".", ".@"]);
        assert_eq!(email_pieces(""), Vec::<String>::new());
        for email in ["a.b@c.d", "no-dots-at-all", "@@..", "é.ü@ß.de"] {
            assert_eq!(email_pieces(email).concat(), email);
        }
    }

    #[test]
    fn platforms_are_recognised_from_the_host() {
        for (url, platform) in [
            ("https://github.com/ada", Platform::GitHub),
            ("https://www.github.com/ada/", Platform::GitHub),
            ("https://gist.github.com/ada/123", Platform::GitHub),
            (
                "https://www.linkedin.com/in/ada-lovelace",
                Platform::LinkedIn,
            ),
            ("https://uk.linkedin.com/in/ada", Platform::LinkedIn),
            ("https://x.com/ada", Platform::X),
            ("https://twitter.com/ada", Platform::X),
            ("https://mobile.twitter.com/ada", Platform::X),
            (
                "https://bsky.app/profile/ada.bsky.social",
                Platform::Bluesky,
            ),
            ("https://mastodon.social/@ada", Platform::Mastodon),
            ("https://fosstodon.org/users/ada", Platform::Mastodon),
            ("HTTPS://GitHub.COM/ada", Platform::GitHub),
        ] {
            assert_eq!(platform_of(url), platform, "{url}");
        }
    }

    #[test]
    fn any_server_with_an_at_user_path_is_mastodon() {
        assert_eq!(platform_of("https://hci.social/@ada"), Platform::Mastodon);
        assert_eq!(
            platform_of("https://social.example.org/@ada/1234"),
            Platform::Mastodon
        );
        // A bare `/@` is no user; other sites use `/@user` too.
        assert_eq!(platform_of("https://example.org/@"), Platform::Website);
        assert_eq!(platform_of("https://medium.com/@ada"), Platform::Website);
        assert_eq!(
            platform_of("https://www.youtube.com/@ada"),
            Platform::Website
        );
    }

    #[test]
    fn look_alike_hosts_and_other_sites_are_websites() {
        for url in [
            "https://ada.dev",
            "https://ada.github.io",
            "https://notgithub.com/ada",
            "https://github.com.evil.example/ada",
            "https://box.com/ada",
            "https://example.org/?next=https://x.com/ada",
            "not a url",
        ] {
            assert_eq!(platform_of(url), Platform::Website, "{url}");
        }
    }

    #[test]
    fn links_show_host_and_path_without_the_scheme() {
        assert_eq!(short_text("https://www.github.com/ada/"), "github.com/ada");
        assert_eq!(short_text("https://ada.dev"), "ada.dev");
        let link = SocialLink::of("https://x.com/ada");
        assert_eq!(
            (link.platform, link.text.as_str()),
            ("X (Twitter)", "x.com/ada")
        );
    }

    #[test]
    fn duplicate_links_differ_at_most_in_host_case_and_a_trailing_slash() {
        assert!(same_link(
            "https://GitHub.com/ada",
            "https://github.com/ada/"
        ));
        assert!(!same_link(
            "https://github.com/ada",
            "https://github.com/bob"
        ));
    }
}

//! Tags in the pages: coloured chips (on the list, a contact's page and the dashboard), adding
//! and removing tags on a contact's page (`POST /contacts/{id}/tags`, `…/tags/remove`), and the
//! tags page (`GET /tags`) that renames, recolours, merges and deletes them, with counts.
//! Every form works without script.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use devhub_db::validate::TAG_PALETTE;
use devhub_db::{ContactId, Db, Error as DbError, Query, Tag, TagCount, TagId, UserId};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::format::count_of;
use crate::forms::Form;
use crate::page::{render, Layout, Page, QueryString};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags", get(index))
        // Each form's address answers GET too: the page the form is on.
        .route("/tags/{id}/rename", post(rename).get(to_tags_page))
        .route("/tags/{id}/color", post(recolor).get(to_tags_page))
        .route("/tags/{id}/merge", post(merge).get(to_tags_page))
        .route("/tags/{id}/delete", post(delete).get(to_tags_page))
        .route(
            "/contacts/{id}/tags",
            post(add_to_contact).get(crate::contacts::to_contact_page),
        )
        .route(
            "/contacts/{id}/tags/remove",
            post(remove_from_contact).get(crate::contacts::to_contact_page),
        )
}

/// The palette name a stored colour shows as: a palette name as it is; a `#rrggbb` (the API,
/// another tool) as the nearest colour of the palette by hue, gray when it has hardly any;
/// anything else gray.
pub fn color_name(stored: Option<&str>) -> &'static str {
    let Some(stored) = stored.map(str::trim) else {
        return "gray";
    };
    if let Some(named) = TAG_PALETTE.iter().find(|p| p.eq_ignore_ascii_case(stored)) {
        return named;
    }
    nearest_hue(stored).unwrap_or("gray")
}

fn nearest_hue(hex: &str) -> Option<&'static str> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let channel = |i: usize| {
        u8::from_str_radix(hex.get(i..i + 2)?, 16)
            .ok()
            .map(|v| f64::from(v) / 255.0)
    };
    let (r, g, b) = (channel(0)?, channel(2)?, channel(4)?);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    if chroma < 0.12 {
        return Some("gray");
    }
    let hue = if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    const HUES: [(&str, f64); 10] = [
        ("red", 0.0),
        ("orange", 28.0),
        ("amber", 45.0),
        ("green", 130.0),
        ("teal", 170.0),
        ("blue", 210.0),
        ("indigo", 235.0),
        ("purple", 275.0),
        ("pink", 330.0),
        ("red", 360.0),
    ];
    HUES.iter()
        .min_by(|a, b| (a.1 - hue).abs().total_cmp(&(b.1 - hue).abs()))
        .map(|(name, _)| *name)
}

/// `/contacts?tag=NAME`: the list filtered by the tag.
pub fn list_href(name: &str) -> String {
    QueryString::new().with("tag", name).url("/contacts")
}

/// A tag as a chip: its name, colour (a palette name, the chip's class) and where it leads.
#[derive(Debug, Clone)]
pub struct Chip {
    pub id: String,
    pub name: String,
    pub color: &'static str,
    pub href: String,
}

impl Chip {
    pub fn of(tag: &Tag) -> Self {
        Chip {
            id: tag.id.as_str().to_string(),
            name: tag.name.clone(),
            color: color_name(tag.color.as_deref()),
            href: list_href(&tag.name),
        }
    }
}

/// The tags of several contacts (a page of a list, the dashboard's), read in one query.
#[derive(Default)]
pub struct TagMap(HashMap<String, Vec<Chip>>);

impl TagMap {
    pub async fn load(db: &Db, user: &UserId, ids: &[ContactId]) -> Result<Self, AppError> {
        if ids.is_empty() {
            return Ok(TagMap::default());
        }
        let mut map: HashMap<String, Vec<Chip>> = HashMap::new();
        for (contact, tag) in db.tags().for_contacts(user, ids).await? {
            map.entry(contact.into_string())
                .or_default()
                .push(Chip::of(&tag));
        }
        Ok(TagMap(map))
    }

    /// The chips of the contact, by name.
    pub fn chips(&self, contact: &str) -> Vec<Chip> {
        self.0.get(contact).cloned().unwrap_or_default()
    }
}

/// The tags part of a contact's page (`templates/tags/contact.html`): the chips with their
/// remove buttons, and the add form with the user's other tags as suggestions.
pub struct ContactTags {
    pub contact_id: String,
    pub chips: Vec<Chip>,
    /// The user's tags the contact does not carry, by name.
    pub suggestions: Vec<String>,
    /// What was typed into a form that came back, and its message.
    pub typed: String,
    pub error: Option<String>,
}

impl ContactTags {
    /// The contact's tags and the user's others, as one query of the page's batch.
    pub fn query<'e>(db: &'e Db, user: &UserId, id: &ContactId) -> Query<'e, Self> {
        let contact_id = id.as_str().to_string();
        db.tags()
            .of_contact(user, id)
            .and(db.tags().all(user))
            .map(move |(on, all)| {
                let suggestions = all
                    .into_iter()
                    .filter(|t| !on.iter().any(|o| o.id == t.id))
                    .map(|t| t.name)
                    .collect();
                ContactTags {
                    contact_id,
                    chips: on.iter().map(Chip::of).collect(),
                    suggestions,
                    typed: String::new(),
                    error: None,
                }
            })
    }

    /// With the add form's typed name and message, when it came back.
    pub fn returned(mut self, returned: Option<(String, String)>) -> Self {
        if let Some((typed, error)) = returned {
            self.typed = typed;
            self.error = Some(error);
        }
        self
    }
}

/// A tag name's validation message as a sentence.
fn name_message(e: &DbError) -> Option<String> {
    match e {
        DbError::Validation(errors) => errors.get("name").map(|m| match m {
            "is required" => "Type a tag name.".to_string(),
            m => format!("The tag name {m}."),
        }),
        _ => None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveForm {
    tag_id: String,
}

/// `POST /contacts/{id}/tags`: the tag of that name (an existing one, ignoring case, or a new
/// one) on the contact.
async fn add_to_contact(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    let contact = ContactId::from(id);
    match state
        .db
        .tags()
        .add_to_contact(page.user_id(), &contact, &form.name)
        .await
    {
        Ok((tag, added)) => {
            let message = if added {
                format!("Tagged “{}”.", tag.name)
            } else {
                format!("Already tagged “{}”.", tag.name)
            };
            Ok(flash::redirect(
                jar,
                Flash::success(message),
                &format!("/contacts/{}#tags", contact),
            ))
        }
        Err(e) => match name_message(&e) {
            Some(message) => {
                crate::contacts::render_contact_with_tag(
                    &state,
                    &page,
                    &contact,
                    (form.name.chars().take(200).collect(), message),
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /contacts/{id}/tags/remove`: the tag off the contact (the tag itself stays).
async fn remove_from_contact(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    let contact = ContactId::from(id);
    let tag_id = TagId::from(form.tag_id.trim());
    let tags = state.db.tags();
    let tag = tags.get(page.user_id(), &tag_id).await;
    // The contact first: another user's contact is a 404 whatever the tag.
    state.db.contacts().get(page.user_id(), &contact).await?;
    let tag = tag?;
    tags.detach(page.user_id(), &contact, &tag.id).await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!("Removed tag “{}”.", tag.name)),
        &format!("/contacts/{}#tags", contact),
    ))
}

/// One tag of the tags page, with its forms.
struct TagRow {
    chip: Chip,
    count: String,
    /// The palette, with this tag's colour selected.
    colors: Vec<(&'static str, bool)>,
    /// The other tags, which this one can be merged into.
    others: Vec<(String, String)>,
    /// The rename form's value and message, when it came back.
    typed: String,
    error: Option<String>,
    /// A rename to the name of this other tag: the merge it offers instead.
    merge_offer: Option<(String, String)>,
    open: bool,
}

#[derive(Template)]
#[template(path = "tags/index.html")]
struct TagsPage {
    layout: Layout,
    rows: Vec<TagRow>,
    count: String,
    alert: Option<String>,
}

/// What a failed form of the tags page brings back: the tag, the typed name, the message.
#[derive(Default)]
struct Returned {
    tag: Option<TagId>,
    typed: String,
    error: Option<String>,
    merge_offer: Option<(String, String)>,
}

async fn render_tags(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    returned: Returned,
) -> Result<Response, AppError> {
    let tags: Vec<TagCount> = state.db.tags().list_with_counts(page.user_id()).await?;
    // The message shows at the tag's form; the top of the page says where.
    let alert = returned.error.as_ref().and_then(|_| {
        let tag = tags
            .iter()
            .find(|t| Some(&t.tag.id) == returned.tag.as_ref())?;
        Some(format!("“{}” was not changed: see below.", tag.tag.name))
    });
    let rows = tags
        .iter()
        .map(|t| {
            let mine = returned.tag.as_ref() == Some(&t.tag.id);
            let current = color_name(t.tag.color.as_deref());
            TagRow {
                chip: Chip::of(&t.tag),
                count: count_of(t.contacts, "contact", "contacts"),
                colors: TAG_PALETTE.iter().map(|c| (*c, *c == current)).collect(),
                others: tags
                    .iter()
                    .filter(|o| o.tag.id != t.tag.id)
                    .map(|o| (o.tag.id.as_str().to_string(), o.tag.name.clone()))
                    .collect(),
                typed: if mine {
                    returned.typed.clone()
                } else {
                    t.tag.name.clone()
                },
                error: if mine { returned.error.clone() } else { None },
                merge_offer: if mine {
                    returned.merge_offer.clone()
                } else {
                    None
                },
                open: mine,
            }
        })
        .collect();
    let tags_page = TagsPage {
        layout: page.layout("Tags", "contacts"),
        count: count_of(tags.len() as u64, "tag", "tags"),
        rows,
        alert,
    };
    Ok(render(status, &tags_page))
}

/// `GET /tags`.
async fn index(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    render_tags(&state, &page, StatusCode::OK, Returned::default()).await
}

/// `GET` on a tag form's address: the tags page, at the tag (404 for a tag not the user's).
async fn to_tags_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tag = state
        .db
        .tags()
        .get(page.user_id(), &TagId::from(id))
        .await?;
    Ok(Redirect::to(&format!("/tags#tag-{}", tag.id)).into_response())
}

fn back_to(tag: &TagId) -> String {
    format!("/tags#tag-{tag}")
}

/// `POST /tags/{id}/rename`. A name another tag has is refused, with that tag offered to
/// merge into.
async fn rename(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    let id = TagId::from(id);
    let user = page.user_id();
    let tags = state.db.tags();
    let before = tags.get(user, &id).await?;
    match tags.rename(user, &id, &form.name).await {
        Ok(tag) if tag.name == before.name => Ok(flash::redirect(
            jar,
            Flash::success(format!("“{}” keeps its name.", tag.name)),
            &back_to(&id),
        )),
        Ok(tag) => Ok(flash::redirect(
            jar,
            Flash::success(format!("Renamed “{}” to “{}”.", before.name, tag.name)),
            &back_to(&id),
        )),
        Err(DbError::Conflict { .. }) => {
            let other = tags.find_by_name(user, &form.name).await?;
            let (message, offer) = match other {
                Some(other) => (
                    format!(
                        "You already have a tag “{}”. Choose another name, or merge “{}” into it.",
                        other.name, before.name
                    ),
                    Some((other.id.as_str().to_string(), other.name)),
                ),
                None => ("That name is taken by another tag.".to_string(), None),
            };
            let returned = Returned {
                tag: Some(id),
                typed: form.name.trim().to_string(),
                error: Some(message),
                merge_offer: offer,
            };
            render_tags(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, returned).await
        }
        Err(e) => match name_message(&e) {
            Some(message) => {
                let returned = Returned {
                    tag: Some(id),
                    typed: form.name.chars().take(200).collect(),
                    error: Some(message),
                    merge_offer: None,
                };
                render_tags(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, returned).await
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ColorForm {
    color: String,
}

/// `POST /tags/{id}/color`: a colour of the palette.
async fn recolor(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<ColorForm>,
) -> Result<Response, AppError> {
    let id = TagId::from(id);
    let tags = state.db.tags();
    let before = tags.get(page.user_id(), &id).await?;
    match tags.recolor(page.user_id(), &id, &form.color).await {
        Ok(tag) => Ok(flash::redirect(
            jar,
            Flash::success(format!(
                "“{}” is {} now.",
                tag.name,
                color_name(tag.color.as_deref())
            )),
            &back_to(&id),
        )),
        Err(DbError::Validation(errors)) => {
            let message = errors.get("color").map_or_else(
                || "Choose a colour.".to_string(),
                |m| format!("The colour {m}."),
            );
            let returned = Returned {
                typed: before.name,
                tag: Some(id),
                error: Some(message),
                merge_offer: None,
            };
            render_tags(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, returned).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeForm {
    into: String,
}

/// `POST /tags/{id}/merge`: this tag's contacts get the other tag, and this one goes.
async fn merge(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, AppError> {
    let id = TagId::from(id);
    let user = page.user_id();
    let tags = state.db.tags();
    let from = tags.get(user, &id).await?;
    let into_id = TagId::from(form.into.trim());
    let into = match tags.get(user, &into_id).await {
        Ok(into) if into.id != from.id => into,
        Ok(_) | Err(DbError::NotFound) => {
            let returned = Returned {
                typed: from.name.clone(),
                tag: Some(id),
                error: Some(format!(
                    "Choose another of your tags to merge “{}” into.",
                    from.name
                )),
                merge_offer: None,
            };
            return render_tags(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, returned).await;
        }
        Err(e) => return Err(e.into()),
    };
    let moved = tags.merge(user, &from.id, &into.id).await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!(
            "Merged “{}” into “{}” ({}).",
            from.name,
            into.name,
            count_of(moved, "contact", "contacts")
        )),
        &back_to(&into.id),
    ))
}

/// `POST /tags/{id}/delete`: the tag goes, and with it from every contact.
async fn delete(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = TagId::from(id);
    let tags = state.db.tags();
    let tag = tags.get(page.user_id(), &id).await?;
    tags.delete(page.user_id(), &tag.id).await?;
    Ok(flash::redirect(
        jar,
        Flash::success(format!("Deleted tag “{}”.", tag.name)),
        "/tags",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_colours_show_as_a_palette_colour() {
        assert_eq!(color_name(None), "gray");
        assert_eq!(color_name(Some("teal")), "teal");
        assert_eq!(color_name(Some(" Pink ")), "pink");
        assert_eq!(color_name(Some("#ff0000")), "red");
        assert_eq!(color_name(Some("#dea584")), "orange");
        assert_eq!(color_name(Some("#3b82f6")), "blue");
        assert_eq!(color_name(Some("#22c55e")), "green");
        assert_eq!(color_name(Some("#a855f7")), "purple");
        assert_eq!(color_name(Some("#777777")), "gray");
        assert_eq!(color_name(Some("chartreuse")), "gray");
        assert_eq!(color_name(Some("#12345")), "gray");
        assert_eq!(color_name(Some("#zzzzzz")), "gray");
    }

    #[test]
    fn a_chip_leads_to_the_list_filtered_by_its_tag() {
        assert_eq!(list_href("open source"), "/contacts?tag=open%20source");
        assert_eq!(list_href("c&c"), "/contacts?tag=c%26c");
    }
}

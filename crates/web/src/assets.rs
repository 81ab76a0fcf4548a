//! The stylesheet and script, embedded in the binary and served under a content hash
//! (`/static/app.3f9c2b1a.css`) with a year-long cache lifetime.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// One stylesheet, written in one file per area and served as one.
const CSS: &str = concat!(
    include_str!("../static/css/base.css"),
    include_str!("../static/css/components.css"),
    include_str!("../static/css/contacts.css"),
    include_str!("../static/css/interactions.css"),
    include_str!("../static/css/dashboard.css"),
    include_str!("../static/css/follow_ups.css"),
    include_str!("../static/css/palette.css"),
    include_str!("../static/css/tags.css"),
    include_str!("../static/css/two_factor.css"),
    include_str!("../static/css/security.css"),
    include_str!("../static/css/reminders.css"),
);
/// For browsers that run no script, linked inside `<noscript>` after the stylesheet.
const NOSCRIPT_CSS: &str = include_str!("../static/css/noscript.css");
const JS: &str = include_str!("../static/app.js");
/// The brand mark (the header's ◆ on the accent colour), for browsers that take an SVG icon.
const ICON_SVG: &str = include_str!("../static/icon.svg");

struct Asset {
    path: String,
    body: &'static str,
    content_type: &'static str,
}

fn hashed(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Asset {
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    Asset {
        path: format!("/static/{stem}.{}.{ext}", &digest[..10]),
        body,
        content_type,
    }
}

static ASSETS: LazyLock<[Asset; 4]> = LazyLock::new(|| {
    [
        hashed("app", "css", CSS, "text/css; charset=utf-8"),
        hashed("app", "js", JS, "text/javascript; charset=utf-8"),
        hashed("icon", "svg", ICON_SVG, "image/svg+xml"),
        hashed("noscript", "css", NOSCRIPT_CSS, "text/css; charset=utf-8"),
    ]
});

pub fn css_path() -> &'static str {
    &ASSETS[0].path
}

/// The stylesheet, for the pages that carry it inline.
pub fn css_text() -> &'static str {
    CSS
}

/// The content security policy's `style-src` that allows the stylesheet inline: `'self'`
/// and the SHA-256 of exactly its text (hashed once: it was 4 % of a page's CPU).
pub fn css_source() -> &'static str {
    static SOURCE: LazyLock<String> = LazyLock::new(|| {
        use base64::Engine;
        let digest = Sha256::digest(CSS.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        format!("style-src 'self' 'sha256-{hash}'")
    });
    &SOURCE
}

/// The stylesheet's content hash, as in its path.
pub fn css_hash() -> &'static str {
    let path = css_path();
    &path["/static/app.".len()..path.len() - ".css".len()]
}

pub fn js_path() -> &'static str {
    &ASSETS[1].path
}

pub fn icon_path() -> &'static str {
    &ASSETS[2].path
}

pub fn noscript_css_path() -> &'static str {
    &ASSETS[3].path
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/{file}", get(serve))
        .route("/favicon.ico", get(favicon))
}

/// `/favicon.ico`, which browsers, feed readers and bookmarks ask for whatever a page links.
async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON.as_slice(),
    )
        .into_response()
}

/// The side of the icon, in pixels.
const ICON_SIZE: u32 = 32;

/// The same picture as `static/icon.svg`, drawn into a 32 × 32 ICO: a square with rounded
/// corners (radius 7) in the accent colour, and a white diamond whose corners are 9 pixels
/// from the centre.
static FAVICON: LazyLock<Vec<u8>> = LazyLock::new(|| ico(&icon_pixels()));

/// Straight (not premultiplied) RGBA, top row first.
fn icon_pixels() -> Vec<[u8; 4]> {
    const ACCENT: [f32; 3] = [0x3b as f32, 0x5b as f32, 0xdb as f32];
    const SAMPLES: u32 = 4;
    let size = ICON_SIZE as f32;
    let in_square = |x: f32, y: f32| {
        let r = 7.0;
        let cx = x.clamp(r, size - r);
        let cy = y.clamp(r, size - r);
        (x - cx).powi(2) + (y - cy).powi(2) <= r * r
    };
    let in_diamond = |x: f32, y: f32| (x - 16.0).abs() + (y - 16.0).abs() <= 9.0;
    let mut pixels = Vec::new();
    for py in 0..ICON_SIZE {
        for px in 0..ICON_SIZE {
            // Coverage by sampling a 4 × 4 grid inside the pixel: smooth edges.
            let (mut square, mut diamond) = (0.0_f32, 0.0_f32);
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let x = px as f32 + (sx as f32 + 0.5) / SAMPLES as f32;
                    let y = py as f32 + (sy as f32 + 0.5) / SAMPLES as f32;
                    if in_square(x, y) {
                        square += 1.0;
                        if in_diamond(x, y) {
                            diamond += 1.0;
                        }
                    }
                }
            }
            let n = (SAMPLES * SAMPLES) as f32;
            let alpha = square / n;
            let white = if square > 0.0 { diamond / square } else { 0.0 };
            let channel = |c: f32| (c + (255.0 - c) * white).round() as u8;
            pixels.push([
                channel(ACCENT[0]),
                channel(ACCENT[1]),
                channel(ACCENT[2]),
                (alpha * 255.0).round() as u8,
            ]);
        }
    }
    pixels
}

/// An ICO file of one 32-bit bitmap: the directory, the bitmap header (twice the height: the
/// colour rows and the mask), the rows bottom first in BGRA, and an empty mask (the alpha
/// channel says what shows).
fn ico(pixels: &[[u8; 4]]) -> Vec<u8> {
    let side = ICON_SIZE;
    let mask_row = side.div_ceil(32) * 4;
    let image_len = 40 + side * side * 4 + mask_row * side;
    let mut out = Vec::with_capacity(22 + image_len as usize);
    let u16le = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    let u32le = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    // ICONDIR: reserved, type 1 (icon), one image.
    u16le(&mut out, 0);
    u16le(&mut out, 1);
    u16le(&mut out, 1);
    // ICONDIRENTRY: width, height, no palette, reserved, planes, bits, size, offset.
    out.extend_from_slice(&[side as u8, side as u8, 0, 0]);
    u16le(&mut out, 1);
    u16le(&mut out, 32);
    u32le(&mut out, image_len);
    u32le(&mut out, 22);
    // BITMAPINFOHEADER.
    u32le(&mut out, 40);
    u32le(&mut out, side);
    u32le(&mut out, side * 2);
    u16le(&mut out, 1);
    u16le(&mut out, 32);
    u32le(&mut out, 0);
    u32le(&mut out, image_len - 40);
    for _ in 0..4 {
        u32le(&mut out, 0);
    }
    for row in pixels.chunks(side as usize).rev() {
        for [r, g, b, a] in row {
            out.extend_from_slice(&[*b, *g, *r, *a]);
        }
    }
    out.resize(out.len() + (mask_row * side) as usize, 0);
    out
}

async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    match ASSETS.iter().find(|a| a.path == wanted) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => crate::error::error_page(StatusCode::NOT_FOUND),
    }
}

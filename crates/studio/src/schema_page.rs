//! The schema page: each table's columns (type, NOT NULL, default, primary key), indexes and
//! foreign keys, and a relationship diagram drawn on the server as SVG.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::error::StudioError;
use crate::layout::{render, table_path, Layout};
use crate::schema::{Catalog, Table};
use crate::state::StudioState;
use crate::table::open;

pub struct TableSchema {
    pub name: String,
    pub anchor: String,
    pub href: String,
    pub kind: &'static str,
    pub without_rowid: bool,
    pub strict: bool,
    pub columns: Vec<ColumnSchema>,
    pub indexes: Vec<IndexSchema>,
    pub foreign_keys: Vec<ForeignKeySchema>,
}

pub struct ColumnSchema {
    pub name: String,
    pub decl_type: String,
    pub not_null: bool,
    pub default: String,
    pub pk: String,
}

pub struct IndexSchema {
    pub name: String,
    pub columns: String,
    pub unique: bool,
    pub origin: &'static str,
    pub partial: bool,
}

pub struct ForeignKeySchema {
    pub from: String,
    pub table: String,
    pub anchor: String,
    pub to: String,
    pub on_delete: String,
    pub on_update: String,
}

/// The diagram: boxes for tables, one line per column, and paths for foreign keys.
pub struct Diagram {
    pub width: i64,
    pub height: i64,
    pub boxes: Vec<DiagramBox>,
    pub links: Vec<DiagramLink>,
}

pub struct DiagramBox {
    pub name: String,
    pub href: String,
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub title_y: i64,
    pub rule_y: i64,
    pub lines: Vec<DiagramLine>,
}

pub struct DiagramLine {
    pub x: i64,
    pub y: i64,
    pub text: String,
    pub key: bool,
}

pub struct DiagramLink {
    pub path: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "schema.html")]
pub struct SchemaPage {
    pub layout: Layout,
    pub tables: Vec<TableSchema>,
    pub diagram: Diagram,
}

const BOX_WIDTH: i64 = 210;
const LINE: i64 = 18;
const HEADER: i64 = 28;
const GAP_X: i64 = 70;
const GAP_Y: i64 = 40;
const MAX_LINES: usize = 14;

fn anchor(name: &str) -> String {
    let mut out = String::from("t-");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push_str(&format!("-{:x}", c as u32));
        }
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// Lays the tables out in a grid and draws each foreign key from its column's line to the
/// referenced table's header.
pub fn diagram(catalog: &Catalog) -> Diagram {
    let tables: Vec<&Table> = catalog.tables.iter().filter(|t| !t.is_internal()).collect();
    let per_row = ((tables.len() as f64).sqrt().ceil() as usize).clamp(1, 4);
    let mut boxes = Vec::new();
    let mut row_top = 20;
    for chunk in tables.chunks(per_row) {
        let mut tallest = 0;
        for (i, t) in chunk.iter().enumerate() {
            let shown = t.columns.len().min(MAX_LINES);
            let extra = usize::from(t.columns.len() > MAX_LINES);
            let height = HEADER + LINE * (shown + extra) as i64 + 10;
            tallest = tallest.max(height);
            let x = 20 + i as i64 * (BOX_WIDTH + GAP_X);
            let mut lines: Vec<DiagramLine> = t
                .columns
                .iter()
                .take(MAX_LINES)
                .enumerate()
                .map(|(j, c)| DiagramLine {
                    x: x + 10,
                    y: row_top + HEADER + 14 + LINE * j as i64,
                    text: truncate(
                        &format!(
                            "{}{}{}",
                            c.name,
                            if c.decl_type.is_empty() { "" } else { " " },
                            c.decl_type.to_lowercase()
                        ),
                        28,
                    ),
                    key: c.pk > 0,
                })
                .collect();
            if extra > 0 {
                lines.push(DiagramLine {
                    x: x + 10,
                    y: row_top + HEADER + 14 + LINE * MAX_LINES as i64,
                    text: format!("… {} more", t.columns.len() - MAX_LINES),
                    key: false,
                });
            }
            boxes.push(DiagramBox {
                name: truncate(&t.name, 24),
                href: format!("#{}", anchor(&t.name)),
                x,
                y: row_top,
                width: BOX_WIDTH,
                height,
                title_y: row_top + 19,
                rule_y: row_top + HEADER,
                lines,
            });
        }
        row_top += tallest + GAP_Y;
    }
    let mut links = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(target) = tables
                .iter()
                .position(|r| r.name.eq_ignore_ascii_case(&fk.table))
            else {
                continue;
            };
            let (from, to) = (&boxes[ti], &boxes[target]);
            let line = t
                .columns
                .iter()
                .position(|c| fk.from.first() == Some(&c.name))
                .unwrap_or(0)
                .min(MAX_LINES);
            let y1 = from.y + HEADER + 9 + LINE * line as i64;
            let y2 = to.y + HEADER / 2;
            let path = if ti == target {
                let x = from.x + from.width;
                format!("M{x},{y1} C{},{y1} {},{y2} {x},{y2}", x + 40, x + 40)
            } else if to.x > from.x {
                let (x1, x2) = (from.x + from.width, to.x);
                let mid = (x1 + x2) / 2;
                format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
            } else if to.x < from.x {
                let (x1, x2) = (from.x, to.x + to.width);
                let mid = (x1 + x2) / 2;
                format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
            } else {
                // Same column of the grid: loop out to the left.
                let x = from.x;
                format!("M{x},{y1} C{},{y1} {},{y2} {x},{y2}", x - 45, x - 45)
            };
            links.push(DiagramLink {
                path,
                label: format!("{}.{} → {}", t.name, fk.from.join(", "), fk.table),
            });
        }
    }
    let width = boxes.iter().map(|b| b.x + b.width).max().unwrap_or(0) + 60;
    Diagram {
        width,
        height: row_top,
        boxes,
        links,
    }
}

pub async fn schema(State(state): State<StudioState>) -> Result<Response, StudioError> {
    let (_conn, catalog) = open(&state).await?;
    let tables = catalog
        .tables
        .iter()
        .map(|t| TableSchema {
            name: t.name.clone(),
            anchor: anchor(&t.name),
            href: table_path(&t.name, ""),
            kind: t.kind.label(),
            without_rowid: t.without_rowid,
            strict: t.strict,
            columns: t
                .columns
                .iter()
                .map(|c| ColumnSchema {
                    name: c.name.clone(),
                    decl_type: c.decl_type.clone(),
                    not_null: c.not_null,
                    default: c.default.clone().unwrap_or_default(),
                    pk: if c.pk > 0 {
                        c.pk.to_string()
                    } else {
                        String::new()
                    },
                })
                .collect(),
            indexes: t
                .indexes
                .iter()
                .map(|i| IndexSchema {
                    name: i.name.clone(),
                    columns: i.columns.join(", "),
                    unique: i.unique,
                    origin: match i.origin.as_str() {
                        "pk" => "primary key",
                        "u" => "UNIQUE constraint",
                        _ => "CREATE INDEX",
                    },
                    partial: i.partial,
                })
                .collect(),
            foreign_keys: t
                .foreign_keys
                .iter()
                .map(|fk| ForeignKeySchema {
                    from: fk.from.join(", "),
                    table: fk.table.clone(),
                    anchor: anchor(&fk.table),
                    to: fk.to.join(", "),
                    on_delete: fk.on_delete.clone(),
                    on_update: fk.on_update.clone(),
                })
                .collect(),
        })
        .collect();
    let page = SchemaPage {
        layout: Layout::new("Schema", "schema"),
        diagram: diagram(&catalog),
        tables,
    };
    Ok(render(StatusCode::OK, &page))
}

//! Stylesheet, scripts and icon, embedded in the binary at compile time.
//! Their URLs carry a content hash, so browsers may keep them for a year.

use std::fmt::Write as _;
use std::sync::LazyLock;

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, Response, handler};

/// The largest column span the board's stylesheet provides (a 25-hour day
/// in half hours, plus margin).
pub const MAX_SPAN: usize = 56;

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: String,
}

/// Column spans for the board, generated rather than typed out.
fn span_rules() -> String {
    let mut css = String::from("\n/* generated: column spans and counts of the board */\n");
    for n in 1..=MAX_SPAN {
        let _ = writeln!(css, ".s{n}{{grid-column:span {n}}}.c{n}{{--cols:{n}}}");
    }
    css
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        Asset {
            name: "app.css",
            mime: "text/css; charset=utf-8",
            body: format!("{}{}", include_str!("../../assets/app.css"), span_rules()),
        },
        Asset {
            name: "app.js",
            mime: "text/javascript; charset=utf-8",
            body: include_str!("../../assets/app.js").to_string(),
        },
        Asset {
            name: "enhance.js",
            mime: "text/javascript; charset=utf-8",
            body: include_str!("../../assets/enhance.js").to_string(),
        },
        Asset {
            name: "board.js",
            mime: "text/javascript; charset=utf-8",
            body: include_str!("../../assets/board.js").to_string(),
        },
        Asset {
            name: "live.js",
            mime: "text/javascript; charset=utf-8",
            body: include_str!("../../assets/live.js").to_string(),
        },
        Asset {
            name: "display.js",
            mime: "text/javascript; charset=utf-8",
            body: include_str!("../../assets/display.js").to_string(),
        },
        Asset {
            name: "icon.svg",
            mime: "image/svg+xml",
            body: include_str!("../../assets/icon.svg").to_string(),
        },
    ]
});

/// FNV-1a over every asset: changes whenever any of them does.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for a in ASSETS.iter() {
        for b in a.name.bytes().chain(a.body.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
});

/// The current asset version (for `?v=` in URLs).
pub fn version() -> &'static str {
    &VERSION
}

/// `GET /assets/{file}`
#[handler]
pub async fn serve(req: &Request, Path(file): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == file) else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("no such asset");
    };
    let etag = format!("\"{}\"", version());
    if req.header("if-none-match") == Some(etag.as_str()) {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header("etag", etag)
            .finish();
    }
    let versioned = req.uri().query().is_some_and(|q| q.starts_with("v="));
    Response::builder()
        .content_type(a.mime)
        .header("etag", etag)
        .header(
            "cache-control",
            if versioned {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            },
        )
        .body(a.body.clone())
}

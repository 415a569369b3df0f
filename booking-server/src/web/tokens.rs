//! `/tokens`: my personal access tokens for scripts and AI assistants (MCP):
//! make one (its secret is shown once), see when each was last used, revoke.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use uuid::Uuid;

use super::admin::rooms::FlashQuery;
use super::fields::{Fields, Problem};
use super::page::{Chrome, core_error_page, error_redirect, explain, flash_redirect, render};
use super::session::{Posted, Viewer};
use super::text;
use crate::state::AppState;
use crate::tables::TokenScope;

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    tokens: Vec<TokenRow>,
    /// The secret of a token just made (shown once).
    secret: Option<String>,
    mcp_url: String,
    f: Fields,
    problem: Option<Problem>,
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    c: Chrome,
    secret: Option<String>,
    f: Fields,
    problem: Option<Problem>,
    status: StatusCode,
) -> Response {
    let list = match crate::tokens::list(state, &viewer.actor).await {
        Ok(l) => l,
        Err(e) => return core_error_page(c, e),
    };
    let tokens = list
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            scope: match t.scope {
                TokenScope::Read => "Read only",
                TokenScope::ReadWrite => "Read and book",
            },
            created: day(t.created_at),
            expires: t.expires_at.map(day).unwrap_or_else(|| "never".into()),
            last_used: t.last_used_at.map(day).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
            name: t.name,
        })
        .collect();
    let view = TokensPage {
        c,
        tokens,
        secret,
        mcp_url: format!(
            "{}/mcp",
            state.config.server.public_url.trim_end_matches('/')
        ),
        f,
        problem,
    };
    render(status, &view)
}

/// `GET /tokens`
#[handler]
pub async fn page(state: Data<&AppState>, viewer: Viewer, Query(q): Query<FlashQuery>) -> Response {
    let c =
        Chrome::new(&viewer, text::TITLE_TOKENS, "calendar").flash_from(&state, q.flash.as_deref());
    let mut f = Fields::default();
    f.set("scope", "read_write");
    show(&state, &viewer, c, None, f, None, StatusCode::OK).await
}

/// `POST /tokens`: make a token and show its secret once.
#[handler]
pub async fn create(state: Data<&AppState>, p: Posted<Vec<(String, String)>>) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_TOKENS, "calendar");
    let f = Fields::new(p.form);
    let scope = match f.v("scope") {
        "read" => Ok(TokenScope::Read),
        "read_write" => Ok(TokenScope::ReadWrite),
        _ => Err(Problem::new("scope", "choose read only, or read and book")),
    };
    let days = f.opt_num::<u32>("expires_in_days", "a whole number of days, or empty");
    let (scope, days) = match (scope, days) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(problem), _) | (_, Err(problem)) => {
            let s = StatusCode::UNPROCESSABLE_ENTITY;
            return show(&state, &p.viewer, c, None, f, Some(problem), s).await;
        }
    };
    match crate::tokens::create(&state, &p.viewer.actor, f.v("name"), scope, days).await {
        Ok((_, secret)) => {
            let c = c.ok("The token is made. Copy it now: it is not shown again.");
            let mut fresh = Fields::default();
            fresh.set("scope", "read_write");
            show(
                &state,
                &p.viewer,
                c,
                Some(secret),
                fresh,
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => {
            let field = match &e {
                booking_core::CoreError::Input(i) => i.field().to_string(),
                _ => String::new(),
            };
            let (status, msg) = explain(e);
            let problem = Problem::new(field, msg);
            show(&state, &p.viewer, c, None, f, Some(problem), status).await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct Nothing {}

/// `POST /tokens/{id}/revoke`
#[handler]
pub async fn revoke(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Nothing>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_redirect(&state, "/tokens", text::NOT_FOUND);
    };
    match crate::tokens::revoke(&state, &p.viewer.actor, id).await {
        Ok(()) => flash_redirect(&state, "/tokens", "", text::FLASH_TOKEN_REVOKED),
        Err(e) => error_redirect(&state, "/tokens", &explain(e).1),
    }
}

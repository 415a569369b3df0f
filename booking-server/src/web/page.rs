//! What every page shares: the frame (navigation, the signed-in person, the
//! CSRF token for forms), HTML responses with the web app's headers, and the
//! error page.

use askama::Template;
use booking_core::{CoreError, Role};
use poem::Response;
use poem::http::StatusCode;

use super::text;
use super::viewer::Viewer;
use crate::error::ApiError;
use crate::state::AppState;

/// Scripts and styles come from us only; nothing inline, nothing remote.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A message shown once at the top of a page.
#[derive(Debug, Clone)]
pub struct Flash {
    pub text: String,
    /// "ok" or "error".
    pub kind: &'static str,
}

/// The frame around a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    /// Which navigation entry is current ("board", "find", …).
    pub nav: &'static str,
    pub user_name: String,
    pub user_role: &'static str,
    pub csrf: String,
    pub signed_in: bool,
    pub can_approve: bool,
    /// Super admins: users and the audit log.
    pub is_super: bool,
    /// Procurement officers and super admins: the order queue.
    pub can_order: bool,
    /// Everyone but employees: the dashboard.
    pub can_dashboard: bool,
    pub flash: Option<Flash>,
    /// Pages that follow live changes set this.
    pub live: bool,
    pub asset_version: &'static str,
}

impl Chrome {
    pub fn new(viewer: &Viewer, title: &str, nav: &'static str) -> Self {
        Self {
            title: title.to_string(),
            nav,
            user_name: viewer.actor.display_name.clone(),
            user_role: text::role(viewer.actor.role),
            csrf: viewer.csrf.clone(),
            signed_in: true,
            can_approve: matches!(viewer.actor.role, Role::RoomAdmin | Role::SuperAdmin),
            is_super: viewer.actor.role == Role::SuperAdmin,
            can_order: matches!(
                viewer.actor.role,
                Role::ProcurementOfficer | Role::SuperAdmin
            ),
            can_dashboard: viewer.actor.role != Role::User,
            flash: None,
            live: false,
            asset_version: super::assets::version(),
        }
    }

    /// The frame of a page for someone not signed in.
    pub fn anonymous(title: &str, csrf: String) -> Self {
        Self {
            title: title.to_string(),
            nav: "",
            user_name: String::new(),
            user_role: "",
            csrf,
            signed_in: false,
            can_approve: false,
            is_super: false,
            can_order: false,
            can_dashboard: false,
            flash: None,
            live: false,
            asset_version: super::assets::version(),
        }
    }

    pub fn ok(mut self, text: impl Into<String>) -> Self {
        self.flash = Some(Flash {
            text: text.into(),
            kind: "ok",
        });
        self
    }

    pub fn error(mut self, text: impl Into<String>) -> Self {
        self.flash = Some(Flash {
            text: text.into(),
            kind: "error",
        });
        self
    }

    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }
}

/// An HTML response with the web app's headers.
pub fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-security-policy", CSP)
        .body(body)
}

/// Render a template, or a plain error page if rendering fails.
pub fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>Error</title><p>This page could not be shown; see the server log."
                    .into(),
            )
        }
    }
}

/// A redirect after a form (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", to)
        .header("cache-control", "no-store")
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
}

/// An error page in the frame.
pub fn error_page(c: Chrome, status: StatusCode, message: impl Into<String>) -> Response {
    let page = ErrorPage {
        c: Chrome {
            title: text::TITLE_ERROR.into(),
            ..c
        },
        status: status.as_u16(),
        message: message.into(),
    };
    render(status, &page)
}

/// What a core error says to a person, with the status the API would answer.
/// The API's mapping is the one place that decides both.
pub fn explain(err: CoreError) -> (StatusCode, String) {
    let api = ApiError::from(err);
    let status = StatusCode::from_u16(api.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, api.detail().to_string())
}

/// The error page for an error the API would answer.
pub fn api_error_page(c: Chrome, err: ApiError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    error_page(c, status, err.detail().to_string())
}

/// A CSV download (the same text the API's `.csv` endpoints answer).
pub fn csv_download(name: &str, body: String) -> Response {
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .header("cache-control", "no-store")
        .body(body)
}

/// The error page for a failed service call.
pub fn core_error_page(c: Chrome, err: CoreError) -> Response {
    let (status, message) = explain(err);
    error_page(c, status, message)
}

/// A one-time message carried to the next page in the redirect's URL,
/// signed so that nobody can make our pages show words of theirs.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct FlashClaims {
    msg: String,
    #[serde(default)]
    error: bool,
    exp: i64,
}

/// Redirect to `to` with a one-time message; `highlight` names a row to mark.
pub fn flash_redirect(state: &AppState, to: &str, highlight: &str, msg: &str) -> Response {
    redirect_with(state, to, highlight, msg, false)
}

/// Redirect to `to` with a message saying what went wrong.
pub fn error_redirect(state: &AppState, to: &str, msg: &str) -> Response {
    redirect_with(state, to, "", msg, true)
}

fn redirect_with(state: &AppState, to: &str, highlight: &str, msg: &str, error: bool) -> Response {
    let claims = FlashClaims {
        error,
        msg: msg.chars().take(1500).collect(),
        exp: chrono::Utc::now().timestamp() + 300,
    };
    let mut ser = form_urlencoded::Serializer::new(String::new());
    if let Ok(token) = state.jwt.sign_any(&claims) {
        ser.append_pair("flash", &token);
    }
    if !highlight.is_empty() {
        ser.append_pair("hl", highlight);
    }
    let sep = if to.contains('?') { '&' } else { '?' };
    see_other(&format!("{to}{sep}{}", ser.finish()))
}

impl Chrome {
    /// Show the message a [`flash_redirect`] carried, if it is ours and fresh.
    pub fn flash_from(self, state: &AppState, token: Option<&str>) -> Self {
        match token.and_then(|t| state.jwt.verify_any::<FlashClaims>(t)) {
            Some(f) if f.error => self.error(f.msg),
            Some(f) => self.ok(f.msg),
            None => self,
        }
    }
}

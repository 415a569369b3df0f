//! Web sign-in: the session cookie, CSRF tokens, the sign-in page, sign-out.
//!
//! The session is one of our own JWTs (type `web`) in an HttpOnly,
//! SameSite=Lax cookie (Secure when the public URL is https). It carries a
//! random CSRF token that every form repeats in a hidden field; a page can
//! read the token, a foreign site cannot, and the cookie cannot be read by
//! scripts at all. Signing out revokes the token like an API logout.

use askama::Template;
use booking_core::Actor;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{FromRequest, Request, RequestBody, Response, handler};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::page::{Chrome, error_page, render, see_other};
use super::text;
pub use super::viewer::Viewer;
pub use crate::auth::cookie;
use crate::auth::{Claims, client_ip};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "bk_session";
/// CSRF token of the sign-in form (there is no session yet to hold it).
const LOGIN_COOKIE: &str = "bk_login";
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What the session cookie carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WebClaims {
    #[serde(flatten)]
    base: Claims,
    csrf: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cookie_attrs(state: &AppState) -> &'static str {
    if state.config.server.public_url.starts_with("https://") {
        "; Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Lax"
    }
}

/// Only paths of this site are followed after sign-in (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login")
                && n.len() <= 2000 =>
        {
            n.to_string()
        }
        _ => "/board".to_string(),
    }
}

/// Where a request without a valid session is sent.
fn to_sign_in(req: &Request, expired: bool) -> Response {
    let uri = req.uri();
    let here = if req.method() == poem::http::Method::GET {
        uri.path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        // A form cannot be replayed; come back to the page it belongs to.
        let first = uri.path().split('/').nth(1).unwrap_or("");
        format!("/{first}")
    };
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    let mut to = format!("/login?next={next}");
    if expired {
        to.push_str("&expired=1");
    }
    see_other(&to)
}

impl AppState {
    /// The viewer of a request, from its session cookie.
    /// `Err(true)` when a session cookie was sent but is no longer valid.
    pub(crate) async fn viewer(&self, req: &Request) -> Result<Viewer, bool> {
        let Some(token) = cookie(req, SESSION_COOKIE) else {
            return Err(false);
        };
        let claims: WebClaims = self.jwt.verify_any(&token).ok_or(true)?;
        if claims.base.typ != "web" {
            return Err(true);
        }
        let user = self.account_of(&claims.base).await.map_err(|_| true)?;
        Ok(Viewer {
            actor: Actor {
                user,
                ip: client_ip(req),
            },
            csrf: claims.csrf,
            claims: claims.base,
        })
    }
}

impl<'a> FromRequest<'a> for Viewer {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = req.data::<AppState>().ok_or_else(|| {
            poem::Error::from_string("no state", StatusCode::INTERNAL_SERVER_ERROR)
        })?;
        state
            .viewer(req)
            .await
            .map_err(|expired| poem::Error::from_response(to_sign_in(req, expired)))
    }
}

/// A form posted by the signed-in viewer, its CSRF token checked.
pub struct Posted<T> {
    pub viewer: Viewer,
    pub form: T,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<'a, T: DeserializeOwned + Send> FromRequest<'a> for Posted<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let viewer = Viewer::from_request(req, body).await?;
        let bytes = body
            .take()
            .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))?
            .into_bytes_limit(MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                poem::Error::from_response(error_page(
                    Chrome::new(&viewer, text::TITLE_ERROR, ""),
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "This form is too large.",
                ))
            })?;
        let csrf = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        if !constant_time_eq(csrf.as_bytes(), viewer.csrf.as_bytes()) {
            return Err(poem::Error::from_response(error_page(
                Chrome::new(&viewer, text::TITLE_ERROR, ""),
                StatusCode::FORBIDDEN,
                text::FORM_EXPIRED,
            )));
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            poem::Error::from_response(error_page(
                Chrome::new(&viewer, text::TITLE_ERROR, ""),
                StatusCode::BAD_REQUEST,
                format!("The form could not be read: {e}."),
            ))
        })?;
        Ok(Self { viewer, form })
    }
}

/// Issue a session for `user`: the Set-Cookie value.
pub fn session_cookie(
    state: &AppState,
    user: &booking_core::User,
) -> crate::error::ApiResult<String> {
    let ttl = u64::from(state.config.auth.web_session_hours) * 3600;
    let claims = WebClaims {
        base: state.claims(user, "web", ttl),
        csrf: random_token(),
    };
    let token = state.jwt.sign_any(&claims)?;
    Ok(format!(
        "{SESSION_COOKIE}={token}; Max-Age={ttl}{}",
        cookie_attrs(state)
    ))
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    out: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    email: String,
    password_login: bool,
    providers: Vec<(String, String)>,
}

fn login_page_response(
    state: &AppState,
    req: &Request,
    status: StatusCode,
    next: String,
    email: String,
    flash: Option<(bool, String)>,
) -> Response {
    let csrf = anonymous_csrf(req);
    let mut c = Chrome::anonymous(text::TITLE_SIGN_IN, csrf.clone());
    c = match flash {
        Some((true, m)) => c.error(m),
        Some((false, m)) => c.ok(m),
        None => c,
    };
    let next_q: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let page = LoginPage {
        c,
        providers: state
            .sso
            .configs()
            .iter()
            .map(|p| {
                (
                    format!("/auth/oidc/{}/login?next={next_q}", p.name),
                    p.display_name.clone(),
                )
            })
            .collect(),
        next,
        email,
        password_login: state.config.auth.password_login,
    };
    with_anonymous_csrf(state, render(status, &page), &csrf)
}

/// The CSRF token of a form for visitors who are not signed in (sign-in,
/// a guest's request): the one their form cookie carries — so a form open
/// in another tab keeps working — or a new one.
pub fn anonymous_csrf(req: &Request) -> String {
    cookie(req, LOGIN_COOKIE)
        .filter(|c| c.len() == 48 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_token)
}

/// `resp` setting the form cookie that carries `csrf` (an hour).
pub fn with_anonymous_csrf(state: &AppState, mut resp: Response, csrf: &str) -> Response {
    if let Ok(v) = poem::http::HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={csrf}; Max-Age=3600{}",
        cookie_attrs(state)
    )) {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}

/// Whether a visitor's posted form carries the token of their form cookie.
pub fn anonymous_csrf_ok(req: &Request, posted: &str) -> bool {
    let expected = cookie(req, LOGIN_COOKIE).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected.as_bytes(), posted.as_bytes())
}

/// `GET /login`
#[handler]
pub async fn login_page(
    state: Data<&AppState>,
    req: &Request,
    Query(q): Query<LoginQuery>,
) -> Response {
    let flash = if q.expired.is_some() {
        Some((true, text::SESSION_EXPIRED.to_string()))
    } else if q.out.is_some() {
        Some((false, text::SIGNED_OUT.to_string()))
    } else {
        None
    };
    login_page_response(
        &state,
        req,
        StatusCode::OK,
        safe_next(q.next.as_deref()),
        String::new(),
        flash,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`
#[handler]
pub async fn login(state: Data<&AppState>, req: &Request, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    if !anonymous_csrf_ok(req, &f.csrf) {
        return login_page_response(
            &state,
            req,
            StatusCode::FORBIDDEN,
            next,
            f.email,
            Some((true, text::BAD_LOGIN_FORM.into())),
        );
    }
    let ip = client_ip(req);
    let user = match state.login(&f.email, &f.password, ip.as_deref()).await {
        Ok(u) => u,
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return login_page_response(
                &state,
                req,
                status,
                next,
                f.email,
                Some((true, e.detail().to_string())),
            );
        }
    };
    signed_in(&state, req, &user, &next)
}

/// The response that starts a session and goes on to `next`.
pub fn signed_in(
    state: &AppState,
    req: &Request,
    user: &booking_core::User,
    next: &str,
) -> Response {
    let cookie = match session_cookie(state, user) {
        Ok(c) => c,
        Err(e) => {
            return login_page_response(
                state,
                req,
                StatusCode::INTERNAL_SERVER_ERROR,
                next.to_string(),
                user.email.to_string(),
                Some((true, e.detail().to_string())),
            );
        }
    };
    let mut resp = see_other(next);
    for c in [
        cookie,
        format!("{LOGIN_COOKIE}=; Max-Age=0{}", cookie_attrs(state)),
    ] {
        if let Ok(v) = poem::http::HeaderValue::from_str(&c) {
            resp.headers_mut().append("set-cookie", v);
        }
    }
    resp
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /logout`: revoke the session and clear the cookie.
#[handler]
pub async fn logout(state: Data<&AppState>, p: Posted<Empty>) -> Response {
    if let Err(e) = state.sign_out(&p.viewer.actor, &p.viewer.claims).await {
        return error_page(
            Chrome::new(&p.viewer, text::TITLE_ERROR, ""),
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.detail().to_string(),
        );
    }
    let mut resp = see_other("/login?out=1");
    if let Ok(v) = poem::http::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Max-Age=0{}",
        cookie_attrs(&state)
    )) {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}

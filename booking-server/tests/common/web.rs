//! A browser without JavaScript for the web app's HTTP tests: a cookie jar,
//! no redirects followed, sign-in through the form, CSRF fields read from pages.

use reqwest::StatusCode;
use reqwest::redirect::Policy;

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_of(html: &str) -> String {
    let at =
        html.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().expect("value").to_string()
}

pub fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// Sign in through the form; the browser then holds the session cookie.
pub async fn sign_in(base: &str, email: &str) -> (reqwest::Client, String) {
    let http = browser();
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page");
    let csrf = csrf_of(&page.text().await.expect("html"));
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/board"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let board = http
        .get(format!("{base}/board"))
        .send()
        .await
        .expect("board");
    assert_eq!(board.status(), StatusCode::OK);
    let csrf = csrf_of(&board.text().await.expect("html"));
    (http, csrf)
}

//! Single sign-on against a real OpenID provider on loopback: npm
//! `oidc-provider` (certified), started from scripts/interop/oidc-provider.mjs.
//! A browserless login goes through the provider's own login form and
//! consent page to our callback; the issued token then works on the API.
//! Negative cases: wrong state, replayed code, unverified e-mail, disallowed
//! domain; forged ID tokens (bad signature, expired, wrong audience, wrong
//! nonce, `none`/HMAC); key rotation at the provider.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use booking_core::{AccountState, Actor, Role, RoomCategory, RoomPolicy, RoomSpec};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_sso::{IdTokenError, Provider, ProviderConfig, RoleMapping};
use booking_store::testing::{Backend, TestDb};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

mod common;

const SECRET: &str = "booking-client-secret";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The provider process; killed on drop.
struct Idp {
    child: Child,
    issuer: String,
    kid: String,
    keys: PathBuf,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Idp {
    fn pem(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.keys.join(name)).expect("key file")
    }

    fn port(&self) -> u16 {
        self.issuer
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }
}

fn start_idp(redirect: &str, port: u16) -> Option<Idp> {
    let script = repo().join("scripts/interop/oidc-provider.mjs");
    if !repo()
        .join("scripts/interop/node_modules/oidc-provider")
        .exists()
    {
        assert!(
            std::env::var("BOOKING_INTEROP").as_deref() != Ok("required"),
            "npm oidc-provider is required (npm ci --prefix scripts/interop)"
        );
        eprintln!("npm oidc-provider not installed: skipped");
        return None;
    }
    let keys = std::env::temp_dir().join(format!("idp-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new("node")
        .arg(&script)
        .arg(redirect)
        .arg(&keys)
        .env("OIDC_PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let v: Value = serde_json::from_str(&line).expect("provider said where it listens");
    Some(Idp {
        child,
        issuer: v["issuer"].as_str().expect("issuer").to_string(),
        kid: v["kid"].as_str().expect("kid").to_string(),
        keys,
    })
}

fn provider_config(issuer: &str) -> ProviderConfig {
    ProviderConfig {
        name: "corp".into(),
        display_name: "Corp ID".into(),
        issuer_url: issuer.to_string(),
        client_id: "booking".into(),
        client_secret: Some(SECRET.into()),
        scopes: vec![
            "openid".into(),
            "email".into(),
            "profile".into(),
            "groups".into(),
        ],
        role_mappings: vec![RoleMapping {
            claim: "groups".into(),
            value: "facilities".into(),
            role: Role::RoomAdmin,
            floors: vec![2],
        }],
    }
}

/// Where a browser would go next, relative to `current`.
fn absolute(current: &str, location: &str) -> String {
    if location.starts_with("http") {
        return location.to_string();
    }
    let origin: String = current.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    format!("{origin}{location}")
}

/// What a browser does: follow redirects, fill the provider's login form
/// (any login works there) and confirm consent, until our callback URL.
/// Returns the callback URL (not yet visited) and the pending-login cookie.
async fn to_callback(http: &Client, base: &str, login: &str) -> String {
    to_callback_from(http, base, login, "/auth/oidc/corp/login").await
}

/// [`to_callback`], starting at `start` (a path of our server).
async fn to_callback_from(http: &Client, base: &str, login: &str, start: &str) -> String {
    let mut url = format!("{base}{start}");
    let mut resp = http.get(&url).send().await.expect("start");
    for _ in 0..20 {
        if resp.status().is_redirection() {
            let loc = resp.headers()["location"]
                .to_str()
                .expect("location")
                .to_string();
            let next = absolute(&url, &loc);
            if next.starts_with(&format!("{base}/auth/oidc/corp/callback")) {
                return next;
            }
            url = next;
            resp = http.get(&url).send().await.expect("follow");
            continue;
        }
        let status = resp.status();
        let page = resp.text().await.expect("page");
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let form: Vec<(&str, &str)> = if page.contains(r#"name="prompt" value="login""#) {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else if page.contains(r#"name="prompt" value="consent""#) {
            vec![("prompt", "consent")]
        } else {
            panic!("unexpected provider page at {url}: {page}");
        };
        resp = http.post(&url).form(&form).send().await.expect("submit");
    }
    panic!("no callback after 20 steps");
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn sign_in(base: &str, login: &str) -> (StatusCode, Value) {
    let http = browser();
    let cb = to_callback(&http, base, login).await;
    let r = http.get(&cb).send().await.expect("callback");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn forge(idp: &Idp, pem: &str, kid: Option<&str>, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    let key = EncodingKey::from_rsa_pem(&idp.pem(pem)).expect("pem");
    jsonwebtoken::encode(&header, &claims, &key).expect("sign")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_with_a_real_provider() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let redirect = format!("{base}/auth/oidc/corp/callback");
    let Some(idp) = start_idp(&redirect, 0) else {
        return;
    };
    let db = TestDb::create(Backend::Sqlite).await;
    let srv = common::spawn_on(listener, {
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.server.public_url = base.clone();
        c.auth.jwt_secret = Some("sso-test-secret-sso-test-secret-sso".into());
        c.auth.allowed_email_domains = vec!["example.com".into()];
        c.auth.oidc_providers = vec![provider_config(&idp.issuer)];
        c
    })
    .await;
    let svc = &srv.state.svc;
    let hash = hash_password("correct horse battery").expect("hash");
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("admin"),
    );
    let mut floor2 = Vec::new();
    for (name, floor) in [("Second A", 2), ("Second B", 2), ("Third", 3)] {
        let r = svc
            .create_room(
                &admin,
                RoomSpec {
                    name: name.into(),
                    category: RoomCategory::Meeting,
                    capacity: 6,
                    floor: Some(floor),
                    location: "HQ".into(),
                    amenities: Default::default(),
                    time_zone: "Europe/Berlin".into(),
                    active: true,
                    policy: RoomPolicy::default(),
                },
            )
            .await
            .expect("room");
        if floor == 2 {
            floor2.push(r.id.to_string());
        }
    }
    let bob = svc
        .create_user(
            "bob@example.com",
            "Bob",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("bob");
    svc.create_user(
        "unverified-carl@example.com",
        "Carl",
        Role::User,
        Some(&hash),
        AccountState::Active,
    )
    .await
    .expect("carl");
    let http = Client::new();

    // The login page and the API list the provider.
    let page = http
        .get(format!("{base}/auth/login"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("/auth/oidc/corp/login") && page.contains("Corp ID"),
        "{page}"
    );
    let opts: Value = http
        .get(format!("{base}/api/v1/auth/providers"))
        .send()
        .await
        .expect("providers")
        .json()
        .await
        .expect("json");
    assert_eq!(opts["password_login"], true);
    assert_eq!(opts["providers"][0]["login_url"], "/auth/oidc/corp/login");

    // 0. From the web app: the callback starts a session and opens the page asked for.
    let web = browser();
    let cb = to_callback_from(&web, &base, "web-wendy", "/auth/oidc/corp/login?next=%2Fmy").await;
    let r = web.get(&cb).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/my");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("bk_session="))
        .expect("session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let my = web.get(format!("{base}/my")).send().await.expect("my");
    assert_eq!(my.status(), StatusCode::OK);
    assert!(my.text().await.expect("page").contains("My bookings"));
    // An absolute URL as `next` is not followed off the site.
    let cb = to_callback_from(
        &web,
        &base,
        "web-wendy",
        "/auth/oidc/corp/login?next=https%3A%2F%2Fevil.example%2F",
    )
    .await;
    let r = web.get(&cb).send().await.expect("callback");
    assert_eq!(r.headers()["location"], "/board");

    // 1. First login: a new account, made room admin of floor 2 by its group.
    let (status, pair) = sign_in(&base, "facilities-anna").await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    assert_eq!(pair["role"], "room_admin");
    let me: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(pair["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "facilities-anna@example.com");
    assert_eq!(me["role"], "room_admin");
    let mut rooms: Vec<String> = me["assigned_rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    rooms.sort();
    floor2.sort();
    assert_eq!(rooms, floor2, "rooms on floor 2 only");
    // The account's creation and the role its groups gave it are audited.
    let entries = srv
        .state
        .store
        .list_audit(&booking_core::store::AuditFilter {
            entity_id: me["id"].as_str().map(str::to_string),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("audit");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"user.sso_create"), "{actions:?}");
    let grant = entries
        .iter()
        .find(|e| e.action == "user.sso_grant")
        .expect("role change audited");
    assert_eq!(
        grant
            .after
            .as_ref()
            .map(|a| a["assigned_rooms"].as_array().map(Vec::len)),
        Some(Some(floor2.len()))
    );
    // Signing in again finds the same account through its link.
    let (status, again) = sign_in(&base, "facilities-anna").await;
    assert_eq!(status, StatusCode::OK);
    let me2: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(again["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me2["id"], me["id"]);

    // 2. A verified e-mail links to the existing local account.
    let (status, pair) = sign_in(&base, "bob@example.com").await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    let me: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(pair["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["id"], bob.id.to_string());
    assert_eq!(me["role"], "user", "no mapping matched: role unchanged");

    // 3. An unverified address does not take over an existing account.
    let (status, err) = sign_in(&base, "unverified-carl").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert!(
        err["detail"]
            .as_str()
            .unwrap_or("")
            .contains("not verified"),
        "{err}"
    );

    // 4. A domain that may not register is refused, and no account appears.
    let (status, err) = sign_in(&base, "dave@elsewhere.org").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert!(
        err["detail"].as_str().unwrap_or("").contains("not allowed"),
        "{err}"
    );
    assert!(
        srv.state
            .store
            .get_user_by_email("dave@elsewhere.org")
            .await
            .expect("q")
            .is_none()
    );

    // 5. A callback whose state was tampered with is refused.
    let b = browser();
    let cb = to_callback(&b, &base, "erin").await;
    let forged = cb.replace("state=", "state=x");
    let r = b.get(&forged).send().await.expect("cb");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["detail"].as_str().unwrap_or("").contains("state"),
        "{body}"
    );

    // 6. A callback works once: the pending sign-in is cleared, and a code
    //    presented again with the old cookie (as an attacker holding both
    //    would) is refused by the provider.
    let b = browser();
    let cb = to_callback(&b, &base, "frank").await;
    let r = b.get(&cb).send().await.expect("first use");
    assert_eq!(r.status(), StatusCode::OK);
    let r = b.get(&cb).send().await.expect("second use");
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "the pending sign-in is gone"
    );
    let replay = replay_code(&base, "grace").await;
    assert_eq!(replay.0, StatusCode::UNAUTHORIZED, "{}", replay.1);
    assert!(
        replay.1["detail"]
            .as_str()
            .unwrap_or("")
            .contains("invalid_grant"),
        "{}",
        replay.1
    );

    // 7. Forged ID tokens, checked against the provider's real JWKS.
    let p = Provider::discover(
        provider_config(&idp.issuer),
        booking_sso::http_client().expect("c"),
    )
    .await
    .expect("discover");
    let now = chrono::Utc::now().timestamp();
    let good = json!({"iss": idp.issuer, "aud": "booking", "sub": "x", "iat": now, "exp": now + 300, "nonce": "n1"});
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let token = forge(&idp, "signing.pem", Some(&idp.kid), good.clone());
    assert!(
        p.verify_id_token(&token, Some("n1")).await.is_ok(),
        "a correct forgery passes: the cases below differ in one thing"
    );
    let token = forge(&idp, "signing.pem", None, good.clone());
    assert!(
        p.verify_id_token(&token, Some("n1")).await.is_ok(),
        "no kid, one key in the JWKS"
    );
    let cases = [
        (
            forge(&idp, "foreign.pem", Some(&idp.kid), good.clone()),
            IdTokenError::BadSignature,
        ),
        (
            forge(
                &idp,
                "signing.pem",
                Some(&idp.kid),
                with("exp", json!(now - 600)),
            ),
            IdTokenError::Expired,
        ),
        (
            forge(
                &idp,
                "signing.pem",
                Some(&idp.kid),
                with("aud", json!("someone-else")),
            ),
            IdTokenError::WrongAudience,
        ),
        (
            forge(
                &idp,
                "signing.pem",
                Some(&idp.kid),
                with("iss", json!("https://evil.example")),
            ),
            IdTokenError::WrongIssuer,
        ),
        (
            forge(
                &idp,
                "signing.pem",
                Some(&idp.kid),
                with("nonce", json!("other")),
            ),
            IdTokenError::NonceMismatch,
        ),
        (
            forge(&idp, "signing.pem", Some("no-such-key"), good.clone()),
            IdTokenError::UnknownKey("no-such-key".into()),
        ),
    ];
    for (token, want) in cases {
        assert_eq!(p.verify_id_token(&token, Some("n1")).await, Err(want));
    }
    let hmac = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("hs256");
    assert!(matches!(
        p.verify_id_token(&hmac, Some("n1")).await,
        Err(IdTokenError::Algorithm(_))
    ));
    let unsigned = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&good.to_string())
    );
    assert!(p.verify_id_token(&unsigned, Some("n1")).await.is_err());

    // 8. The provider rotates its key (restart with a new one on the same
    //    port): our server, holding the old JWKS, fetches the new one.
    let port = idp.port();
    let old_kid = idp.kid.clone();
    drop(idp);
    let idp2 = start_idp(&redirect, port).expect("restart");
    assert_ne!(idp2.kid, old_kid);
    let (status, pair) = sign_in(&base, "facilities-anna").await;
    assert_eq!(status, StatusCode::OK, "after key rotation: {pair}");
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Sign in once, then present the same code and pending-login cookie again.
async fn replay_code(base: &str, login: &str) -> (StatusCode, Value) {
    use reqwest::cookie::CookieStore as _;
    // The same browser walk, with a jar we can read our cookie from.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let b = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let callback = to_callback(&b, base, login).await;
    let url: reqwest::Url = callback.parse().expect("url");
    let ours = jar.cookies(&url).expect("pending-login cookie");
    let plain = Client::new();
    let first = plain
        .get(&callback)
        .header("cookie", ours.clone())
        .send()
        .await
        .expect("first");
    assert_eq!(first.status(), StatusCode::OK);
    let second = plain
        .get(&callback)
        .header("cookie", ours)
        .send()
        .await
        .expect("second");
    let status = second.status();
    (status, second.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_can_be_switched_off() {
    let db = TestDb::create(Backend::Sqlite).await;
    let srv = common::spawn({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("sso-test-secret-sso-test-secret-sso".into());
        c.auth.password_login = false;
        c.auth.oidc_providers = vec![provider_config("http://127.0.0.1:9")];
        c
    })
    .await;
    let hash = hash_password("correct horse battery").expect("hash");
    srv.state
        .svc
        .create_user(
            "amy@example.com",
            "Amy",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("user");
    let http = Client::new();
    let r = http
        .post(format!("{}/api/v1/auth/login", srv.base))
        .json(&json!({"email": "amy@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("single sign-on"),
        "{body}"
    );
    let opts: Value = http
        .get(format!("{}/api/v1/auth/providers", srv.base))
        .send()
        .await
        .expect("p")
        .json()
        .await
        .expect("j");
    assert_eq!(opts["password_login"], false);
    // A provider that cannot be reached: a clear 503, not a hang or a 500.
    let r = http
        .get(format!("{}/auth/oidc/corp/login", srv.base))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

//! The API server of the HTTP tests: a fresh database, a running server and
//! helpers to call it as a signed-in person.

use booking_core::{AccountState, Role, User};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_server::state::AppState;
use booking_store::testing::{Backend, TestDb};
use chrono::{DateTime, Duration, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub base: String,
    pub state: AppState,
    pub http: Client,
    _running: super::Running,
    _db: TestDb,
}

pub async fn server(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Server {
    let db = TestDb::create(backend).await;
    let mut config = {
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("test-secret-test-secret-test-secret".into());
        c
    };
    tweak(&mut config);
    let running = super::spawn(config).await;
    Server {
        base: running.base.clone(),
        state: running.state.clone(),
        http: Client::new(),
        _running: running,
        _db: db,
    }
}

impl Server {
    /// The URL of this server's test database.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    pub async fn user(&self, email: &str, role: Role) -> User {
        let hash = hash_password(PASSWORD).expect("hash");
        self.state
            .svc
            .create_user(email, email, role, Some(&hash), AccountState::Active)
            .await
            .expect("user")
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.expect("body");
        if status.is_client_error() || status.is_server_error() {
            assert!(
                ctype.starts_with("application/problem+json"),
                "{path}: {status} {ctype} {text}"
            );
        }
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn login(&self, email: &str) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_string()
    }

    pub async fn create_room(&self, token: &str, name: &str, approval: bool) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/rooms",
                Some(token),
                Some(room_json(name, approval)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_string()
    }
}

pub fn room_json(name: &str, approval: bool) -> Value {
    json!({
        "name": name, "category": "meeting", "capacity": 6, "floor": 2, "location": "HQ",
        "amenities": ["Projector"], "time_zone": "UTC",
        "policy": {
            "booking_window_days": 60, "min_duration_minutes": 15, "max_duration_minutes": 240,
            "business_hours": [
                {"day": "mon", "open": "00:00", "close": "00:00"}, {"day": "tue", "open": "00:00", "close": "00:00"},
                {"day": "wed", "open": "00:00", "close": "00:00"}, {"day": "thu", "open": "00:00", "close": "00:00"},
                {"day": "fri", "open": "00:00", "close": "00:00"}, {"day": "sat", "open": "00:00", "close": "00:00"},
                {"day": "sun", "open": "00:00", "close": "00:00"}
            ],
            "approval_required": approval
        }
    })
}

/// The day after tomorrow at h:00 UTC (the test rooms are open around the clock).
pub fn slot(h: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = (Utc::now() + Duration::days(2)).date_naive();
    let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::hours(h);
    (start, start + Duration::hours(1))
}

pub fn booking_json(room: &str, h: i64, attendees: u32) -> Value {
    let (s, e) = slot(h);
    json!({"room_id": room, "title": "Planning", "attendees": attendees, "start": s, "end": e})
}

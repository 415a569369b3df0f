//! Chat endpoints over HTTP, requests signed exactly as Slack, Teams and
//! Discord sign them, against a real database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use booking_core::{AccountState, Role, RoomListing, User};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_server::state::AppState;
use booking_store::testing::{Backend, TestDb};
use chrono::{Duration, Timelike, Utc};
use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, Mac};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TEAMS_KEY: &[u8] = b"teams-shared-secret-32-bytes-xx!";

mod common;

struct Srv {
    base: String,
    state: AppState,
    http: Client,
    discord: SigningKey,
    _running: common::Running,
    _db: TestDb,
}

async fn server(b: Backend) -> Srv {
    let db = TestDb::create(b).await;
    let discord = SigningKey::from_bytes(&[9u8; 32]);
    let running = common::spawn({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("test-secret-test-secret-test-secret".into());
        c.chat.slack_signing_secret = Some(SLACK_SECRET.into());
        c.chat.teams_hmac_secret = Some(B64.encode(TEAMS_KEY).into());
        c.chat.discord_public_key = Some(hex::encode(discord.verifying_key().to_bytes()));
        c
    })
    .await;
    Srv {
        base: running.base.clone(),
        state: running.state.clone(),
        http: Client::new(),
        discord,
        _running: running,
        _db: db,
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("key");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn slack_form(user: &str, command: &str, text: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("token", "deprecated")
        .append_pair("team_id", "T1")
        .append_pair("user_id", user)
        .append_pair("user_name", "alice")
        .append_pair("command", command)
        .append_pair("text", text)
        .append_pair("response_url", "http://127.0.0.1:9/resp")
        .append_pair("trigger_id", &uuid::Uuid::new_v4().to_string())
        .finish()
}

impl Srv {
    async fn slack_raw(&self, body: &str, ts: i64, sign_body: Option<&str>) -> (StatusCode, Value) {
        let signed = sign_body.unwrap_or(body);
        let sig = format!(
            "v0={}",
            hex::encode(hmac(
                SLACK_SECRET.as_bytes(),
                format!("v0:{ts}:{signed}").as_bytes()
            ))
        );
        let r = self
            .http
            .post(format!("{}/chat/slack/commands", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", sig)
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn slack(&self, user: &str, text: &str) -> String {
        let (s, v) = self
            .slack_raw(
                &slack_form(user, "/rooms", text),
                Utc::now().timestamp(),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["response_type"], "ephemeral");
        v["text"].as_str().expect("text").to_string()
    }

    async fn teams(&self, user: &str, text: &str, tamper: bool) -> (StatusCode, Value) {
        let id = format!("f:{}", uuid::Uuid::new_v4());
        self.teams_activity(user, text, &id, Utc::now(), tamper)
            .await
    }

    async fn teams_activity(
        &self,
        user: &str,
        text: &str,
        id: &str,
        at: chrono::DateTime<Utc>,
        tamper: bool,
    ) -> (StatusCode, Value) {
        let body = json!({"type": "message", "id": id, "timestamp": at.to_rfc3339(),
                          "text": format!("<at>Rooms</at> {text}"), "from": {"id": "29:x", "aadObjectId": user}})
        .to_string();
        let auth = format!("HMAC {}", B64.encode(hmac(TEAMS_KEY, body.as_bytes())));
        let sent = if tamper {
            body.replace("Rooms", "R00ms")
        } else {
            body
        };
        let r = self
            .http
            .post(format!("{}/chat/teams/messages", self.base))
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(sent)
            .send()
            .await
            .expect("send");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn discord(
        &self,
        payload: &Value,
        ts: i64,
        sign: bool,
        tamper: bool,
    ) -> (StatusCode, Value) {
        let body = payload.to_string();
        let ts = ts.to_string();
        let sig = hex::encode(
            self.discord
                .sign(format!("{ts}{body}").as_bytes())
                .to_bytes(),
        );
        let sent = if tamper {
            body.replacen("\"type\":1", "\"type\":2", 1)
        } else {
            body
        };
        let mut req = self
            .http
            .post(format!("{}/chat/discord/interactions", self.base))
            .header("content-type", "application/json")
            .body(sent);
        if sign {
            req = req
                .header("x-signature-ed25519", sig)
                .header("x-signature-timestamp", ts);
        }
        let r = req.send().await.expect("send");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn user(&self, email: &str) -> User {
        let hash = hash_password("correct horse battery").expect("hash");
        self.state
            .svc
            .create_user(email, email, Role::User, Some(&hash), AccountState::Active)
            .await
            .expect("user")
    }

    /// Link a chat identity through the real flow: API link code, then `link CODE`.
    async fn link(&self, email: &str, platform_text: impl AsyncFnOnce(String) -> String) {
        let login: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"email": email, "password": "correct horse battery"}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        let code: Value = self
            .http
            .post(format!("{}/api/v1/chat/link-code", self.base))
            .bearer_auth(login["access_token"].as_str().expect("token"))
            .send()
            .await
            .expect("code")
            .json()
            .await
            .expect("json");
        let reply = platform_text(format!("link {}", code["code"].as_str().expect("code"))).await;
        assert!(reply.starts_with(&format!("Linked to {email}")), "{reply}");
    }

    async fn bookings(&self) -> Vec<booking_core::Booking> {
        self.state
            .svc
            .list_bookings(&Default::default())
            .await
            .expect("list")
    }
}

async fn rooms(srv: &Srv) {
    let admin = booking_core::Actor::from(
        srv.state
            .svc
            .create_user(
                "admin@example.com",
                "A",
                Role::SuperAdmin,
                None,
                AccountState::Active,
            )
            .await
            .expect("admin"),
    );
    for (name, cap, tz, amenities) in [
        ("Boardroom", 12, "UTC", vec!["projector", "video"]),
        ("Huddle 1", 4, "UTC", vec![]),
        ("Huddle 2", 4, "UTC", vec![]),
        ("Focus", 6, "UTC", vec!["projector"]),
        ("New York", 8, "America/New_York", vec![]),
    ] {
        srv.state
            .svc
            .create_room(
                &admin,
                booking_core::RoomSpec {
                    name: name.into(),
                    category: booking_core::RoomCategory::Meeting,
                    capacity: cap,
                    floor: Some(1),
                    location: "HQ".into(),
                    amenities: amenities.into_iter().map(String::from).collect(),
                    time_zone: tz.into(),
                    active: true,
                    policy: booking_core::RoomPolicy {
                        business_hours: booking_core::BusinessHours::always(),
                        ..Default::default()
                    },
                },
            )
            .await
            .expect("room");
    }
}

on_every_backend!(
    signatures_are_checked_and_refusals_book_nothing,
    every_command_end_to_end,
    discord_and_teams_conversations,
    a_replayed_request_runs_once,
    link_code_guesses_are_limited
);

mod cases {
    use super::*;

    pub async fn signatures_are_checked_and_refusals_book_nothing(b: Backend) {
        let srv = server(b).await;
        rooms(&srv).await;
        srv.user("alice@example.com").await;
        srv.link("alice@example.com", async |t| srv.slack("U1", &t).await)
            .await;
        let now = Utc::now().timestamp();
        let body = slack_form("U1", "/book", "boardroom tomorrow 10-11");
        // Tampered, stale and unsigned Slack requests: 401, nothing booked.
        let (s, p) = srv.slack_raw(&body, now, Some("something else")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{p}");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("signature")),
            "{p}"
        );
        let (s, p) = srv.slack_raw(&body, now - 360, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("5 minutes")),
            "{p}"
        );
        let r = srv
            .http
            .post(format!("{}/chat/slack/commands", srv.base))
            .body(body.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(srv.bookings().await.is_empty());
        // Teams: tampered → 401; Discord: unsigned, tampered, stale → 401.
        let (s, _) = srv
            .teams("aad-1", "book boardroom tomorrow 10-11", true)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let ping = json!({"id": "1", "application_id": "2", "type": 1, "token": "t", "version": 1});
        assert_eq!(
            srv.discord(&ping, now, false, false).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            srv.discord(&ping, now, true, true).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            srv.discord(&ping, now - 3600, true, false).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert!(srv.bookings().await.is_empty());
        // The valid one books.
        let (s, v) = srv.slack_raw(&body, now, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(
            v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Booked Boardroom")),
            "{v}"
        );
        assert_eq!(
            v["blocks"][1]["elements"][0]["action_id"], "cancel_booking",
            "cancel button"
        );
        assert_eq!(srv.bookings().await.len(), 1);
        // Pressing the button: Slack posts a signed interaction payload.
        let id = v["blocks"][1]["elements"][0]["value"]
            .as_str()
            .expect("value")
            .to_string();
        let payload = json!({"type": "block_actions", "user": {"id": "U1"},
                             "actions": [{"action_id": "cancel_booking", "value": id}]});
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        let ts = Utc::now().timestamp();
        let sig = format!(
            "v0={}",
            hex::encode(hmac(
                SLACK_SECRET.as_bytes(),
                format!("v0:{ts}:{form}").as_bytes()
            ))
        );
        let post = |sig: String| {
            srv.http
                .post(format!("{}/chat/slack/interactions", srv.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", sig)
                .body(form.clone())
                .send()
        };
        let r = post("v0=00".into()).await.expect("send");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(
            srv.bookings().await[0].status.is_blocking(),
            "a forged click changes nothing"
        );
        let r = post(sig).await.expect("send");
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.expect("json");
        assert!(
            v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Cancelled")),
            "{v}"
        );
        assert!(!srv.bookings().await[0].status.is_blocking());
    }

    pub async fn every_command_end_to_end(b: Backend) {
        let srv = server(b).await;
        rooms(&srv).await;
        let alice = srv.user("alice@example.com").await;
        let unlinked = srv.slack("U9", "book boardroom tomorrow 10-11").await;
        assert!(unlinked.contains("not linked"), "{unlinked}");
        let bad = srv.slack("U1", "link NOPE1234").await;
        assert!(bad.contains("unknown or expired"), "{bad}");
        srv.link("alice@example.com", async |t| srv.slack("U1", &t).await)
            .await;

        let help = srv.slack("U1", "help").await;
        assert!(help.contains("book <room> <when>"), "{help}");
        let rooms = srv.slack("U1", "rooms").await;
        assert!(
            rooms.contains("Boardroom (floor 1) — 12 seats, projector, video"),
            "{rooms}"
        );

        let booked = srv
            .slack("U1", "book board tomorrow 10:00-11:00 Planning")
            .await;
        assert!(booked.starts_with("Booked Boardroom (floor 1)"), "{booked}");
        assert!(
            booked.contains("10:00–11:00 (UTC) — Planning (confirmed)"),
            "{booked}"
        );

        // Conflict: next free slots and other rooms.
        srv.user("bob@example.com").await;
        srv.link("bob@example.com", async |t| srv.slack("U2", &t).await)
            .await;
        let clash = srv
            .slack("U2", "book boardroom tomorrow 10:30 for 30m")
            .await;
        assert!(clash.starts_with("Boardroom is taken then."), "{clash}");
        assert!(clash.contains("Free later that day: 11:00–"), "{clash}");
        assert!(clash.contains("Free at that time: "), "{clash}");

        // Ambiguous and unknown room names ask back.
        let which = srv.slack("U2", "book huddle tomorrow 10-11").await;
        assert_eq!(which, "Which one: Huddle 1 or Huddle 2?");
        let unknown = srv.slack("U2", "book kitchen tomorrow 10-11").await;
        assert!(
            unknown.starts_with("No room matches \"kitchen\""),
            "{unknown}"
        );
        // Rule violation in plain words.
        let big = srv
            .slack("U2", "book huddle 1 tomorrow 10-11 for 9 people")
            .await;
        assert!(
            big.contains("9 attendees exceed the room capacity of 4"),
            "{big}"
        );
        let parse = srv.slack("U2", "book boardroom tomorrow 11-10").await;
        assert!(parse.contains("is not after the start"), "{parse}");

        // Natural request: best fit with a projector for 6 → Focus (6 seats).
        let natural = srv
            .slack("U2", "book a room for 6 with a projector tomorrow 10-11")
            .await;
        assert!(natural.starts_with("Booked Focus"), "{natural}");
        let free = srv.slack("U2", "free tomorrow 10-11 for 4").await;
        assert!(
            free.contains("Huddle 1") && !free.contains("Boardroom") && !free.contains("Focus"),
            "{free}"
        );

        // Time zones: the New York room reads 09:00 as New York time.
        let ny = srv.slack("U2", "book new york tomorrow 09:00-10:00").await;
        assert!(ny.contains("09:00–10:00 (America/New_York)"), "{ny}");
        let stored = srv.bookings().await;
        let ny_room = srv
            .state
            .svc
            .list_rooms(RoomListing::Current)
            .await
            .expect("rooms")
            .into_iter()
            .find(|r| r.name == "New York")
            .expect("ny");
        let ny_booking = stored
            .iter()
            .find(|b| b.room_id == ny_room.id)
            .expect("ny booking");
        assert!(
            matches!(ny_booking.start.hour(), 14 | 13),
            "09:00 in New York is 13:00/14:00 UTC"
        );

        let mine = srv.slack("U1", "mine").await;
        assert!(
            mine.contains("Planning (Boardroom (floor 1), approved)"),
            "{mine}"
        );
        let id = stored
            .iter()
            .find(|b| b.organizer_id == alice.id)
            .expect("alice's")
            .id
            .to_string();
        let cancelled = srv.slack("U1", &format!("cancel {}", &id[..8])).await;
        assert!(cancelled.starts_with("Cancelled"), "{cancelled}");
        assert_eq!(
            srv.slack("U1", "mine").await,
            "You have no upcoming bookings."
        );
        let none = srv.slack("U1", "cancel ffffffff").await;
        assert!(none.contains("No upcoming booking of yours"), "{none}");
        let checkin = srv.slack("U1", "checkin").await;
        assert_eq!(checkin, "You have no booking to check in to right now.");
    }

    pub async fn discord_and_teams_conversations(b: Backend) {
        let srv = server(b).await;
        rooms(&srv).await;
        srv.user("alice@example.com").await;
        let now = Utc::now().timestamp();
        let ping = json!({"id": "1", "application_id": "2", "type": 1, "token": "t", "version": 1});
        let (s, v) = srv.discord(&ping, now, true, false).await;
        assert_eq!((s, v), (StatusCode::OK, json!({"type": 1})));
        let cmd = |name: &str, opts: Value| {
            json!({"id": uuid::Uuid::new_v4().to_string(), "application_id": "2", "type": 2, "token": "tok", "version": 1, "guild_id": "9",
                   "member": {"user": {"id": "42", "username": "alice"}}, "data": {"id": "7", "name": name, "type": 1, "options": opts}})
        };
        srv.link("alice@example.com", async |t| {
            let code = t.trim_start_matches("link ").to_string();
            let (_, v) = srv
                .discord(
                    &cmd("link", json!([{"name": "code", "type": 3, "value": code}])),
                    now,
                    true,
                    false,
                )
                .await;
            v["data"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .await;
        let start = (Utc::now() + Duration::days(2)).date_naive();
        let (s, v) = srv
            .discord(
                &cmd("book", json!([{"name": "room", "type": 3, "value": "Huddle 2"}, {"name": "start", "type": 3, "value": format!("{start}T09:00")}])),
                now,
                true,
                false,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["type"], 4);
        assert_eq!(v["data"]["flags"], 64, "ephemeral");
        assert!(
            v["data"]["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("Booked Huddle 2")),
            "{v}"
        );
        let custom_id = v["data"]["components"][0]["components"][0]["custom_id"]
            .as_str()
            .expect("button")
            .to_string();
        // Pressing the cancel button.
        let click = json!({"id": "4", "application_id": "2", "type": 3, "token": "tok", "version": 1,
                           "member": {"user": {"id": "42"}}, "data": {"custom_id": custom_id, "component_type": 2}});
        let (s, v) = srv.discord(&click, now, true, false).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            v["data"]["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("Cancelled")),
            "{v}"
        );
        assert!(srv.bookings().await.iter().all(|b| !b.status.is_blocking()));

        // Teams: unlinked gets instructions; the mention is ignored.
        let (s, v) = srv.teams("aad-7", "free tomorrow 10-11", false).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["type"], "message");
        assert!(
            v["text"].as_str().is_some_and(|t| t.contains("not linked")),
            "{v}"
        );
        let (_, v) = srv.teams("aad-7", "help", false).await;
        assert!(
            v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Commands:")),
            "{v}"
        );
    }

    /// #16 item 7: the same signed request sent again within the signature's
    /// window is refused (409) and books nothing more.
    pub async fn a_replayed_request_runs_once(b: Backend) {
        let srv = server(b).await;
        rooms(&srv).await;
        srv.user("alice@example.com").await;
        srv.link("alice@example.com", async |t| srv.slack("U1", &t).await)
            .await;
        let now = Utc::now().timestamp();
        let body = slack_form("U1", "/rooms", "book a room for 4 tomorrow 10-11");
        let (s, v) = srv.slack_raw(&body, now, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(srv.bookings().await.len(), 1);
        let (s, v) = srv.slack_raw(&body, now, None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(
            v["detail"].as_str().is_some_and(|d| d.contains("already")),
            "{v}"
        );
        assert_eq!(srv.bookings().await.len(), 1, "the replay booked nothing");

        // Discord: the same interaction id, even signed anew, runs once.
        let link = |code: &str| {
            json!({"id": format!("link-{code}"), "application_id": "2", "type": 2, "token": "t", "version": 1,
                   "member": {"user": {"id": "42"}}, "data": {"name": "link", "options": [{"name": "code", "value": code}]}})
        };
        srv.user("bob@example.com").await;
        srv.link("bob@example.com", async |t| {
            let code = t.trim_start_matches("link ").to_string();
            let (_, v) = srv.discord(&link(&code), now, true, false).await;
            v["data"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .await;
        let book = json!({"id": "9001", "application_id": "2", "type": 2, "token": "t", "version": 1,
                          "member": {"user": {"id": "42"}},
                          "data": {"name": "book", "options": [{"name": "q", "value": "a room for 4 tomorrow 12-13"}]}});
        let (s, v) = srv.discord(&book, now, true, false).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(srv.bookings().await.len(), 2, "{v}");
        let (s, _) = srv.discord(&book, now + 1, true, false).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(srv.bookings().await.len(), 2);

        // Teams signs no time: a repeated activity id is refused, and so is
        // an activity whose own timestamp is older than the window.
        srv.user("carol@example.com").await;
        srv.link("carol@example.com", async |t| {
            let (_, v) = srv.teams("aad-3", &t, false).await;
            v["text"].as_str().unwrap_or_default().to_string()
        })
        .await;
        let (s, v) = srv
            .teams_activity(
                "aad-3",
                "book a room for 4 tomorrow 14-15",
                "act-1",
                Utc::now(),
                false,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(srv.bookings().await.len(), 3, "{v}");
        let (s, _) = srv
            .teams_activity(
                "aad-3",
                "book a room for 4 tomorrow 14-15",
                "act-1",
                Utc::now(),
                false,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, v) = srv
            .teams_activity(
                "aad-3",
                "book a room for 4 tomorrow 16-17",
                "act-old",
                Utc::now() - Duration::minutes(10),
                false,
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(srv.bookings().await.len(), 3);
    }

    /// #16 item 6: link codes cannot be guessed — misses are limited per
    /// chat user (then even the right code is refused until the window ends)
    /// and per platform; other commands are limited per chat user (429).
    pub async fn link_code_guesses_are_limited(b: Backend) {
        let srv = server(b).await;
        rooms(&srv).await;
        srv.user("alice@example.com").await;
        let raw = async |user: &str, text: &str| {
            srv.slack_raw(
                &slack_form(user, "/rooms", text),
                Utc::now().timestamp(),
                None,
            )
            .await
        };
        // 80 guesses in a burst: five misses, then refused in words, then
        // the chat user's command limit (30 a minute) answers 429.
        let (mut misses, mut too_many, mut limited) = (0, 0, 0);
        for i in 0..80 {
            let (s, v) = raw("U66", &format!("link ZZ{i:04}")).await;
            let t = v["text"].as_str().unwrap_or_default();
            match s {
                StatusCode::OK if t.contains("unknown or expired") => misses += 1,
                StatusCode::OK if t.contains("Too many") => too_many += 1,
                StatusCode::TOO_MANY_REQUESTS => limited += 1,
                _ => panic!("{s} {v}"),
            }
        }
        assert_eq!((misses, too_many, limited), (5, 25, 50));
        // After five misses even the right code is refused for that chat user …
        let code = async || {
            let login: Value = srv
                .http
                .post(format!("{}/api/v1/auth/login", srv.base))
                .json(&json!({"email": "alice@example.com", "password": "correct horse battery"}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("json");
            let v: Value = srv
                .http
                .post(format!("{}/api/v1/chat/link-code", srv.base))
                .bearer_auth(login["access_token"].as_str().expect("token"))
                .send()
                .await
                .expect("code")
                .json()
                .await
                .expect("json");
            v["code"].as_str().expect("code").to_string()
        };
        for i in 0..5 {
            srv.slack("U70", &format!("link YY{i:04}")).await;
        }
        let right = code().await;
        let t = srv.slack("U70", &format!("link {right}")).await;
        assert!(t.contains("Too many") && t.contains("minute"), "{t}");
        // … and it stays good for someone else.
        let t = srv.slack("U67", &format!("link {right}")).await;
        assert!(t.starts_with("Linked to alice@example.com"), "{t}");
        let audit = srv
            .state
            .store
            .list_audit(&booking_core::store::AuditFilter {
                entity: Some("user".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .expect("audit");
        let linked = audit
            .iter()
            .find(|e| e.action == "chat.link")
            .expect("linking a chat account is audited");
        assert_eq!(
            linked.after.as_ref().map(|a| a["external_id"].clone()),
            Some(json!("U67"))
        );
        // Many chat users guessing together trip the platform's limit (50
        // misses), which then locks every code on that platform.
        let mut platform_refused = 0;
        for u in 0..10 {
            for i in 0..5 {
                let t = srv
                    .slack(&format!("G{u}"), &format!("link QQ{u}{i:03}"))
                    .await;
                platform_refused += usize::from(t.contains("Too many"));
            }
        }
        assert_eq!(
            platform_refused, 10,
            "50 misses on the platform, then refused"
        );
        let fresh = code().await;
        let t = srv.slack("U99", &format!("link {fresh}")).await;
        assert!(t.contains("Too many"), "{t}");
        // A flood of other commands from one chat user answers 429 with Retry-After.
        let mut ok = 0;
        for _ in 0..40 {
            let (s, _) = raw("U67", "help").await;
            if s == StatusCode::OK {
                ok += 1;
            } else {
                assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
            }
        }
        assert_eq!(ok, 29, "30 commands a minute, one used to link");
    }
}

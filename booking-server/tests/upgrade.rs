//! Upgrades keep the server's own rows (#24): each server table is filled
//! right after the migration that added it, the way that release wrote it
//! (chat links 0003, feed tokens 0006, OpenID identities 0007, the mail
//! outbox, cursor and answered invitations 0008, seen chat requests 0011),
//! then today's migrate runs and every row reads back through the server's
//! own store traits — on SQLite and PostgreSQL. (The core's tables:
//! booking-store/tests/upgrade.rs.)

use booking_core::{RoomId, UserId};
use booking_server::tables;
use booking_store::testing::{Backend, TestDb, backends, migrations_upto};
use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

fn at(y: i32, mo: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, 9, 0, 0).single().expect("t")
}

const POLICY: &str = r#"{"booking_window_days":90,"min_duration_minutes":15,"max_duration_minutes":480,"business_hours":[null,null,null,null,null,null,null],"buffer_before_minutes":0,"buffer_after_minutes":0,"approval_required":false,"max_active_bookings_per_user":null,"allowed_roles":["user"]}"#;

/// Each step: run the migrations up to `version`, then these statements
/// (SQLite spelling first, PostgreSQL second). `$1` is the user, `$2` the room.
fn steps() -> Vec<(i64, &'static str, &'static str)> {
    vec![
        (
            1,
            "INSERT INTO rooms VALUES ($2, 'Blue room', 'meeting', 8, 2, 'HQ', '[]', 'Europe/Berlin', 1, NULL, '{policy}', 1767340800, 1767340800)",
            "INSERT INTO rooms VALUES ($2, 'Blue room', 'meeting', 8, 2, 'HQ', '[]'::jsonb, 'Europe/Berlin', true, NULL, '{policy}'::jsonb, now(), now())",
        ),
        (
            1,
            "INSERT INTO users VALUES ($1, 'alice@example.com', 'Alice', 'user', '[]', 1, 1767340800, NULL, 0, NULL)",
            "INSERT INTO users VALUES ($1, 'alice@example.com', 'Alice', 'user', '[]'::jsonb, true, now(), NULL, 0, NULL)",
        ),
        (
            3,
            "INSERT INTO chat_links VALUES ('slack', 'U123', $1, 1767340800)",
            "INSERT INTO chat_links VALUES ('slack', 'U123', $1, now())",
        ),
        (
            6,
            "UPDATE users SET feed_token = 'feed-token-1' WHERE id = $1",
            "UPDATE users SET feed_token = 'feed-token-1' WHERE id = $1",
        ),
        (
            7,
            "INSERT INTO identities VALUES ('https://idp.example', 'sub-1', $1, 1767340800)",
            "INSERT INTO identities VALUES ('https://idp.example', 'sub-1', $1, now())",
        ),
        (
            8,
            "INSERT INTO outbox (dedupe_key, kind, sender, recipient, subject, message, created_at, next_attempt_at) VALUES ('d-1', 'notify', 'rooms@example.com', 'alice@example.com', 'Booked', X'48656C6C6F', 1767340800, 1767340800)",
            "INSERT INTO outbox (dedupe_key, kind, sender, recipient, subject, message, created_at, next_attempt_at) VALUES ('d-1', 'notify', 'rooms@example.com', 'alice@example.com', 'Booked', '\\x48656C6C6F'::bytea, now(), now())",
        ),
        (
            8,
            "INSERT INTO mail_cursor VALUES (1, 42)",
            "INSERT INTO mail_cursor VALUES (1, 42)",
        ),
        (
            8,
            "INSERT INTO invites VALUES ('uid-1@example.com', $2, 'bob@example.com', 3, NULL, NULL, 1767340800)",
            "INSERT INTO invites VALUES ('uid-1@example.com', $2, 'bob@example.com', 3, NULL, NULL, now())",
        ),
        (
            11,
            "INSERT INTO chat_requests VALUES ('sig-1', 4102444800)",
            "INSERT INTO chat_requests VALUES ('sig-1', '2100-01-01T00:00:00Z'::timestamptz)",
        ),
    ]
}

/// A statement and the one id it takes: `$1` is the user, `$2` the room
/// (renumbered to `$1`, so PostgreSQL knows every parameter's type).
fn bound(sql: &str, user: Uuid, room: Uuid) -> (String, Option<Uuid>) {
    let sql = sql.replace("{policy}", POLICY);
    if sql.contains("$2") {
        (sql.replace("$2", "$1"), Some(room))
    } else if sql.contains("$1") {
        (sql, Some(user))
    } else {
        (sql, None)
    }
}

/// Migrate a `$pool` (of either database) up to `$version` unless it is
/// there already, then run `$sql` with its one id.
macro_rules! step {
    ($pool:expr, $backend:expr, $version:expr, $done:expr, $sql:expr, $user:expr, $room:expr) => {{
        let pool = $pool;
        if $version > $done {
            migrations_upto($backend, $version)
                .await
                .run(&pool)
                .await
                .expect("migrate");
        }
        let (sql, id) = bound($sql, $user, $room);
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        match id {
            Some(id) => q.bind(id),
            None => q,
        }
        .execute(&pool)
        .await
        .expect("insert");
        pool.close().await;
    }};
}

async fn fill(backend: Backend, url: &str, user: Uuid, room: Uuid) {
    let mut done = 0;
    for (version, sqlite, postgres) in steps() {
        match backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
                step!(pool, backend, version, done, sqlite, user, room);
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(url).await.expect("pool");
                step!(pool, backend, version, done, postgres, user, room);
            }
        }
        done = version;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_tables_keep_their_rows_through_todays_migrate() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        let db = TestDb::create(backend).await;
        let (user, room) = (Uuid::new_v4(), Uuid::new_v4());
        fill(backend, &db.url, user, room).await;
        let stores = tables::open_with(&db.url, &Default::default())
            .await
            .expect("today's migrate");
        let s = &stores.server;
        assert!(
            stores
                .core
                .pending_migrations()
                .await
                .expect("pending")
                .is_empty()
        );

        assert_eq!(
            s.chat_user("slack", "U123").await.expect("q"),
            Some(UserId(user))
        );
        assert_eq!(
            s.feed_token(UserId(user)).await.expect("q").as_deref(),
            Some("feed-token-1")
        );
        let by_feed = s
            .user_by_feed_token("feed-token-1")
            .await
            .expect("q")
            .expect("user");
        assert_eq!(by_feed.email, "alice@example.com");
        assert_eq!(
            s.identity_user("https://idp.example", "sub-1")
                .await
                .expect("q"),
            Some(UserId(user))
        );
        assert_eq!(s.outbox_counts().await.expect("q").pending, 1);
        let mails = s.outbox_messages(10).await.expect("q");
        assert_eq!(mails, vec![("notify".to_string(), b"Hello".to_vec())]);
        assert_eq!(s.mail_cursor().await.expect("q"), Some(42));
        let invite = s
            .invite_link("uid-1@example.com", RoomId(room))
            .await
            .expect("q")
            .expect("invite");
        assert_eq!(
            (invite.organizer.as_str(), invite.sequence),
            ("bob@example.com", 3)
        );
        // A chat request seen before the upgrade is still a replay after it.
        let fresh = s
            .first_sighting("sig-1", Utc::now(), at(2026, 1, 1))
            .await
            .expect("q");
        assert!(!fresh, "the seen request was kept");
        stores.core.close().await;
    }
}

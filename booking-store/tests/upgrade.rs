//! Upgrades keep every row (#24): a database made by the first schema
//! (migration 0001) and filled the way the first release wrote its rows —
//! and the tables later migrations added, filled when they were added — is
//! migrated by today's `migrate`, and every row reads back as it was, on
//! SQLite and PostgreSQL. (The server's own tables: booking-server/tests/upgrade.rs.)

use booking_core::store::{AuditFilter, BookingFilter};
use booking_core::{BookingId, BookingStatus, Role, RoomId, UserId};
use booking_store as store;
use booking_store::testing::{Backend, TestDb, backends, migrations_upto};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sqlx::migrate::Migrator;
use uuid::Uuid;

/// Only the first migration of the backend's directory.
async fn first_schema(backend: Backend) -> Migrator {
    migrations_upto(backend, 1).await
}

async fn schema_upto(backend: Backend, version: i64) -> Migrator {
    migrations_upto(backend, version).await
}

fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().expect("t")
}

/// The policy as the first release serialised it.
fn first_policy() -> serde_json::Value {
    let day = json!({"open": "07:00:00", "close": "20:00:00"});
    json!({
        "booking_window_days": 90, "min_duration_minutes": 15, "max_duration_minutes": 480,
        "business_hours": [day, day, day, day, day, null, null],
        "buffer_before_minutes": 10, "buffer_after_minutes": 5, "approval_required": true,
        "max_active_bookings_per_user": 3,
        "allowed_roles": ["user", "room_admin", "procurement_officer", "super_admin"]
    })
}

struct Rows {
    room: Uuid,
    alice: Uuid,
    admin: Uuid,
    approved: Uuid,
    pending: Uuid,
}

async fn fill_sqlite(url: &str, r: &Rows) {
    let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
    first_schema(Backend::Sqlite)
        .await
        .run(&pool)
        .await
        .expect("0001");
    let ts = |t: DateTime<Utc>| t.timestamp();
    sqlx::query("INSERT INTO rooms VALUES (?, 'Blue room', 'meeting', 8, 2, 'HQ', '[\"Projector\"]', 'Europe/Berlin', 1, NULL, ?, ?, ?)")
        .bind(r.room).bind(first_policy().to_string()).bind(ts(at(2026, 1, 2, 9))).bind(ts(at(2026, 1, 3, 9)))
        .execute(&pool).await.expect("room");
    sqlx::query("INSERT INTO users VALUES (?, 'alice@example.com', 'Alice', 'user', '[]', 1, ?, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 2, ?)")
        .bind(r.alice).bind(ts(at(2026, 1, 1, 8))).bind(ts(at(2026, 1, 5, 12)))
        .execute(&pool).await.expect("alice");
    sqlx::query("INSERT INTO users VALUES (?, 'Admin@Example.com', 'Admin', 'room_admin', ?, 1, ?, NULL, 0, NULL)")
        .bind(r.admin).bind(json!([r.room]).to_string()).bind(ts(at(2026, 1, 1, 8)))
        .execute(&pool).await.expect("admin");
    for (id, start, status, approver, reason, seq) in [
        (
            r.approved,
            at(2026, 2, 2, 9),
            "approved",
            Some(r.admin),
            Some("fine"),
            2,
        ),
        (r.pending, at(2026, 2, 3, 9), "pending", None, None, 0),
    ] {
        sqlx::query("INSERT INTO bookings VALUES (?, ?, ?, 'Planning', 'Budget', 4, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(id).bind(r.room).bind(r.alice)
            .bind(ts(start)).bind(ts(start) + 3600).bind(ts(start) - 600).bind(ts(start) + 3900)
            .bind(status).bind(approver).bind(reason).bind(seq)
            .bind(ts(at(2026, 1, 10, 9))).bind(ts(at(2026, 1, 11, 9)))
            .execute(&pool).await.expect("booking");
    }
    sqlx::query("INSERT INTO audit_log (at, actor_id, actor_ip, action, entity, entity_id, before, after) VALUES (?, ?, '10.0.0.1', 'booking.approve', 'booking', ?, '{\"status\":\"pending\"}', '{\"status\":\"approved\"}')")
        .bind(ts(at(2026, 1, 11, 9))).bind(r.admin).bind(r.approved.to_string())
        .execute(&pool).await.expect("audit");
    sqlx::query("INSERT INTO revoked_tokens VALUES ('jti-1', ?)")
        .bind(ts(at(2030, 1, 1, 0)))
        .execute(&pool)
        .await
        .expect("token");
    pool.close().await;
}

async fn fill_postgres(url: &str, r: &Rows) {
    let pool = sqlx::PgPool::connect(url).await.expect("pool");
    first_schema(Backend::Postgres)
        .await
        .run(&pool)
        .await
        .expect("0001");
    sqlx::query("INSERT INTO rooms VALUES ($1, 'Blue room', 'meeting', 8, 2, 'HQ', '[\"Projector\"]'::jsonb, 'Europe/Berlin', true, NULL, $2, $3, $4)")
        .bind(r.room).bind(sqlx::types::Json(first_policy())).bind(at(2026, 1, 2, 9)).bind(at(2026, 1, 3, 9))
        .execute(&pool).await.expect("room");
    sqlx::query("INSERT INTO users VALUES ($1, 'alice@example.com', 'Alice', 'user', '[]'::jsonb, true, $2, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 2, $3)")
        .bind(r.alice).bind(at(2026, 1, 1, 8)).bind(at(2026, 1, 5, 12))
        .execute(&pool).await.expect("alice");
    sqlx::query("INSERT INTO users VALUES ($1, 'Admin@Example.com', 'Admin', 'room_admin', $2, true, $3, NULL, 0, NULL)")
        .bind(r.admin).bind(sqlx::types::Json(json!([r.room]))).bind(at(2026, 1, 1, 8))
        .execute(&pool).await.expect("admin");
    for (id, start, status, approver, reason, seq) in [
        (
            r.approved,
            at(2026, 2, 2, 9),
            "approved",
            Some(r.admin),
            Some("fine"),
            2_i64,
        ),
        (r.pending, at(2026, 2, 3, 9), "pending", None, None, 0),
    ] {
        sqlx::query("INSERT INTO bookings VALUES ($1, $2, $3, 'Planning', 'Budget', 4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(id).bind(r.room).bind(r.alice)
            .bind(start).bind(start + chrono::Duration::hours(1))
            .bind(start - chrono::Duration::minutes(10)).bind(start + chrono::Duration::minutes(65))
            .bind(status).bind(approver).bind(reason).bind(seq)
            .bind(at(2026, 1, 10, 9)).bind(at(2026, 1, 11, 9))
            .execute(&pool).await.expect("booking");
    }
    sqlx::query("INSERT INTO audit_log (at, actor_id, actor_ip, action, entity, entity_id, before, after) VALUES ($1, $2, '10.0.0.1', 'booking.approve', 'booking', $3, '{\"status\":\"pending\"}'::jsonb, '{\"status\":\"approved\"}'::jsonb)")
        .bind(at(2026, 1, 11, 9)).bind(r.admin).bind(r.approved.to_string())
        .execute(&pool).await.expect("audit");
    sqlx::query("INSERT INTO revoked_tokens VALUES ('jti-1', $1)")
        .bind(at(2030, 1, 1, 0))
        .execute(&pool)
        .await
        .expect("token");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_migrate_keeps_every_row_of_the_first_schema() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        let db = TestDb::create(backend).await;
        let r = Rows {
            room: Uuid::new_v4(),
            alice: Uuid::new_v4(),
            admin: Uuid::new_v4(),
            approved: Uuid::new_v4(),
            pending: Uuid::new_v4(),
        };
        match backend {
            Backend::Sqlite => fill_sqlite(&db.url, &r).await,
            Backend::Postgres => fill_postgres(&db.url, &r).await,
        }
        let pending = store::connect_with(&db.url, &Default::default())
            .await
            .expect("connect")
            .pending_migrations()
            .await
            .expect("pending");
        assert!(
            !pending.is_empty() && !pending[0].starts_with("0001"),
            "{pending:?}"
        );

        let s = store::open(&db.url).await.expect("today's migrate");
        assert!(s.pending_migrations().await.expect("pending").is_empty());

        let room = s
            .get_room(RoomId(r.room))
            .await
            .expect("q")
            .expect("room kept");
        assert_eq!(room.name, "Blue room");
        assert_eq!((room.capacity, room.floor), (8, Some(2)));
        assert_eq!(room.time_zone, chrono_tz::Europe::Berlin);
        assert!(room.amenities.contains("Projector"), "{:?}", room.amenities);
        assert!(room.active && room.deleted_at.is_none());
        let p = &room.policy;
        assert_eq!((p.booking_window_days, p.max_duration_minutes), (90, 480));
        assert_eq!((p.buffer_before_minutes, p.buffer_after_minutes), (10, 5));
        assert!(p.approval_required);
        assert_eq!(p.max_active_bookings_per_user, Some(3));
        assert_eq!(p.allowed_roles.len(), 4);
        assert!(p.business_hours.for_weekday(chrono::Weekday::Sat).is_none());
        assert_eq!(room.created_at, at(2026, 1, 2, 9));

        let alice = s
            .get_user(UserId(r.alice))
            .await
            .expect("q")
            .expect("alice kept");
        assert_eq!(
            (alice.email.as_str(), alice.role),
            ("alice@example.com", Role::User)
        );
        let creds = s
            .get_credentials(alice.id)
            .await
            .expect("q")
            .expect("creds");
        assert!(
            creds
                .password_hash
                .is_some_and(|h| h.starts_with("$argon2id$"))
        );
        assert_eq!(creds.failed_logins, 2);
        assert_eq!(creds.locked_until, Some(at(2026, 1, 5, 12)));
        let admin = s
            .get_user_by_email("admin@example.com")
            .await
            .expect("q")
            .expect("found without regard to case");
        assert_eq!(admin.id, UserId(r.admin));
        assert!(admin.assigned_rooms.contains(&RoomId(r.room)));

        let mut list = s
            .list_bookings(&BookingFilter {
                room_id: Some(RoomId(r.room)),
                ..Default::default()
            })
            .await
            .expect("bookings");
        list.sort_by_key(|b| b.start);
        assert_eq!(list.len(), 2);
        let a = &list[0];
        assert_eq!(a.id, BookingId(r.approved));
        assert_eq!(
            (a.status, a.sequence, a.attendees),
            (BookingStatus::Approved, 2, 4)
        );
        assert_eq!((a.start, a.end), (at(2026, 2, 2, 9), at(2026, 2, 2, 10)));
        assert_eq!(
            a.held_start,
            at(2026, 2, 2, 9) - chrono::Duration::minutes(10)
        );
        assert_eq!(a.approver_id, Some(UserId(r.admin)));
        assert_eq!(a.decision_reason.as_deref(), Some("fine"));
        assert_eq!(
            (a.title.as_str(), a.purpose.as_str()),
            ("Planning", "Budget")
        );
        assert!(a.series_id.is_none() && a.checked_in_at.is_none() && !a.no_show);
        assert_eq!(list[1].status, BookingStatus::Pending);
        assert_eq!(list[1].approver_id, None);

        let audit = s
            .list_audit(&AuditFilter {
                entity: Some("booking".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "booking.approve");
        assert_eq!(audit[0].actor_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(audit[0].after, Some(json!({"status": "approved"})));
        // The server's own table came through too.
        const REVOKED: &str = "SELECT COUNT(*) FROM revoked_tokens WHERE jti = 'jti-1'";
        let revoked: i64 = match backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&db.url).await.expect("pool");
                sqlx::query_scalar(REVOKED).fetch_one(&pool).await
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
                sqlx::query_scalar(REVOKED).fetch_one(&pool).await
            }
        }
        .expect("revoked tokens");
        assert_eq!(revoked, 1);
    }
}

/// Rows of the tables later migrations added, written the way the release
/// that added each table wrote them: a series (0002), a waitlist entry
/// (0002), a stored event (0004) and an order (0005).
struct Later {
    series: Uuid,
    waitlist: Uuid,
    order: Uuid,
}

const ITEMS: &str = r#"[{"name":"Coffee","quantity":8,"unit_cost_cents":250}]"#;

async fn fill_later_sqlite(url: &str, r: &Rows, l: &Later) {
    let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
    schema_upto(Backend::Sqlite, 5)
        .await
        .run(&pool)
        .await
        .expect("0002-0005");
    let ts = |t: DateTime<Utc>| t.timestamp();
    sqlx::query("INSERT INTO series VALUES ($1, $2, $3, 'Weekly', 'Sync', 3, '2026-03-02T09:00:00', 30, 'FREQ=WEEKLY;COUNT=4', 0, $4)")
        .bind(l.series).bind(r.room).bind(r.alice).bind(ts(at(2026, 2, 20, 9)))
        .execute(&pool).await.expect("series");
    sqlx::query("INSERT INTO waitlist VALUES ($1, $2, $3, 'Wait', '', 2, $4, $5, $6, NULL, 1)")
        .bind(l.waitlist)
        .bind(r.room)
        .bind(r.alice)
        .bind(ts(at(2026, 2, 2, 9)))
        .bind(ts(at(2026, 2, 2, 10)))
        .bind(ts(at(2026, 1, 20, 9)))
        .execute(&pool)
        .await
        .expect("waitlist");
    sqlx::query("INSERT INTO events (at, kind, room_id, organizer_id, booking_id, payload) VALUES ($1, 'approved', $2, $3, $4, '{\"title\":\"Planning\"}')")
        .bind(ts(at(2026, 1, 11, 9))).bind(r.room).bind(r.alice).bind(r.approved)
        .execute(&pool).await.expect("event");
    sqlx::query("INSERT INTO orders VALUES ($1, $2, $3, 'catering', $4, 'high', 'approved', 'CC-1', 'vegan', 0, NULL, $5, $6)")
        .bind(l.order).bind(r.approved).bind(r.alice).bind(ITEMS)
        .bind(ts(at(2026, 1, 12, 9))).bind(ts(at(2026, 1, 13, 9)))
        .execute(&pool).await.expect("order");
    pool.close().await;
}

async fn fill_later_postgres(url: &str, r: &Rows, l: &Later) {
    let pool = sqlx::PgPool::connect(url).await.expect("pool");
    schema_upto(Backend::Postgres, 5)
        .await
        .run(&pool)
        .await
        .expect("0002-0005");
    sqlx::query("INSERT INTO series VALUES ($1, $2, $3, 'Weekly', 'Sync', 3, '2026-03-02T09:00:00', 30, 'FREQ=WEEKLY;COUNT=4', false, $4)")
        .bind(l.series).bind(r.room).bind(r.alice).bind(at(2026, 2, 20, 9))
        .execute(&pool).await.expect("series");
    sqlx::query("INSERT INTO waitlist VALUES ($1, $2, $3, 'Wait', '', 2, $4, $5, $6, NULL, true)")
        .bind(l.waitlist)
        .bind(r.room)
        .bind(r.alice)
        .bind(at(2026, 2, 2, 9))
        .bind(at(2026, 2, 2, 10))
        .bind(at(2026, 1, 20, 9))
        .execute(&pool)
        .await
        .expect("waitlist");
    sqlx::query("INSERT INTO events (at, kind, room_id, organizer_id, booking_id, payload) VALUES ($1, 'approved', $2, $3, $4, '{\"title\":\"Planning\"}'::jsonb)")
        .bind(at(2026, 1, 11, 9)).bind(r.room).bind(r.alice).bind(r.approved)
        .execute(&pool).await.expect("event");
    sqlx::query("INSERT INTO orders VALUES ($1, $2, $3, 'catering', $4::jsonb, 'high', 'approved', 'CC-1', 'vegan', false, NULL, $5, $6)")
        .bind(l.order).bind(r.approved).bind(r.alice).bind(ITEMS)
        .bind(at(2026, 1, 12, 9)).bind(at(2026, 1, 13, 9))
        .execute(&pool).await.expect("order");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_added_later_keep_their_rows_through_todays_migrate() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        let db = TestDb::create(backend).await;
        let r = Rows {
            room: Uuid::new_v4(),
            alice: Uuid::new_v4(),
            admin: Uuid::new_v4(),
            approved: Uuid::new_v4(),
            pending: Uuid::new_v4(),
        };
        let l = Later {
            series: Uuid::new_v4(),
            waitlist: Uuid::new_v4(),
            order: Uuid::new_v4(),
        };
        match backend {
            Backend::Sqlite => {
                fill_sqlite(&db.url, &r).await;
                fill_later_sqlite(&db.url, &r, &l).await;
            }
            Backend::Postgres => {
                fill_postgres(&db.url, &r).await;
                fill_later_postgres(&db.url, &r, &l).await;
            }
        }
        let s = store::open(&db.url).await.expect("today's migrate");
        assert!(s.pending_migrations().await.expect("pending").is_empty());

        let series = s
            .get_series(booking_core::SeriesId(l.series))
            .await
            .expect("q")
            .expect("series kept");
        assert_eq!(
            (series.title.as_str(), series.duration_minutes),
            ("Weekly", 30)
        );
        assert_eq!(series.rrule, "FREQ=WEEKLY;COUNT=4");
        assert_eq!(series.local_start.to_string(), "2026-03-02 09:00:00");
        assert_eq!(series.created_at, at(2026, 2, 20, 9));

        let waiting = s.waitlist_of(UserId(r.alice)).await.expect("waitlist");
        assert_eq!(waiting.len(), 1);
        let w = &waiting[0];
        assert_eq!(w.id, booking_core::WaitlistId(l.waitlist));
        assert!(w.active && w.booking_id.is_none());
        assert_eq!(
            (w.start, w.end, w.attendees),
            (at(2026, 2, 2, 9), at(2026, 2, 2, 10), 2)
        );

        let events = s.events_since(0, 10).await.expect("events");
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.kind.as_str(), e.booking_id),
            ("approved", BookingId(r.approved))
        );
        assert_eq!(e.payload, json!({"title": "Planning"}));
        assert_eq!(e.at, at(2026, 1, 11, 9));

        let o = s
            .get_order(booking_core::orders::OrderId(l.order))
            .await
            .expect("q")
            .expect("order kept");
        assert_eq!(o.booking_id, BookingId(r.approved));
        assert_eq!(
            (
                o.items.len(),
                o.items[0].quantity,
                o.items[0].unit_cost_cents
            ),
            (1, 8, 250)
        );
        assert_eq!(o.estimated_cost_cents(), 2000);
        assert_eq!(
            (o.cost_centre.as_str(), o.notes.as_str()),
            ("CC-1", "vegan")
        );
        assert!(!o.needs_review && o.notice.is_none());
        assert_eq!(
            (o.created_at, o.updated_at),
            (at(2026, 1, 12, 9), at(2026, 1, 13, 9))
        );
        s.close().await;
    }
}

//! Hot reads (a room, the change counters) are kept while nothing is
//! committed to the database (booking-store's `kept`), yet every commit
//! shows at once — made through this store, through another store on the
//! same database, or by another program writing SQL of its own. Runs on a
//! fresh SQLite file and a fresh PostgreSQL database.

use std::collections::BTreeSet;
use std::sync::Arc;

use booking_core::store::{Store, VersionScope};
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{Duration, TimeZone, Utc};

fn spec(name: &str) -> RoomSpec {
    RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 6,
        floor: None,
        location: "HQ".into(),
        amenities: BTreeSet::new(),
        time_zone: "Europe/Berlin".into(),
        active: true,
        policy: RoomPolicy::default(),
    }
}

/// An UPDATE by a program that is not this store (as the Python binding,
/// a second server or a DBA's shell would write).
async fn rename_all_rooms_elsewhere(db: &TestDb, name: &str) {
    let sql = format!("UPDATE rooms SET name = '{name}'");
    let done = match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connect");
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
            pool.close().await;
            done.map(|r| r.rows_affected())
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
            pool.close().await;
            done.map(|r| r.rows_affected())
        }
    };
    assert_eq!(done.expect("update"), 1);
}

async fn room_name(store: &Arc<dyn Store>, id: RoomId) -> String {
    store.get_room(id).await.expect("read").expect("room").name
}

async fn stamp(store: &Arc<dyn Store>, room: RoomId) -> store::ChangeStamp {
    store
        .change_stamp(VersionScope::Room(room))
        .await
        .expect("stamp")
}

async fn every_commit_shows_at_once(backend: Backend) {
    let db = TestDb::create(backend).await;
    let here = db.store().await;
    let there = db.store().await;
    let monday = Utc
        .with_ymd_and_hms(2030, 1, 7, 7, 0, 0)
        .single()
        .expect("valid");
    let clock = Arc::new(FixedClock::new(monday));
    let svc_here = BookingService::new(here.clone(), clock.clone());
    let svc_there = BookingService::new(there.clone(), clock);
    let admin = Actor::from(
        svc_here
            .create_user(
                "admin@example.com",
                "Admin",
                Role::SuperAdmin,
                None,
                AccountState::Active,
            )
            .await
            .expect("admin"),
    );
    let room = svc_here
        .create_room(&admin, spec("One"))
        .await
        .expect("room");

    // Read twice with nothing committed between: the same answer.
    assert_eq!(room_name(&here, room.id).await, "One");
    assert_eq!(room_name(&here, room.id).await, "One");
    let before = stamp(&here, room.id).await;
    assert_eq!(stamp(&here, room.id).await, before);

    // A change through the other store shows here at once.
    svc_there
        .update_room(&admin, room.id, spec("Two"))
        .await
        .expect("update");
    assert_eq!(room_name(&here, room.id).await, "Two");

    // So does one written by another program.
    rename_all_rooms_elsewhere(&db, "Three").await;
    assert_eq!(room_name(&here, room.id).await, "Three");

    // A booking made there moves the room's change counters seen here.
    let kept = stamp(&here, room.id).await;
    svc_there
        .book(
            &admin,
            BookingRequest {
                room_id: room.id,
                title: "Review".into(),
                purpose: String::new(),
                attendees: 2,
                start: monday + Duration::hours(2),
                end: monday + Duration::hours(3),
            },
        )
        .await
        .expect("book");
    let after = stamp(&here, room.id).await;
    assert_ne!(after, kept, "a booking elsewhere must change the stamp");
    assert_eq!(
        here.room_writes().await.expect("room writes"),
        after.room_writes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_reads_follow_every_commit() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        every_commit_shows_at_once(backend).await;
    }
}

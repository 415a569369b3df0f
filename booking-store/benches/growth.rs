//! How the cost of booking and of availability grows with the database:
//! the same measurements on SQLite databases of 1,000, 100,000 and
//! 1,000,000 bookings (rooms grow with them: one per 1,000 bookings, at
//! least 10), written as a table and as CSV for `scripts/plot-growth.py`.
//!
//! Run: `cargo bench -p booking-store --bench growth`
//! (`GROWTH_SIZES=1000,100000` to choose the sizes, `GROWTH_CSV=path` to
//! choose where the CSV goes; default `target/growth.csv`.)
//!
//! Each size is a fresh database file. The bookings are written by one SQL
//! statement (every trigger runs, as for any writer); then, through
//! `BookingService` as an embedder would call it, one client at a time:
//! creating a booking in a free 15-minute gap (every rule, the write
//! transaction, its audit entry and event), a room's free slots for a day,
//! and find-a-room for an hour over every room.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use booking_core::availability::RoomQuery;
use booking_core::store::prelude::*;
use booking_core::*;
use booking_store::SqliteStore;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// Samples per measurement and size.
const SAMPLES: usize = 400;
/// Booked hours per weekday (08:00-18:00 UTC, 45 minutes each).
const PER_DAY: usize = 10;
/// People the bookings are spread over.
const PEOPLE: usize = 100;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 0, 0, 0)
        .single()
        .expect("valid")
}

/// The start of booking `k` of a room: weekday `k / PER_DAY` (Monday to
/// Friday, week after week), hour 8 + `k % PER_DAY`.
fn slot(k: usize) -> DateTime<Utc> {
    let day = k / PER_DAY;
    base()
        + Duration::weeks((day / 5) as i64)
        + Duration::days((day % 5) as i64)
        + Duration::hours((8 + k % PER_DAY) as i64)
}

/// A small deterministic generator (no dependency for a benchmark).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

struct Fixture {
    svc: BookingService,
    store: SqliteStore,
    people: Vec<Actor>,
    rooms: Vec<RoomId>,
    per_room: usize,
    path: std::path::PathBuf,
}

async fn fixture(bookings: usize) -> Fixture {
    let path = std::env::temp_dir().join(format!("booking-growth-{}.db", uuid::Uuid::new_v4()));
    let store = SqliteStore::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let svc = BookingService::new(Arc::new(store.clone()), Arc::new(FixedClock::new(base())));
    let admin = Actor::from(
        svc.create_user(
            "admin@growth.example",
            "Admin",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
        .await
        .expect("admin"),
    );
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let u = svc
            .create_user(
                &format!("p{i}@growth.example"),
                &format!("Person {i}"),
                Role::User,
                None,
                AccountState::Active,
            )
            .await
            .expect("person");
        people.push(Actor::from(u));
    }
    let room_count = (bookings / 1000).max(10);
    let per_room = bookings / room_count;
    let mut rooms = Vec::new();
    for i in 0..room_count {
        let spec = RoomSpec {
            name: format!("Room {i:05}"),
            category: RoomCategory::Meeting,
            capacity: 2 + (i % 19) as u32,
            floor: Some((i % 10) as i32),
            location: "HQ".into(),
            amenities: Default::default(),
            time_zone: "UTC".into(),
            active: true,
            policy: RoomPolicy {
                booking_window_days: 3650,
                ..RoomPolicy::default()
            },
        };
        rooms.push(svc.create_room(&admin, spec).await.expect("room").id);
    }
    fill(&store, per_room).await;
    Fixture {
        svc,
        store,
        people,
        rooms,
        per_room,
        path,
    }
}

/// `per_room` 45-minute bookings in every room, by the people in turn, in
/// one statement: rooms × a counter, times computed as in [`slot`].
async fn fill(store: &SqliteStore, per_room: usize) {
    let t = Instant::now();
    let sql = format!(
        "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < {per_room}), \
         p AS (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS i FROM users WHERE role = 'user'), \
         s AS (SELECT r.id AS room_id, k.n AS n, \
               {base} + ((k.n / {PER_DAY}) / 5) * 604800 + ((k.n / {PER_DAY}) % 5) * 86400 \
                 + (8 + k.n % {PER_DAY}) * 3600 AS t \
               FROM rooms r, k) \
         INSERT INTO bookings (id, room_id, organizer_id, title, purpose, attendees, start_at, end_at, \
           held_start, held_end, status, sequence, created_at, updated_at) \
         SELECT randomblob(16), s.room_id, p.id, 'Growth', '', 2, s.t, s.t + 2700, s.t, s.t + 2700, \
           'approved', 0, {base}, {base} \
         FROM s JOIN p ON p.i = s.n % {PEOPLE}",
        base = base().timestamp(),
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(store.pool())
        .await
        .expect("fill");
    sqlx::query("ANALYZE")
        .execute(store.pool())
        .await
        .expect("analyze");
    eprintln!("  filled in {:.1?}", t.elapsed());
}

/// Milliseconds of each of `SAMPLES` runs of `f`, sorted.
async fn sample<F, Fut>(mut f: F) -> Vec<f64>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut out = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let t = Instant::now();
        f(i).await;
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    out.sort_by(f64::total_cmp);
    out
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn measure(bookings: usize, csv: &mut String, table: &mut String) {
    eprintln!("{bookings} bookings:");
    let fx = fixture(bookings).await;
    let mut rng = Lcg(bookings as u64);
    // Create: the free 15 minutes after a random existing booking, each
    // gap used once.
    let mut used = std::collections::HashSet::new();
    let create = sample(|_| {
        let (r, k) = loop {
            let pick = (rng.below(fx.rooms.len()), rng.below(fx.per_room));
            if used.insert(pick) {
                break pick;
            }
        };
        let who = fx.people[rng.below(fx.people.len())].clone();
        let room = fx.rooms[r];
        let svc = &fx.svc;
        async move {
            let start = slot(k) + Duration::minutes(45);
            let req = BookingRequest {
                room_id: room,
                title: "Growth".into(),
                purpose: String::new(),
                attendees: 2,
                start,
                end: start + Duration::minutes(15),
            };
            black_box(svc.book(&who, req).await.expect("book"));
        }
    })
    .await;
    let mut rng = Lcg(bookings as u64 + 1);
    let days = (fx.per_room / PER_DAY).max(1);
    let dates: Vec<NaiveDate> = (0..SAMPLES)
        .map(|_| slot(rng.below(days) * PER_DAY).date_naive())
        .collect();
    let rooms: Vec<RoomId> = (0..SAMPLES)
        .map(|_| fx.rooms[rng.below(fx.rooms.len())])
        .collect();
    let slots = sample(|i| {
        let svc = &fx.svc;
        let (room, date) = (rooms[i], dates[i]);
        async move {
            black_box(svc.free_slots(room, date).await.expect("slots"));
        }
    })
    .await;
    let viewer = fx.people[0].user.clone();
    let find = sample(|i| {
        let svc = &fx.svc;
        let viewer = &viewer;
        let start = slot(rng.below(fx.per_room));
        let _ = i;
        async move {
            let q = RoomQuery {
                start,
                end: start + Duration::hours(1),
                min_capacity: 4,
                amenities: Vec::new(),
            };
            black_box(svc.find_rooms(viewer, &q).await.expect("find"));
        }
    })
    .await;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings")
        .fetch_one(fx.store.pool())
        .await
        .unwrap_or(0);
    for (name, s) in [
        ("create booking", &create),
        ("free slots, one room and day", &slots),
        ("find a room, one hour", &find),
    ] {
        let _ = writeln!(
            csv,
            "{bookings},{},\"{name}\",{:.3},{:.3}",
            fx.rooms.len(),
            pct(s, 0.5),
            pct(s, 0.99)
        );
        let _ = writeln!(
            table,
            "| {bookings} | {} | {name} | {:.2} | {:.2} |",
            fx.rooms.len(),
            pct(s, 0.5),
            pct(s, 0.99)
        );
    }
    eprintln!("  {total} bookings in the database at the end");
    drop(fx.svc);
    fx.store.pool().close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", fx.path.display()));
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("GROWTH_SIZES")
        .unwrap_or_else(|_| "1000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let out = std::env::var("GROWTH_CSV")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/growth.csv").into());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut csv = String::from("bookings,rooms,measure,p50_ms,p99_ms\n");
    let mut table =
        String::from("| bookings | rooms | measure | p50 ms | p99 ms |\n|---|---|---|---|---|\n");
    for n in sizes {
        rt.block_on(measure(n, &mut csv, &mut table));
    }
    std::fs::write(&out, &csv).expect("write csv");
    println!("{table}");
    eprintln!("CSV: {out}");
}

//! Utilisation report over one year x 500 rooms x 500,000 bookings on PostgreSQL.
//!
//! Needs the PostgreSQL server of BOOKING_TEST_PG_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres); a database is created and dropped.
//! Run: cargo bench -p booking-core --bench analytics_pg

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use booking_core::analytics::Bucket;
use booking_core::store::prelude::*;
use booking_core::*;
use booking_store::PgStore;
use booking_store::testing::{Backend, TestDb};
use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
        .single()
        .expect("t")
}

fn report(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = rt.block_on(TestDb::create(Backend::Postgres));
    let (svc, store, rooms) = rt.block_on(async {
        let store = PgStore::connect(&db.url).await.expect("connect");
        store.migrate_for_bench().await;
        let svc = BookingService::new(Arc::new(store.clone()), Arc::new(FixedClock::new(year_start())));
        let admin = Actor::from(
            svc.create_user("bench@example.com", "Bench", Role::SuperAdmin, None, AccountState::Active)
                .await
                .expect("user"),
        );
        for i in 0..500 {
            svc.create_room(
                &admin,
                RoomSpec {
                    name: format!("Room {i:03}"),
                    category: RoomCategory::Meeting,
                    capacity: 4 + (i % 20),
                    floor: Some((i % 10) as i32),
                    location: String::new(),
                    amenities: BTreeSet::new(),
                    time_zone: if i % 2 == 0 { "Europe/Berlin" } else { "America/New_York" }.into(),
                    active: true,
                    policy: RoomPolicy::default(),
                },
            )
            .await
            .expect("room");
        }
        let t = Instant::now();
        // 1,000 one-hour bookings per room, 8 hours apart: 500,000 over 333 days.
        sqlx::query(
            "INSERT INTO bookings (id, room_id, organizer_id, title, purpose, attendees, start_at, end_at, \
             held_start, held_end, status, sequence, created_at, updated_at, no_show) \
             SELECT gen_random_uuid(), r.id, $1, 'Bench', '', 3, x.t, x.t + interval '1 hour', \
                    x.t, x.t + interval '1 hour', 'approved', 0, $2, $2, false \
             FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM rooms) r \
             CROSS JOIN generate_series(0, 999) g \
             CROSS JOIN LATERAL (SELECT $2 + g * interval '8 hours' + (r.rn % 8) * interval '1 hour' AS t) x",
        )
        .bind(admin.id.0)
        .bind(year_start())
        .execute(store.pool())
        .await
        .expect("bulk insert");
        sqlx::query("ANALYZE bookings").execute(store.pool()).await.expect("analyze");
        eprintln!("fixture: 500 rooms, 500,000 bookings inserted in {:.1?}", t.elapsed());
        let rooms = svc.list_rooms(RoomListing::Current).await.expect("rooms");
        (svc, store, rooms)
    });
    let (from, to) = (year_start(), year_start() + Duration::days(365));
    let rows = rt
        .block_on(svc.utilisation(&rooms, from, to, Bucket::Day))
        .expect("report");
    assert_eq!(rows.len(), 500 * 365);
    assert_eq!(rows.iter().map(|r| r.bookings).sum::<i64>(), 500_000);

    let t = Instant::now();
    let sql_rows = rt
        .block_on(store.usage_by_bucket(from, to, Bucket::Day))
        .expect("sql");
    eprintln!(
        "usage_by_bucket SQL alone: {} rows in {:.1?}",
        sql_rows.len(),
        t.elapsed()
    );
    let mut group = c.benchmark_group("analytics_pg_1y_500_rooms_500k");
    group.sample_size(10);
    group.bench_function("utilisation_by_day", |b| {
        b.iter(|| {
            rt.block_on(svc.utilisation(&rooms, from, to, Bucket::Day))
                .expect("report")
        })
    });
    group.bench_function("room_summaries", |b| {
        b.iter(|| {
            rt.block_on(svc.room_summaries(&rooms, from, to))
                .expect("summary")
        })
    });
    group.bench_function("heat_map", |b| {
        b.iter(|| rt.block_on(svc.heat_map(from, to)).expect("heat"))
    });
    group.finish();
    drop(db);
}

trait MigrateForBench {
    async fn migrate_for_bench(&self);
}

impl MigrateForBench for PgStore {
    async fn migrate_for_bench(&self) {
        use booking_core::store::Store;
        self.migrate().await.expect("migrate");
    }
}

criterion_group!(benches, report);
criterion_main!(benches);

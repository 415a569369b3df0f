//! Benchmark: a room's iCalendar feed with 5,000 bookings (4,200 single
//! bookings and 4 daily series of 200 occurrences with exceptions), over
//! HTTP on loopback: a full render, and the `304 Not Modified` path.
//!
//! Run: cargo bench -p booking-server --bench feeds

use std::hint::black_box;

use booking_core::{
    Actor, BookingChanges, BookingRequest, BusinessHours, Role, RoomCategory, RoomPolicy, RoomSpec,
    SeriesRequest,
};
use booking_server::config::Config;
use booking_server::state::AppState;
use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fixture {
    url: String,
    state: AppState,
    room: booking_core::RoomId,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempdir::Dir,
}

mod tempdir {
    /// A directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

async fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!("feed-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let state = AppState::open(Config {
        database_url: format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
        jwt_secret: Some("bench-secret-bench-secret-bench-secret".into()),
        ..Config::default()
    })
    .await
    .expect("state");
    let svc = &state.svc;
    let admin = Actor::from(
        svc.create_user("admin@example.com", "Admin", Role::SuperAdmin, None, true)
            .await
            .expect("user"),
    );
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "Busy room".into(),
                category: RoomCategory::Meeting,
                capacity: 10,
                floor: Some(1),
                location: "HQ".into(),
                amenities: Default::default(),
                time_zone: "Europe/Berlin".into(),
                active: true,
                policy: RoomPolicy {
                    booking_window_days: 365,
                    business_hours: BusinessHours::always(),
                    ..RoomPolicy::default()
                },
            },
        )
        .await
        .expect("room");
    let first = (Utc::now() + Duration::days(1)).date_naive();
    // 4 daily series at :30 past 08–11 UTC-ish local, 200 occurrences each.
    for h in 8..12 {
        let s = svc
            .book_series(
                &admin,
                SeriesRequest {
                    room_id: room.id,
                    title: format!("Daily stand-up {h}"),
                    purpose: "Team sync".into(),
                    attendees: 5,
                    local_start: first.and_hms_opt(h, 30, 0).expect("t"),
                    duration_minutes: 15,
                    rrule: "FREQ=DAILY;COUNT=200".into(),
                },
            )
            .await
            .expect("series");
        // An exception: one cancelled, one moved occurrence per series.
        svc.cancel(&admin, s.booked[3].id, None)
            .await
            .expect("cancel");
        let m = &s.booked[5];
        svc.update_booking(
            &admin,
            m.id,
            BookingChanges {
                start: Some(m.start + Duration::minutes(5)),
                end: Some(m.end + Duration::minutes(5)),
                ..Default::default()
            },
        )
        .await
        .expect("move");
    }
    // 4,200 single bookings: 14 a day on the hour (06–19 UTC) for 300 days.
    for d in 0..300 {
        for h in 6..20 {
            let start = (first + Duration::days(d))
                .and_hms_opt(h, 0, 0)
                .expect("t")
                .and_utc();
            svc.book(
                &admin,
                BookingRequest {
                    room_id: room.id,
                    title: format!("Meeting {d}-{h}: planning, review; notes"),
                    purpose: String::new(),
                    attendees: 4,
                    start,
                    end: start + Duration::minutes(25),
                },
            )
            .await
            .expect("book");
        }
    }
    svc.store()
        .set_feed_token(admin.id, "bench-feed-token-0123456789abcdef")
        .await
        .expect("token");
    let st = state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = booking_server::serve_on(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    Fixture {
        url: format!(
            "{base}/ical/rooms/{}.ics?token=bench-feed-token-0123456789abcdef",
            room.id
        ),
        state: st,
        room: room.id,
        _stop: stop,
        _dir: tempdir::Dir(dir),
    }
}

fn feeds(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let f = rt.block_on(fixture());
    let http = reqwest::Client::new();
    let (etag, events) = rt.block_on(async {
        let r = http.get(&f.url).send().await.expect("get");
        let etag = r.headers()["etag"].to_str().expect("etag").to_string();
        let body = r.text().await.expect("body");
        (etag, body.matches("BEGIN:VEVENT").count())
    });
    eprintln!("feed: {events} VEVENTs, etag {etag}");
    let mut group = c.benchmark_group("room_feed_5000");
    group.sample_size(30);
    group.bench_function("render", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = http.get(&f.url).send().await.expect("get");
                assert_eq!(r.status(), 200);
                black_box(r.bytes().await.expect("body").len())
            })
        })
    });
    // The database part alone: what the feed reads.
    group.bench_function("list_bookings_only", |b| {
        b.iter(|| {
            rt.block_on(async {
                let now = Utc::now();
                let v = f
                    .state
                    .svc
                    .list_bookings(&booking_core::store::BookingFilter {
                        room_id: Some(f.room),
                        from: Some(now - Duration::days(31)),
                        to: Some(now + Duration::days(366)),
                        limit: Some(20_000),
                        ..Default::default()
                    })
                    .await
                    .expect("list");
                black_box(v.len())
            })
        })
    });
    group.sample_size(200);
    group.bench_function("not_modified", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = http
                    .get(&f.url)
                    .header("if-none-match", &etag)
                    .send()
                    .await
                    .expect("get");
                assert_eq!(r.status(), 304);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, feeds);
criterion_main!(benches);

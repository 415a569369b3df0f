//! Benchmark: a room's iCalendar feed with 5,000 bookings (4,200 single
//! bookings and 4 daily series of 200 occurrences with exceptions), over
//! HTTP on loopback: the whole feed unchanged (kept in memory), right after
//! one booking changed (brought up to date), rendered from scratch (a
//! server with the feed cache off), and the `304 Not Modified` path.
//!
//! Run: cargo bench -p booking-server --bench feeds

use std::hint::black_box;

use booking_core::{
    AccountState, Actor, BookingChanges, BookingRequest, BusinessHours, Role, RoomCategory,
    RoomPolicy, RoomSpec, SeriesRequest,
};
use booking_server::config::Config;
use booking_server::state::AppState;
use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

struct Fixture {
    url: String,
    /// The same feed from a server that keeps nothing.
    uncached_url: String,
    state: AppState,
    admin: Actor,
    room: booking_core::RoomId,
    singles: Vec<booking_core::BookingId>,
    _stop: (
        tokio::sync::oneshot::Sender<()>,
        tokio::sync::oneshot::Sender<()>,
    ),
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
    let state = AppState::open({
        let mut c = Config::default();
        c.database.url = format!("sqlite://{}/bench.db?mode=rwc", dir.display()).into();
        c.auth.jwt_secret = Some("bench-secret-bench-secret-bench-secret".into());
        c
    })
    .await
    .expect("state");
    let svc = &state.svc;
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "Admin",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
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
    let mut singles = Vec::new();
    for d in 0..300 {
        for h in 6..20 {
            let start = (first + Duration::days(d))
                .and_hms_opt(h, 0, 0)
                .expect("t")
                .and_utc();
            let b = svc
                .book(
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
            singles.push(b.id);
        }
    }
    state
        .store
        .set_feed_token(admin.id, "bench-feed-token-0123456789abcdef")
        .await
        .expect("token");
    let uncached = AppState::open({
        let mut c = (*state.config).clone();
        c.server.feed_cache_mb = 0;
        c
    })
    .await
    .expect("state");
    let path = format!(
        "/ical/rooms/{}.ics?token=bench-feed-token-0123456789abcdef",
        room.id
    );
    let (base, stop) = serve(state.clone()).await;
    let (uncached_base, stop_uncached) = serve(uncached).await;
    Fixture {
        url: format!("{base}{path}"),
        uncached_url: format!("{uncached_base}{path}"),
        state,
        admin,
        room: room.id,
        singles,
        _stop: (stop, stop_uncached),
        _dir: tempdir::Dir(dir),
    }
}

async fn serve(state: AppState) -> (String, tokio::sync::oneshot::Sender<()>) {
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
    (base, stop)
}

fn feeds(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let f = rt.block_on(fixture());
    let http = reqwest::Client::new();
    let (etag, events, bytes) = rt.block_on(async {
        let r = http.get(&f.url).send().await.expect("get");
        let etag = r.headers()["etag"].to_str().expect("etag").to_string();
        let body = r.text().await.expect("body");
        (etag, body.matches("BEGIN:VEVENT").count(), body.len())
    });
    eprintln!("feed: {events} VEVENTs, {bytes} bytes, etag {etag}");
    let mut group = c.benchmark_group("room_feed_5000");
    group.sample_size(30);
    let fetch = |url: &str| {
        rt.block_on(async {
            let r = http.get(url).send().await.expect("get");
            assert_eq!(r.status(), 200);
            black_box(r.bytes().await.expect("body").len())
        })
    };
    group.bench_function("render", |b| b.iter(|| fetch(&f.url)));
    // Each iteration renames one booking (not timed), then fetches the feed:
    // the kept rendering is brought up to date.
    let mut n = 0usize;
    group.bench_function("render_after_change", |b| {
        b.iter_custom(|iters| {
            let mut took = std::time::Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let id = f.singles[n * 97 % f.singles.len()];
                rt.block_on(f.state.svc.update_booking(
                    &f.admin,
                    id,
                    BookingChanges {
                        title: Some(format!("Renamed {n}")),
                        ..Default::default()
                    },
                ))
                .expect("rename");
                // Let the work a change starts elsewhere (live updates,
                // notifications) finish: clients poll minutes later.
                std::thread::sleep(std::time::Duration::from_millis(30));
                let t = std::time::Instant::now();
                fetch(&f.url);
                took += t.elapsed();
            }
            took
        })
    });
    // Control for the case above: the same pause, nothing changed (kept body).
    group.bench_function("render_after_pause", |b| {
        b.iter_custom(|iters| {
            let mut took = std::time::Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(std::time::Duration::from_millis(30));
                let t = std::time::Instant::now();
                fetch(&f.url);
                took += t.elapsed();
            }
            took
        })
    });
    group.sample_size(10);
    group.bench_function("render_uncached", |b| b.iter(|| fetch(&f.uncached_url)));
    group.sample_size(30);
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
    // The changes above moved the ETag on.
    let etag = rt.block_on(async {
        let r = http.get(&f.url).send().await.expect("get");
        r.headers()["etag"].to_str().expect("etag").to_string()
    });
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

//! Benchmark: the web app's booking board for one day with 200 rooms and
//! 2,000 bookings (ten per room), over HTTP on loopback as a browser asks for
//! it (signed in, gzip accepted): the database read, the grid, the template
//! and the compression. Also prints the page's size before and after gzip.
//!
//! Run: cargo bench -p booking-server --bench board

use std::hint::black_box;

use booking_core::{
    AccountState, Actor, BookingRequest, BusinessHours, Role, RoomCategory, RoomPolicy, RoomSpec,
};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_server::state::AppState;
use chrono::{Datelike, Duration, NaiveTime, Utc, Weekday};
use criterion::{Criterion, criterion_group, criterion_main};

const ROOMS: usize = 200;
const PER_ROOM: usize = 10;
const PASSWORD: &str = "bench-password-bench";

struct Fixture {
    url: String,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: Dir,
}

/// A directory removed on drop.
struct Dir(std::path::PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!("board-bench-{}", uuid::Uuid::new_v4()));
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
    let hash = hash_password(PASSWORD).expect("hash");
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "Admin",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("user"),
    );
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    let mut day = Utc::now().date_naive() + Duration::days(10);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    let h = |x| NaiveTime::from_hms_opt(x, 0, 0).expect("time");
    for r in 0..ROOMS {
        let room = svc
            .create_room(
                &admin,
                RoomSpec {
                    name: format!("Room {r:03}"),
                    category: RoomCategory::Meeting,
                    capacity: 4 + u32::try_from(r % 20).unwrap_or(0),
                    floor: Some(i32::try_from(r % 8).unwrap_or(0)),
                    location: "HQ".into(),
                    amenities: ["screen".to_string()].into_iter().collect(),
                    time_zone: "Europe/Berlin".into(),
                    active: true,
                    policy: RoomPolicy {
                        booking_window_days: 365,
                        business_hours: BusinessHours::weekdays(h(7), h(20)),
                        feed_hides_details: r % 2 == 0,
                        ..RoomPolicy::default()
                    },
                },
            )
            .await
            .expect("room");
        for k in 0..PER_ROOM {
            let minutes = 7 * 60
                + 60 * i64::try_from(k).unwrap_or(0)
                + 15 * i64::try_from(r % 3).unwrap_or(0);
            let start = booking_core::rules::local_to_utc(tz, day.and_time(NaiveTime::MIN))
                .expect("midnight")
                + Duration::minutes(minutes);
            svc.book(
                &admin,
                BookingRequest {
                    room_id: room.id,
                    title: format!("Meeting {k} in room {r}"),
                    purpose: String::new(),
                    attendees: 2,
                    start,
                    end: start + Duration::minutes(45),
                },
            )
            .await
            .expect("book");
        }
    }
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
    // Sign in through the form, as a browser does.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let marker = r#"name="csrf" value=""#;
    let at = page.find(marker).expect("csrf") + marker.len();
    let csrf = page[at..].split('"').next().expect("csrf").to_string();
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", "admin@example.com"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    Fixture {
        url: format!("{base}/board?date={day}&tz=Europe%2FBerlin"),
        http,
        _stop: stop,
        _dir: Dir(dir),
    }
}

fn board(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let f = rt.block_on(fixture());
    let get = |gzip: bool| {
        rt.block_on(async {
            let mut req = f.http.get(&f.url);
            if gzip {
                req = req.header("accept-encoding", "gzip");
            }
            let r = req.send().await.expect("get");
            assert_eq!(r.status(), 200);
            r.bytes().await.expect("body").len()
        })
    };
    let (plain, gzipped) = (get(false), get(true));
    let html = rt.block_on(async {
        f.http
            .get(&f.url)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("html")
    });
    assert_eq!(html.matches("class=\"row\"").count(), ROOMS);
    let blocks = html.matches("class=\"busy").count();
    eprintln!("board: {ROOMS} rooms, {blocks} busy blocks, {plain} bytes, {gzipped} bytes gzipped");
    let mut group = c.benchmark_group("board_day_200_rooms_2000_bookings");
    group.sample_size(30);
    group.bench_function("http_gzip", |b| b.iter(|| black_box(get(true))));
    group.bench_function("http_identity", |b| b.iter(|| black_box(get(false))));
    group.finish();
}

criterion_group!(benches, board);
criterion_main!(benches);

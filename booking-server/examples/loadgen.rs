//! A bounded load generator for a running server on loopback.
//!
//! It logs in, creates rooms, then for a fixed time runs two phases with a
//! fixed number of concurrent clients: GET availability of random rooms, and
//! POST bookings of distinct free slots. It prints throughput and latency
//! percentiles per phase. Used by scripts/bench-http.sh.
//!
//! Usage: loadgen BASE_URL ADMIN_EMAIL ADMIN_PASSWORD [SECONDS] [CONCURRENCY]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Utc};
use serde_json::{Value, json};

const ROOMS: usize = 200;

struct Phase {
    name: &'static str,
    ok: u64,
    errors: u64,
    latencies_ms: Vec<f64>,
    elapsed: Duration,
}

impl Phase {
    fn report(&mut self) {
        self.latencies_ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            let n = self.latencies_ms.len();
            if n == 0 {
                return 0.0;
            }
            self.latencies_ms[((n as f64 * p) as usize).min(n - 1)]
        };
        println!(
            "{:<22} {:>8} ok {:>5} errors  {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms",
            self.name,
            self.ok,
            self.errors,
            self.ok as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            pct(1.0)
        );
    }
}

async fn run_phase<F, Fut>(name: &'static str, seconds: u64, concurrency: usize, make: F) -> Phase
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                if make(i).await {
                    ok += 1;
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                } else {
                    errors += 1;
                }
            }
            (ok, errors, lat)
        }));
    }
    let mut phase = Phase {
        name,
        ok: 0,
        errors: 0,
        latencies_ms: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        if let Ok((ok, errors, lat)) = t.await {
            phase.ok += ok;
            phase.errors += errors;
            phase.latencies_ms.extend(lat);
        }
    }
    phase.elapsed = started.elapsed();
    phase
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: loadgen BASE_URL ADMIN_EMAIL ADMIN_PASSWORD [SECONDS] [CONCURRENCY]");
        std::process::exit(2);
    }
    let base = args[1].trim_end_matches('/').to_string();
    let seconds: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(16);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": args[2], "password": args[3]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_string();

    let always: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"day": d, "open": "00:00", "close": "00:00"}))
        .collect();
    let mut rooms = Vec::new();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..ROOMS {
        let room: Value = http
            .post(format!("{base}/api/v1/rooms"))
            .bearer_auth(&token)
            .json(&json!({
                "name": format!("load-{}-{i}", &tag[..8]), "category": "meeting", "capacity": 10, "time_zone": "UTC",
                "amenities": ["projector"],
                "policy": {"booking_window_days": 3650, "min_duration_minutes": 15, "max_duration_minutes": 120,
                           "business_hours": always}
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        rooms.push(room["id"].as_str().ok_or("no id")?.to_string());
    }
    let rooms = Arc::new(rooms);
    let date = (Utc::now() + ChronoDuration::days(3)).date_naive();
    println!("{ROOMS} rooms, {concurrency} concurrent clients, {seconds} s per phase");

    let (h, t, r) = (http.clone(), token.clone(), rooms.clone());
    let b = base.clone();
    let mut avail = run_phase("GET availability", seconds, concurrency, move |i| {
        let url = format!(
            "{b}/api/v1/rooms/{}/availability?date={date}",
            r[(i as usize * 7919) % ROOMS]
        );
        let req = h.get(url).bearer_auth(&t);
        async move { matches!(req.send().await, Ok(resp) if resp.status().is_success()) }
    })
    .await;
    avail.report();

    // Distinct 30-minute slots: booking i goes to room i % ROOMS, slot i / ROOMS.
    let first = (Utc::now() + ChronoDuration::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .ok_or("midnight")?
        .and_utc();
    let (h, t, r) = (http.clone(), token.clone(), rooms.clone());
    let b = base.clone();
    let mut create = run_phase("POST bookings", seconds, concurrency, move |i| {
        let start = first + ChronoDuration::minutes(30 * (i as i64 / ROOMS as i64));
        let body = json!({"room_id": r[i as usize % ROOMS], "title": "load", "attendees": 2,
                          "start": start, "end": start + ChronoDuration::minutes(30)});
        let req = h
            .post(format!("{b}/api/v1/bookings"))
            .bearer_auth(&t)
            .json(&body);
        async move { matches!(req.send().await, Ok(resp) if resp.status().as_u16() == 201) }
    })
    .await;
    create.report();
    Ok(())
}

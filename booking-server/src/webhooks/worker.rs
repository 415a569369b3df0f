//! The two background tasks: the fan-out turns new events into deliveries
//! (moving its cursor in the same transaction, so with several server
//! processes each event is fanned out once), and the sender posts what is
//! due, records every attempt and schedules the next.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use booking_core::CoreError;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::broadcast::error::TryRecvError;
use uuid::Uuid;

use super::{guard, payload, sign};
use crate::state::AppState;
use crate::tables::{Attempt, Delivery, Endpoint, NewDelivery, Next};

/// How much of a receiver's answer the delivery log keeps.
const SNIPPET_BYTES: usize = 500;

/// How long the fan-out waits after a change for the ones that follow it.
const FAN_OUT_GATHER: StdDuration = StdDuration::from_millis(50);

/// Turn events after the cursor into deliveries; the number made.
pub async fn fan_out_once(state: &AppState) -> Result<usize, CoreError> {
    let store = &state.store;
    let Some(cursor) = store.webhook_cursor().await? else {
        // First start: begin at now; the past is not delivered.
        let latest = store.latest_event_id().await?;
        store
            .advance_webhook_cursor(None, latest, &[], state.svc.now())
            .await?;
        return Ok(0);
    };
    let events = store.events_since(cursor, 200).await?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(0);
    };
    let endpoints: Vec<Endpoint> = store
        .list_endpoints(None)
        .await?
        .into_iter()
        .filter(|e| e.enabled)
        .collect();
    let mut owners = HashMap::new();
    let mut rooms = HashMap::new();
    let mut out = Vec::new();
    for ev in &events {
        for e in endpoints.iter().filter(|e| payload::wants(e, ev)) {
            if let Entry::Vacant(slot) = owners.entry(e.owner_id) {
                slot.insert(store.get_user(e.owner_id).await?.filter(|u| u.active));
            }
            if let Entry::Vacant(slot) = rooms.entry(ev.room_id) {
                slot.insert(state.svc.get_room(ev.room_id).await.ok());
            }
            let (Some(Some(owner)), Some(Some(room))) =
                (owners.get(&e.owner_id), rooms.get(&ev.room_id))
            else {
                continue;
            };
            if let Some(body) = payload::body(owner, room, ev) {
                out.push(NewDelivery {
                    endpoint_id: e.id,
                    message_id: format!("msg_{}_{}", ev.id, e.id.simple()),
                    event_id: ev.id,
                    kind: ev.kind.clone(),
                    booking_id: ev.booking_id,
                    body,
                });
            }
        }
    }
    let n = out.len();
    if store
        .advance_webhook_cursor(Some(cursor), last, &out, state.svc.now())
        .await?
    {
        Ok(n)
    } else {
        Ok(0)
    }
}

/// The outbound HTTP client: no redirects, a timeout, and the deny-list
/// applied to every address a name resolves to.
pub fn client(state: &AppState) -> reqwest::Client {
    let deny = state.config.webhooks.deny_list();
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(StdDuration::from_secs(
            state.config.webhooks.timeout_secs.max(1),
        ))
        .connect_timeout(StdDuration::from_secs(
            state.config.webhooks.timeout_secs.max(1),
        ))
        .user_agent(concat!(
            "booking-server-webhooks/",
            env!("CARGO_PKG_VERSION")
        ))
        .no_proxy();
    if !deny.is_empty() {
        b = b.dns_resolver(Arc::new(guard::GuardedResolver(Arc::new(deny))));
    }
    b.build().unwrap_or_default()
}

/// Back-off after `attempts` tries: base, 2×base, 4×base … up to the cap.
pub fn backoff(base_ms: u64, cap_secs: u64, attempts: u32) -> Duration {
    let ms = base_ms.saturating_mul(1u64 << attempts.saturating_sub(1).min(30));
    let ms = ms.min(cap_secs.saturating_mul(1000));
    Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX / 2))
}

/// Post one delivery; what came back.
async fn post(
    state: &AppState,
    http: &reqwest::Client,
    e: &Endpoint,
    d: &Delivery,
    now: DateTime<Utc>,
) -> Attempt {
    if let Err(reason) = guard::check_url(&e.url, &state.config.webhooks.deny_list()) {
        return Attempt {
            error: Some(format!("refused: {reason}")),
            ..Attempt::default()
        };
    }
    let ts = now.timestamp();
    let signature = sign::header(
        &super::signing_keys(e, now),
        &d.new.message_id,
        ts,
        d.new.body.as_bytes(),
    );
    let started = Instant::now();
    let sent = http
        .post(&e.url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.new.message_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(d.new.body.clone())
        .send()
        .await;
    let mut resp = match sent {
        Ok(r) => r,
        Err(err) => {
            return Attempt {
                latency_ms: Some(elapsed_ms(started)),
                error: Some(describe(&err)),
                ..Attempt::default()
            };
        }
    };
    let status = resp.status().as_u16();
    let mut snippet = Vec::new();
    while snippet.len() < SNIPPET_BYTES {
        match resp.chunk().await {
            Ok(Some(c)) => snippet.extend_from_slice(&c),
            _ => break,
        }
    }
    snippet.truncate(SNIPPET_BYTES);
    Attempt {
        status: Some(status),
        latency_ms: Some(elapsed_ms(started)),
        response: Some(String::from_utf8_lossy(&snippet).into_owned()),
        error: (!(200..300).contains(&status)).then(|| format!("answered HTTP {status}")),
    }
}

fn elapsed_ms(t: Instant) -> i64 {
    i64::try_from(t.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// A transport error in words, with its cause (the refused address, …).
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// After a failed attempt: count it against the endpoint, disable it (and
/// tell its owner) when it failed too often in a row.
async fn endpoint_failed(
    state: &AppState,
    e: &Endpoint,
    attempt: &Attempt,
) -> Result<(), CoreError> {
    let failures = state.store.endpoint_failed(e.id).await?;
    let max = state.config.webhooks.max_failures;
    if max == 0 || failures < max {
        return Ok(());
    }
    let error = attempt.error.clone().unwrap_or_default();
    let reason = format!("{failures} failed deliveries in a row; last: {error}");
    if !state
        .store
        .disable_endpoint(e.id, &reason, state.svc.now())
        .await?
    {
        return Ok(());
    }
    tracing::warn!(endpoint = %e.id, url = %e.url, %reason, "webhook endpoint disabled");
    state
        .svc
        .audit(
            None,
            "webhook.auto_disable",
            "webhook",
            Some(e.id.to_string()),
            None,
            Some(serde_json::json!({"url": e.url, "reason": reason})),
        )
        .await?;
    if let Some(owner) = state.store.get_user(e.owner_id).await? {
        let link = format!(
            "{}/admin/webhooks/{}",
            state.config.server.public_url.trim_end_matches('/'),
            e.id
        );
        crate::mail::queue_notice(
            state,
            "webhook_disabled",
            &owner.email,
            &[
                ("url", e.url.clone()),
                ("failures", failures.to_string()),
                ("error", error),
                ("link", link),
            ],
            format!("webhook-disabled:{}:{}", e.id, state.svc.now().timestamp()),
        )
        .await?;
    }
    Ok(())
}

/// Send what is due; the number of deliveries attempted.
pub async fn send_once(state: &AppState, http: &reqwest::Client) -> Result<usize, CoreError> {
    let cfg = &state.config;
    let now = Utc::now();
    let lease = Duration::seconds(i64::try_from(cfg.webhooks.timeout_secs).unwrap_or(60) + 5);
    let due = state.store.claim_deliveries(now, now + lease, 32).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut endpoints: HashMap<Uuid, Option<Endpoint>> = HashMap::new();
    for d in &due {
        if let Entry::Vacant(slot) = endpoints.entry(d.new.endpoint_id) {
            slot.insert(state.store.get_endpoint(d.new.endpoint_id).await?);
        }
    }
    // Different endpoints (and bookings) in parallel; a slow receiver
    // holds up only its own deliveries.
    let attempts = futures_util::future::join_all(due.iter().map(|d| {
        let e = endpoints.get(&d.new.endpoint_id).cloned().flatten();
        async move {
            match e {
                Some(e) => Some((post(state, http, &e, d, Utc::now()).await, e)),
                None => None,
            }
        }
    }))
    .await;
    for (d, result) in due.iter().zip(attempts) {
        let Some((attempt, e)) = result else { continue };
        let now = Utc::now();
        let ok = attempt.error.is_none();
        let next = if ok {
            Next::Delivered(now)
        } else if d.attempts >= cfg.webhooks.max_attempts {
            Next::GiveUp(now)
        } else {
            Next::RetryAt(
                now + backoff(
                    cfg.webhooks.retry_base_ms,
                    cfg.webhooks.retry_cap_secs,
                    d.attempts,
                ),
            )
        };
        state.store.finish_attempt(d.id, &attempt, next).await?;
        if ok {
            state.store.endpoint_succeeded(e.id).await?;
        } else {
            tracing::info!(endpoint = %e.id, delivery = d.id, attempt = d.attempts,
                error = attempt.error.as_deref().unwrap_or(""), "webhook delivery failed");
            endpoint_failed(state, &e, &attempt).await?;
        }
    }
    Ok(due.len())
}

/// Start the fan-out, the sender (unless sending is off) and the retention.
pub fn spawn(state: AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let st = state.clone();
    let fan_out = tokio::spawn(async move {
        let mut live = st.live.subscribe();
        loop {
            match fan_out_once(&st).await {
                Ok(n) if n > 0 => st.webhooks.notify_one(),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook fan-out"),
            }
            // The run above read every event so far: the wake-ups they
            // left are spent.
            while !matches!(
                live.try_recv(),
                Err(TryRecvError::Empty | TryRecvError::Closed)
            ) {}
            // Wake on a change, or poll (other processes, order changes).
            let _ = tokio::time::timeout(StdDuration::from_secs(1), live.recv()).await;
            // Gather the changes of a burst into one run: each run is a
            // write transaction (the cursor), which would otherwise cut
            // the bookings' shared commits into batches of one.
            tokio::time::sleep(FAN_OUT_GATHER).await;
        }
    });
    // Retention: finished deliveries after `log_days`, idempotency keys
    // after a week (a retry comes within minutes).
    let st = state.clone();
    let retention = tokio::spawn(async move {
        let mut tick = tokio::time::interval(StdDuration::from_secs(3600));
        loop {
            tick.tick().await;
            let now = Utc::now();
            let days = i64::from(st.config.webhooks.log_days.max(1));
            if let Err(e) = st.store.prune_deliveries(now - Duration::days(days)).await {
                tracing::warn!(error = %e, "cannot prune webhook deliveries");
            }
            if let Err(e) = st
                .store
                .prune_idempotency_keys(now - Duration::days(7))
                .await
            {
                tracing::warn!(error = %e, "cannot prune idempotency keys");
            }
            // Guest requests whose confirmation link expired a week ago.
            if let Err(e) = st.store.prune_guest_requests(now - Duration::days(7)).await {
                tracing::warn!(error = %e, "cannot prune guest requests");
            }
        }
    });
    if !state.config.webhooks.send {
        tracing::warn!("webhook deliveries are logged but not sent (BOOKING_WEBHOOK_SEND=false)");
        return vec![fan_out, retention];
    }
    let st = state;
    let sender = tokio::spawn(async move {
        let http = client(&st);
        loop {
            match send_once(&st, &http).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook sender"),
            }
            let _ =
                tokio::time::timeout(StdDuration::from_millis(250), st.webhooks.notified()).await;
        }
    });
    vec![fan_out, retention, sender]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let b = |n| backoff(5000, 3600, n).num_seconds();
        assert_eq!([b(1), b(2), b(3), b(4)], [5, 10, 20, 40]);
        assert_eq!(b(20), 3600);
        assert_eq!(b(u32::MAX), 3600);
    }
}

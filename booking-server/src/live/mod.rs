//! Live updates: booking changes as Server-Sent Events at `/api/v1/events`.
//!
//! Every change the service makes writes its event to the `events` table in
//! the same transaction as the change (ids are global and ordered). A pump reads new rows and fans them out to this
//! process's SSE clients; it wakes on local appends and, on PostgreSQL, on
//! `NOTIFY booking_events` from any process, so clients of every instance see
//! every change. Clients reconnecting with `Last-Event-ID` first get what they
//! missed from the table (kept for [`RETENTION`]).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use booking_core::store::StoredEvent;
use booking_core::{Role, User};
use chrono::{Duration, Utc};
use futures_util::{StreamExt, stream};
use poem::http::StatusCode;
use poem::web::sse::{Event, SSE};
use poem::web::{Data, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use crate::error::problem_response;
use crate::state::AppState;

pub(crate) mod hub;

pub use hub::LiveHub;

/// How long events stay available for reconnecting clients.
pub const RETENTION: Duration = Duration::hours(24);
const BATCH: u32 = 500;
/// How long the pump waits after a wake-up for the changes that follow.
const GATHER: StdDuration = StdDuration::from_millis(10);

/// Who may see an event: the organizer, approvers of the room, procurement
/// officers and super_admins.
pub fn visible(user: &User, e: &StoredEvent) -> bool {
    // The booking stream carries bookings; order changes go to webhooks.
    e.kind != booking_core::procurement::ORDER_EVENT
        && (user.id == e.organizer_id
            || user.manages_room(e.room_id)
            || matches!(user.role, Role::ProcurementOfficer | Role::SuperAdmin))
}

/// Start the tasks that persist, pump and prune events. They end with the runtime.
pub async fn start(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    // 1. Changes of this process are stored with the change itself (an
    //    outbox in the same transaction); wake the pump when one happens.
    let (st, mut rx) = (state.clone(), state.svc.subscribe());
    tasks.push(tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => st.live.wake.notify_one(),
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }));
    // 2. Wake-ups from other processes (PostgreSQL NOTIFY).
    match state.store.remote_events().await {
        Ok(Some(mut remote)) => {
            let wake = state.live.wake.clone();
            tasks.push(tokio::spawn(async move {
                while remote.recv().await.is_some() {
                    wake.notify_one();
                }
            }));
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot listen for events of other instances"),
    }
    // 3. The pump: read new rows, fan them out.
    let st = state.clone();
    tasks.push(tokio::spawn(async move {
        let mut last = st.store.latest_event_id().await.unwrap_or(0);
        loop {
            // Also poll now and then, in case a notification was lost.
            let _ = tokio::time::timeout(StdDuration::from_secs(5), st.live.wake.notified()).await;
            // Read a burst of changes in one go rather than one read each.
            tokio::time::sleep(GATHER).await;
            if st.live.tx.receiver_count() == 0 {
                // Nobody listens here: only keep the cursor current (one key
                // lookup), so a client that connects now gets every change
                // from here on. (Jumping to the newest event when the first
                // client appeared skipped the change that woke the pump.)
                if let Ok(id) = st.store.latest_event_id().await {
                    last = last.max(id);
                }
                continue;
            }
            loop {
                match st.store.events_since(last, BATCH).await {
                    Ok(batch) if batch.is_empty() => break,
                    Ok(batch) => {
                        for e in batch {
                            last = last.max(e.id);
                            let _ = st.live.tx.send(e);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read events");
                        break;
                    }
                }
            }
        }
    }));
    // 4. Retention.
    let st = state.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(StdDuration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = st.svc.prune_events(Utc::now() - RETENTION).await {
                tracing::warn!(error = %e, "cannot prune events");
            }
        }
    }));
    tasks
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Bearer token, for EventSource clients that cannot set headers.
    access_token: Option<String>,
    /// Same as the Last-Event-ID header.
    last_event_id: Option<i64>,
}

fn to_sse(e: &StoredEvent) -> Event {
    let data = serde_json::json!({
        "id": e.id, "kind": e.kind, "at": e.at, "booking": e.payload,
    });
    Event::message(data.to_string())
        .event_type(e.kind.clone())
        .id(e.id.to_string())
}

/// `GET /api/v1/events`: booking changes the caller may see, as SSE.
#[handler]
pub async fn events(
    state: Data<&AppState>,
    req: &Request,
    Query(q): Query<EventsQuery>,
) -> Response {
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_string)
        .or(q.access_token);
    let Some(token) = token else {
        return problem_response(
            StatusCode::UNAUTHORIZED,
            "send a bearer token (header or access_token)".into(),
        );
    };
    let user = match state.authenticate(&token, "access").await {
        Ok((u, _)) => u,
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return problem_response(status, "invalid or expired token".into());
        }
    };
    let last_seen = req
        .header("last-event-id")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.last_event_id);
    stream(&state, last_seen, move |e| {
        visible(&user, e).then(|| to_sse(e))
    })
    .await
    .into_response()
}

/// Stored events as SSE, each turned into an SSE event by `emit` (which also
/// decides what the client may see): those after `last_seen` first (replay),
/// then each new one as it happens.
pub async fn stream<F>(state: &AppState, last_seen: Option<i64>, emit: F) -> SSE
where
    F: Fn(&StoredEvent) -> Option<Event> + Send + Sync + 'static,
{
    // Subscribe before reading the backlog so nothing falls in between.
    let live = BroadcastStream::new(state.live.tx.subscribe());
    let mut backlog = Vec::new();
    let mut cursor = last_seen.unwrap_or(i64::MAX);
    if last_seen.is_some() {
        while let Ok(batch) = state.store.events_since(cursor, BATCH).await {
            let Some(l) = batch.last() else { break };
            cursor = l.id;
            backlog.extend(batch.iter().filter_map(&emit));
        }
    }
    let after = match last_seen {
        Some(id) => id.max(cursor),
        // A new client: only what happens from now on.
        None => state.store.latest_event_id().await.unwrap_or(0),
    };
    let emit = Arc::new(emit);
    let rest = live.filter_map(move |item| {
        let emit = emit.clone();
        async move {
            match item {
                Ok(e) if e.id > after => emit(&e),
                _ => None,
            }
        }
    });
    SSE::new(stream::iter(backlog).chain(rest)).keep_alive(StdDuration::from_secs(15))
}

/// That something changed in a room, and nothing more: what the web app's
/// pages need to refresh, safe to send to anyone signed in.
pub fn change_only(e: &StoredEvent) -> Option<Event> {
    let data = serde_json::json!({ "id": e.id, "kind": e.kind, "room_id": e.room_id });
    Some(
        Event::message(data.to_string())
            .event_type("change")
            .id(e.id.to_string()),
    )
}

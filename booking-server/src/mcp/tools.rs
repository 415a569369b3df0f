//! The tools an assistant may call. Each runs through the same service
//! calls as the REST API, with the same input types (and so the same
//! checks), and answers with the API's JSON as structured content plus a
//! short text. A refusal is a tool result with `isError` and the problem
//! document (rule, field, conflicting booking) — and, for a taken slot,
//! rooms that are free at that time.

use booking_core::availability::RoomQuery;
use booking_core::store::BookingFilter;
use booking_core::{BookingId, CoreError, RoomId};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use serde_json::{Value, json};
use uuid::Uuid;

use super::RpcError;
use super::catalog::WRITES;
use crate::api::model::{BookingIn, BookingOut, RoomMatchOut, RoomOut, SlotOut};
use crate::api::series::{SeriesCreatedOut, SeriesIn, WaitlistOut};
use crate::auth::Session;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tables::Idempotency;

/// What a tool call ends with: structured content, or a problem.
type Outcome = Result<(Value, String), ToolError>;

/// A refusal, shown to the model as a tool error.
pub(crate) struct ToolError {
    problem: Value,
    /// Rooms free at the wanted time, when the slot was taken.
    alternatives: Option<Value>,
}

impl From<ApiError> for ToolError {
    fn from(e: ApiError) -> Self {
        Self {
            problem: e.problem_json(),
            alternatives: None,
        }
    }
}

impl From<CoreError> for ToolError {
    fn from(e: CoreError) -> Self {
        ApiError::from(e).into()
    }
}

fn bad(field: &str, detail: impl Into<String>) -> ToolError {
    ApiError::bad_field(&format!("/{field}"), detail).into()
}

fn text(args: &Value, field: &str) -> Option<String> {
    args.get(field).and_then(Value::as_str).map(str::to_string)
}

fn uuid_arg(args: &Value, field: &str) -> Result<Uuid, ToolError> {
    text(args, field)
        .ok_or_else(|| bad(field, format!("{field} is required")))?
        .parse()
        .map_err(|_| bad(field, format!("{field} must be a UUID")))
}

fn time_arg(args: &Value, field: &str) -> Result<Option<DateTime<Utc>>, ToolError> {
    text(args, field)
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| bad(field, format!("{field} must be an RFC 3339 instant")))
        })
        .transpose()
}

/// The API's own input type, with the API's checks.
fn parse<T: ParseFromJSON>(args: &Value) -> Result<T, ToolError> {
    T::parse_from_json(Some(args.clone())).map_err(|e| {
        ToolError::from(ApiError::bad_request(format!(
            "invalid arguments: {}",
            e.message()
        )))
    })
}

fn out<T: ToJSON>(v: &T) -> Value {
    v.to_json().unwrap_or(Value::Null)
}

/// `tools/call`.
pub async fn call(state: &AppState, session: &Session, params: &Value) -> Result<Value, RpcError> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::params("tools/call needs a tool name"))?;
    let empty = json!({});
    let args = params.get("arguments").unwrap_or(&empty);
    if !args.is_object() {
        return Err(RpcError::params("arguments must be an object"));
    }
    let outcome = if WRITES.contains(&name) && session.read_only() {
        Err(ApiError::forbidden(
            "this access token is read-only; make one with scope read_write to book",
        )
        .into())
    } else {
        match name {
            "list_rooms" => list_rooms(state).await,
            "find_rooms" => find_rooms(state, session, args).await,
            "room_availability" => availability(state, args).await,
            "book" => book(state, session, args).await,
            "book_series" => book_series(state, session, args).await,
            "my_bookings" => my_bookings(state, session, args).await,
            "cancel_booking" => cancel(state, session, args).await,
            "check_in" => check_in(state, session, args).await,
            "join_waitlist" => join_waitlist(state, session, args).await,
            other => return Err(RpcError::params(format!("no tool {other:?}"))),
        }
    };
    Ok(match outcome {
        Ok((structured, summary)) => json!({
            "content": [{"type": "text", "text": format!("{summary}\n{structured}")}],
            "structuredContent": structured,
            "isError": false,
        }),
        Err(e) => {
            let mut structured = json!({ "error": e.problem });
            if let Some(alt) = e.alternatives {
                structured["alternatives"] = alt;
            }
            let detail = e.problem["detail"]
                .as_str()
                .unwrap_or("refused")
                .to_string();
            json!({
                "content": [{"type": "text", "text": format!("Refused: {detail}\n{structured}")}],
                "structuredContent": structured,
                "isError": true,
            })
        }
    })
}

async fn list_rooms(state: &AppState) -> Outcome {
    let rooms = state
        .svc
        .list_rooms(booking_core::RoomListing::Current)
        .await?;
    let n = rooms.len();
    let rooms: Vec<Value> = rooms.into_iter().map(|r| out(&RoomOut::from(r))).collect();
    Ok((json!({ "rooms": rooms }), format!("{n} rooms.")))
}

async fn find_rooms(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let start = time_arg(args, "start")?.ok_or_else(|| bad("start", "start is required"))?;
    let end = match (time_arg(args, "end")?, args.get("duration_minutes")) {
        (Some(end), _) => end,
        (None, Some(d)) => {
            let minutes = d
                .as_i64()
                .filter(|m| (1..=10_080).contains(m))
                .ok_or_else(|| bad("duration_minutes", "1 to 10080 minutes"))?;
            start + Duration::minutes(minutes)
        }
        (None, None) => return Err(bad("end", "give end or duration_minutes")),
    };
    let attendees = args.get("attendees").and_then(Value::as_u64).unwrap_or(1);
    let amenities = args
        .get("amenities")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let query = RoomQuery {
        start,
        end,
        min_capacity: u32::try_from(attendees).unwrap_or(u32::MAX),
        amenities,
    };
    let found = state.svc.find_rooms(&session.actor, &query).await?;
    let n = found.len();
    let rooms: Vec<Value> = found
        .into_iter()
        .map(|m| out(&RoomMatchOut::from(m)))
        .collect();
    Ok((
        json!({ "rooms": rooms }),
        format!("{n} rooms free from {start} to {end}."),
    ))
}

async fn availability(state: &AppState, args: &Value) -> Outcome {
    let room = RoomId(uuid_arg(args, "room_id")?);
    let date: NaiveDate = text(args, "date")
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| bad("date", "date must be YYYY-MM-DD"))?;
    let slots = state.svc.free_slots(room, date).await?;
    let free: Vec<Value> = slots.into_iter().map(|s| out(&SlotOut::from(s))).collect();
    let n = free.len();
    Ok((
        json!({"room_id": room.0, "date": date.to_string(), "free": free}),
        format!("{n} free slots on {date}."),
    ))
}

/// Rooms free when a booking was refused for a taken slot.
async fn alternatives(state: &AppState, session: &Session, req: &BookingIn) -> Option<Value> {
    let query = RoomQuery {
        start: req.start,
        end: req.end,
        min_capacity: req.attendees,
        amenities: Vec::new(),
    };
    let found = state.svc.find_rooms(&session.actor, &query).await.ok()?;
    Some(Value::Array(
        found
            .into_iter()
            .filter(|m| m.room.id.0 != req.room_id)
            .take(5)
            .map(|m| out(&RoomMatchOut::from(m)))
            .collect(),
    ))
}

async fn book_once(
    state: &AppState,
    session: &Session,
    req: BookingIn,
    for_whom: Option<booking_core::UserId>,
) -> Outcome {
    let alt_req = BookingIn { ..req.clone() };
    let made = match for_whom {
        Some(person) => state.svc.book_for(&session.actor, person, req.into()).await,
        None => state.svc.book(&session.actor, req.into()).await,
    };
    match made {
        Ok(b) => {
            let summary = format!("Booked {} ({}).", b.title, b.status);
            Ok((json!({ "booking": out(&BookingOut::from(b)) }), summary))
        }
        Err(e) => {
            let taken = matches!(
                e,
                CoreError::Rule(booking_core::RuleViolation::Conflict { .. })
            );
            let mut err = ToolError::from(e);
            if taken {
                err.alternatives = alternatives(state, session, &alt_req).await;
            }
            Err(err)
        }
    }
}

async fn book(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let key = text(args, "idempotency_key");
    let for_email = text(args, "for_email");
    let mut fields = args.clone();
    if let Some(o) = fields.as_object_mut() {
        o.remove("idempotency_key");
        o.remove("for_email");
        o.remove("on_behalf_of");
    }
    let req: BookingIn = parse(&fields)?;
    let for_whom = match for_email {
        Some(email) => Some(
            state
                .store
                .get_user_by_email(email.trim())
                .await
                .map_err(CoreError::from)?
                .ok_or_else(|| bad("for_email", "no account has that address"))?
                .id,
        ),
        None => None,
    };
    let Some(key) = key else {
        return book_once(state, session, req, for_whom).await;
    };
    if key.is_empty() || key.chars().count() > 200 {
        return Err(bad("idempotency_key", "1 to 200 characters"));
    }
    let user = session.actor.id;
    match state
        .store
        .reserve_idempotency_key(user, &key, state.svc.now())
        .await
        .map_err(CoreError::from)?
    {
        Idempotency::Done(id) => {
            let b = state.svc.get_booking(id).await?;
            let summary = format!(
                "Already booked by an earlier call with this key: {}.",
                b.title
            );
            Ok((
                json!({ "booking": out(&BookingOut::from(b)), "replayed": true }),
                summary,
            ))
        }
        Idempotency::InFlight => Err(ApiError::new(
            poem::http::StatusCode::CONFLICT,
            "a call with this idempotency_key is still running; retry in a moment",
        )
        .into()),
        Idempotency::Reserved => {
            let result = book_once(state, session, req, for_whom).await;
            let id = result
                .as_ref()
                .ok()
                .and_then(|(v, _)| v["booking"]["id"].as_str())
                .and_then(|s| s.parse().ok())
                .map(BookingId);
            match id {
                Some(id) => state
                    .store
                    .complete_idempotency_key(user, &key, id)
                    .await
                    .map_err(CoreError::from)?,
                None => state
                    .store
                    .release_idempotency_key(user, &key)
                    .await
                    .map_err(CoreError::from)?,
            }
            result
        }
    }
}

async fn book_series(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let b: SeriesIn = parse(args)?;
    let outcome = state.svc.book_series(&session.actor, b.into()).await?;
    let summary = format!(
        "Booked {} occurrences; {} skipped.",
        outcome.booked.len(),
        outcome.skipped.len()
    );
    Ok((out(&SeriesCreatedOut::from(outcome)), summary))
}

async fn my_bookings(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let now = state.svc.now();
    let from = time_arg(args, "from")?.unwrap_or(now - Duration::days(1));
    let to = time_arg(args, "to")?.unwrap_or(from + Duration::days(31));
    if to <= from || to - from > Duration::days(366) {
        return Err(bad("to", "to must be after from, at most a year later"));
    }
    let list = state
        .svc
        .list_bookings(&BookingFilter {
            organizer_id: Some(session.actor.id),
            from: Some(from),
            to: Some(to),
            limit: Some(500),
            ..BookingFilter::default()
        })
        .await?;
    let n = list.len();
    let bookings: Vec<Value> = list
        .into_iter()
        .map(|b| out(&BookingOut::from(b)))
        .collect();
    Ok((json!({ "bookings": bookings }), format!("{n} bookings.")))
}

async fn cancel(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let id = BookingId(uuid_arg(args, "booking_id")?);
    let b = state
        .svc
        .cancel(&session.actor, id, text(args, "reason"))
        .await?;
    let summary = format!("Cancelled {}.", b.title);
    Ok((json!({ "booking": out(&BookingOut::from(b)) }), summary))
}

async fn check_in(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let id = BookingId(uuid_arg(args, "booking_id")?);
    let code = text(args, "code");
    let b = state
        .svc
        .check_in(&session.actor, id, code.as_deref())
        .await?;
    let summary = format!("Checked in to {}.", b.title);
    Ok((json!({ "booking": out(&BookingOut::from(b)) }), summary))
}

async fn join_waitlist(state: &AppState, session: &Session, args: &Value) -> Outcome {
    let req: BookingIn = parse(args)?;
    let e = state.svc.join_waitlist(&session.actor, req.into()).await?;
    Ok((
        json!({ "waitlist": out(&WaitlistOut::from(e)) }),
        "On the waitlist: the slot is booked for you when it frees up.".into(),
    ))
}

//! Recurring series, check-in and the waitlist.

use booking_core::workflow::{SeriesChange, SeriesOutcome, SeriesScope};
use booking_core::{
    BookingChanges, BookingId, Series, SeriesId, SeriesRequest, WaitlistEntry, WaitlistId,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::model::{BookingIn, BookingOut, room_id};
use crate::auth::BearerAuth;
use crate::error::{ApiResult, SkippedOccurrence};
use crate::state::AppState;

/// A recurring booking request.
#[derive(Debug, Object)]
pub struct SeriesIn {
    pub room_id: Uuid,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(default, validator(max_length = 2000))]
    pub purpose: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: u32,
    /// Wall-clock start of the first occurrence in the room's time zone,
    /// e.g. 2026-12-07T09:00:00.
    pub local_start: NaiveDateTime,
    #[oai(validator(minimum(value = "1"), maximum(value = "10080")))]
    pub duration_minutes: u32,
    /// RRULE value: FREQ=DAILY|WEEKLY|MONTHLY with BYDAY, BYMONTHDAY,
    /// INTERVAL, COUNT, UNTIL. A rule without end is cut at the booking window.
    #[oai(validator(min_length = 1, max_length = 500))]
    pub rrule: String,
}

impl From<SeriesIn> for SeriesRequest {
    fn from(b: SeriesIn) -> Self {
        Self {
            room_id: room_id(b.room_id),
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            local_start: b.local_start,
            duration_minutes: b.duration_minutes,
            rrule: b.rrule,
        }
    }
}

/// A series.
#[derive(Debug, Object)]
pub struct SeriesOut {
    pub id: Uuid,
    pub room_id: Uuid,
    pub organizer_id: Uuid,
    pub title: String,
    pub attendees: u32,
    pub local_start: NaiveDateTime,
    pub duration_minutes: u32,
    pub rrule: String,
    /// The rule ran past the booking window and was cut there.
    pub trimmed: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Series> for SeriesOut {
    fn from(s: Series) -> Self {
        Self {
            id: s.id.0,
            room_id: s.room_id.0,
            organizer_id: s.organizer_id.0,
            title: s.title,
            attendees: s.attendees,
            local_start: s.local_start,
            duration_minutes: s.duration_minutes,
            rrule: s.rrule,
            trimmed: s.trimmed,
            created_at: s.created_at,
        }
    }
}

/// What booking a series did.
#[derive(Debug, Object)]
pub struct SeriesCreatedOut {
    pub series: SeriesOut,
    pub booked: Vec<BookingOut>,
    /// Occurrences that could not be booked, and why.
    pub skipped: Vec<SkippedOccurrence>,
    /// True when the rule was cut at `window_end` (the end of the booking window).
    pub trimmed: bool,
    pub window_end: DateTime<Utc>,
}

impl From<SeriesOutcome> for SeriesCreatedOut {
    fn from(o: SeriesOutcome) -> Self {
        Self {
            series: o.series.into(),
            booked: o.booked.into_iter().map(Into::into).collect(),
            skipped: o.skipped.iter().map(Into::into).collect(),
            trimmed: o.trimmed,
            window_end: o.window_end,
        }
    }
}

/// A series with its occurrences.
#[derive(Debug, Object)]
pub struct SeriesDetailOut {
    pub series: SeriesOut,
    pub occurrences: Vec<BookingOut>,
}

/// Which occurrences a change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ScopeDto {
    /// Every occurrence that has not ended.
    All,
    /// The occurrence starting at `from` (its original start) and all later ones.
    ThisAndFollowing,
}

fn scope(s: ScopeDto, from: Option<DateTime<Utc>>) -> ApiResult<SeriesScope> {
    match (s, from) {
        (ScopeDto::All, _) => Ok(SeriesScope::All),
        (ScopeDto::ThisAndFollowing, Some(f)) => Ok(SeriesScope::FromOccurrence(f)),
        (ScopeDto::ThisAndFollowing, None) => Err(crate::error::ApiError::bad_request(
            "scope this_and_following needs `from`: the occurrence's original start",
        )),
    }
}

/// Cancel several occurrences.
#[derive(Debug, Object)]
pub struct SeriesCancelIn {
    pub scope: ScopeDto,
    pub from: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub reason: Option<String>,
}

/// Change several occurrences; each moved one is re-checked by every rule.
#[derive(Debug, Object)]
pub struct SeriesPatch {
    pub scope: ScopeDto,
    pub from: Option<DateTime<Utc>>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub purpose: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: Option<u32>,
    /// Move each occurrence by this many minutes.
    #[oai(
        default,
        validator(minimum(value = "-10080"), maximum(value = "10080"))
    )]
    pub shift_minutes: i64,
}

/// An occurrence left unchanged, and why.
#[derive(Debug, Object)]
pub struct FailedOccurrence {
    pub booking_id: Uuid,
    pub detail: String,
}

/// The result of changing several occurrences.
#[derive(Debug, Object)]
pub struct SeriesChangeOut {
    pub changed: Vec<BookingOut>,
    pub failed: Vec<FailedOccurrence>,
}

impl From<SeriesChange> for SeriesChangeOut {
    fn from(c: SeriesChange) -> Self {
        Self {
            changed: c.changed.into_iter().map(Into::into).collect(),
            failed: c
                .failed
                .into_iter()
                .map(|(id, detail)| FailedOccurrence {
                    booking_id: id.0,
                    detail,
                })
                .collect(),
        }
    }
}

/// Check-in, optionally with the room's code (for someone other than the organizer).
#[derive(Debug, Default, Object)]
pub struct CheckInIn {
    #[oai(validator(max_length = 64))]
    pub code: Option<String>,
}

/// A place in the queue for a taken slot.
#[derive(Debug, Object)]
pub struct WaitlistOut {
    pub id: Uuid,
    pub room_id: Uuid,
    pub title: String,
    pub attendees: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Set once the slot freed up and was booked for you.
    pub booking_id: Option<Uuid>,
    /// Still waiting.
    pub active: bool,
}

impl From<WaitlistEntry> for WaitlistOut {
    fn from(e: WaitlistEntry) -> Self {
        Self {
            id: e.id.0,
            room_id: e.room_id.0,
            title: e.title,
            attendees: e.attendees,
            start: e.start,
            end: e.end,
            created_at: e.created_at,
            booking_id: e.booking_id.map(|b| b.0),
            active: e.active,
        }
    }
}

#[derive(ApiResponse)]
pub enum SeriesCreated {
    /// The series exists; `booked` and `skipped` say what happened to each occurrence.
    #[oai(status = 201)]
    Created(Json<SeriesCreatedOut>),
}

#[derive(ApiResponse)]
pub enum WaitlistCreated {
    /// You are in the queue.
    #[oai(status = 201)]
    Created(Json<WaitlistOut>),
}

pub struct SeriesApi;

#[OpenApi(tag = "ApiTags::Bookings")]
impl SeriesApi {
    /// Book a recurring series. Declined with 409 (`rule` series_conflicts,
    /// `skipped` listing the dates) when more occurrences conflict than the
    /// room allows; otherwise the rest is booked and `skipped` names the dates left out.
    #[oai(path = "/series", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<SeriesIn>,
    ) -> ApiResult<SeriesCreated> {
        let outcome = state.svc.book_series(&auth.0.actor, body.0.into()).await?;
        Ok(SeriesCreated::Created(Json(outcome.into())))
    }

    /// A series and all its occurrences.
    #[oai(path = "/series/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<SeriesDetailOut>> {
        let series = state.svc.get_series(SeriesId(id.0)).await?;
        let actor = &auth.0.actor;
        if !booking_core::rules::may_see_bookings_of(actor, series.organizer_id, series.room_id) {
            return Err(crate::error::ApiError::forbidden(
                "that series is not yours",
            ));
        }
        let occurrences = state.svc.series_occurrences(series.id).await?;
        Ok(Json(SeriesDetailOut {
            series: series.into(),
            occurrences: occurrences.into_iter().map(Into::into).collect(),
        }))
    }

    /// Cancel the whole series or this-and-following occurrences.
    /// (Cancel one occurrence with POST /bookings/{id}/cancel.)
    #[oai(path = "/series/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<SeriesCancelIn>,
    ) -> ApiResult<Json<SeriesChangeOut>> {
        let b = body.0;
        let change = state
            .svc
            .cancel_series(
                &auth.0.actor,
                SeriesId(id.0),
                scope(b.scope, b.from)?,
                b.reason,
            )
            .await?;
        Ok(Json(change.into()))
    }

    /// Change the whole series or this-and-following occurrences.
    /// (Move one occurrence with PATCH /bookings/{id}; only it is re-checked.)
    #[oai(path = "/series/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<SeriesPatch>,
    ) -> ApiResult<Json<SeriesChangeOut>> {
        let b = body.0;
        let change = state
            .svc
            .update_series(
                &auth.0.actor,
                SeriesId(id.0),
                scope(b.scope, b.from)?,
                BookingChanges {
                    title: b.title,
                    purpose: b.purpose,
                    attendees: b.attendees,
                    start: None,
                    end: None,
                },
                b.shift_minutes,
            )
            .await?;
        Ok(Json(change.into()))
    }

    /// Check in to a booking (organizer, or anyone with the room's code),
    /// inside the room's check-in window.
    #[oai(path = "/bookings/:id/check-in", method = "post")]
    async fn check_in(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<CheckInIn>,
    ) -> ApiResult<Json<BookingOut>> {
        let b = state
            .svc
            .check_in(&auth.0.actor, BookingId(id.0), body.0.code.as_deref())
            .await?;
        Ok(Json(b.into()))
    }

    /// Queue for a taken slot; it is booked for you when it frees up.
    #[oai(path = "/waitlist", method = "post")]
    async fn join_waitlist(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<BookingIn>,
    ) -> ApiResult<WaitlistCreated> {
        let e = state
            .svc
            .join_waitlist(&auth.0.actor, body.0.into())
            .await?;
        Ok(WaitlistCreated::Created(Json(e.into())))
    }

    /// My waitlist entries, newest first.
    #[oai(path = "/waitlist/mine", method = "get")]
    async fn my_waitlist(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<WaitlistOut>>> {
        let list = state.svc.my_waitlist(&auth.0.actor).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Leave the waitlist.
    #[oai(path = "/waitlist/:id", method = "delete")]
    async fn leave_waitlist(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<WaitlistOut>> {
        let e = state
            .svc
            .leave_waitlist(&auth.0.actor, WaitlistId(id.0))
            .await?;
        Ok(Json(e.into()))
    }
}

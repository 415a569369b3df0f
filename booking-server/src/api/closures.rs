//! Closures: periods when a room, a floor, a location or every room is
//! closed. Bookings into them are refused with rule `closed`; making one
//! over existing bookings lists them and, if asked, cancels them with a
//! notice to each organizer.

use booking_core::closures::{Closure, ClosureId, ClosureScope, ClosureSpec};
use booking_core::{ExistingBookings, RoomId};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::model::BookingOut;
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub struct ClosuresApi;

/// What a closure closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ClosureScopeKind {
    /// Every room.
    Everywhere,
    /// Every room at `location`.
    Location,
    /// Every room on `floor` at `location`.
    Floor,
    /// The room `room_id`.
    Room,
}

/// The rooms a closure closes.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClosureScopeDto {
    pub kind: ClosureScopeKind,
    /// For `location` and `floor`: the rooms' location (ignoring case).
    pub location: Option<String>,
    pub floor: Option<i32>,
    pub room_id: Option<Uuid>,
}

impl ClosureScopeDto {
    fn into_scope(self) -> ApiResult<ClosureScope> {
        let location = |l: Option<String>| {
            l.filter(|l| !l.trim().is_empty())
                .ok_or_else(|| ApiError::bad_field("/scope/location", "name the location"))
        };
        Ok(match self.kind {
            ClosureScopeKind::Everywhere => ClosureScope::Everywhere,
            ClosureScopeKind::Location => ClosureScope::Location {
                location: location(self.location)?,
            },
            ClosureScopeKind::Floor => ClosureScope::Floor {
                location: location(self.location)?,
                floor: self
                    .floor
                    .ok_or_else(|| ApiError::bad_field("/scope/floor", "name the floor"))?,
            },
            ClosureScopeKind::Room => ClosureScope::Room {
                room_id: RoomId(
                    self.room_id
                        .ok_or_else(|| ApiError::bad_field("/scope/room_id", "name the room"))?,
                ),
            },
        })
    }
}

impl From<ClosureScope> for ClosureScopeDto {
    fn from(s: ClosureScope) -> Self {
        let (kind, location, floor, room_id) = match s {
            ClosureScope::Everywhere => (ClosureScopeKind::Everywhere, None, None, None),
            ClosureScope::Location { location } => {
                (ClosureScopeKind::Location, Some(location), None, None)
            }
            ClosureScope::Floor { location, floor } => {
                (ClosureScopeKind::Floor, Some(location), Some(floor), None)
            }
            ClosureScope::Room { room_id } => (ClosureScopeKind::Room, None, None, Some(room_id.0)),
        };
        Self {
            kind,
            location,
            floor,
            room_id,
        }
    }
}

/// What to do with bookings already in the closed times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
#[oai(rename_all = "snake_case")]
pub enum ExistingBookingsDto {
    /// Keep them; they are listed in `affected`.
    #[default]
    Keep,
    /// Cancel them; each organizer is told the reason.
    Cancel,
}

/// A closure to make.
#[derive(Debug, Object)]
pub struct ClosureIn {
    pub scope: ClosureScopeDto,
    /// The first (or only) closed interval.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Repeat: an RRULE (FREQ=DAILY|WEEKLY|MONTHLY, BYDAY, COUNT, UNTIL,
    /// INTERVAL), each time for `end - start`, in `time_zone`.
    pub rrule: Option<String>,
    /// IANA zone the rule repeats in (default UTC).
    pub time_zone: Option<String>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub reason: String,
    #[oai(default)]
    pub existing_bookings: ExistingBookingsDto,
    /// Only list the bookings it would fall on; make nothing.
    #[oai(default)]
    pub dry_run: bool,
}

/// A closure.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClosureOut {
    pub id: Uuid,
    pub scope: ClosureScopeDto,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub rrule: Option<String>,
    pub time_zone: String,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<Closure> for ClosureOut {
    fn from(c: Closure) -> Self {
        Self {
            id: c.id.0,
            scope: c.scope.into(),
            start: c.start,
            end: c.end,
            rrule: c.rrule,
            time_zone: c.time_zone.name().to_string(),
            reason: c.reason,
            created_by: c.created_by.0,
            created_at: c.created_at,
        }
    }
}

/// What making (or previewing) a closure found.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClosureResultOut {
    /// Absent for a dry run.
    pub closure: Option<ClosureOut>,
    /// Pending and approved bookings in the closed times.
    pub affected: Vec<BookingOut>,
    /// Those cancelled (`existing_bookings: cancel`).
    pub cancelled: Vec<BookingOut>,
}

#[derive(ApiResponse)]
pub enum Made {
    /// Made; `affected` lists bookings already in the closed times.
    #[oai(status = 201)]
    Created(Json<ClosureResultOut>),
    /// A dry run: nothing was made.
    #[oai(status = 200)]
    Preview(Json<ClosureResultOut>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Reopened.
    #[oai(status = 204)]
    Done,
}

fn outs(list: Vec<booking_core::Booking>) -> Vec<BookingOut> {
    list.into_iter().map(Into::into).collect()
}

#[OpenApi(tag = "ApiTags::Rooms")]
impl ClosuresApi {
    /// Closures in force (not ended, or repeating), by start.
    #[oai(path = "/closures", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
    ) -> ApiResult<Json<Vec<ClosureOut>>> {
        let list = state.svc.list_closures().await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Close rooms (room admins their rooms; super admins floors, locations
    /// or everything). Bookings into a closure are refused with rule `closed`.
    #[oai(path = "/closures", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<ClosureIn>,
    ) -> ApiResult<Made> {
        let b = body.0;
        let time_zone = match b.time_zone.as_deref().map(str::trim) {
            None | Some("") => chrono_tz::UTC,
            Some(z) => z.parse().map_err(|_| {
                ApiError::bad_field("/time_zone", format!("{z:?} is not an IANA time zone"))
            })?,
        };
        let spec = ClosureSpec {
            scope: b.scope.into_scope()?,
            start: b.start,
            end: b.end,
            rrule: b.rrule,
            time_zone,
            reason: b.reason,
        };
        let actor = &auth.0.actor;
        if b.dry_run {
            let affected = state.svc.preview_closure(actor, spec).await?;
            return Ok(Made::Preview(Json(ClosureResultOut {
                closure: None,
                affected: outs(affected),
                cancelled: Vec::new(),
            })));
        }
        let existing = match b.existing_bookings {
            ExistingBookingsDto::Keep => ExistingBookings::Keep,
            ExistingBookingsDto::Cancel => ExistingBookings::Cancel,
        };
        let made = state.svc.create_closure(actor, spec, existing).await?;
        Ok(Made::Created(Json(ClosureResultOut {
            closure: Some(made.closure.into()),
            affected: outs(made.affected),
            cancelled: outs(made.cancelled),
        })))
    }

    /// Reopen: remove a closure.
    #[oai(path = "/closures/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        state
            .svc
            .delete_closure(&auth.0.actor, ClosureId(id.0))
            .await?;
        Ok(Deleted::Done)
    }
}

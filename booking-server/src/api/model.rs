//! Request and response bodies of the REST API, and their mapping to the core.

use std::collections::BTreeSet;

use booking_core::availability::{RoomMatch, Slot};
use booking_core::store::AuditEntry;
use booking_core::{
    Booking, BookingStatus, BusinessHours, CheckInPolicy, DayHours, Quota, QuotaPeriod, Role, Room,
    RoomCategory, RoomId, RoomPolicy, RoomSpec, User,
};
use chrono::{DateTime, NaiveTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// An OpenAPI enum that mirrors a core enum variant for variant, with
/// `From` both ways (the core does not depend on poem-openapi).
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $dto:ident <=> $core:ident { $($v:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
        #[oai(rename_all = "snake_case")]
        pub enum $dto { $($v),+ }

        impl From<$core> for $dto {
            fn from(v: $core) -> Self {
                match v { $($core::$v => $dto::$v),+ }
            }
        }

        impl From<$dto> for $core {
            fn from(v: $dto) -> Self {
                match v { $($dto::$v => $core::$v),+ }
            }
        }
    };
}
pub(crate) use mirror_enum;

mirror_enum!(
    /// A user's role.
    RoleDto <=> Role { User, RoomAdmin, ProcurementOfficer, SuperAdmin }
);
mirror_enum!(
    /// What kind of room.
    CategoryDto <=> RoomCategory { Conference, Meeting, Boardroom, Training, Auditorium }
);
mirror_enum!(
    /// Booking status; pending and approved hold the room.
    StatusDto <=> BookingStatus { Pending, Approved, Rejected, Cancelled }
);

/// Day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum WeekdayDto {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

const WEEK: [WeekdayDto; 7] = [
    WeekdayDto::Mon,
    WeekdayDto::Tue,
    WeekdayDto::Wed,
    WeekdayDto::Thu,
    WeekdayDto::Fri,
    WeekdayDto::Sat,
    WeekdayDto::Sun,
];

/// A user account.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: RoleDto,
    /// Rooms a room_admin manages.
    pub assigned_rooms: Vec<Uuid>,
    /// False while disabled or awaiting an administrator's approval.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.into(),
            display_name: u.display_name,
            role: u.role.into(),
            assigned_rooms: u.assigned_rooms.into_iter().map(|r| r.0).collect(),
            active: u.active,
            created_at: u.created_at,
        }
    }
}

/// Opening hours of one weekday, in the room's time zone ("HH:MM";
/// close "00:00" means midnight at the end of the day).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DayHoursDto {
    pub day: WeekdayDto,
    #[oai(validator(pattern = r"^([01]\d|2[0-3]):[0-5]\d$"))]
    pub open: String,
    #[oai(validator(pattern = r"^([01]\d|2[0-3]):[0-5]\d$"))]
    pub close: String,
}

/// A room's booking rules.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PolicyDto {
    /// How many days ahead bookings may start.
    #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
    pub booking_window_days: u32,
    #[oai(validator(minimum(value = "1"), maximum(value = "10080")))]
    pub min_duration_minutes: u32,
    #[oai(validator(minimum(value = "1"), maximum(value = "10080")))]
    pub max_duration_minutes: u32,
    /// Days not listed are closed.
    #[oai(validator(max_items = 7))]
    pub business_hours: Vec<DayHoursDto>,
    #[oai(default, validator(maximum(value = "1440")))]
    pub buffer_before_minutes: u32,
    #[oai(default, validator(maximum(value = "1440")))]
    pub buffer_after_minutes: u32,
    /// Bookings wait for an approver when true.
    #[oai(default)]
    pub approval_required: bool,
    pub max_active_bookings_per_user: Option<u32>,
    /// Roles that may book; all roles when empty.
    #[oai(default)]
    pub allowed_roles: Vec<RoleDto>,
    /// Decline a recurring series when more occurrences than this conflict.
    #[oai(default = "default_series_max", validator(maximum(value = "10000")))]
    pub series_max_conflicts: u32,
    /// ...or when more than this percentage conflicts.
    #[oai(default = "default_series_percent", validator(maximum(value = "100")))]
    pub series_max_conflict_percent: u32,
    /// No-show protection: bookings are released without check-in.
    pub check_in: Option<CheckInDto>,
    /// Per-user quotas in this room.
    #[oai(default, validator(max_items = 10))]
    pub quotas: Vec<QuotaDto>,
    /// The room's calendar feed may be read without a token.
    #[oai(default)]
    pub public_feed: bool,
    /// Feeds show "Busy" instead of titles (organizers and approvers still see them).
    #[oai(default)]
    pub feed_hides_details: bool,
    /// People without an account may ask for the room on its public request
    /// form (`/rooms/{id}/request`); such requests always wait for approval.
    #[oai(default)]
    pub guest_requests: bool,
}

fn default_series_max() -> u32 {
    RoomPolicy::default().series_max_conflicts
}

fn default_series_percent() -> u32 {
    RoomPolicy::default().series_max_conflict_percent
}

/// Check-in window and no-show release.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CheckInDto {
    /// Check-in opens this many minutes before start.
    #[oai(validator(maximum(value = "1440")))]
    pub opens_minutes_before: u32,
    /// Without check-in this many minutes after start, the booking is released.
    #[oai(validator(maximum(value = "1440")))]
    pub release_after_minutes: u32,
    /// Code displayed in the room: anyone giving it may check in.
    #[oai(validator(max_length = 64))]
    pub room_code: Option<String>,
}

/// Quota period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum QuotaPeriodDto {
    Day,
    Week,
    Month,
}

/// At most this many bookings and/or minutes per user and period.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuotaDto {
    pub period: QuotaPeriodDto,
    pub max_bookings: Option<u32>,
    pub max_minutes: Option<u32>,
}

impl From<Quota> for QuotaDto {
    fn from(q: Quota) -> Self {
        Self {
            period: match q.period {
                QuotaPeriod::Day => QuotaPeriodDto::Day,
                QuotaPeriod::Week => QuotaPeriodDto::Week,
                QuotaPeriod::Month => QuotaPeriodDto::Month,
            },
            max_bookings: q.max_bookings,
            max_minutes: q.max_minutes,
        }
    }
}

impl From<QuotaDto> for Quota {
    fn from(q: QuotaDto) -> Self {
        Self {
            period: match q.period {
                QuotaPeriodDto::Day => QuotaPeriod::Day,
                QuotaPeriodDto::Week => QuotaPeriod::Week,
                QuotaPeriodDto::Month => QuotaPeriod::Month,
            },
            max_bookings: q.max_bookings,
            max_minutes: q.max_minutes,
        }
    }
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl From<RoomPolicy> for PolicyDto {
    fn from(p: RoomPolicy) -> Self {
        Self {
            booking_window_days: p.booking_window_days,
            min_duration_minutes: p.min_duration_minutes,
            max_duration_minutes: p.max_duration_minutes,
            business_hours: p
                .business_hours
                .0
                .iter()
                .zip(WEEK)
                .filter_map(|(h, day)| {
                    h.map(|h| DayHoursDto {
                        day,
                        open: hhmm(h.open),
                        close: hhmm(h.close),
                    })
                })
                .collect(),
            buffer_before_minutes: p.buffer_before_minutes,
            buffer_after_minutes: p.buffer_after_minutes,
            approval_required: p.approval_required,
            max_active_bookings_per_user: p.max_active_bookings_per_user,
            allowed_roles: p.allowed_roles.into_iter().map(Into::into).collect(),
            series_max_conflicts: p.series_max_conflicts,
            series_max_conflict_percent: p.series_max_conflict_percent,
            check_in: p.check_in.map(|c| CheckInDto {
                opens_minutes_before: c.opens_minutes_before,
                release_after_minutes: c.release_after_minutes,
                room_code: c.room_code,
            }),
            quotas: p.quotas.into_iter().map(Into::into).collect(),
            public_feed: p.public_feed,
            feed_hides_details: p.feed_hides_details,
            guest_requests: p.guest_requests,
        }
    }
}

impl TryFrom<PolicyDto> for RoomPolicy {
    type Error = ApiError;

    fn try_from(p: PolicyDto) -> ApiResult<Self> {
        let mut hours = [None; 7];
        for d in p.business_hours {
            let parse = |s: &str| {
                NaiveTime::parse_from_str(s, "%H:%M")
                    .map_err(|_| ApiError::bad_request(format!("{s:?} is not a time (HH:MM)")))
            };
            let idx = WEEK.iter().position(|w| *w == d.day).unwrap_or(0);
            if hours[idx].is_some() {
                return Err(ApiError::bad_request(format!(
                    "business_hours lists {:?} twice",
                    d.day
                )));
            }
            hours[idx] = Some(DayHours::new(parse(&d.open)?, parse(&d.close)?));
        }
        Ok(RoomPolicy {
            booking_window_days: p.booking_window_days,
            min_duration_minutes: p.min_duration_minutes,
            max_duration_minutes: p.max_duration_minutes,
            business_hours: BusinessHours(hours),
            buffer_before_minutes: p.buffer_before_minutes,
            buffer_after_minutes: p.buffer_after_minutes,
            approval_required: p.approval_required,
            max_active_bookings_per_user: p.max_active_bookings_per_user,
            allowed_roles: if p.allowed_roles.is_empty() {
                Role::ALL.iter().copied().collect()
            } else {
                p.allowed_roles.into_iter().map(Into::into).collect()
            },
            series_max_conflicts: p.series_max_conflicts,
            series_max_conflict_percent: p.series_max_conflict_percent,
            check_in: p.check_in.map(|c| CheckInPolicy {
                opens_minutes_before: c.opens_minutes_before,
                release_after_minutes: c.release_after_minutes,
                room_code: c.room_code.filter(|c| !c.trim().is_empty()),
            }),
            quotas: p.quotas.into_iter().map(Into::into).collect(),
            public_feed: p.public_feed,
            feed_hides_details: p.feed_hides_details,
            guest_requests: p.guest_requests,
        })
    }
}

/// A room.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoomOut {
    pub id: Uuid,
    pub name: String,
    pub category: CategoryDto,
    pub capacity: u32,
    pub floor: Option<i32>,
    pub location: String,
    pub amenities: Vec<String>,
    /// IANA time zone of the room.
    pub time_zone: String,
    pub active: bool,
    /// Set when the room is soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    pub policy: PolicyDto,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Room> for RoomOut {
    fn from(r: Room) -> Self {
        Self {
            id: r.id.0,
            name: r.name,
            category: r.category.into(),
            capacity: r.capacity,
            floor: r.floor,
            location: r.location,
            amenities: r.amenities.into_iter().collect(),
            time_zone: r.time_zone.name().to_string(),
            active: r.active,
            deleted_at: r.deleted_at,
            policy: r.policy.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A room to create, or the full new state of one.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoomIn {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub category: CategoryDto,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub capacity: u32,
    pub floor: Option<i32>,
    #[oai(default, validator(max_length = 500))]
    pub location: String,
    #[oai(default, validator(max_items = 100))]
    pub amenities: Vec<String>,
    /// IANA time zone, e.g. "Europe/Berlin".
    #[oai(validator(min_length = 1, max_length = 64))]
    pub time_zone: String,
    #[oai(default = "default_true")]
    pub active: bool,
    /// Defaults apply when absent.
    pub policy: Option<PolicyDto>,
}

fn default_true() -> bool {
    true
}

impl RoomIn {
    /// Build the core spec; `keep_policy` is used when no policy is given.
    pub fn into_spec(self, keep_policy: Option<RoomPolicy>) -> ApiResult<RoomSpec> {
        let policy = match self.policy {
            Some(p) => p.try_into()?,
            None => keep_policy.unwrap_or_default(),
        };
        let amenities: BTreeSet<String> = self
            .amenities
            .into_iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        Ok(RoomSpec {
            name: self.name,
            category: self.category.into(),
            capacity: self.capacity,
            floor: self.floor,
            location: self.location,
            amenities,
            time_zone: self.time_zone,
            active: self.active,
            policy,
        })
    }
}

/// A booking request.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingIn {
    pub room_id: Uuid,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(default, validator(max_length = 2000))]
    pub purpose: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: u32,
    /// RFC 3339 instant, e.g. 2026-12-01T09:00:00+01:00.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Book for this person (their account id): you must manage the room,
    /// or they must have let you book for them (`POST /me/delegates`).
    pub on_behalf_of: Option<Uuid>,
}

impl From<BookingIn> for booking_core::BookingRequest {
    fn from(b: BookingIn) -> Self {
        Self {
            room_id: RoomId(b.room_id),
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            start: b.start,
            end: b.end,
        }
    }
}

/// Changes to a booking; absent fields stay as they are.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingPatch {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub purpose: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: Option<u32>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A booking.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingOut {
    pub id: Uuid,
    pub room_id: Uuid,
    pub organizer_id: Uuid,
    pub title: String,
    pub purpose: String,
    pub attendees: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: StatusDto,
    pub approver_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    /// Grows with every change.
    pub sequence: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The series this occurrence belongs to.
    pub series_id: Option<Uuid>,
    /// The start the series rule gave this occurrence.
    pub occurrence_start: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Released automatically because nobody checked in.
    pub no_show: bool,
    /// Who made it, when not the organizer (an assistant, reception).
    pub booked_by: Option<Uuid>,
    /// For one of several rooms booked together: the group
    /// (`/booking-groups/{id}`); cancelling one cancels them all.
    pub group_id: Option<Uuid>,
}

impl From<Booking> for BookingOut {
    fn from(b: Booking) -> Self {
        Self {
            id: b.id.0,
            room_id: b.room_id.0,
            organizer_id: b.organizer_id.0,
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            start: b.start,
            end: b.end,
            status: b.status.into(),
            approver_id: b.approver_id.map(|u| u.0),
            decision_reason: b.decision_reason,
            sequence: b.sequence,
            created_at: b.created_at,
            updated_at: b.updated_at,
            series_id: b.series_id.map(|s| s.0),
            occurrence_start: b.occurrence_start,
            checked_in_at: b.checked_in_at,
            no_show: b.no_show,
            booked_by: b.booked_by.map(|u| u.0),
            group_id: b.group_id.map(|g| g.0),
        }
    }
}

/// An optional reason for a decision or cancellation.
#[derive(Debug, Clone, Default, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReasonIn {
    #[oai(validator(max_length = 2000))]
    pub reason: Option<String>,
}

/// A free interval of a room.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SlotOut {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub minutes: i64,
}

impl From<Slot> for SlotOut {
    fn from(s: Slot) -> Self {
        Self {
            start: s.start,
            end: s.end,
            minutes: s.minutes(),
        }
    }
}

/// A room that fits a search, best fit first.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoomMatchOut {
    pub room: RoomOut,
    /// Seats beyond what was asked for.
    pub spare_seats: u32,
}

impl From<RoomMatch> for RoomMatchOut {
    fn from(m: RoomMatch) -> Self {
        Self {
            room: m.room.into(),
            spare_seats: m.spare_seats,
        }
    }
}

/// One audit-log entry.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditOut {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditOut {
    fn from(a: AuditEntry) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor_id: a.actor_id.map(|u| u.0),
            actor_ip: a.actor_ip,
            action: a.action,
            entity: a.entity,
            entity_id: a.entity_id,
            before: a.before,
            after: a.after,
        }
    }
}

pub fn room_id(id: Uuid) -> RoomId {
    RoomId(id)
}

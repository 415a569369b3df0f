//! Rooms and their booking rules, as the REST API shows and takes them.

use std::collections::BTreeSet;

use booking_core::{
    BusinessHours, CheckInPolicy, DayHours, Quota, QuotaPeriod, Role, Room, RoomPolicy, RoomSpec,
};
use chrono::{DateTime, NaiveTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use super::enums::{CategoryDto, RoleDto, WEEK, WeekdayDto};
use crate::error::{ApiError, ApiResult};

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

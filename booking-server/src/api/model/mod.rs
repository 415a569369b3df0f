//! Request and response bodies of the REST API, and their mapping to the core.

mod bookings;
mod rooms;

pub use bookings::*;
pub use rooms::*;

use booking_core::availability::{RoomMatch, Slot};
use booking_core::store::AuditEntry;
use booking_core::{BookingStatus, Role, RoomCategory, RoomId, User};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

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

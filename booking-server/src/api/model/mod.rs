//! Request and response bodies of the REST API, and their mapping to the core.

mod bookings;
mod enums;
mod rooms;

pub use bookings::*;
pub(crate) use enums::mirror_enum;
pub use enums::{CategoryDto, RoleDto, StatusDto, WeekdayDto};
pub use rooms::*;

use booking_core::availability::{RoomMatch, Slot};
use booking_core::store::AuditEntry;
use booking_core::{RoomId, User};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

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

//! The API's enums: each mirrors a core enum, variant for variant.

use booking_core::{BookingStatus, Role, RoomCategory};
use poem_openapi::Enum;

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

pub(super) const WEEK: [WeekdayDto; 7] = [
    WeekdayDto::Mon,
    WeekdayDto::Tue,
    WeekdayDto::Wed,
    WeekdayDto::Thu,
    WeekdayDto::Fri,
    WeekdayDto::Sat,
    WeekdayDto::Sun,
];

//! The REST API under /api/v1, described by poem-openapi.

pub mod accounts;
pub mod bookings;
pub mod model;
pub mod rooms;
pub mod series;

use poem_openapi::{OpenApiService, Tags};

#[derive(Tags)]
pub enum ApiTags {
    /// Sign-up, login, tokens and the signed-in account.
    Accounts,
    /// Account administration (super_admin).
    Users,
    /// Rooms, policies, amenities and availability.
    Rooms,
    /// Bookings, approvals and room search.
    Bookings,
    /// Who changed what, when and from where.
    Audit,
}

pub type Api = (
    accounts::AccountsApi,
    rooms::RoomsApi,
    bookings::BookingsApi,
    series::SeriesApi,
);

/// The OpenAPI service, mounted at /api/v1.
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(
        (
            accounts::AccountsApi,
            rooms::RoomsApi,
            bookings::BookingsApi,
            series::SeriesApi,
        ),
        "Room booking API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Meeting-room booking: rooms, policies, bookings, approvals and availability. \
         Errors are RFC 7807 application/problem+json documents.",
    )
    .server("/api/v1")
}

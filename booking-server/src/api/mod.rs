//! The REST API under /api/v1, described by poem-openapi.

pub mod accounts;
pub mod analytics;
pub mod booking_groups;
pub mod bookings;
pub mod cached;
pub mod closures;
pub mod delegates;
pub mod guests;
pub mod import;
pub mod links;
pub mod mail;
pub mod model;
pub mod procurement;
pub mod room_parts;
pub mod rooms;
pub mod series;
pub mod shape;
pub mod tokens;
pub mod users;
pub mod webhooks;

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
    /// Utilisation, heat map, no-shows and other figures for BI tools (JSON and CSV).
    Analytics,
    /// Orders for bookings (catering, equipment, …), the officer queue and reports.
    Procurement,
    /// Invitations to rooms arriving by e-mail (iMIP).
    Mail,
    /// Signed webhooks for every booking and order change, and their delivery log.
    Webhooks,
}

pub type Api = (
    accounts::AccountsApi,
    rooms::RoomsApi,
    room_parts::RoomPartsApi,
    closures::ClosuresApi,
    import::ImportApi,
    bookings::BookingsApi,
    booking_groups::BookingGroupsApi,
    series::SeriesApi,
    analytics::AnalyticsApi,
    procurement::ProcurementApi,
    mail::MailApi,
    tokens::TokensApi,
    delegates::DelegatesApi,
    guests::GuestsApi,
    webhooks::WebhooksApi,
    users::UsersApi,
);

/// The OpenAPI service, mounted at /api/v1.
pub fn service() -> OpenApiService<Api, &'static dyn crate::webhooks::payload::BookingWebhooks> {
    OpenApiService::new(
        (
            accounts::AccountsApi,
            rooms::RoomsApi,
            room_parts::RoomPartsApi,
            closures::ClosuresApi,
            import::ImportApi,
            bookings::BookingsApi,
            booking_groups::BookingGroupsApi,
            series::SeriesApi,
            analytics::AnalyticsApi,
            procurement::ProcurementApi,
            mail::MailApi,
            tokens::TokensApi,
            delegates::DelegatesApi,
            guests::GuestsApi,
            webhooks::WebhooksApi,
            users::UsersApi,
        ),
        "Room booking API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Meeting-room booking: rooms, policies, bookings, approvals and availability. \
         Errors are RFC 7807 application/problem+json documents.",
    )
    .server("/api/v1")
    .webhooks::<&dyn crate::webhooks::payload::BookingWebhooks>()
}

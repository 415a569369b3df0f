//! Shared state of the running server.

use std::sync::Arc;

use booking_core::BookingService;

use crate::config::Config;
use crate::jwt::JwtKeys;
use crate::metrics::Metrics;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Every change to rooms, users, bookings, series, waitlist and orders
    /// goes through the service, which audits it.
    pub svc: BookingService,
    /// The same database for the server's own tables (sign-in, chat, mail,
    /// webhooks, …) and for reading the core's (feeds, CalDAV, metrics, the
    /// events log); it has no method that writes a core table.
    pub store: Arc<dyn crate::tables::ServerStore>,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub metrics: Arc<Metrics>,
    pub live: crate::live::hub::LiveHub,
    pub sso: Arc<crate::sso::providers::Sso>,
    /// Rendered iCalendar feeds.
    pub feeds: Arc<crate::feed_cache::FeedCache>,
    /// Kept answers of the hot read endpoints.
    pub reads: Arc<crate::api::cached::ReadCache>,
    /// Limits on failed password sign-ins and concurrent password checks.
    pub logins: Arc<crate::login_limit::LoginLimits>,
    /// Limits on chat commands and link codes.
    pub chat_limits: Arc<crate::chat::limits::ChatLimits>,
    /// Wakes the webhook sender (new deliveries, a redelivery).
    pub webhooks: Arc<tokio::sync::Notify>,
    /// Limits on guest requests and their confirmations.
    pub guest_limits: Arc<crate::guests::limits::GuestLimits>,
}

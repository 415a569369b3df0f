//! What the webhook tables hold, and the trait the server reads and writes
//! them through.

use async_trait::async_trait;
use booking_core::StoreError;
use booking_core::domain::{BookingId, RoomId, UserId};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use uuid::Uuid;

/// A registered endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: Uuid,
    /// Who registered it: deliveries show bookings as this person may see them.
    pub owner_id: UserId,
    pub url: String,
    pub description: String,
    /// Event kinds delivered (`created`, `cancelled`, …); empty = every kind.
    pub kinds: Vec<String>,
    /// Only this room's events, if set.
    pub room_id: Option<RoomId>,
    /// The signing secret, `whsec_` + base64.
    pub secret: SecretString,
    /// A rotated-out secret that still signs until `previous_until`.
    pub previous_secret: Option<SecretString>,
    pub previous_until: Option<DateTime<Utc>>,
    pub enabled: bool,
    /// Why it was disabled (by an admin, or after repeated failures).
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row (a success resets it).
    pub failures: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; kept for the log and manual redelivery.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            _ => Err(()),
        }
    }
}

/// A message for one endpoint, made when the event is fanned out; retries
/// send the same bytes with the same `message_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub endpoint_id: Uuid,
    /// The `webhook-id` header: the same for every attempt.
    pub message_id: String,
    pub event_id: i64,
    pub kind: String,
    pub booking_id: BookingId,
    pub body: String,
}

/// A delivery and its latest attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub new: NewDelivery,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last: Attempt,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What one attempt got back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempt {
    /// The HTTP status, when the receiver answered.
    pub status: Option<u16>,
    pub latency_ms: Option<i64>,
    /// The start of the answer's body.
    pub response: Option<String>,
    /// Why it failed without an answer (timeout, refused address, …).
    pub error: Option<String>,
}

/// What happens after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered(DateTime<Utc>),
    RetryAt(DateTime<Utc>),
    GiveUp(DateTime<Utc>),
}

/// The server's webhook tables.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_endpoint(&self, e: &Endpoint) -> Result<(), StoreError>;
    /// Replace an endpoint's settings; `false` when it does not exist.
    async fn update_endpoint(&self, e: &Endpoint) -> Result<bool, StoreError>;
    /// Delete an endpoint and its deliveries.
    async fn delete_endpoint(&self, id: Uuid) -> Result<bool, StoreError>;
    async fn get_endpoint(&self, id: Uuid) -> Result<Option<Endpoint>, StoreError>;
    /// Every endpoint (or one owner's), oldest first.
    async fn list_endpoints(&self, owner: Option<UserId>) -> Result<Vec<Endpoint>, StoreError>;
    /// One more failed attempt in a row; the new count.
    async fn endpoint_failed(&self, id: Uuid) -> Result<u32, StoreError>;
    /// A success: the count of failures in a row starts again.
    async fn endpoint_succeeded(&self, id: Uuid) -> Result<(), StoreError>;
    /// Disable an enabled endpoint; `false` if it was disabled already.
    async fn disable_endpoint(
        &self,
        id: Uuid,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The last event turned into deliveries (`None` before the first run).
    async fn webhook_cursor(&self) -> Result<Option<i64>, StoreError>;
    /// Move the cursor from `from` to `to` and add `deliveries`, in one
    /// transaction; `false` (nothing written) if another process moved it.
    async fn advance_webhook_cursor(
        &self,
        from: Option<i64>,
        to: i64,
        deliveries: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Claim up to `limit` due deliveries of enabled endpoints until
    /// `lease_until` (attempts + 1). A delivery waits while an earlier one
    /// of the same booking and endpoint is pending, so each receiver sees a
    /// booking's changes in order.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Record an attempt and what comes next.
    async fn finish_attempt(
        &self,
        id: i64,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), StoreError>;
    /// An endpoint's deliveries, newest first, below `before` (an id).
    async fn list_deliveries(
        &self,
        endpoint: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    async fn get_delivery(&self, id: i64) -> Result<Option<Delivery>, StoreError>;
    /// Send a delivery again as soon as possible; `false` while it is pending.
    async fn redeliver(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Drop finished deliveries older than `before`; the number dropped.
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

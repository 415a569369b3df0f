//! Requests from guests, waiting for their confirmation link (only the
//! link token's SHA-256 is stored).

use async_trait::async_trait;
use booking_core::StoreError;
use booking_core::domain::{BookingId, RoomId};
use booking_store::backend::{Row, SqlBackend, args};
use booking_store::{Rec, SqlStore};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A guest's request for a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestRequest {
    pub id: Uuid,
    pub room_id: RoomId,
    pub name: String,
    pub email: String,
    pub title: String,
    pub purpose: String,
    pub attendees: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The booking its confirmation made.
    pub booking_id: Option<BookingId>,
}

/// The server's table of guest requests.
#[async_trait]
pub trait GuestStore: Send + Sync {
    async fn insert_guest_request(
        &self,
        r: &GuestRequest,
        token_sha256: &str,
    ) -> Result<(), StoreError>;
    /// The request a link token's hash names.
    async fn guest_request(&self, token_sha256: &str) -> Result<Option<GuestRequest>, StoreError>;
    /// Record the booking a confirmation made; `false` when another
    /// confirmation got there first.
    async fn confirm_guest_request(&self, id: Uuid, booking: BookingId)
    -> Result<bool, StoreError>;
    /// Forget requests whose link expired before `before`.
    async fn prune_guest_requests(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

fn request<B: SqlBackend>(row: &Row<B>) -> Result<GuestRequest, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(GuestRequest {
        id: r.uuid("id")?,
        room_id: RoomId(r.uuid("room_id")?),
        name: r.text("name")?,
        email: r.text("email")?,
        title: r.text("title")?,
        purpose: r.text("purpose")?,
        attendees: r.u32("attendees")?,
        start: r.time("start_at")?,
        end: r.time("end_at")?,
        ip: r.opt_text("ip")?,
        created_at: r.time("created_at")?,
        expires_at: r.time("expires_at")?,
        booking_id: r.opt_uuid("booking_id")?.map(BookingId),
    })
}

#[async_trait]
impl<B: SqlBackend> GuestStore for SqlStore<B> {
    async fn insert_guest_request(
        &self,
        r: &GuestRequest,
        token_sha256: &str,
    ) -> Result<(), StoreError> {
        self.run(
            "save guest request",
            "INSERT INTO guest_requests (id, token_sha256, room_id, name, email, title, purpose, \
             attendees, start_at, end_at, ip, created_at, expires_at, booking_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            args![
                r.id,
                token_sha256,
                r.room_id,
                &r.name,
                &r.email,
                &r.title,
                &r.purpose,
                r.attendees,
                r.start,
                r.end,
                &r.ip,
                r.created_at,
                r.expires_at,
                r.booking_id
            ],
        )
        .await
    }

    async fn guest_request(&self, token_sha256: &str) -> Result<Option<GuestRequest>, StoreError> {
        self.find(
            "find guest request",
            "SELECT id, room_id, name, email, title, purpose, attendees, start_at, end_at, ip, \
             created_at, expires_at, booking_id FROM guest_requests WHERE token_sha256 = $1",
            args![token_sha256],
            request::<B>,
        )
        .await
    }

    async fn confirm_guest_request(
        &self,
        id: Uuid,
        booking: BookingId,
    ) -> Result<bool, StoreError> {
        self.changed_one(
            "confirm guest request",
            "UPDATE guest_requests SET booking_id = $1 WHERE id = $2 AND booking_id IS NULL",
            args![booking, id],
        )
        .await
    }

    async fn prune_guest_requests(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(
            "prune guest requests",
            "DELETE FROM guest_requests WHERE expires_at < $1",
            args![before],
        )
        .await
    }
}

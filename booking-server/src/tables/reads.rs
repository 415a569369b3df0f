//! What the server may read of the core's tables directly — for read
//! models (feeds, CalDAV, metrics) and for the workers that follow the
//! events log (live updates, mail, webhooks). Nothing here writes: every
//! change to a core table goes through the service, which audits it.

use async_trait::async_trait;
use booking_core::StoreError;
use booking_core::domain::{BookingStatus, User, UserId};
use booking_core::store::{
    AuditEntry, AuditFilter, AuditStore, BookingStore, Credentials, EventStore, Store, StoredEvent,
    UserStore, VersionStore,
};

/// Read-only access to the core's tables (with the change counters of
/// [`VersionStore`], which only read).
#[async_trait]
pub trait CoreReads: VersionStore + Send + Sync {
    /// The account with this id.
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The account with this address (case-insensitive).
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Every account.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Password hash and lockout state (to check a password).
    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError>;
    /// Bookings per status (metrics).
    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError>;
    /// The newest event's id (0 when none).
    async fn latest_event_id(&self) -> Result<i64, StoreError>;
    /// Events with an id above `after`, oldest first.
    async fn events_since(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// A channel told when another process appended events, where the
    /// database is shared.
    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError>;
    /// Audit entries matching `filter`, newest first.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
    /// A cheap round trip (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: Store> CoreReads for T {
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        UserStore::get_user(self, id).await
    }
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        UserStore::get_user_by_email(self, email).await
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        UserStore::list_users(self).await
    }
    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError> {
        UserStore::get_credentials(self, id).await
    }
    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError> {
        BookingStore::count_bookings_by_status(self).await
    }
    async fn latest_event_id(&self) -> Result<i64, StoreError> {
        EventStore::latest_event_id(self).await
    }
    async fn events_since(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        EventStore::events_since(self, after, limit).await
    }
    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        EventStore::remote_events(self).await
    }
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        AuditStore::list_audit(self, filter).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Store::ping(self).await
    }
}

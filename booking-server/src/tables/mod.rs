//! The server's own tables — sign-in (identities, revoked and feed tokens),
//! chat (link codes, links, seen requests) and mail (outbox, cursor,
//! answered invitations), door displays, webhooks, and personal access
//! tokens with idempotency keys — behind traits the server owns, implemented for
//! booking-store's [`SqlStore`] with its statement helpers. The core's
//! tables change only through the service.

mod chat;
mod displays;
mod guests;
mod mail;
mod reads;
mod signin;
mod tokens;
mod webhooks;

use std::sync::Arc;

use booking_core::StoreError;
use booking_core::store::Store;
use booking_store::{AnyStore, StoreOptions};

pub use chat::ChatStore;
pub use displays::{DisplayGrant, DisplayStore};
pub use guests::{GuestRequest, GuestStore};
pub use mail::{InviteLink, MailStore, NewMail, OutboxCounts, QueuedMail};
pub use reads::CoreReads;
pub use signin::{Account, SignInStore};
pub use tokens::{AccessToken, Idempotency, TokenScope, TokenStore};
pub use webhooks::{Attempt, Delivery, DeliveryState, Endpoint, NewDelivery, Next, WebhookStore};

/// The store the server holds: reads of the core's tables and the server's
/// own tables. It cannot write a core table: only the service can.
pub trait ServerStore:
    CoreReads
    + SignInStore
    + ChatStore
    + MailStore
    + DisplayStore
    + WebhookStore
    + TokenStore
    + GuestStore
{
}

impl<T> ServerStore for T where
    T: CoreReads
        + SignInStore
        + ChatStore
        + MailStore
        + DisplayStore
        + WebhookStore
        + TokenStore
        + GuestStore
{
}

/// One database, seen two ways: `core` for the service (the only writer of
/// the core's tables), `server` for everything else the server does.
pub struct Stores {
    /// For [`booking_core::BookingService::new`].
    pub core: Arc<dyn Store>,
    /// For the server's own tables and its reads.
    pub server: Arc<dyn ServerStore>,
}

impl Stores {
    fn of<T: Store + ServerStore>(store: T) -> Self {
        let store = Arc::new(store);
        Self {
            core: store.clone(),
            server: store,
        }
    }
}

/// Open the store a database URL names (`sqlite:`… or `postgres:`…) without
/// migrating it.
pub async fn connect_with(url: &str, opts: &StoreOptions) -> Result<Stores, StoreError> {
    Ok(match AnyStore::connect_with(url, opts).await? {
        AnyStore::Sqlite(s) => Stores::of(s),
        AnyStore::Postgres(s) => Stores::of(s),
    })
}

/// [`connect_with`], then migrate.
pub async fn open_with(url: &str, opts: &StoreOptions) -> Result<Stores, StoreError> {
    let stores = connect_with(url, opts).await?;
    stores.core.migrate().await?;
    Ok(stores)
}

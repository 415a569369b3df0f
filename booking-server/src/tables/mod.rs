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
pub use signin::{Account, SignInStore};
pub use tokens::{AccessToken, Idempotency, TokenScope, TokenStore};
pub use webhooks::{Attempt, Delivery, DeliveryState, Endpoint, NewDelivery, Next, WebhookStore};

/// The store the server runs on: the core's roles and the server's tables.
pub trait ServerStore:
    Store + SignInStore + ChatStore + MailStore + DisplayStore + WebhookStore + TokenStore + GuestStore
{
}

impl<T> ServerStore for T where
    T: Store
        + SignInStore
        + ChatStore
        + MailStore
        + DisplayStore
        + WebhookStore
        + TokenStore
        + GuestStore
{
}

/// Open the store a database URL names (`sqlite:`… or `postgres:`…) without
/// migrating it.
pub async fn connect_with(
    url: &str,
    opts: &StoreOptions,
) -> Result<Arc<dyn ServerStore>, StoreError> {
    Ok(match AnyStore::connect_with(url, opts).await? {
        AnyStore::Sqlite(s) => Arc::new(s),
        AnyStore::Postgres(s) => Arc::new(s),
    })
}

/// [`connect_with`], then migrate.
pub async fn open_with(url: &str, opts: &StoreOptions) -> Result<Arc<dyn ServerStore>, StoreError> {
    let store = connect_with(url, opts).await?;
    store.migrate().await?;
    Ok(store)
}

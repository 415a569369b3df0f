//! The server's own tables — sign-in (identities, revoked and feed tokens),
//! chat (link codes, links, seen requests) and mail (outbox, cursor,
//! answered invitations) — behind traits the server owns, implemented for
//! booking-store's [`SqlStore`] with its statement helpers. The core's
//! tables change only through the service.

mod chat;
mod mail;
mod signin;

use std::sync::Arc;

use booking_core::StoreError;
use booking_core::store::Store;
use booking_store::{PgStore, SqliteStore, StoreOptions};

pub use chat::ChatStore;
pub use mail::{InviteLink, MailStore, NewMail, OutboxCounts, QueuedMail};
pub use signin::SignInStore;

/// The store the server runs on: the core's roles and the server's tables.
pub trait ServerStore: Store + SignInStore + ChatStore + MailStore {}

impl<T: Store + SignInStore + ChatStore + MailStore> ServerStore for T {}

/// Open the store a database URL names (`sqlite:`… or `postgres:`…) without
/// migrating it.
pub async fn connect_with(
    url: &str,
    opts: &StoreOptions,
) -> Result<Arc<dyn ServerStore>, StoreError> {
    let store: Arc<dyn ServerStore> =
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Arc::new(PgStore::connect_with(url, opts).await?)
        } else if url.starts_with("sqlite:") {
            Arc::new(SqliteStore::connect_with(url, opts).await?)
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL {url:?}: use sqlite://FILE?mode=rwc or postgres://…"
            )));
        };
    Ok(store)
}

/// [`connect_with`], then migrate.
pub async fn open_with(url: &str, opts: &StoreOptions) -> Result<Arc<dyn ServerStore>, StoreError> {
    let store = connect_with(url, opts).await?;
    store.migrate().await?;
    Ok(store)
}

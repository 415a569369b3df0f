//! # booking-store
//!
//! Storage for [`booking_core`] on SQLite (the zero-setup default) and
//! PostgreSQL (for many server processes over one database). There is one
//! implementation, [`SqlStore`], whose SQL is written once; a small
//! [`backend::SqlBackend`] trait holds what truly differs between the two.
//! Files are by aggregate: rooms, users, bookings, series, versions,
//! waitlist, events, audit, analytics, orders.
//!
//! A program with tables of its own (the server's sign-in, chat and mail
//! tables) implements its traits for [`SqlStore`] with the same tools: the
//! statement helpers of [`query`] and [`SqlStore`], [`args!`] and [`Rec`].
//!
//! No double booking is guaranteed by the database itself: on PostgreSQL an
//! exclusion constraint over the held intervals of blocking bookings, on SQLite
//! `BEGIN IMMEDIATE` write transactions plus a trigger that refuses overlaps.
//!
//! Embedding the service with a store (here an in-memory SQLite database;
//! `sqlite://booking.db?mode=rwc` for a file, `postgres://…` for
//! PostgreSQL), as `examples/embed.rs` does:
//!
//! ```
//! use std::sync::Arc;
//! use booking_core::*;
//! use chrono::{Duration, TimeZone, Utc};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let monday = Utc.with_ymd_and_hms(2030, 1, 7, 7, 0, 0).unwrap();
//! let service = BookingService::new(
//!     booking_store::open("sqlite::memory:").await?,
//!     Arc::new(FixedClock::new(monday)),
//! );
//! let admin = Actor::from(
//!     service
//!         .create_user("admin@example.com", "Admin", Role::SuperAdmin, None, AccountState::Active)
//!         .await?,
//! );
//! let room = service
//!     .create_room(
//!         &admin,
//!         RoomSpec {
//!             name: "Boardroom".into(),
//!             category: RoomCategory::Boardroom,
//!             capacity: 12,
//!             floor: Some(3),
//!             location: "HQ".into(),
//!             amenities: ["projector".to_string()].into(),
//!             time_zone: "Europe/Berlin".into(),
//!             active: true,
//!             policy: RoomPolicy::default(),
//!         },
//!     )
//!     .await?;
//! let request = BookingRequest {
//!     room_id: room.id,
//!     title: "Quarterly review".into(),
//!     purpose: String::new(),
//!     attendees: 6,
//!     start: monday + Duration::hours(2),
//!     end: monday + Duration::hours(3),
//! };
//! let booking = service.book(&admin, request.clone()).await?;
//! assert_eq!(booking.status, BookingStatus::Approved);
//! // The database refuses the same hour twice, whoever writes.
//! match service.book(&admin, request).await {
//!     Err(CoreError::Rule(refusal)) => assert_eq!(refusal.rule(), "no_overlap"),
//!     other => panic!("expected a refusal, got {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

pub mod backend;
mod error;
pub mod query;
mod rec;
#[cfg(feature = "testing")]
pub mod testing;

mod analytics;
mod audit;
mod bookings;
mod closures;
mod delegations;
mod events;
mod kept;
mod links;
mod orders;
mod rooms;
mod series;
pub mod users;
mod versions;
mod waitlist;

use std::sync::Arc;

use async_trait::async_trait;
use booking_core::store::Store;
use sqlx::SqlSafeStr as _;

use backend::SqlBackend;
#[cfg(feature = "postgres")]
pub use backend::postgres::Postgres;
#[cfg(feature = "sqlite")]
pub use backend::sqlite::Sqlite;
pub use booking_core::StoreError;
pub use rec::Rec;

/// The store on database backend `B`.
#[derive(Debug, Clone)]
pub struct SqlStore<B> {
    b: B,
    /// Answers kept while nothing is committed ([`SqlStore::unless_changed`]).
    memo: Arc<kept::Memo>,
}

/// [`SqlStore`] on SQLite.
#[cfg(feature = "sqlite")]
pub type SqliteStore = SqlStore<Sqlite>;
/// [`SqlStore`] on PostgreSQL.
#[cfg(feature = "postgres")]
pub type PgStore = SqlStore<Postgres>;

impl<B: SqlBackend> SqlStore<B> {
    fn over(b: B) -> Self {
        Self {
            b,
            memo: Arc::default(),
        }
    }

    /// The connection pool, for benchmarks and tools.
    pub fn pool(&self) -> &sqlx::Pool<B::Db> {
        self.b.pool()
    }

    /// What `read` answers, or what it answered last time for `key` if
    /// nothing was committed to the database since, by anyone (the
    /// backend's commit mark did not move). For small, hot reads; `key`
    /// names the read and its parameters.
    pub async fn unless_changed<T, F>(&self, key: String, read: F) -> Result<T, StoreError>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, StoreError>>,
    {
        let Some(mark) = self.b.commit_mark() else {
            return read.await;
        };
        if let Some(kept) = self.memo.get(mark, &key) {
            return Ok(kept);
        }
        let value = read.await?;
        self.memo.put(mark, key, value.clone());
        Ok(value)
    }
}

/// How a store uses its connection pool.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a request waits for a database connection before it fails
    /// as unavailable ([`StoreError::is_unavailable`]).
    pub acquire_timeout: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            acquire_timeout: std::time::Duration::from_secs(10),
        }
    }
}

#[async_trait]
impl<B: SqlBackend> Store for SqlStore<B> {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.b.migrate().await
    }

    async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        const OP: &str = "read migrations";
        let mut conn = backend::read_conn(&self.b, OP).await?;
        let sql = "SELECT version FROM _sqlx_migrations WHERE success";
        let applied: Vec<i64> = match B::fetch_all(&mut conn, sql.into_sql_str(), vec![]).await {
            Ok(rows) => rows
                .iter()
                .map(|row| rec::Rec::<B>::new(row).int("version"))
                .collect::<Result<_, _>>()?,
            // A database never migrated has no table yet: everything is pending.
            Err(sqlx::Error::Database(_)) => Vec::new(),
            Err(e) => return Err(error::db(OP)(e)),
        };
        Ok(B::migrator()
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{:04} {}", m.version, m.description))
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.row("ping", "SELECT 1 AS one", vec![])
            .await
            .map(|_| ())
    }

    async fn close(&self) {
        self.b.pool().close().await;
    }
}

/// Open the store a database URL names (`sqlite:`… or `postgres:`…) and migrate it.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &StoreOptions::default()).await
}

/// [`open`] with pool options.
pub async fn open_with(url: &str, opts: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let store = connect_with(url, opts).await?;
    store.migrate().await?;
    Ok(store)
}

/// The URLs this build opens (Cargo features `sqlite`, `postgres`).
const SUPPORTED: &[&str] = &[
    #[cfg(feature = "sqlite")]
    "sqlite://FILE?mode=rwc",
    #[cfg(feature = "postgres")]
    "postgres://…",
];

/// A store on whichever database a URL names, before it is put behind a
/// trait object (a program with tables of its own picks its trait).
#[derive(Debug, Clone)]
pub enum AnyStore {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(PgStore),
}

impl AnyStore {
    /// Connect to the database `url` names (`sqlite:`… or `postgres:`…)
    /// without migrating it.
    pub async fn connect_with(url: &str, opts: &StoreOptions) -> Result<Self, StoreError> {
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            return Ok(Self::Postgres(PgStore::connect_with(url, opts).await?));
        }
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            return Ok(Self::Sqlite(SqliteStore::connect_with(url, opts).await?));
        }
        let _ = opts;
        Err(StoreError::Corrupt(format!(
            "unsupported database URL {url:?}: this build opens {}",
            SUPPORTED.join(" and ")
        )))
    }
}

/// Open the store a database URL names without migrating it (to see what
/// [`Store::migrate`] would do).
pub async fn connect_with(url: &str, opts: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match AnyStore::connect_with(url, opts).await? {
        #[cfg(feature = "sqlite")]
        AnyStore::Sqlite(s) => Arc::new(s),
        #[cfg(feature = "postgres")]
        AnyStore::Postgres(s) => Arc::new(s),
    })
}

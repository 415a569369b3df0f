//! sqlx errors as the core's [`StoreError`], naming the operation that failed
//! and whether the database is merely unavailable.

pub use booking_core::StoreError;

/// `map_err(db("insert room"))`: a unique violation becomes
/// [`StoreError::Duplicate`]; anything else [`StoreError::Backend`].
pub fn db(op: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if let sqlx::Error::Database(d) = &e
            && d.is_unique_violation()
        {
            return StoreError::Duplicate(d.message().to_string());
        }
        StoreError::Backend {
            op,
            unavailable: is_unavailable(&e),
            source: Box::new(e),
        }
    }
}

/// A failed migration.
pub fn migrate(e: sqlx::migrate::MigrateError) -> StoreError {
    let unavailable =
        matches!(&e, sqlx::migrate::MigrateError::Execute(inner) if is_unavailable(inner));
    StoreError::Backend {
        op: "migrate",
        unavailable,
        source: Box::new(e),
    }
}

/// A value read back that does not fit its column's meaning.
pub fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{col}: {e}"))
}

/// The database cannot be reached or used right now (connection refused or
/// lost, no connection free in time, the server shutting down, the database
/// missing or refusing our credentials, SQLite busy or unable to open its
/// file): worth retrying later, not a fault of the request.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            #[cfg(feature = "sqlite")]
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // BUSY, LOCKED, IOERR, FULL, CANTOPEN (extended codes keep
                // the primary code in the low byte).
                return code
                    .parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14));
            }
            // PostgreSQL: 08 connection exception, 28 invalid
            // authorization, 3D000 no such database, 53 insufficient
            // resources, 57P01–03 shutting down / cannot connect now.
            ["08", "28", "53", "57P0", "3D000"]
                .iter()
                .any(|p| code.starts_with(p))
        }
        _ => false,
    }
}

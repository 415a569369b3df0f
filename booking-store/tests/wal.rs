//! The SQLite write-ahead log does not keep the size of its busiest burst:
//! once a quiet moment lets the store copy the log into the database, the
//! next commit cuts the file back to `WAL_SIZE_LIMIT`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use booking_core::*;
use booking_store::testing::{Backend, TestDb};
use chrono::{TimeZone, Utc};

/// The store's limit (`booking_store::backend::sqlite`), 32 MiB.
const LIMIT: u64 = 32 << 20;

fn wal_size(db: &TestDb) -> u64 {
    let file = db
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .expect("path");
    std::fs::metadata(PathBuf::from(format!("{file}-wal")))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_shrinks_after_a_burst() {
    let db = TestDb::create(Backend::Sqlite).await;
    let store = db.store().await;

    // A burst another program writes: 48 MiB in one transaction.
    let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connect");
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("CREATE TABLE filler (x BLOB)")
        .execute(&mut *tx)
        .await
        .expect("create");
    for _ in 0..48 {
        sqlx::query("INSERT INTO filler VALUES (zeroblob(1048576))")
            .execute(&mut *tx)
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    pool.close().await;
    let burst = wal_size(&db);
    assert!(burst > LIMIT, "the burst made a log of {burst} bytes");

    // A quiet moment: the store's checkpoint copies the log into the
    // database (every 500 ms). Then one ordinary commit.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let monday = Utc
        .with_ymd_and_hms(2030, 1, 7, 7, 0, 0)
        .single()
        .expect("valid");
    BookingService::new(store, Arc::new(FixedClock::new(monday)))
        .create_user(
            "after@example.com",
            "After the burst",
            Role::User,
            None,
            AccountState::Active,
        )
        .await
        .expect("a commit after the quiet moment");
    let after = wal_size(&db);
    assert!(
        after <= LIMIT,
        "the log kept {after} bytes after a quiet moment (burst: {burst})"
    );
}

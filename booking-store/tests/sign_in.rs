//! Failed sign-ins are counted exactly when they arrive at once: each
//! failure reads the count and writes it plus one, so two at the same time
//! must not both write the same number (guessing passwords in parallel would
//! then never lock the account). Runs on a fresh SQLite file and a fresh
//! PostgreSQL database.

use std::sync::Arc;

use booking_core::sign_in::Lockout;
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};

const AT_ONCE: u32 = 24;

async fn every_failure_counts(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = db.store().await;
    let svc = BookingService::new(store.clone(), Arc::new(SystemClock));
    let user = svc
        .create_user(
            "guessed@example.com",
            "Guessed",
            Role::User,
            None,
            AccountState::Active,
        )
        .await
        .expect("user");
    // Never locks within the test: every failure is only counted.
    let policy = Lockout {
        attempts: 1_000,
        minutes: 15,
    };
    let tasks: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.sign_in_failed(user.id, policy, None).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("counted");
    }
    let creds = store
        .get_credentials(user.id)
        .await
        .expect("read")
        .expect("credentials");
    assert_eq!(creds.failed_logins, AT_ONCE, "every failure counted");

    // At once again with a lock at 30: the account ends up locked, the
    // count started again, and exactly one failure reports the lock.
    let policy = Lockout {
        attempts: 30,
        minutes: 15,
    };
    let tasks: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.sign_in_failed(user.id, policy, None).await })
        })
        .collect();
    let mut locks = 0;
    for t in tasks {
        if t.await.expect("task").expect("counted").is_some() {
            locks += 1;
        }
    }
    let creds = store
        .get_credentials(user.id)
        .await
        .expect("read")
        .expect("credentials");
    assert_eq!(locks, 1, "one failure locked the account");
    assert!(creds.locked_until.is_some());
    assert_eq!(creds.failed_logins, 2 * AT_ONCE - 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_sign_ins_at_once_are_all_counted() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        every_failure_counts(backend).await;
    }
}

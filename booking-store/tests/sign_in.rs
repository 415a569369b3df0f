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

/// `AT_ONCE` wrong passwords for `user` at the same time; what each
/// answered (the lock's end when it locked the account).
async fn fail_at_once(
    svc: &BookingService,
    user: UserId,
    policy: Lockout,
) -> Vec<Option<chrono::DateTime<chrono::Utc>>> {
    let tasks: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.sign_in_failed(user, policy, None).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task").expect("counted"));
    }
    answers
}

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
    fail_at_once(&svc, user.id, policy).await;
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
    let locks = fail_at_once(&svc, user.id, policy)
        .await
        .iter()
        .filter(|locked| locked.is_some())
        .count();
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

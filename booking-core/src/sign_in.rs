//! Password sign-in bookkeeping: counting failures, locking an account
//! after too many, and a person changing their own password. The rule is
//! pure ([`Credentials::after_failure`]); the service writes and audits.
//! Password hashes are never audited.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::domain::UserId;
use crate::error::CoreError;
use crate::service::{Actor, BookingService};
use crate::store::Credentials;

/// How many failed sign-ins in a row lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures that lock (at least 1).
    pub attempts: u32,
    /// Minutes the lock lasts.
    pub minutes: u32,
}

impl Credentials {
    /// The state after one more failed sign-in at `now`: counted, or — when
    /// that makes `policy.attempts` — locked for `policy.minutes` with the
    /// count started again.
    #[must_use]
    pub fn after_failure(self, policy: Lockout, now: DateTime<Utc>) -> Self {
        let failed = self.failed_logins.saturating_add(1);
        if failed >= policy.attempts.max(1) {
            Self {
                failed_logins: 0,
                locked_until: Some(now + Duration::minutes(i64::from(policy.minutes))),
                ..self
            }
        } else {
            Self {
                failed_logins: failed,
                ..self
            }
        }
    }

    /// Is the account locked at `now`?
    pub fn locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

impl BookingService {
    /// A wrong password for `user` from `ip`: counted and, once
    /// `policy.attempts` are reached, the account locked. Audited as
    /// `auth.login_failed` (with the lock's end when it locks); answers the
    /// lock's end when this failure locked the account.
    pub async fn sign_in_failed(
        &self,
        user: UserId,
        policy: Lockout,
        ip: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, CoreError> {
        let now = self.now();
        // Failures at once each count: the write goes through only if the
        // state is still the one read, else it is read again.
        let (before, after) = loop {
            let Some(before) = self.store().get_credentials(user).await? else {
                // No such account (any more): nothing to count.
                return Ok(None);
            };
            let after = before.clone().after_failure(policy, now);
            if self.store().swap_credentials(user, &before, &after).await? {
                break (before, after);
            }
        };
        let locked = after
            .locked_until
            .filter(|_| after.locked_until != before.locked_until);
        self.audit(
            None,
            "auth.login_failed",
            "user",
            Some(user.to_string()),
            None,
            Some(json!({"ip": ip, "failures": after.failed_logins, "locked_until": locked})),
        )
        .await?;
        Ok(locked)
    }

    /// The right password for `user`: failures counted so far and any lock
    /// that has run out are forgotten (audited as `auth.failures_cleared`
    /// when there were any; nothing is written otherwise).
    pub async fn sign_in_succeeded(&self, user: UserId) -> Result<(), CoreError> {
        let creds = loop {
            let Some(creds) = self.store().get_credentials(user).await? else {
                return Ok(());
            };
            if creds.failed_logins == 0 && creds.locked_until.is_none() {
                return Ok(());
            }
            let cleared = Credentials {
                failed_logins: 0,
                locked_until: None,
                ..creds.clone()
            };
            if self
                .store()
                .swap_credentials(user, &creds, &cleared)
                .await?
            {
                break creds;
            }
        };
        self.audit(
            None,
            "auth.failures_cleared",
            "user",
            Some(user.to_string()),
            Some(json!({"failures": creds.failed_logins, "locked_until": creds.locked_until})),
            None,
        )
        .await
    }

    /// `actor` gives their own account a new password (already hashed; any
    /// lock is lifted), audited as `user.password`. The caller has checked
    /// the current password.
    pub async fn change_password(
        &self,
        actor: &Actor,
        password_hash: &str,
    ) -> Result<(), CoreError> {
        self.store()
            .set_credentials(
                actor.id,
                &Credentials {
                    password_hash: Some(password_hash.to_string()),
                    ..Credentials::default()
                },
            )
            .await?;
        self.audit(
            Some(actor),
            "user.password",
            "user",
            Some(actor.id.to_string()),
            None,
            None,
        )
        .await
    }

    /// Drop events (the log live updates, mail and webhooks read) older
    /// than `before`; the number dropped. Housekeeping, not audited: the
    /// changes they report have their own audit entries.
    pub async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, CoreError> {
        Ok(self.store().prune_events(before).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(min)
    }

    #[test]
    fn the_third_failure_of_three_locks_for_the_policy_minutes() {
        let policy = Lockout {
            attempts: 3,
            minutes: 15,
        };
        let c = Credentials::default()
            .after_failure(policy, at(0))
            .after_failure(policy, at(1));
        assert_eq!((c.failed_logins, c.locked_until), (2, None));
        let c = c.after_failure(policy, at(2));
        assert_eq!(c.failed_logins, 0, "the count starts again");
        assert_eq!(c.locked_until, Some(at(17)));
        assert!(c.locked_at(at(16)));
        assert!(!c.locked_at(at(17)), "the lock ends at its end");
    }

    #[tokio::test]
    async fn failures_lock_the_account_and_each_one_is_audited() {
        use crate::domain::{AccountState, Role};
        use crate::memory::MemoryStore;
        use crate::service::FixedClock;
        use crate::store::{AuditFilter, AuditStore, UserStore};
        use std::sync::Arc;

        let store = Arc::new(MemoryStore::new());
        let svc = BookingService::new(store.clone(), Arc::new(FixedClock::new(at(0))));
        let user = svc
            .create_user(
                "ann@example.com",
                "Ann",
                Role::User,
                Some("hash"),
                AccountState::Active,
            )
            .await
            .expect("user");
        let policy = Lockout {
            attempts: 2,
            minutes: 10,
        };
        let first = svc.sign_in_failed(user.id, policy, Some("10.0.0.9")).await;
        assert_eq!(first.expect("first"), None);
        let second = svc.sign_in_failed(user.id, policy, Some("10.0.0.9")).await;
        assert_eq!(second.expect("second"), Some(at(10)), "locked now");
        let creds = store
            .get_credentials(user.id)
            .await
            .expect("q")
            .unwrap_or_default();
        assert_eq!(
            creds.password_hash.as_deref(),
            Some("hash"),
            "the password stays"
        );
        assert!(creds.locked_at(at(5)));

        svc.sign_in_succeeded(user.id).await.expect("cleared");
        let creds = store
            .get_credentials(user.id)
            .await
            .expect("q")
            .unwrap_or_default();
        assert_eq!((creds.failed_logins, creds.locked_until), (0, None));

        let log = store
            .list_audit(&AuditFilter {
                entity_id: Some(user.id.to_string()),
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .expect("audit");
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "auth.login_failed")
                .count(),
            2,
            "{actions:?}"
        );
        assert!(actions.contains(&"auth.failures_cleared"), "{actions:?}");
        assert!(
            !format!("{log:?}").contains("hash"),
            "no password hash in the audit log"
        );
    }

    proptest! {
        /// Whatever the policy, `attempts` failures in a row from a clean
        /// state lock the account, and fewer never do.
        #[test]
        fn exactly_attempts_failures_lock(attempts in 1u32..20, minutes in 1u32..120) {
            let policy = Lockout { attempts, minutes };
            let mut c = Credentials::default();
            for i in 1..attempts {
                c = c.after_failure(policy, at(i64::from(i)));
                prop_assert!(c.locked_until.is_none());
            }
            c = c.after_failure(policy, at(100));
            prop_assert_eq!(c.locked_until, Some(at(100 + i64::from(minutes))));
        }
    }
}

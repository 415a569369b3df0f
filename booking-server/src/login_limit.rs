//! Limits on password sign-in: failed attempts per client address and per
//! account within a window (429 above them), and a bound on how many argon2
//! checks run at once, so a flood of guesses cannot take the machine.
//!
//! Only failures count (governor's limiters count every attempt): CalDAV
//! clients send the password with every request, and a right password must
//! never be slowed down.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::limits::Windows;

pub struct LoginLimits {
    per_ip: u32,
    per_account: u32,
    failures: Windows,
    /// At most this many password checks at once.
    pub hashing: Semaphore,
}

impl LoginLimits {
    pub fn new(per_ip: u32, per_account: u32, window: Duration, hashers: usize) -> Self {
        Self {
            per_ip,
            per_account,
            failures: Windows::new(window),
            hashing: Semaphore::new(hashers.max(1)),
        }
    }

    fn keys(&self, ip: Option<&str>, account: &str) -> [(String, u32); 2] {
        [
            (format!("ip:{}", ip.unwrap_or("-")), self.per_ip),
            (
                format!("account:{}", account.trim().to_ascii_lowercase()),
                self.per_account,
            ),
        ]
    }

    /// `Err(seconds)` to wait when `ip` or `account` used up its failures.
    pub fn check(&self, ip: Option<&str>, account: &str) -> Result<(), u64> {
        for (key, limit) in self.keys(ip, account) {
            self.failures.check(&key, limit)?;
        }
        Ok(())
    }

    /// Count a failed attempt.
    pub fn failed(&self, ip: Option<&str>, account: &str) {
        for (key, _) in self.keys(ip, account) {
            self.failures.add(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_per_address_and_per_account_are_limited() {
        let l = LoginLimits::new(3, 2, Duration::from_secs(60), 1);
        assert_eq!(l.check(Some("10.0.0.1"), "a@x"), Ok(()));
        l.failed(Some("10.0.0.1"), "a@x");
        l.failed(Some("10.0.0.1"), "A@x ");
        // The account is used up (the same after normalising), from anywhere.
        let wait = l.check(Some("10.0.0.2"), "a@x").expect_err("account");
        assert!((1..=60).contains(&wait));
        // Another account from the same address still has one try left.
        assert_eq!(l.check(Some("10.0.0.1"), "b@x"), Ok(()));
        l.failed(Some("10.0.0.1"), "b@x");
        assert!(l.check(Some("10.0.0.1"), "c@x").is_err(), "address used up");
        assert_eq!(l.check(Some("10.0.0.3"), "c@x"), Ok(()));
    }
}

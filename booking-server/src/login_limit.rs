//! Limits on password sign-in: failed attempts per client address and per
//! account within a window (429 above them), and a bound on how many argon2
//! checks run at once, so a flood of guesses cannot take the machine.
//!
//! Only failures count (governor's limiters count every attempt): CalDAV
//! clients send the password with every request, and a right password must
//! never be slowed down.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// Failures counted per key in the current window.
struct Window {
    started: Instant,
    failures: u32,
}

pub struct LoginLimits {
    window: Duration,
    per_ip: u32,
    per_account: u32,
    failures: Mutex<HashMap<String, Window>>,
    /// At most this many password checks at once.
    pub hashing: Semaphore,
}

/// Keys kept before old windows are pruned.
const PRUNE_ABOVE: usize = 10_000;

impl LoginLimits {
    pub fn new(per_ip: u32, per_account: u32, window: Duration, hashers: usize) -> Self {
        Self {
            window,
            per_ip,
            per_account,
            failures: Mutex::new(HashMap::new()),
            hashing: Semaphore::new(hashers.max(1)),
        }
    }

    fn keys(ip: Option<&str>, account: &str) -> [(String, bool); 2] {
        [
            (format!("ip:{}", ip.unwrap_or("-")), true),
            (
                format!("account:{}", account.trim().to_ascii_lowercase()),
                false,
            ),
        ]
    }

    /// `Err(seconds)` to wait when `ip` or `account` used up its failures.
    pub fn check(&self, ip: Option<&str>, account: &str) -> Result<(), u64> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, is_ip) in Self::keys(ip, account) {
            let limit = if is_ip { self.per_ip } else { self.per_account };
            if let Some(w) = map.get(&key)
                && now.duration_since(w.started) < self.window
                && w.failures >= limit
            {
                let left = self.window.saturating_sub(now.duration_since(w.started));
                return Err(left.as_secs().max(1));
            }
        }
        Ok(())
    }

    /// Count a failed attempt.
    pub fn failed(&self, ip: Option<&str>, account: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > PRUNE_ABOVE {
            let window = self.window;
            map.retain(|_, w| now.duration_since(w.started) < window);
        }
        for (key, _) in Self::keys(ip, account) {
            let w = map.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(w.started) >= self.window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures += 1;
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

    #[test]
    fn a_window_ends() {
        let l = LoginLimits::new(1, 1, Duration::from_millis(30), 1);
        l.failed(None, "a@x");
        assert!(l.check(None, "a@x").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(l.check(None, "a@x"), Ok(()));
    }
}

//! Fixed-window counters per key, in this process: the building block of the
//! sign-in and chat limits. A key that reached its limit waits for the end of
//! its window; old windows are dropped once many keys are held.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Window {
    started: Instant,
    count: u32,
}

/// Counts per key within `window`.
pub struct Windows {
    window: Duration,
    counts: Mutex<HashMap<String, Window>>,
}

/// Keys kept before windows that ended are pruned.
const PRUNE_ABOVE: usize = 10_000;

impl Windows {
    pub fn new(window: Duration) -> Self {
        Self {
            window: window.max(Duration::from_millis(1)),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when `key` has counted `limit` or more in its
    /// current window.
    pub fn check(&self, key: &str, limit: u32) -> Result<(), u64> {
        let now = Instant::now();
        let map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(w) if now.duration_since(w.started) < self.window && w.count >= limit => {
                let left = self.window.saturating_sub(now.duration_since(w.started));
                Err(left.as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Count one for `key` (a new window starts when the last one ended).
    pub fn add(&self, key: &str) {
        let now = Instant::now();
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > PRUNE_ABOVE {
            let window = self.window;
            map.retain(|_, w| now.duration_since(w.started) < window);
        }
        let w = map.entry(key.to_string()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(w.started) >= self.window {
            *w = Window {
                started: now,
                count: 0,
            };
        }
        w.count += 1;
    }

    /// Check and count in one step: `Err(seconds)` (and nothing counted) when
    /// `key` is already at `limit`.
    pub fn take(&self, key: &str, limit: u32) -> Result<(), u64> {
        self.check(key, limit)?;
        self.add(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_at_its_limit_waits_for_its_window() {
        let w = Windows::new(Duration::from_secs(60));
        assert_eq!(w.take("a", 2), Ok(()));
        assert_eq!(w.take("a", 2), Ok(()));
        let wait = w.take("a", 2).expect_err("limit");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(w.check("b", 2), Ok(()), "keys are apart");
    }

    #[test]
    fn a_window_ends() {
        let w = Windows::new(Duration::from_millis(30));
        w.add("a");
        assert!(w.check("a", 1).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(w.check("a", 1), Ok(()));
    }
}

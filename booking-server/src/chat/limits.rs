//! Limits on the chat bots: commands per chat user per minute, and wrong
//! `link` codes per chat user and per platform (so a code cannot be guessed).

use std::time::Duration;

use crate::config::Config;
use crate::limits::Windows;

pub struct ChatLimits {
    commands: Windows,
    commands_per_minute: u32,
    link_misses: Windows,
    misses_per_user: u32,
    misses_per_platform: u32,
}

impl ChatLimits {
    pub fn new(cfg: &Config) -> Self {
        Self {
            commands: Windows::new(Duration::from_secs(60)),
            commands_per_minute: cfg.chat.commands_per_minute,
            link_misses: Windows::new(Duration::from_secs(cfg.chat.link_window_secs.max(1))),
            misses_per_user: cfg.chat.link_failures_per_user,
            misses_per_platform: cfg.chat.link_failures_per_platform,
        }
    }

    /// Count one command of a chat user; `Err(seconds)` above the limit.
    pub fn command(&self, platform: &str, user: &str) -> Result<(), u64> {
        self.commands
            .take(&format!("{platform}:{user}"), self.commands_per_minute)
    }

    /// Whether a `link` attempt may be tried now: `Err(seconds)` when the chat
    /// user, or everybody on the platform, missed too often in the window.
    pub fn may_link(&self, platform: &str, user: &str) -> Result<(), u64> {
        self.link_misses
            .check(&format!("user:{platform}:{user}"), self.misses_per_user)?;
        self.link_misses
            .check(&format!("platform:{platform}"), self.misses_per_platform)
    }

    /// Count a wrong code.
    pub fn link_missed(&self, platform: &str, user: &str) {
        self.link_misses.add(&format!("user:{platform}:{user}"));
        self.link_misses.add(&format!("platform:{platform}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_lock_the_user_then_the_platform() {
        let limits = ChatLimits::new(&{
            let mut c = Config::default();
            c.chat.link_failures_per_user = 2;
            c.chat.link_failures_per_platform = 3;
            c
        });
        limits.link_missed("slack", "U1");
        assert!(limits.may_link("slack", "U1").is_ok());
        limits.link_missed("slack", "U1");
        assert!(limits.may_link("slack", "U1").is_err(), "the user");
        assert!(limits.may_link("slack", "U2").is_ok());
        limits.link_missed("slack", "U2");
        assert!(limits.may_link("slack", "U3").is_err(), "the platform");
        assert!(limits.may_link("teams", "U1").is_ok(), "another platform");
    }
}

//! The sections of the configuration file, with their defaults. Each
//! field's environment variable is in [`super::env::VARIABLES`].

use secrecy::SecretString;
use serde::Deserialize;

/// `[database]`: where the data lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// sqlx URL of the database; SQLite file by default. A secret: a
    /// PostgreSQL URL may hold a password (shown only by
    /// [`super::Config::database_shown`], with the password masked).
    pub url: SecretString,
    /// Seconds a request waits for a database connection before it answers
    /// 503 (database unavailable).
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://booking.db?mode=rwc".into(),
            acquire_timeout_secs: 10,
        }
    }
}

/// `[server]`: how the HTTP server listens and answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: String,
    /// Public base URL (links in feeds and mails).
    pub public_url: String,
    /// Origins allowed by CORS (empty = CORS off; "*" = any).
    pub cors_origins: Vec<String>,
    /// Log format: "text" or "json".
    pub log_format: String,
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Largest request body, in KiB (413 above it).
    pub max_body_kb: u64,
    /// Largest body where mail and iTIP arrive (`/api/v1/mail/inbound`, `/dav`), in KiB.
    pub max_mail_body_kb: u64,
    /// Memory for rendered iCalendar feeds, in MiB (0 = render every request).
    pub feed_cache_mb: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            cors_origins: Vec::new(),
            log_format: "text".into(),
            trust_forwarded_for: false,
            max_body_kb: 1024,
            max_mail_body_kb: 25 * 1024,
            feed_cache_mb: 64,
        }
    }
}

/// `[auth]`: who may sign in, and how.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// HMAC secret for JWTs. When unset a random one is made at start-up,
    /// so tokens do not survive a restart.
    pub jwt_secret: Option<SecretString>,
    /// Password sign-in allowed (false: single sign-on only).
    pub password_login: bool,
    /// Only these e-mail domains may register (empty = any).
    pub allowed_email_domains: Vec<String>,
    /// Accounts from these domains wait for an administrator's approval.
    pub approval_email_domains: Vec<String>,
    /// Failed logins before an account is locked.
    pub lockout_attempts: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u32,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, in seconds.
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of a web app sign-in (session cookie), in hours.
    pub web_session_hours: u32,
    /// Failed password sign-ins allowed per client address in a window.
    pub login_failures_per_ip: u32,
    /// Failed password sign-ins allowed per account in a window.
    pub login_failures_per_account: u32,
    /// The window of those limits, in seconds.
    pub login_window_secs: u64,
    /// OpenID Connect providers (`[[auth.oidc_providers]]` tables). The
    /// variables OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET add one
    /// named "sso".
    pub oidc_providers: Vec<booking_sso::ProviderConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            password_login: true,
            allowed_email_domains: Vec::new(),
            approval_email_domains: Vec::new(),
            lockout_attempts: 5,
            lockout_minutes: 15,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 14 * 24 * 3600,
            web_session_hours: 12,
            login_failures_per_ip: 30,
            login_failures_per_account: 10,
            login_window_secs: 300,
            oidc_providers: Vec::new(),
        }
    }
}

/// `[bookings]`: rules that hold across rooms.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingsConfig {
    /// Zone for chat commands that name no room ("today", "free at 3pm").
    pub default_time_zone: String,
    /// How often no-shows are released, in seconds.
    pub no_show_sweep_secs: u64,
    /// Quotas per user across all rooms (on top of each room's own):
    /// `BOOKING_GLOBAL_QUOTAS="week:bookings=5,minutes=600;month:bookings=20"`
    /// or `[[bookings.global_quotas]]` tables in the file.
    pub global_quotas: Vec<booking_core::Quota>,
}

impl Default for BookingsConfig {
    fn default() -> Self {
        Self {
            default_time_zone: "UTC".into(),
            no_show_sweep_secs: 60,
            global_quotas: Vec::new(),
        }
    }
}

/// `[mail]`: sending notifications, and rooms answering invitations.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// SMTP relay, e.g. `smtp://user:pass@host:587` (unset: no mail is sent).
    pub smtp_url: Option<SecretString>,
    /// Extra CA certificate (PEM) to trust for the SMTP relay.
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// Sender of notifications and organizer of the invites we send.
    pub from: String,
    /// Rooms' calendar addresses are `<room-slug>@` this domain.
    pub room_domain: String,
    /// Directory with `{kind}.subject|txt|html` templates overriding the built-in ones.
    pub templates_dir: Option<std::path::PathBuf>,
    /// Invitations from addresses without an account: "decline" or "pending".
    pub unknown_organizers: UnknownOrganizers,
    /// Reminder this many minutes before a booking starts (0 = none).
    pub reminder_minutes: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_ca_file: None,
            from: "rooms@localhost".into(),
            room_domain: "rooms.localhost".into(),
            templates_dir: None,
            unknown_organizers: UnknownOrganizers::Decline,
            reminder_minutes: 15,
        }
    }
}

/// What to do with invitations from addresses that have no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOrganizers {
    /// Answer DECLINED, saying how to get an account.
    Decline,
    /// Create an account and a booking that waits for an approver.
    Pending,
}

/// `[chat]`: the Slack, Teams and Discord bots.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatConfig {
    /// Discord application public key (hex).
    pub discord_public_key: Option<String>,
    /// Slack signing secret.
    pub slack_signing_secret: Option<SecretString>,
    /// Teams outgoing-webhook security token (base64).
    pub teams_hmac_secret: Option<SecretString>,
    /// Chat commands per chat user per minute (429 above).
    pub commands_per_minute: u32,
    /// Wrong `link` codes per chat user in the link window.
    pub link_failures_per_user: u32,
    /// Wrong `link` codes per platform in the link window (then every code
    /// on that platform is refused until the window ends).
    pub link_failures_per_platform: u32,
    /// The window of the link limits, in seconds.
    pub link_window_secs: u64,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            discord_public_key: None,
            slack_signing_secret: None,
            teams_hmac_secret: None,
            commands_per_minute: 30,
            link_failures_per_user: 5,
            link_failures_per_platform: 50,
            link_window_secs: 900,
        }
    }
}

/// `[webhooks]`: outgoing webhooks.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Send deliveries (false: they are made and logged but wait, e.g. on a
    /// staging copy of production data).
    pub send: bool,
    /// Days delivered and failed deliveries stay in the log.
    pub log_days: u32,
    /// Address ranges (CIDR) no webhook may reach, checked on every address a
    /// name resolves to: private, loopback and link-local by default. Empty
    /// (`BOOKING_WEBHOOK_DENIED_NETWORKS=none`) allows every address.
    pub denied_networks: Vec<String>,
    /// Seconds a receiver has to answer.
    pub timeout_secs: u64,
    /// Attempts per delivery before it is given up (kept for redelivery).
    pub max_attempts: u32,
    /// Failed attempts in a row after which an endpoint is disabled and its
    /// owner told (0 = never).
    pub max_failures: u32,
    /// The first retry's delay in milliseconds; each next one doubles…
    pub retry_base_ms: u64,
    /// …up to this many seconds.
    pub retry_cap_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            send: true,
            log_days: 30,
            denied_networks: crate::webhooks::guard::DEFAULT_DENIED
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            timeout_secs: 10,
            max_attempts: 15,
            max_failures: 20,
            retry_base_ms: 5000,
            retry_cap_secs: 3600,
        }
    }
}

impl WebhookConfig {
    /// The deny-list (validated at load time; the defaults if it was not).
    pub fn deny_list(&self) -> crate::webhooks::guard::DenyList {
        crate::webhooks::guard::DenyList::parse(&self.denied_networks).unwrap_or_else(|_| {
            crate::webhooks::guard::DenyList::parse(crate::webhooks::guard::DEFAULT_DENIED)
                .unwrap_or_default()
        })
    }
}

//! Server configuration: defaults < TOML file < environment < command line.

use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
    #[error("invalid value for {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// Everything the server can be told. Each field is also an environment
/// variable (`BOOKING_` + upper-case name) and a key of the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// sqlx URL of the database; SQLite file by default. A secret: a
    /// PostgreSQL URL may hold a password (shown only by
    /// [`Config::database_shown`], with the password masked).
    pub database_url: SecretString,
    /// Address to listen on.
    pub bind: String,
    /// Public base URL (links in feeds and mails).
    pub public_url: String,
    /// HMAC secret for JWTs. When unset a random one is made at start-up,
    /// so tokens do not survive a restart.
    pub jwt_secret: Option<SecretString>,
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
    /// Origins allowed by CORS (empty = CORS off; "*" = any).
    pub cors_origins: Vec<String>,
    /// Log format: "text" or "json".
    pub log_format: String,
    /// How often no-shows are released, in seconds.
    pub no_show_sweep_secs: u64,
    /// Zone for chat commands that name no room ("today", "free at 3pm").
    pub default_time_zone: String,
    /// Discord application public key (hex), env DISCORD_PUBLIC_KEY.
    pub discord_public_key: Option<String>,
    /// Slack signing secret, env SLACK_SIGNING_SECRET.
    pub slack_signing_secret: Option<SecretString>,
    /// Teams outgoing-webhook security token (base64), env TEAMS_HMAC_SECRET.
    pub teams_hmac_secret: Option<SecretString>,
    /// OpenID Connect providers (`[[oidc_providers]]` tables). The variables
    /// OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET add one named "sso".
    pub oidc_providers: Vec<booking_sso::ProviderConfig>,
    /// Password sign-in allowed (false: single sign-on only), env
    /// BOOKING_PASSWORD_LOGIN.
    pub password_login: bool,
    /// SMTP relay, e.g. `smtp://user:pass@host:587` (unset: no mail is sent).
    pub smtp_url: Option<SecretString>,
    /// Extra CA certificate (PEM) to trust for the SMTP relay.
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// Sender of notifications and organizer of the invites we send.
    pub mail_from: String,
    /// Rooms' calendar addresses are `<room-slug>@` this domain.
    pub room_mail_domain: String,
    /// Directory with `{kind}.subject|txt|html` templates overriding the built-in ones.
    pub mail_templates_dir: Option<std::path::PathBuf>,
    /// Invitations from addresses without an account: "decline" or "pending".
    pub unknown_organizers: UnknownOrganizers,
    /// Reminder this many minutes before a booking starts (0 = none).
    pub reminder_minutes: u32,
    /// Memory for rendered iCalendar feeds, in MiB (0 = render every request).
    pub feed_cache_mb: usize,
    /// Lifetime of a web app sign-in (session cookie), in hours.
    pub web_session_hours: u32,
    /// Failed password sign-ins allowed per client address in a window.
    pub login_failures_per_ip: u32,
    /// Failed password sign-ins allowed per account in a window.
    pub login_failures_per_account: u32,
    /// The window of those limits, in seconds.
    pub login_window_secs: u64,
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Largest request body, in KiB (413 above it).
    pub max_body_kb: u64,
    /// Largest body where mail and iTIP arrive (`/api/v1/mail/inbound`, `/dav`), in KiB.
    pub max_mail_body_kb: u64,
    /// Seconds a request waits for a database connection before it answers
    /// 503 (database unavailable).
    pub db_acquire_timeout_secs: u64,
    /// Quotas per user across all rooms (on top of each room's own):
    /// `BOOKING_GLOBAL_QUOTAS="week:bookings=5,minutes=600;month:bookings=20"`
    /// or `[[global_quotas]]` tables in the file.
    pub global_quotas: Vec<booking_core::Quota>,
    /// Chat commands per chat user per minute (429 above).
    pub chat_commands_per_minute: u32,
    /// Wrong `link` codes per chat user in the link window.
    pub chat_link_failures_per_user: u32,
    /// Wrong `link` codes per platform in the link window (then every code
    /// on that platform is refused until the window ends).
    pub chat_link_failures_per_platform: u32,
    /// The window of the link limits, in seconds.
    pub chat_link_window_secs: u64,
    /// Outgoing webhooks (`[webhooks]` in the file).
    pub webhooks: WebhookConfig,
}

/// Outgoing webhooks: `[webhooks]` in the TOML file, `BOOKING_WEBHOOK_*` in
/// the environment.
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
    fn load_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("BOOKING_WEBHOOK_DENIED_NETWORKS") {
            self.denied_networks = if v.trim().eq_ignore_ascii_case("none") {
                Vec::new()
            } else {
                list(&v)
            };
        }
        if let Some(v) = env("BOOKING_WEBHOOK_SEND") {
            self.send = match v.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "BOOKING_WEBHOOK_SEND",
                        reason: format!("{v:?}: use true or false"),
                    });
                }
            };
        }
        if let Some(v) = env("BOOKING_WEBHOOK_TIMEOUT_SECS") {
            self.timeout_secs = number("BOOKING_WEBHOOK_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_WEBHOOK_MAX_ATTEMPTS") {
            self.max_attempts = number("BOOKING_WEBHOOK_MAX_ATTEMPTS", &v)?;
        }
        if let Some(v) = env("BOOKING_WEBHOOK_MAX_FAILURES") {
            self.max_failures = number("BOOKING_WEBHOOK_MAX_FAILURES", &v)?;
        }
        if let Some(v) = env("BOOKING_WEBHOOK_RETRY_BASE_MS") {
            self.retry_base_ms = number("BOOKING_WEBHOOK_RETRY_BASE_MS", &v)?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        crate::webhooks::guard::DenyList::parse(&self.denied_networks).map_err(|reason| {
            ConfigError::Invalid {
                key: "webhooks.denied_networks",
                reason,
            }
        })?;
        if self.timeout_secs == 0 || self.max_attempts == 0 {
            return Err(ConfigError::Invalid {
                key: "webhooks",
                reason: "timeout_secs and max_attempts must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The deny-list (validated at load time; the defaults if it was not).
    pub fn deny_list(&self) -> crate::webhooks::guard::DenyList {
        crate::webhooks::guard::DenyList::parse(&self.denied_networks).unwrap_or_else(|_| {
            crate::webhooks::guard::DenyList::parse(crate::webhooks::guard::DEFAULT_DENIED)
                .unwrap_or_default()
        })
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://booking.db?mode=rwc".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            jwt_secret: None,
            allowed_email_domains: Vec::new(),
            approval_email_domains: Vec::new(),
            lockout_attempts: 5,
            lockout_minutes: 15,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 14 * 24 * 3600,
            cors_origins: Vec::new(),
            log_format: "text".into(),
            no_show_sweep_secs: 60,
            default_time_zone: "UTC".into(),
            discord_public_key: None,
            slack_signing_secret: None,
            teams_hmac_secret: None,
            oidc_providers: Vec::new(),
            password_login: true,
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: "rooms@localhost".into(),
            room_mail_domain: "rooms.localhost".into(),
            mail_templates_dir: None,
            unknown_organizers: UnknownOrganizers::Decline,
            reminder_minutes: 15,
            feed_cache_mb: 64,
            web_session_hours: 12,
            login_failures_per_ip: 30,
            login_failures_per_account: 10,
            login_window_secs: 300,
            trust_forwarded_for: false,
            max_body_kb: 1024,
            max_mail_body_kb: 25 * 1024,
            db_acquire_timeout_secs: 10,
            global_quotas: Vec::new(),
            chat_commands_per_minute: 30,
            chat_link_failures_per_user: 5,
            chat_link_failures_per_platform: 50,
            chat_link_window_secs: 900,
            webhooks: WebhookConfig::default(),
        }
    }
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `week:bookings=5,minutes=600;month:bookings=20` → quotas.
pub fn parse_quotas(v: &str) -> Result<Vec<booking_core::Quota>, String> {
    v.split(';')
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| {
            let (period, limits) = q
                .split_once(':')
                .ok_or_else(|| format!("{q:?}: write period:limit=n, e.g. week:bookings=5"))?;
            let period: booking_core::QuotaPeriod = period
                .trim()
                .parse()
                .map_err(|_| format!("{period:?} is not a period (day, week or month)"))?;
            let mut quota = booking_core::Quota {
                period,
                max_bookings: None,
                max_minutes: None,
            };
            for limit in limits.split(',').map(str::trim) {
                let (key, n) = limit
                    .split_once('=')
                    .ok_or_else(|| format!("{limit:?}: write bookings=n or minutes=n"))?;
                let n: u32 = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("{n:?} is not a whole number"))?;
                match key.trim() {
                    "bookings" => quota.max_bookings = Some(n),
                    "minutes" => quota.max_minutes = Some(n),
                    other => return Err(format!("{other:?} is not bookings or minutes")),
                }
            }
            Ok(quota)
        })
        .collect()
}

fn number<T: std::str::FromStr>(key: &'static str, v: &str) -> Result<T, ConfigError> {
    v.trim().parse().map_err(|_| ConfigError::Invalid {
        key,
        reason: format!("{v:?} is not a number"),
    })
}

impl Config {
    /// The database URL to show people (logs, the CLI): any password in it
    /// is replaced by `***`.
    pub fn database_shown(&self) -> String {
        let raw = self.database_url.expose_secret();
        match url::Url::parse(raw) {
            Ok(mut u) if u.password().is_some() => {
                // Setting a password fails only for URLs that cannot have one.
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            Ok(_) => raw.to_string(),
            Err(_) => "(an unreadable database URL)".to_string(),
        }
    }

    /// How the store uses its connection pool.
    pub fn store_options(&self) -> booking_store::StoreOptions {
        booking_store::StoreOptions {
            acquire_timeout: std::time::Duration::from_secs(self.db_acquire_timeout_secs.max(1)),
        }
    }
}

impl Config {
    /// Defaults, then the TOML file (if any), then `BOOKING_*` variables.
    /// When no public URL was given, links (feeds, mails, door displays)
    /// point at the address the server listens on: `http://` + `bind`, with
    /// an any-address bind read as loopback.
    pub fn follow_bind(&mut self) {
        let defaults = Config::default();
        if self.public_url != defaults.public_url || self.bind == defaults.bind {
            return;
        }
        let host = match self.bind.rsplit_once(':') {
            Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
            Some(("[::]", port)) => format!("[::1]:{port}"),
            _ => self.bind.clone(),
        };
        self.public_url = format!("http://{host}");
    }

    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.display().to_string(),
                    source: Box::new(source),
                })?
            }
            None => Config::default(),
        };
        if let Some(v) = env("BOOKING_DATABASE_URL") {
            cfg.database_url = v.into();
        }
        if let Some(v) = env("BOOKING_BIND") {
            cfg.bind = v;
        }
        if let Some(v) = env("BOOKING_PUBLIC_URL") {
            cfg.public_url = v;
        }
        if let Some(v) = env("BOOKING_JWT_SECRET") {
            cfg.jwt_secret = Some(v.into());
        }
        if let Some(v) = env("BOOKING_ALLOWED_EMAIL_DOMAINS") {
            cfg.allowed_email_domains = list(&v);
        }
        if let Some(v) = env("BOOKING_APPROVAL_EMAIL_DOMAINS") {
            cfg.approval_email_domains = list(&v);
        }
        if let Some(v) = env("BOOKING_LOCKOUT_ATTEMPTS") {
            cfg.lockout_attempts = number("BOOKING_LOCKOUT_ATTEMPTS", &v)?;
        }
        if let Some(v) = env("BOOKING_LOCKOUT_MINUTES") {
            cfg.lockout_minutes = number("BOOKING_LOCKOUT_MINUTES", &v)?;
        }
        if let Some(v) = env("BOOKING_ACCESS_TOKEN_TTL_SECS") {
            cfg.access_token_ttl_secs = number("BOOKING_ACCESS_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_REFRESH_TOKEN_TTL_SECS") {
            cfg.refresh_token_ttl_secs = number("BOOKING_REFRESH_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_CORS_ORIGINS") {
            cfg.cors_origins = list(&v);
        }
        if let Some(v) = env("BOOKING_NO_SHOW_SWEEP_SECS") {
            cfg.no_show_sweep_secs = number("BOOKING_NO_SHOW_SWEEP_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_DEFAULT_TIME_ZONE") {
            cfg.default_time_zone = v;
        }
        if let Some(v) = env("DISCORD_PUBLIC_KEY") {
            cfg.discord_public_key = Some(v);
        }
        if let Some(v) = env("SLACK_SIGNING_SECRET") {
            cfg.slack_signing_secret = Some(v.into());
        }
        if let Some(v) = env("TEAMS_HMAC_SECRET") {
            cfg.teams_hmac_secret = Some(v.into());
        }
        if let Some(issuer) = env("OIDC_ISSUER_URL") {
            let client_id = env("OIDC_CLIENT_ID").ok_or(ConfigError::Invalid {
                key: "OIDC_CLIENT_ID",
                reason: "must be set with OIDC_ISSUER_URL".into(),
            })?;
            cfg.oidc_providers.retain(|p| p.name != "sso");
            cfg.oidc_providers.push(booking_sso::ProviderConfig {
                name: "sso".into(),
                display_name: env("OIDC_DISPLAY_NAME").unwrap_or_else(|| "Single sign-on".into()),
                issuer_url: issuer,
                client_id,
                client_secret: env("OIDC_CLIENT_SECRET").map(Into::into),
                scopes: vec!["openid".into(), "email".into(), "profile".into()],
                role_mappings: Vec::new(),
            });
        }
        if let Some(v) = env("BOOKING_PASSWORD_LOGIN") {
            cfg.password_login = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "BOOKING_PASSWORD_LOGIN",
                        reason: format!("{v:?} is not true or false"),
                    });
                }
            };
        }
        for p in &mut cfg.oidc_providers {
            if p.display_name.is_empty() {
                p.display_name = p.name.clone();
            }
        }
        if let Some(v) = env("BOOKING_SMTP_URL") {
            cfg.smtp_url = Some(v.into());
        }
        if let Some(v) = env("BOOKING_SMTP_CA_FILE") {
            cfg.smtp_ca_file = Some(v.into());
        }
        if let Some(v) = env("BOOKING_MAIL_FROM") {
            cfg.mail_from = v.trim().to_ascii_lowercase();
        }
        if let Some(v) = env("BOOKING_ROOM_MAIL_DOMAIN") {
            cfg.room_mail_domain = v.trim().to_ascii_lowercase();
        }
        if let Some(v) = env("BOOKING_MAIL_TEMPLATES_DIR") {
            cfg.mail_templates_dir = Some(v.into());
        }
        if let Some(v) = env("BOOKING_UNKNOWN_ORGANIZERS") {
            cfg.unknown_organizers = match v.trim() {
                "decline" => UnknownOrganizers::Decline,
                "pending" => UnknownOrganizers::Pending,
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "BOOKING_UNKNOWN_ORGANIZERS",
                        reason: format!("{v:?}: use decline or pending"),
                    });
                }
            };
        }
        if let Some(v) = env("BOOKING_REMINDER_MINUTES") {
            cfg.reminder_minutes = number("BOOKING_REMINDER_MINUTES", &v)?;
        }
        if let Some(v) = env("BOOKING_FEED_CACHE_MB") {
            cfg.feed_cache_mb = number("BOOKING_FEED_CACHE_MB", &v)?;
        }
        if let Some(v) = env("BOOKING_WEB_SESSION_HOURS") {
            cfg.web_session_hours = number("BOOKING_WEB_SESSION_HOURS", &v)?;
        }
        if let Some(v) = env("BOOKING_LOGIN_FAILURES_PER_IP") {
            cfg.login_failures_per_ip = number("BOOKING_LOGIN_FAILURES_PER_IP", &v)?;
        }
        if let Some(v) = env("BOOKING_LOGIN_FAILURES_PER_ACCOUNT") {
            cfg.login_failures_per_account = number("BOOKING_LOGIN_FAILURES_PER_ACCOUNT", &v)?;
        }
        if let Some(v) = env("BOOKING_LOGIN_WINDOW_SECS") {
            cfg.login_window_secs = number("BOOKING_LOGIN_WINDOW_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_TRUST_FORWARDED_FOR") {
            cfg.trust_forwarded_for = matches!(v.trim(), "1" | "true" | "yes");
        }
        for (key, field) in [
            (
                "BOOKING_CHAT_COMMANDS_PER_MINUTE",
                &mut cfg.chat_commands_per_minute,
            ),
            (
                "BOOKING_CHAT_LINK_FAILURES_PER_USER",
                &mut cfg.chat_link_failures_per_user,
            ),
            (
                "BOOKING_CHAT_LINK_FAILURES_PER_PLATFORM",
                &mut cfg.chat_link_failures_per_platform,
            ),
        ] {
            if let Some(v) = env(key) {
                *field = number(key, &v)?;
            }
        }
        if let Some(v) = env("BOOKING_GLOBAL_QUOTAS") {
            cfg.global_quotas = parse_quotas(&v).map_err(|reason| ConfigError::Invalid {
                key: "BOOKING_GLOBAL_QUOTAS",
                reason,
            })?;
        }
        if let Some(v) = env("BOOKING_DB_ACQUIRE_TIMEOUT_SECS") {
            cfg.db_acquire_timeout_secs = number("BOOKING_DB_ACQUIRE_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_CHAT_LINK_WINDOW_SECS") {
            cfg.chat_link_window_secs = number("BOOKING_CHAT_LINK_WINDOW_SECS", &v)?;
        }
        if let Some(v) = env("BOOKING_MAX_BODY_KB") {
            cfg.max_body_kb = number("BOOKING_MAX_BODY_KB", &v)?;
        }
        if let Some(v) = env("BOOKING_MAX_MAIL_BODY_KB") {
            cfg.max_mail_body_kb = number("BOOKING_MAX_MAIL_BODY_KB", &v)?;
        }
        if let Some(v) = env("BOOKING_LOG_FORMAT") {
            cfg.log_format = v;
        }
        cfg.webhooks.load_env(&env)?;
        cfg.allowed_email_domains = cfg
            .allowed_email_domains
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        cfg.approval_email_domains = cfg
            .approval_email_domains
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        cfg.follow_bind();
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.lockout_attempts == 0 {
            return Err(ConfigError::Invalid {
                key: "lockout_attempts",
                reason: "must be at least 1".into(),
            });
        }
        if self.web_session_hours == 0 {
            return Err(ConfigError::Invalid {
                key: "web_session_hours",
                reason: "must be at least 1".into(),
            });
        }
        if self.no_show_sweep_secs == 0 {
            return Err(ConfigError::Invalid {
                key: "no_show_sweep_secs",
                reason: "must be at least 1".into(),
            });
        }
        if self.access_token_ttl_secs == 0 || self.refresh_token_ttl_secs == 0 {
            return Err(ConfigError::Invalid {
                key: "token ttl",
                reason: "must be at least 1 second".into(),
            });
        }
        if let Some(s) = &self.jwt_secret
            && s.expose_secret().len() < 32
        {
            return Err(ConfigError::Invalid {
                key: "jwt_secret",
                reason: "use at least 32 characters".into(),
            });
        }
        if self.default_time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError::Invalid {
                key: "default_time_zone",
                reason: format!("{:?} is not an IANA time zone", self.default_time_zone),
            });
        }
        let mut names = std::collections::BTreeSet::new();
        for p in &self.oidc_providers {
            let ok_name = !p.name.is_empty()
                && p.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok_name || !names.insert(p.name.as_str()) {
                return Err(ConfigError::Invalid {
                    key: "oidc_providers",
                    reason: format!(
                        "provider name {:?} must be unique and use only letters, digits, - and _",
                        p.name
                    ),
                });
            }
            if !(p.issuer_url.starts_with("https://") || p.issuer_url.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    key: "oidc_providers",
                    reason: format!("{}: issuer_url must be an http(s) URL", p.name),
                });
            }
        }
        if !self.password_login && self.oidc_providers.is_empty() {
            return Err(ConfigError::Invalid {
                key: "password_login",
                reason: "password sign-in is off but no OpenID provider is configured: nobody could sign in".into(),
            });
        }
        if let Some(url) = &self.smtp_url {
            booking_email::SmtpSettings::from_url(
                url.expose_secret(),
                self.smtp_ca_file.as_deref(),
            )
            .map_err(|e| ConfigError::Invalid {
                key: "smtp_url",
                reason: e.to_string(),
            })?;
        }
        if !self.mail_from.contains('@') {
            return Err(ConfigError::Invalid {
                key: "mail_from",
                reason: format!("{:?} is not an e-mail address", self.mail_from),
            });
        }
        self.webhooks.validate()?;
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError::Invalid {
                key: "log_format",
                reason: format!("{:?}: use \"text\" or \"json\"", self.log_format),
            });
        }
        Ok(())
    }

    /// The default zone (validated at load time).
    pub fn default_tz(&self) -> chrono_tz::Tz {
        self.default_time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// Domain part of an address, lower-cased.
    fn domain(email: &str) -> String {
        email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }

    pub fn email_allowed(&self, email: &str) -> bool {
        self.allowed_email_domains.is_empty()
            || self.allowed_email_domains.contains(&Self::domain(email))
    }

    pub fn needs_approval(&self, email: &str) -> bool {
        self.approval_email_domains.contains(&Self::domain(email))
    }
}

/// What to do with invitations from addresses that have no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOrganizers {
    /// Answer DECLINED, saying how to get an account.
    Decline,
    /// Create an account and a booking that waits for an approver.
    Pending,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_bind_address_unless_a_public_url_is_given() {
        let load = |vars: &'static [(&'static str, &'static str)]| {
            Config::load(None, |k| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            })
            .expect("load")
        };
        assert_eq!(load(&[]).public_url, "http://127.0.0.1:8080");
        assert_eq!(
            load(&[("BOOKING_BIND", "127.0.0.1:9000")]).public_url,
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            load(&[("BOOKING_BIND", "0.0.0.0:9000")]).public_url,
            "http://127.0.0.1:9000"
        );
        let given = load(&[
            ("BOOKING_BIND", "0.0.0.0:9000"),
            ("BOOKING_PUBLIC_URL", "https://rooms.example"),
        ]);
        assert_eq!(given.public_url, "https://rooms.example");
        let mut flag = load(&[]);
        flag.bind = "127.0.0.1:8123".into();
        flag.follow_bind();
        assert_eq!(
            flag.public_url, "http://127.0.0.1:8123",
            "as `serve --bind` does"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let vars = [
            ("BOOKING_JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-jwt"),
            ("SLACK_SIGNING_SECRET", "slack-signing-secret-value"),
            ("TEAMS_HMAC_SECRET", "dGVhbXMtc2VjcmV0LXZhbHVl"),
            (
                "BOOKING_SMTP_URL",
                "smtp://mailer:smtp-password-value@127.0.0.1:2525",
            ),
            ("OIDC_ISSUER_URL", "https://idp.example"),
            ("OIDC_CLIENT_ID", "booking"),
            ("OIDC_CLIENT_SECRET", "oidc-client-secret-value"),
        ];
        let cfg = Config::load(None, |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
        .expect("load");
        let shown = format!("{cfg:?}");
        for (name, value) in vars
            .iter()
            .filter(|(n, _)| n.contains("SECRET") || n.contains("SMTP"))
        {
            let secret = value
                .split_once("smtp-password")
                .map_or(*value, |_| "smtp-password-value");
            assert!(!shown.contains(secret), "{name} printed by Debug");
        }
        assert_eq!(
            cfg.jwt_secret.as_ref().map(|s| s.expose_secret()),
            Some("jwt-secret-jwt-secret-jwt-secret-jwt"),
            "still there for the code that needs it"
        );
    }

    #[test]
    fn global_quotas_from_one_line() {
        let q = parse_quotas("week:bookings=5,minutes=600; month:bookings=20").expect("quotas");
        assert_eq!(q.len(), 2);
        assert_eq!(
            (q[0].period, q[0].max_bookings, q[0].max_minutes),
            (booking_core::QuotaPeriod::Week, Some(5), Some(600))
        );
        assert_eq!(q[1].max_bookings, Some(20));
        assert!(parse_quotas("fortnight:bookings=1").is_err());
        assert!(parse_quotas("week:hours=1").is_err());
        let err = Config::load(None, |k| {
            (k == "BOOKING_GLOBAL_QUOTAS").then(|| "week:bookings=x".to_string())
        })
        .expect_err("refused");
        assert!(err.to_string().contains("BOOKING_GLOBAL_QUOTAS"), "{err}");
    }

    #[test]
    fn env_overrides_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("cfg-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&dir, "bind = \"0.0.0.0:9000\"\nlockout_attempts = 3\n").expect("write");
        let cfg = Config::load(Some(&dir), |k| {
            (k == "BOOKING_ALLOWED_EMAIL_DOMAINS").then(|| "Example.com, corp.example".to_string())
        })
        .expect("load");
        let _ = std::fs::remove_file(&dir);
        assert_eq!(cfg.bind, "0.0.0.0:9000");
        assert_eq!(cfg.lockout_attempts, 3);
        assert_eq!(cfg.allowed_email_domains, ["example.com", "corp.example"]);
        assert!(cfg.email_allowed("a@EXAMPLE.com"));
        assert!(!cfg.email_allowed("a@evil.com"));
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::load(None, |k| {
            (k == "BOOKING_LOCKOUT_MINUTES").then(|| "soon".into())
        })
        .expect_err("not a number");
        assert!(err.to_string().contains("BOOKING_LOCKOUT_MINUTES"), "{err}");
        let err = Config::load(None, |k| {
            (k == "BOOKING_JWT_SECRET").then(|| "short".into())
        })
        .expect_err("short secret");
        assert!(err.to_string().contains("32 characters"), "{err}");
    }

    #[test]
    fn the_database_password_is_never_shown() {
        let mut c = Config {
            database_url: "postgres://app:hunter2@db.internal:5432/booking".into(),
            ..Config::default()
        };
        assert_eq!(
            c.database_shown(),
            "postgres://app:***@db.internal:5432/booking"
        );
        assert!(!format!("{c:?}").contains("hunter2"), "Debug hides it too");
        c.database_url = "sqlite://booking.db?mode=rwc".into();
        assert_eq!(c.database_shown(), "sqlite://booking.db?mode=rwc");
    }
}

//! Server configuration in layers: defaults < TOML file < environment <
//! command line. The file has a section per concern (`[database]`,
//! `[server]`, `[auth]`, `[bookings]`, `[mail]`, `[chat]`, `[webhooks]`);
//! [`env::VARIABLES`] says which variable sets which key.

mod env;
mod error;
mod sections;

use std::path::Path;

use secrecy::ExposeSecret;

pub use env::parse_quotas;
pub use error::ConfigError;
pub use sections::{
    AuthConfig, BookingsConfig, ChatConfig, DatabaseConfig, MailConfig, ServerConfig,
    UnknownOrganizers, WebhookConfig,
};

/// Everything the server can be told, by section.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[database]`
    pub database: DatabaseConfig,
    /// `[server]`
    pub server: ServerConfig,
    /// `[auth]`
    pub auth: AuthConfig,
    /// `[bookings]`
    pub bookings: BookingsConfig,
    /// `[mail]`
    pub mail: MailConfig,
    /// `[chat]`
    pub chat: ChatConfig,
    /// `[webhooks]`
    pub webhooks: WebhookConfig,
    /// Top-level keys of an earlier release's file that were moved into
    /// their sections (`bind` → `[server] bind`), for a warning at start.
    #[serde(skip)]
    pub moved_keys: Vec<String>,
}

/// The provider named `sso` that the `OIDC_*` variables describe, if set.
fn provider_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<booking_sso::ProviderConfig>, ConfigError> {
    let Some(issuer) = env("OIDC_ISSUER_URL") else {
        return Ok(None);
    };
    let client_id = env("OIDC_CLIENT_ID").ok_or(ConfigError::Invalid {
        key: "OIDC_CLIENT_ID",
        reason: "must be set with OIDC_ISSUER_URL".into(),
    })?;
    Ok(Some(booking_sso::ProviderConfig {
        name: "sso".into(),
        display_name: env("OIDC_DISPLAY_NAME").unwrap_or_else(|| "Single sign-on".into()),
        issuer_url: issuer,
        client_id,
        client_secret: env("OIDC_CLIENT_SECRET").map(Into::into),
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
        role_mappings: Vec::new(),
    }))
}

impl Config {
    /// Defaults, then the TOML file (if any), then the environment (`env`
    /// answers a variable's value). The command line is applied by the
    /// caller, which then calls [`Config::follow_bind`].
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let shown = file.map(|p| p.display().to_string()).unwrap_or_default();
        let mut tree = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: shown.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: shown.clone(),
                    source: Box::new(source),
                })?
            }
            None => toml::Table::new(),
        };
        let moved_keys = env::lift_flat_keys(&mut tree)?;
        env::apply(&mut tree, &env)?;
        let mut cfg: Config =
            toml::Value::Table(tree)
                .try_into()
                .map_err(|source| ConfigError::Parse {
                    path: if shown.is_empty() {
                        "(environment)".into()
                    } else {
                        shown.clone()
                    },
                    source: Box::new(source),
                })?;
        cfg.moved_keys = moved_keys;
        if let Some(p) = provider_from_env(&env)? {
            cfg.auth.oidc_providers.retain(|q| q.name != "sso");
            cfg.auth.oidc_providers.push(p);
        }
        for p in &mut cfg.auth.oidc_providers {
            if p.display_name.is_empty() {
                p.display_name = p.name.clone();
            }
        }
        let lower = |v: &mut Vec<String>| v.iter_mut().for_each(|d| d.make_ascii_lowercase());
        lower(&mut cfg.auth.allowed_email_domains);
        lower(&mut cfg.auth.approval_email_domains);
        cfg.mail.from = cfg.mail.from.trim().to_ascii_lowercase();
        cfg.mail.room_domain = cfg.mail.room_domain.trim().to_ascii_lowercase();
        cfg.follow_bind();
        cfg.validate()?;
        Ok(cfg)
    }

    /// When no public URL was given, links (feeds, mails, door displays)
    /// point at the address the server listens on: `http://` + `bind`, with
    /// an any-address bind read as loopback.
    pub fn follow_bind(&mut self) {
        let defaults = ServerConfig::default();
        let server = &mut self.server;
        if server.public_url != defaults.public_url || server.bind == defaults.bind {
            return;
        }
        let host = match server.bind.rsplit_once(':') {
            Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
            Some(("[::]", port)) => format!("[::1]:{port}"),
            _ => server.bind.clone(),
        };
        server.public_url = format!("http://{host}");
    }

    /// The database URL to show people (logs, the CLI): any password in it
    /// is replaced by `***`.
    pub fn database_shown(&self) -> String {
        let raw = self.database.url.expose_secret();
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
            acquire_timeout: std::time::Duration::from_secs(
                self.database.acquire_timeout_secs.max(1),
            ),
        }
    }

    /// The default zone (validated at load time).
    pub fn default_tz(&self) -> chrono_tz::Tz {
        self.bookings
            .default_time_zone
            .parse()
            .unwrap_or(chrono_tz::UTC)
    }

    /// Domain part of an address, lower-cased.
    fn domain(email: &str) -> String {
        email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// May this address register (allowed domains)?
    pub fn email_allowed(&self, email: &str) -> bool {
        self.auth.allowed_email_domains.is_empty()
            || self
                .auth
                .allowed_email_domains
                .contains(&Self::domain(email))
    }

    /// Does a new account of this address wait for an administrator?
    pub fn needs_approval(&self, email: &str) -> bool {
        self.auth
            .approval_email_domains
            .contains(&Self::domain(email))
    }

    /// Every rule a value must keep, named by section and key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_string(),
            })
        };
        let auth = &self.auth;
        if auth.lockout_attempts == 0 {
            return invalid("auth.lockout_attempts", "must be at least 1");
        }
        if auth.web_session_hours == 0 {
            return invalid("auth.web_session_hours", "must be at least 1");
        }
        if auth.access_token_ttl_secs == 0 || auth.refresh_token_ttl_secs == 0 {
            return invalid("auth.*_token_ttl_secs", "must be at least 1 second");
        }
        if let Some(s) = &auth.jwt_secret
            && s.expose_secret().len() < 32
        {
            return invalid("auth.jwt_secret", "use at least 32 characters");
        }
        self.validate_providers()?;
        if self.bookings.no_show_sweep_secs == 0 {
            return invalid("bookings.no_show_sweep_secs", "must be at least 1");
        }
        let zone = &self.bookings.default_time_zone;
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return invalid(
                "bookings.default_time_zone",
                &format!("{zone:?} is not an IANA time zone"),
            );
        }
        if let Some(url) = &self.mail.smtp_url {
            booking_email::SmtpSettings::from_url(
                url.expose_secret(),
                self.mail.smtp_ca_file.as_deref(),
            )
            .map_err(|e| ConfigError::Invalid {
                key: "mail.smtp_url",
                reason: e.to_string(),
            })?;
        }
        if !self.mail.from.contains('@') {
            return invalid(
                "mail.from",
                &format!("{:?} is not an e-mail address", self.mail.from),
            );
        }
        self.validate_webhooks()?;
        if !matches!(self.server.log_format.as_str(), "text" | "json") {
            return invalid(
                "server.log_format",
                &format!("{:?}: use \"text\" or \"json\"", self.server.log_format),
            );
        }
        Ok(())
    }

    fn validate_providers(&self) -> Result<(), ConfigError> {
        let providers = &self.auth.oidc_providers;
        let mut names = std::collections::BTreeSet::new();
        for p in providers {
            let ok_name = !p.name.is_empty()
                && p.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok_name || !names.insert(p.name.as_str()) {
                return Err(ConfigError::Invalid {
                    key: "auth.oidc_providers",
                    reason: format!(
                        "provider name {:?} must be unique and use only letters, digits, - and _",
                        p.name
                    ),
                });
            }
            if !(p.issuer_url.starts_with("https://") || p.issuer_url.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    key: "auth.oidc_providers",
                    reason: format!("{}: issuer_url must be an http(s) URL", p.name),
                });
            }
        }
        if !self.auth.password_login && providers.is_empty() {
            return Err(ConfigError::Invalid {
                key: "auth.password_login",
                reason: "password sign-in is off but no OpenID provider is configured: nobody could sign in".into(),
            });
        }
        Ok(())
    }

    fn validate_webhooks(&self) -> Result<(), ConfigError> {
        let hooks = &self.webhooks;
        crate::webhooks::guard::DenyList::parse(&hooks.denied_networks).map_err(|reason| {
            ConfigError::Invalid {
                key: "webhooks.denied_networks",
                reason,
            }
        })?;
        if hooks.timeout_secs == 0 || hooks.max_attempts == 0 {
            return Err(ConfigError::Invalid {
                key: "webhooks",
                reason: "timeout_secs and max_attempts must be at least 1".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

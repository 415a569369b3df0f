//! The environment layer: which variable sets which key of which section,
//! and how its text is read. Values are written into the file's TOML tree
//! before it is deserialised, so a variable beats the file and both beat
//! the defaults with one deserialiser for all three.
//!
//! The same table lifts the flat keys of earlier releases (`bind = …`,
//! `smtp_url = …` at the top of the file) into their sections.

use toml::{Table, Value};

use super::error::ConfigError;

/// How a variable's text becomes a value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// As written.
    Text,
    /// Trimmed and lower-cased (addresses, domains).
    Lower,
    /// Comma-separated, each trimmed and lower-cased.
    List,
    /// A whole number.
    Number,
    /// true/false (also 1/0, yes/no, on/off).
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// `week:bookings=5,minutes=600;month:bookings=20`.
    Quotas,
    /// A list of CIDR ranges, or `none` for the empty list.
    Networks,
}

/// One environment variable: its name, the section and key it sets.
pub(super) struct Var {
    pub name: &'static str,
    pub section: &'static str,
    pub key: &'static str,
    pub kind: Kind,
}

const fn var(name: &'static str, section: &'static str, key: &'static str, kind: Kind) -> Var {
    Var {
        name,
        section,
        key,
        kind,
    }
}

/// Every variable the server reads (the OpenID ones, which make a whole
/// provider, are read in [`super::Config::load`]).
pub(super) const VARIABLES: &[Var] = &[
    var("BOOKING_DATABASE_URL", "database", "url", Kind::Text),
    var(
        "BOOKING_DB_ACQUIRE_TIMEOUT_SECS",
        "database",
        "acquire_timeout_secs",
        Kind::Number,
    ),
    var("BOOKING_BIND", "server", "bind", Kind::Text),
    var("BOOKING_PUBLIC_URL", "server", "public_url", Kind::Text),
    var("BOOKING_CORS_ORIGINS", "server", "cors_origins", Kind::List),
    var(
        "BOOKING_LOG_FORMAT",
        "server",
        "log_format",
        Kind::Choice(&["text", "json"]),
    ),
    var(
        "BOOKING_TRUST_FORWARDED_FOR",
        "server",
        "trust_forwarded_for",
        Kind::Bool,
    ),
    var("BOOKING_MAX_BODY_KB", "server", "max_body_kb", Kind::Number),
    var(
        "BOOKING_MAX_MAIL_BODY_KB",
        "server",
        "max_mail_body_kb",
        Kind::Number,
    ),
    var(
        "BOOKING_FEED_CACHE_MB",
        "server",
        "feed_cache_mb",
        Kind::Number,
    ),
    var("BOOKING_JWT_SECRET", "auth", "jwt_secret", Kind::Text),
    var(
        "BOOKING_PASSWORD_LOGIN",
        "auth",
        "password_login",
        Kind::Bool,
    ),
    var(
        "BOOKING_ALLOWED_EMAIL_DOMAINS",
        "auth",
        "allowed_email_domains",
        Kind::List,
    ),
    var(
        "BOOKING_APPROVAL_EMAIL_DOMAINS",
        "auth",
        "approval_email_domains",
        Kind::List,
    ),
    var(
        "BOOKING_LOCKOUT_ATTEMPTS",
        "auth",
        "lockout_attempts",
        Kind::Number,
    ),
    var(
        "BOOKING_LOCKOUT_MINUTES",
        "auth",
        "lockout_minutes",
        Kind::Number,
    ),
    var(
        "BOOKING_ACCESS_TOKEN_TTL_SECS",
        "auth",
        "access_token_ttl_secs",
        Kind::Number,
    ),
    var(
        "BOOKING_REFRESH_TOKEN_TTL_SECS",
        "auth",
        "refresh_token_ttl_secs",
        Kind::Number,
    ),
    var(
        "BOOKING_WEB_SESSION_HOURS",
        "auth",
        "web_session_hours",
        Kind::Number,
    ),
    var(
        "BOOKING_LOGIN_FAILURES_PER_IP",
        "auth",
        "login_failures_per_ip",
        Kind::Number,
    ),
    var(
        "BOOKING_LOGIN_FAILURES_PER_ACCOUNT",
        "auth",
        "login_failures_per_account",
        Kind::Number,
    ),
    var(
        "BOOKING_LOGIN_WINDOW_SECS",
        "auth",
        "login_window_secs",
        Kind::Number,
    ),
    var(
        "BOOKING_DEFAULT_TIME_ZONE",
        "bookings",
        "default_time_zone",
        Kind::Text,
    ),
    var(
        "BOOKING_NO_SHOW_SWEEP_SECS",
        "bookings",
        "no_show_sweep_secs",
        Kind::Number,
    ),
    var(
        "BOOKING_GLOBAL_QUOTAS",
        "bookings",
        "global_quotas",
        Kind::Quotas,
    ),
    var("BOOKING_SMTP_URL", "mail", "smtp_url", Kind::Text),
    var("BOOKING_SMTP_CA_FILE", "mail", "smtp_ca_file", Kind::Text),
    var("BOOKING_MAIL_FROM", "mail", "from", Kind::Lower),
    var(
        "BOOKING_ROOM_MAIL_DOMAIN",
        "mail",
        "room_domain",
        Kind::Lower,
    ),
    var(
        "BOOKING_MAIL_TEMPLATES_DIR",
        "mail",
        "templates_dir",
        Kind::Text,
    ),
    var(
        "BOOKING_UNKNOWN_ORGANIZERS",
        "mail",
        "unknown_organizers",
        Kind::Choice(&["decline", "pending"]),
    ),
    var(
        "BOOKING_REMINDER_MINUTES",
        "mail",
        "reminder_minutes",
        Kind::Number,
    ),
    var(
        "DISCORD_PUBLIC_KEY",
        "chat",
        "discord_public_key",
        Kind::Text,
    ),
    var(
        "SLACK_SIGNING_SECRET",
        "chat",
        "slack_signing_secret",
        Kind::Text,
    ),
    var("TEAMS_HMAC_SECRET", "chat", "teams_hmac_secret", Kind::Text),
    var(
        "BOOKING_CHAT_COMMANDS_PER_MINUTE",
        "chat",
        "commands_per_minute",
        Kind::Number,
    ),
    var(
        "BOOKING_CHAT_LINK_FAILURES_PER_USER",
        "chat",
        "link_failures_per_user",
        Kind::Number,
    ),
    var(
        "BOOKING_CHAT_LINK_FAILURES_PER_PLATFORM",
        "chat",
        "link_failures_per_platform",
        Kind::Number,
    ),
    var(
        "BOOKING_CHAT_LINK_WINDOW_SECS",
        "chat",
        "link_window_secs",
        Kind::Number,
    ),
    var("BOOKING_WEBHOOK_SEND", "webhooks", "send", Kind::Bool),
    var(
        "BOOKING_WEBHOOK_DENIED_NETWORKS",
        "webhooks",
        "denied_networks",
        Kind::Networks,
    ),
    var(
        "BOOKING_WEBHOOK_TIMEOUT_SECS",
        "webhooks",
        "timeout_secs",
        Kind::Number,
    ),
    var(
        "BOOKING_WEBHOOK_MAX_ATTEMPTS",
        "webhooks",
        "max_attempts",
        Kind::Number,
    ),
    var(
        "BOOKING_WEBHOOK_MAX_FAILURES",
        "webhooks",
        "max_failures",
        Kind::Number,
    ),
    var(
        "BOOKING_WEBHOOK_RETRY_BASE_MS",
        "webhooks",
        "retry_base_ms",
        Kind::Number,
    ),
];

/// Write every variable that is set into `tree` (section by section).
pub(super) fn apply(
    tree: &mut Table,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for v in VARIABLES {
        if let Some(text) = env(v.name) {
            let value = read(v, &text)?;
            section(tree, v.section)?.insert(v.key.to_string(), value);
        }
    }
    Ok(())
}

/// The table of `name` in `tree`, made if missing.
pub(super) fn section<'t>(
    tree: &'t mut Table,
    name: &'static str,
) -> Result<&'t mut Table, ConfigError> {
    tree.entry(name)
        .or_insert_with(|| Value::Table(Table::new()))
        .as_table_mut()
        .ok_or(ConfigError::Invalid {
            key: name,
            reason: "must be a table ([section])".into(),
        })
}

/// The key a variable's setting had at the top of the file in earlier
/// releases (`BOOKING_MAIL_FROM` → `mail_from`); the webhooks were always
/// a section.
fn flat_key(v: &Var) -> Option<String> {
    (v.section != "webhooks").then(|| {
        let lower = v.name.to_ascii_lowercase();
        lower.strip_prefix("booking_").unwrap_or(&lower).to_string()
    })
}

/// Move the top-level keys of earlier releases into their sections (a key
/// already in its section wins); the keys moved, for a warning.
pub(super) fn lift_flat_keys(tree: &mut Table) -> Result<Vec<String>, ConfigError> {
    let tables = [
        ("oidc_providers", "auth", "oidc_providers"),
        ("global_quotas", "bookings", "global_quotas"),
    ];
    let mut moves: Vec<(String, &'static str, &'static str)> = tables
        .iter()
        .map(|(flat, s, k)| ((*flat).to_string(), *s, *k))
        .collect();
    moves.extend(
        VARIABLES
            .iter()
            .filter_map(|v| flat_key(v).map(|flat| (flat, v.section, v.key))),
    );
    let mut moved = Vec::new();
    for (flat, section_name, key) in moves {
        if let Some(value) = tree.remove(&flat) {
            section(tree, section_name)?.entry(key).or_insert(value);
            moved.push(format!("{flat} → [{section_name}] {key}"));
        }
    }
    Ok(moved)
}

fn read(v: &Var, text: &str) -> Result<Value, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        key: v.name,
        reason,
    };
    Ok(match v.kind {
        Kind::Text => Value::String(text.to_string()),
        Kind::Lower => Value::String(text.trim().to_ascii_lowercase()),
        Kind::List => Value::Array(list(text).into_iter().map(Value::String).collect()),
        Kind::Networks if text.trim().eq_ignore_ascii_case("none") => Value::Array(Vec::new()),
        Kind::Networks => Value::Array(list(text).into_iter().map(Value::String).collect()),
        Kind::Number => text
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| i64::try_from(n).ok())
            .map(Value::Integer)
            .ok_or_else(|| invalid(format!("{text:?} is not a number")))?,
        Kind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Value::Boolean(true),
            "0" | "false" | "no" | "off" => Value::Boolean(false),
            _ => return Err(invalid(format!("{text:?} is not true or false"))),
        },
        Kind::Choice(words) => {
            let word = text.trim();
            if !words.contains(&word) {
                return Err(invalid(format!("{text:?}: use {}", words.join(" or "))));
            }
            Value::String(word.to_string())
        }
        Kind::Quotas => {
            let quotas = parse_quotas(text).map_err(invalid)?;
            Value::try_from(quotas).map_err(|e| invalid(e.to_string()))?
        }
    })
}

/// `a, B,c` → `["a", "b", "c"]`.
pub(super) fn list(v: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_names_a_distinct_key() {
        let mut seen = std::collections::BTreeSet::new();
        for v in VARIABLES {
            assert!(
                seen.insert((v.section, v.key)),
                "{} sets {}.{} a second time",
                v.name,
                v.section,
                v.key
            );
        }
    }

    #[test]
    fn old_flat_keys_move_into_their_sections() {
        let mut tree: Table = toml::from_str(
            "bind = \"0.0.0.0:9000\"\nmail_from = \"a@b.example\"\n\
             chat_commands_per_minute = 3\n[mail]\nfrom = \"kept@b.example\"\n",
        )
        .expect("toml");
        let moved = lift_flat_keys(&mut tree).expect("lift");
        assert_eq!(tree["server"]["bind"].as_str(), Some("0.0.0.0:9000"));
        assert_eq!(tree["chat"]["commands_per_minute"].as_integer(), Some(3));
        assert_eq!(
            tree["mail"]["from"].as_str(),
            Some("kept@b.example"),
            "the section's own key wins"
        );
        assert!(!tree.contains_key("bind"));
        assert_eq!(moved.len(), 3, "{moved:?}");
    }
}

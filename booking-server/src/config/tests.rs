//! The layers and what each section accepts.

use super::*;

fn file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("cfg-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&path, text).expect("write");
    path
}

fn load_file(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let path = file(text);
    let cfg = Config::load(Some(&path), |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_string())
    });
    let _ = std::fs::remove_file(&path);
    cfg
}

#[test]
fn sections_layer_defaults_file_and_environment() {
    let cfg = load_file(
        r#"
[database]
url = "sqlite://from-file.db?mode=rwc"

[server]
bind = "0.0.0.0:9000"

[auth]
lockout_attempts = 3
allowed_email_domains = ["Example.com"]

[[auth.oidc_providers]]
name = "corp"
issuer_url = "https://idp.example"
client_id = "booking"

[mail]
from = "Rooms@Example.com"
reminder_minutes = 5

[chat]
commands_per_minute = 7

[[bookings.global_quotas]]
period = "week"
max_bookings = 4
"#,
        &[
            ("BOOKING_REMINDER_MINUTES", "20"),
            ("BOOKING_CHAT_LINK_WINDOW_SECS", "60"),
        ],
    )
    .expect("load");
    assert_eq!(cfg.database_shown(), "sqlite://from-file.db?mode=rwc");
    assert_eq!(cfg.server.bind, "0.0.0.0:9000", "file beats default");
    assert_eq!(cfg.server.public_url, "http://127.0.0.1:9000");
    assert_eq!(cfg.auth.lockout_attempts, 3);
    assert_eq!(
        cfg.auth.lockout_minutes, 15,
        "default where nothing is said"
    );
    assert_eq!(cfg.auth.allowed_email_domains, ["example.com"]);
    assert_eq!(cfg.auth.oidc_providers[0].display_name, "corp");
    assert_eq!(cfg.mail.from, "rooms@example.com");
    assert_eq!(cfg.mail.reminder_minutes, 20, "environment beats file");
    assert_eq!(cfg.chat.commands_per_minute, 7);
    assert_eq!(cfg.chat.link_window_secs, 60);
    assert_eq!(cfg.bookings.global_quotas[0].max_bookings, Some(4));
    assert!(cfg.moved_keys.is_empty());
}

#[test]
fn unknown_keys_and_wrong_types_in_a_section_are_refused_by_name() {
    let err = load_file("[mail]\nsender = \"a@b.example\"\n", &[]).expect_err("unknown key");
    assert!(err.to_string().contains("sender"), "{err}");
    let err = load_file("[auth]\nlockout_attempts = \"many\"\n", &[]).expect_err("type");
    assert!(err.to_string().contains("lockout_attempts"), "{err}");
    let err = load_file("mail = 3\n", &[]).expect_err("not a table");
    assert!(err.to_string().contains("mail"), "{err}");
    let err = load_file("", &[("BOOKING_UNKNOWN_ORGANIZERS", "maybe")]).expect_err("choice");
    assert!(err.to_string().contains("decline or pending"), "{err}");
    let err = load_file("[auth]\nlockout_attempts = 0\n", &[]).expect_err("rule");
    assert!(err.to_string().contains("auth.lockout_attempts"), "{err}");
}

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
    assert_eq!(load(&[]).server.public_url, "http://127.0.0.1:8080");
    assert_eq!(
        load(&[("BOOKING_BIND", "127.0.0.1:9000")])
            .server
            .public_url,
        "http://127.0.0.1:9000"
    );
    assert_eq!(
        load(&[("BOOKING_BIND", "0.0.0.0:9000")]).server.public_url,
        "http://127.0.0.1:9000"
    );
    let given = load(&[
        ("BOOKING_BIND", "0.0.0.0:9000"),
        ("BOOKING_PUBLIC_URL", "https://rooms.example"),
    ]);
    assert_eq!(given.server.public_url, "https://rooms.example");
    let mut flag = load(&[]);
    flag.server.bind = "127.0.0.1:8123".into();
    flag.follow_bind();
    assert_eq!(
        flag.server.public_url, "http://127.0.0.1:8123",
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
        cfg.auth.jwt_secret.as_ref().map(|s| s.expose_secret()),
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
fn an_earlier_release_flat_file_still_loads_and_env_overrides_it() {
    let cfg = load_file(
        "bind = \"0.0.0.0:9000\"\nlockout_attempts = 3\n",
        &[("BOOKING_ALLOWED_EMAIL_DOMAINS", "Example.com, corp.example")],
    )
    .expect("load");
    assert_eq!(cfg.moved_keys.len(), 2, "{:?}", cfg.moved_keys);
    assert_eq!(cfg.server.bind, "0.0.0.0:9000");
    assert_eq!(cfg.auth.lockout_attempts, 3);
    assert_eq!(
        cfg.auth.allowed_email_domains,
        ["example.com", "corp.example"]
    );
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
    let mut c = Config::default();
    c.database.url = "postgres://app:hunter2@db.internal:5432/booking".into();
    assert_eq!(
        c.database_shown(),
        "postgres://app:***@db.internal:5432/booking"
    );
    assert!(!format!("{c:?}").contains("hunter2"), "Debug hides it too");
    c.database.url = "sqlite://booking.db?mode=rwc".into();
    assert_eq!(c.database_shown(), "sqlite://booking.db?mode=rwc");
}

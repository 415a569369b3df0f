//! `booking-server`: run the meeting-room booking server and its admin commands.

use secrecy::ExposeSecret as _;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use booking_server::config::Config;
use booking_server::state::AppState;
use booking_server::{ServerError, demo};
use clap::{Parser, Subcommand};

/// Meeting-room booking server.
///
/// Every option can also be set in the environment (BOOKING_*) or in the TOML
/// file given with --config; the command line wins over both.
const ENVIRONMENT: &str = "\
Environment (each also a key of a section of the --config TOML file: [database],
[server], [auth], [bookings], [mail], [chat], [webhooks]; see docs/OPERATIONS.md):
  BOOKING_DATABASE_URL            sqlite://booking.db?mode=rwc | postgres://USER@HOST/DB
  BOOKING_BIND                    listen address [127.0.0.1:8080]
  BOOKING_PUBLIC_URL              public base URL [http://127.0.0.1:8080]
  BOOKING_JWT_SECRET              token signing secret, >= 32 characters [random per start]
  BOOKING_ALLOWED_EMAIL_DOMAINS   domains that may register, comma-separated [any]
  BOOKING_APPROVAL_EMAIL_DOMAINS  domains whose accounts wait for approval
  BOOKING_LOCKOUT_ATTEMPTS        failed logins before a lock [5]
  BOOKING_LOCKOUT_MINUTES         lock duration [15]
  BOOKING_ACCESS_TOKEN_TTL_SECS   access token lifetime [900]
  BOOKING_REFRESH_TOKEN_TTL_SECS  refresh token lifetime [1209600]
  BOOKING_CORS_ORIGINS            allowed origins, comma-separated, * for any [off]
  BOOKING_NO_SHOW_SWEEP_SECS      how often no-shows are released [60]
  BOOKING_DEFAULT_TIME_ZONE       zone for chat commands without a room [UTC]
  BOOKING_LOG_FORMAT              text | json [text]; RUST_LOG filters
  BOOKING_WEB_SESSION_HOURS       web app sign-in lifetime [12]
  BOOKING_LOGIN_FAILURES_PER_IP   failed sign-ins per address per window, then 429 [30]
  BOOKING_LOGIN_FAILURES_PER_ACCOUNT  the same per account [10]
  BOOKING_LOGIN_WINDOW_SECS       window of those limits [300]
  BOOKING_TRUST_FORWARDED_FOR     client address from X-Forwarded-For (behind a proxy) [false]
  BOOKING_MAX_BODY_KB             largest request body, 413 above [1024]
  BOOKING_MAX_MAIL_BODY_KB        the same for mail and CalDAV [25600]
  BOOKING_PASSWORD_LOGIN          allow password sign-in; false = single sign-on only [true]
  OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET   one OpenID provider named \"sso\"
                                  (more, and role mappings: [[auth.oidc_providers]] in the TOML file)
  BOOKING_SMTP_URL                smtp://user:pass@host:587 (STARTTLS) | smtps://… | …?tls=none [no mail]
  BOOKING_SMTP_CA_FILE            extra CA certificate (PEM) for the relay
  BOOKING_MAIL_FROM               sender of notifications [rooms@localhost]
  BOOKING_ROOM_MAIL_DOMAIN        rooms answer as <room-slug>@DOMAIN [rooms.localhost]
  BOOKING_MAIL_TEMPLATES_DIR      {kind}.subject/.txt/.html overriding built-in templates
  BOOKING_UNKNOWN_ORGANIZERS      decline | pending: invitations from unknown addresses [decline]
  BOOKING_REMINDER_MINUTES        reminder before a booking starts, 0 = off [15]
  SLACK_SIGNING_SECRET, TEAMS_HMAC_SECRET, DISCORD_PUBLIC_KEY, DISCORD_TOKEN   chat platforms
See docs/OPERATIONS.md.";

#[derive(Debug, Parser)]
#[command(name = "booking-server", version, about, long_about = None, after_help = ENVIRONMENT)]
struct Cli {
    /// TOML configuration file (keys as in docs/OPERATIONS.md).
    #[arg(long, global = true, env = "BOOKING_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations and serve the HTTP API.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<String>,
        /// Database URL: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB
        /// [default: sqlite://booking.db?mode=rwc].
        #[arg(long)]
        database_url: Option<String>,
        /// Load demo rooms and one account per role; prints their passwords.
        #[arg(long)]
        demo: bool,
    },
    /// Write a consistent backup while the server runs: SQLite → a database
    /// file (VACUUM INTO); PostgreSQL → a pg_dump custom-format archive.
    Backup {
        /// Where to write the backup (must not exist).
        #[arg(long)]
        to: PathBuf,
        /// Database URL (as for serve).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        /// Database URL (as for serve).
        #[arg(long)]
        database_url: Option<String>,
        /// Only list the migrations that would run; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the Discord gateway bot (slash commands; needs DISCORD_TOKEN).
    DiscordBot {
        /// Bot token [env: DISCORD_TOKEN].
        #[arg(long, env = "DISCORD_TOKEN", hide_env_values = true)]
        token: String,
        /// Database URL (as for serve).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Process one invitation e-mail from stdin (RFC 5322, for an MTA pipe):
    /// the rooms it names answer through the outbox. Prints the outcomes as
    /// JSON; malformed mail exits with status 65 and changes nothing.
    IngestMail {
        /// Database URL (as for serve).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Create a super_admin account (or promote an existing one).
    CreateAdmin {
        /// E-mail address of the administrator.
        #[arg(long)]
        email: String,
        /// Display name [default: Administrator].
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Database URL (as for serve).
        #[arg(long)]
        database_url: Option<String>,
    },
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    let mut config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    let _telemetry = booking_server::telemetry::init(&config.server.log_format);
    if !config.moved_keys.is_empty() {
        tracing::warn!(
            moved = %config.moved_keys.join(", "),
            "the config file uses top-level keys of an earlier release; they were read into their sections — move them there"
        );
    }
    match cli.command {
        Command::Serve {
            bind,
            database_url,
            demo,
        } => {
            if let Some(b) = bind {
                config.server.bind = b;
                config.follow_bind();
            }
            if let Some(u) = database_url {
                config.database.url = u.into();
            }
            if config.auth.jwt_secret.is_none() {
                tracing::warn!(
                    "BOOKING_JWT_SECRET is not set: using a random secret; tokens will not survive a restart"
                );
            }
            let state = AppState::open(config).await?;
            if demo {
                let accounts = demo::load(&state).await?;
                println!(
                    "Demo data loaded. Sign in with (passwords are new on every --demo start):"
                );
                for (email, role, password) in accounts {
                    println!("  {:<20} {email:<28} {password}", role.as_str());
                }
                println!(
                    "API docs: http://{}/api/docs  — POST /api/v1/auth/login to get a token",
                    state.config.server.bind
                );
            }
            booking_server::serve(state).await
        }
        Command::DiscordBot {
            token,
            database_url,
        } => {
            if let Some(u) = database_url {
                config.database.url = u.into();
            }
            let state = AppState::open(config).await?;
            booking_server::discord_bot::run(state, &token).await
        }
        Command::IngestMail { database_url } => {
            if let Some(u) = database_url {
                config.database.url = u.into();
            }
            let mut raw = Vec::new();
            std::io::stdin()
                .take(booking_email::MAX_MESSAGE as u64 + 1)
                .read_to_end(&mut raw)
                .map_err(|e| ServerError::Other(format!("cannot read stdin: {e}")))?;
            let state = AppState::open(config).await?;
            match booking_server::mail::ingest(&state, &raw).await {
                Ok(outcomes) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&outcomes).unwrap_or_default()
                    );
                    Ok(())
                }
                Err(booking_server::mail::InboundError::Core(e)) => Err(e.into()),
                Err(e) => {
                    tracing::error!(error = %e, "rejected incoming mail");
                    Err(ServerError::Data(format!("rejected incoming mail: {e}")))
                }
            }
        }
        Command::Backup { to, database_url } => {
            if let Some(u) = database_url {
                config.database.url = u.into();
            }
            backup(config.database.url.expose_secret(), &to).await?;
            println!("backup written to {}", to.display());
            Ok(())
        }
        Command::Migrate {
            database_url,
            dry_run,
        } => {
            if let Some(u) = database_url {
                config.database.url = u.into();
            }
            let opts = config.store_options();
            if dry_run {
                let store =
                    booking_store::connect_with(config.database.url.expose_secret(), &opts).await?;
                let pending = store.pending_migrations().await?;
                if pending.is_empty() {
                    println!("{} is up to date", config.database_shown());
                } else {
                    println!("would apply to {}:", config.database_shown());
                    for m in pending {
                        println!("  {m}");
                    }
                }
                return Ok(());
            }
            booking_store::open_with(config.database.url.expose_secret(), &opts).await?;
            println!("migrations applied to {}", config.database_shown());
            Ok(())
        }
        Command::CreateAdmin {
            email,
            name,
            password_stdin,
            database_url,
        } => {
            if let Some(u) = database_url {
                config.database.url = u.into();
            }
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| ServerError::Other(format!("cannot read stdin: {e}")))?;
                (s.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (demo::random_password(), true)
            };
            booking_server::auth::check_password_strength(&password).map_err(|_| {
                ServerError::Other(format!(
                    "password must be at least {} characters",
                    booking_server::auth::MIN_PASSWORD_LEN
                ))
            })?;
            let state = AppState::open(config).await?;
            let hash = booking_server::auth::hash_password(&password)
                .map_err(|_| ServerError::Other("hashing failed".into()))?;
            let (user, created) = state
                .svc
                .bootstrap_admin("cli", &email, &name, &hash)
                .await?;
            if created {
                println!("created super_admin {}", user.email);
            } else {
                println!("{} is now a super_admin with the new password", user.email);
            }
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
    }
}

async fn backup(url: &str, to: &std::path::Path) -> Result<(), ServerError> {
    if url.starts_with("sqlite:") {
        let store = booking_store::SqliteStore::connect(url).await?;
        store.backup_to(to).await?;
        return Ok(());
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        if to.exists() {
            return Err(ServerError::Other(format!(
                "{} exists already; choose a new file",
                to.display()
            )));
        }
        let status = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(to)
            .arg(url)
            .status()
            .await
            .map_err(|e| ServerError::Other(format!("cannot run pg_dump: {e}")))?;
        return if status.success() {
            Ok(())
        } else {
            Err(ServerError::Other(format!("pg_dump failed ({status})")))
        };
    }
    Err(ServerError::Other(format!(
        "unsupported database URL {url:?}"
    )))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ ServerError::Data(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(65)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

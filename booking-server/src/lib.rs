//! # booking-server
//!
//! The HTTP server and CLI around booking-core: a REST API described by
//! OpenAPI 3 (poem + poem-openapi), JWT accounts with roles, health probes,
//! Prometheus metrics and an audit log.

pub mod api;
pub mod auth;
pub mod chat;
pub mod compressed;
pub mod config;
pub mod dav;
pub mod demo;
pub mod discord_bot;
pub mod displays;
pub mod error;
pub mod feed_cache;
pub mod guests;
pub mod ical;
mod ical_closures;
pub mod import;
pub mod jwt;
pub mod limits;
pub mod live;
pub mod login_limit;
pub mod mail;
pub mod mcp;
pub mod methods;
pub mod metrics;
pub mod ops;
pub mod sso;
pub mod state;
pub mod tables;
pub mod telemetry;
pub mod tokens;
pub mod web;
pub mod webhooks;

use std::sync::Arc;

use booking_core::{BookingService, SystemClock};
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::middleware::Cors;
use poem::{EndpointExt, Route};

use crate::methods::get;
use rand::RngCore;
use thiserror::Error;

use crate::config::Config;
use crate::jwt::JwtKeys;
use crate::metrics::Metrics;
use crate::state::AppState;

#[derive(Debug, Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Store(#[from] booking_core::StoreError),
    #[error(transparent)]
    Core(#[from] booking_core::CoreError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
    /// Bad input data (exit code 65, EX_DATAERR).
    #[error("{0}")]
    Data(String),
}

impl AppState {
    /// Open the database (migrating it) and build the state.
    pub async fn open(config: Config) -> Result<Self, ServerError> {
        let stores = tables::open_with(
            secrecy::ExposeSecret::expose_secret(&config.database.url),
            &config.store_options(),
        )
        .await?;
        let secret = match &config.auth.jwt_secret {
            Some(s) => secrecy::ExposeSecret::expose_secret(s).as_bytes().to_vec(),
            None => {
                let mut key = vec![0u8; 32];
                rand::rng().fill_bytes(&mut key);
                key
            }
        };
        Ok(Self {
            store: stores.server,
            svc: BookingService::new(stores.core, Arc::new(SystemClock))
                .with_global_quotas(config.bookings.global_quotas.clone()),
            jwt: Arc::new(JwtKeys::new(&secret)),
            sso: Arc::new(sso::Sso::new(config.auth.oidc_providers.clone())),
            reads: Arc::default(),
            feeds: Arc::new(feed_cache::FeedCache::new(
                config.server.feed_cache_mb.saturating_mul(1024 * 1024),
            )),
            logins: Arc::new(login_limit::LoginLimits::new(
                config.auth.login_failures_per_ip,
                config.auth.login_failures_per_account,
                std::time::Duration::from_secs(config.auth.login_window_secs.max(1)),
                std::thread::available_parallelism().map_or(2, usize::from),
            )),
            chat_limits: Arc::new(chat::limits::ChatLimits::new(&config)),
            guest_limits: Arc::default(),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            live: live::LiveHub::default(),
            webhooks: Arc::default(),
        })
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> BoxEndpoint<'static> {
    let api = api::service();
    let docs = api.swagger_ui();
    let cors_origins = state.config.server.cors_origins.clone();
    let route = web::mount(Route::new())
        .at("/api/v1/events", get(live::events))
        .nest("/api/v1", api)
        .at("/api/openapi.json", get(api::links::document))
        .nest("/api/docs", docs)
        .at("/mcp", mcp::endpoint)
        .at("/healthz", get(ops::healthz))
        .at("/readyz", get(ops::readyz))
        .at("/metrics", get(ops::metrics))
        .at("/ical/me.ics", get(ical::my_feed))
        .at("/ical/all.ics", get(ical::all_feed))
        .at("/ical/rooms/:file", get(ical::room_feed))
        .at("/ical/rooms/:room/freebusy.ics", get(ical::room_freebusy))
        .at("/freebusy/:file", get(ical::mailbox_freebusy))
        .at("/auth/login", get(sso::login_page))
        .at("/auth/oidc/:provider/login", get(sso::login))
        .at("/auth/oidc/:provider/callback", get(sso::callback))
        .at("/dav", dav::endpoint)
        .at("/dav/*path", dav::endpoint)
        .at("/.well-known/caldav", dav::endpoint)
        .at("/chat/slack/commands", methods::post(chat::slack_commands))
        .at(
            "/chat/slack/interactions",
            methods::post(chat::slack_interactions),
        )
        .at("/chat/teams/messages", methods::post(chat::teams_messages))
        .at(
            "/chat/discord/interactions",
            methods::post(chat::discord_interactions),
        );
    let with_cors = if cors_origins.is_empty() {
        route.boxed()
    } else {
        let mut cors = Cors::new()
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers(["authorization", "content-type", "x-request-id"])
            .expose_headers(["x-request-id"]);
        if !cors_origins.iter().any(|o| o == "*") {
            cors = cors.allow_origins(cors_origins.iter().map(String::as_str));
        }
        route.with(cors).boxed()
    };
    with_cors.around(ops::around).data(state).boxed()
}

/// Serve until Ctrl-C / SIGTERM.
pub async fn serve(state: AppState) -> Result<(), ServerError> {
    let bind = state.config.server.bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|source| ServerError::Bind {
            bind: bind.clone(),
            source,
        })?;
    serve_on(listener, state, shutdown_signal()).await
}

/// Serve on an already-bound listener until `shutdown` resolves (used by tests).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Other(e.to_string()))?;
    tracing::info!(%addr, "listening; API docs at http://{addr}/api/docs");
    let sweeper = tokio::spawn(release_no_shows_periodically(state.clone()));
    let mut live_tasks = live::start(&state).await;
    live_tasks.extend(webhooks::worker::spawn(state.clone()));
    match mail::spawn(state.clone()) {
        Ok(tasks) => live_tasks.extend(tasks),
        Err(e) => tracing::error!(error = %e, "mail is not sent: bad SMTP settings"),
    }
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener)
        .map_err(|e| ServerError::Other(e.to_string()))?;
    let result = poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app(state),
            shutdown,
            Some(std::time::Duration::from_secs(10)),
        )
        .await
        .map_err(|e| ServerError::Other(e.to_string()));
    sweeper.abort();
    for t in live_tasks {
        t.abort();
    }
    result
}

/// The background task that releases bookings nobody checked in to.
async fn release_no_shows_periodically(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(
        state.config.bookings.no_show_sweep_secs,
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.svc.release_no_shows().await {
            Ok(released) => {
                for b in released {
                    tracing::info!(booking = %b.id, room = %b.room_id, organizer = %b.organizer_id, "released no-show");
                }
            }
            Err(e) => tracing::warn!(error = %e, "no-show release failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

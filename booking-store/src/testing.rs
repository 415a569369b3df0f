//! Test support (feature `testing`): fresh databases that are dropped afterwards.
//!
//! SQLite: a new file in the temp directory. PostgreSQL: a new database on the
//! server named by `BOOKING_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Set `BOOKING_TEST_PG=off`
//! to skip PostgreSQL where no server runs; CI never does.

use std::sync::Arc;

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use booking_core::store::Store;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends the test suite must cover.
pub fn backends() -> Vec<Backend> {
    if std::env::var("BOOKING_TEST_PG").as_deref() == Ok("off") {
        eprintln!("BOOKING_TEST_PG=off: skipping PostgreSQL");
        vec![Backend::Sqlite]
    } else {
        vec![Backend::Sqlite, Backend::Postgres]
    }
}

/// The project's migrations for `backend` up to and including `version`: a
/// migrator that builds a database the way an older release left it (the
/// upgrade tests fill it, then run today's migrate).
pub async fn migrations_upto(backend: Backend, version: i64) -> sqlx::migrate::Migrator {
    let dir = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let all = sqlx::migrate::Migrator::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../migrations")
            .join(dir),
    )
    .await
    .expect("migrations");
    let upto: Vec<_> = all
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    assert_eq!(
        upto.len() as i64,
        version,
        "migrations are numbered 1, 2, 3, …"
    );
    sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(upto),
        ..all
    }
}

fn pg_admin_url() -> String {
    std::env::var("BOOKING_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database created for one test and removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    name: String,
}

impl TestDb {
    /// Create an empty database. Panics with a clear message if it cannot.
    pub async fn create(backend: Backend) -> Self {
        let name = format!("booking_test_{}", Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                Self {
                    backend,
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    name: path.display().to_string(),
                }
            }
            Backend::Postgres => {
                let admin = pg_admin_url();
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for storage tests ({e}); start it or set BOOKING_TEST_PG=off")
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Self {
                    backend,
                    url: format!("{base}/{name}"),
                    name,
                }
            }
        }
    }

    /// Open and migrate the store.
    pub async fn store(&self) -> Arc<dyn Store> {
        crate::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.url))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                let name = self.name.clone();
                // Drop runs inside a runtime; do the async cleanup on a thread of its own.
                let handle = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            if let Ok(mut conn) = PgConnection::connect(&pg_admin_url()).await {
                                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                                let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                                    .execute(&mut conn)
                                    .await;
                            }
                        });
                    }
                });
                let _ = handle.join();
            }
        }
    }
}

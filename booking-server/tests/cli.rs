//! The `booking-server` binary: exit codes and messages a shell user sees.

use booking_core::RoomListing;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_booking-server"));
    c.env_remove("BOOKING_DATABASE_URL")
        .env_remove("BOOKING_CONFIG");
    c
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_documents_every_command_and_option() {
    let out = run(&["--help"], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in [
        "serve",
        "migrate",
        "create-admin",
        "backup",
        "discord-bot",
        "BOOKING_JWT_SECRET",
        "BOOKING_DATABASE_URL",
        "BOOKING_WEB_SESSION_HOURS",
        "BOOKING_MAX_BODY_KB",
    ] {
        assert!(help.contains(cmd), "{help}");
    }
    let out = run(&["serve", "--help"], None);
    let help = text(&out.stdout);
    for opt in ["--bind", "--database-url", "--demo", "--config"] {
        assert!(help.contains(opt), "{help}");
    }
}

#[test]
fn migrate_and_create_admin_on_a_fresh_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}/b.db?mode=rwc", dir.display());

    // --dry-run lists what would run and changes nothing.
    let out = run(&["migrate", "--dry-run", "--database-url", &url], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(
        listed.contains("would apply") && listed.contains("0001 initial"),
        "{listed}"
    );
    let out = run(&["migrate", "--dry-run", "--database-url", &url], None);
    assert!(text(&out.stdout).contains("0001 initial"), "still pending");
    let out = run(&["migrate", "--database-url", &url], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("migrations applied"));
    let out = run(&["migrate", "--dry-run", "--database-url", &url], None);
    assert!(
        text(&out.stdout).contains("is up to date"),
        "{}",
        text(&out.stdout)
    );

    let out = run(
        &[
            "create-admin",
            "--email",
            "ops@example.com",
            "--password-stdin",
            "--database-url",
            &url,
        ],
        Some("short\n"),
    );
    assert_eq!(out.status.code(), Some(1), "weak password refused");
    assert!(
        text(&out.stderr).contains("at least 10 characters"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &[
            "create-admin",
            "--email",
            "ops@example.com",
            "--password-stdin",
            "--database-url",
            &url,
        ],
        Some("a long enough passphrase\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created super_admin ops@example.com"));
    assert!(
        !text(&out.stdout).contains("password:"),
        "a given password is not echoed"
    );

    // A backup holds the account: create-admin on the copy finds it.
    let copy = dir.join("copy.db");
    let out = run(
        &[
            "backup",
            "--to",
            &copy.display().to_string(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &[
            "backup",
            "--to",
            &copy.display().to_string(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "never overwrites");
    assert!(
        text(&out.stderr).contains("exists already"),
        "{}",
        text(&out.stderr)
    );
    let copy_url = format!("sqlite://{}?mode=rw", copy.display());
    let out = run(
        &[
            "create-admin",
            "--email",
            "ops@example.com",
            "--database-url",
            &copy_url,
        ],
        None,
    );
    assert!(
        text(&out.stdout).contains("is now a super_admin"),
        "{}",
        text(&out.stdout)
    );

    // Running it again promotes/resets instead of failing.
    let out = run(
        &[
            "create-admin",
            "--email",
            "ops@example.com",
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("password: "),
        "a generated password is printed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_fails_with_a_message() {
    let out = run(&["migrate", "--database-url", "mysql://nope"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unsupported database URL"),
        "{}",
        text(&out.stderr)
    );

    let out = bin()
        .args(["migrate"])
        .env("BOOKING_LOCKOUT_ATTEMPTS", "many")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("BOOKING_LOCKOUT_ATTEMPTS"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &[
            "serve",
            "--bind",
            "not-an-address",
            "--database-url",
            "sqlite::memory:",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot listen on not-an-address"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn backup_of_postgres_is_a_pg_dump_archive() {
    use booking_store::testing::{Backend, TestDb, backends};
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDb::create(Backend::Postgres).await;
    let out = run(&["migrate", "--database-url", &db.url], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = std::env::temp_dir().join(format!("pg-{}.dump", uuid::Uuid::new_v4()));
    let out = run(
        &[
            "backup",
            "--to",
            &file.display().to_string(),
            "--database-url",
            &db.url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&file).expect("dump");
    let _ = std::fs::remove_file(&file);
    assert!(bytes.starts_with(b"PGDMP"), "custom-format archive");
}

/// #16 item 4: accounts made or changed from the command line (create-admin,
/// `serve --demo`'s accounts) are in the audit log, passwords never.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_account_changes_are_audited() {
    let dir = std::env::temp_dir().join(format!("cli-audit-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}/b.db?mode=rwc", dir.display());
    for _ in 0..2 {
        let out = run(
            &[
                "create-admin",
                "--email",
                "ops@example.com",
                "--database-url",
                &url,
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let store = booking_store::open(&url).await.expect("store");
    let audit = store
        .list_audit(&booking_core::store::AuditFilter {
            entity: Some("user".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"user.create"), "{actions:?}");
    assert!(
        actions.contains(&"user.password"),
        "the second run resets: {actions:?}"
    );
    for e in &audit {
        assert_eq!(
            e.after.as_ref().and_then(|a| a["via"].as_str()),
            Some("cli"),
            "{e:?}"
        );
        let json = serde_json::to_string(e).expect("json");
        assert!(
            !json.contains("argon2"),
            "no password hash in the audit log: {json}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Everything a restore must bring back, in a comparable order.
async fn snapshot(url: &str) -> serde_json::Value {
    let store = booking_store::open(url).await.expect("store");
    let mut rooms = store
        .list_rooms(RoomListing::WithDeleted)
        .await
        .expect("rooms");
    rooms.sort_by_key(|r| r.id);
    let mut users = store.list_users().await.expect("users");
    users.sort_by_key(|u| u.id);
    let mut bookings = store
        .list_bookings(&Default::default())
        .await
        .expect("bookings");
    bookings.sort_by_key(|b| b.id);
    let audit = store
        .list_audit(&booking_core::store::AuditFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .expect("audit");
    // Released before a restore looks for processes holding the database.
    store.close().await;
    serde_json::json!({"rooms": rooms, "users": users, "bookings": bookings, "audit": audit})
}

/// #24: `backup`, then `scripts/restore.sh` into a fresh database, gives the
/// same rows on SQLite and PostgreSQL; the restore refuses while a server
/// uses the target database, and changes nothing then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_gives_the_same_rows() {
    use booking_store::testing::{TestDb, backends};
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for backend in backends() {
        eprintln!("-- {backend:?}");
        let source = TestDb::create(backend).await;
        // Rooms, accounts, bookings and their audit entries from the demo data.
        let state = booking_server::state::AppState::open({
            let mut c = booking_server::config::Config::default();
            c.database.url = source.url.clone().into();
            c.auth.jwt_secret = Some("restore-secret-restore-secret-restore".into());
            c
        })
        .await
        .expect("state");
        booking_server::demo::load(&state).await.expect("demo data");
        let rooms = state
            .svc
            .list_rooms(RoomListing::Current)
            .await
            .expect("rooms");
        let huddle = rooms.iter().find(|r| r.name == "Huddle 1").expect("huddle");
        let alice = state
            .store
            .get_user_by_email("alice@demo.example")
            .await
            .expect("q")
            .expect("alice");
        let mut day = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
        while chrono::Datelike::weekday(&day).num_days_from_monday() > 4 {
            day += chrono::Duration::days(1);
        }
        let start = day.and_hms_opt(9, 0, 0).expect("t").and_utc();
        state
            .svc
            .book(
                &booking_core::Actor::from(alice),
                booking_core::BookingRequest {
                    room_id: huddle.id,
                    title: "Restore me".into(),
                    purpose: "with every field".into(),
                    attendees: 3,
                    start,
                    end: start + chrono::Duration::hours(1),
                },
            )
            .await
            .expect("booking");
        drop(state);
        let before = snapshot(&source.url).await;
        assert!(
            before["bookings"].as_array().is_some_and(|b| !b.is_empty()),
            "{before}"
        );
        let file = std::env::temp_dir().join(format!("restore-{}.bak", uuid::Uuid::new_v4()));
        let out = run(
            &[
                "backup",
                "--to",
                &file.display().to_string(),
                "--database-url",
                &source.url,
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));

        let target = TestDb::create(backend).await;
        let restore = |url: &str| {
            Command::new("bash")
                .arg(repo.join("scripts/restore.sh"))
                .arg(&file)
                .env("BOOKING_DATABASE_URL", url)
                .output()
                .expect("restore.sh")
        };
        // A server on the target: refused, nothing changed.
        let migrated = run(&["migrate", "--database-url", &target.url], None);
        assert!(migrated.status.success(), "{}", text(&migrated.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let mut server = bin()
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &target.url,
            ])
            .env(
                "BOOKING_JWT_SECRET",
                "restore-secret-restore-secret-restore",
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let mut up = false;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                up = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(up, "server did not start");
        let refused = restore(&target.url);
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
        assert!(
            text(&refused.stderr).contains("stop the server first"),
            "{}",
            text(&refused.stderr)
        );
        let untouched = snapshot(&target.url).await;
        assert!(
            untouched["rooms"].as_array().is_some_and(Vec::is_empty),
            "{untouched}"
        );

        // Stopped: restored, and the rows are the same.
        let done = restore(&target.url);
        assert!(done.status.success(), "{}", text(&done.stderr));
        let after = snapshot(&target.url).await;
        assert_eq!(after, before);
        let _ = std::fs::remove_file(&file);
        if let Some(path) = target
            .url
            .strip_prefix("sqlite://")
            .and_then(|p| p.split('?').next())
        {
            let _ = std::fs::remove_file(format!("{path}.before-restore"));
        }
    }
}

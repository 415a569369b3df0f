//! The `booking-server` binary: exit codes and messages a shell user sees.

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
    use booking_core::testing::{Backend, TestDb, backends};
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
    let store = booking_core::store::open(&url).await.expect("store");
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

//! Whether anything was committed to a SQLite file since the last look, by
//! anyone — this process or another — read in microseconds.
//!
//! Every statement sqlx runs goes to its connection's thread and back: a
//! hand-off that costs more than a small statement itself. The file's data
//! version (`PRAGMA data_version`, which "will be different if changes were
//! committed to the database by any other connection in the interim") is
//! read here synchronously, on a connection of its own that never writes,
//! so answers computed from the database can be kept for as long as it
//! stays the same ([`crate::kept`]).
//!
//! Why a second binding (`rusqlite`, over the same `libsqlite3-sys` sqlx
//! links): sqlx offers no synchronous statement, and its raw handle needs
//! `unsafe`, which this workspace forbids.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

/// A read-only connection that tells the file's data version.
#[derive(Debug)]
pub struct CommitProbe {
    conn: Mutex<Connection>,
}

impl CommitProbe {
    /// A probe of the database file at `path`, or `None` when it cannot be
    /// opened (the store then reads afresh every time).
    pub fn open(path: &Path) -> Option<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match Connection::open_with_flags(path, flags) {
            Ok(conn) => {
                let probe = Self {
                    conn: Mutex::new(conn),
                };
                probe.mark().map(|_| probe)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the SQLite file for commits; reads are not kept");
                None
            }
        }
    }

    /// A number that differs from every earlier one once anyone committed
    /// a change to the file; `None` when it cannot be told right now (busy
    /// or failing), which callers treat as "changed".
    pub fn mark(&self) -> Option<i64> {
        let conn = self.conn.lock().ok()?;
        let mut stmt = conn.prepare_cached("PRAGMA data_version").ok()?;
        stmt.query_row([], |row| row.get(0)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_by_another_connection_changes_the_mark() {
        let dir = std::env::temp_dir().join(format!("commit-mark-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);")
            .expect("create");
        let probe = CommitProbe::open(&path).expect("probe");
        let first = probe.mark().expect("mark");
        assert_eq!(probe.mark(), Some(first), "nothing committed: same mark");
        writer
            .execute("INSERT INTO t VALUES (1)", [])
            .expect("insert");
        let second = probe.mark().expect("mark");
        assert_ne!(second, first, "a commit changes the mark");
        // A transaction rolled back commits nothing.
        writer
            .execute_batch("BEGIN; INSERT INTO t VALUES (2); ROLLBACK;")
            .expect("rollback");
        assert_eq!(probe.mark(), Some(second));
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_file_is_no_probe() {
        let path = std::env::temp_dir().join("commit-mark-missing/nothing.db");
        assert!(CommitProbe::open(&path).is_none());
    }
}

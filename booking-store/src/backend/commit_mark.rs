//! Whether anything was committed to a SQLite file since the last look, by
//! anyone — this process or another — told without a statement.
//!
//! Every statement sqlx runs goes to its connection's thread and back: a
//! hand-off that costs more than a small statement itself. SQLite's own way
//! to ask (`PRAGMA data_version`) is a statement too, with file locks taken
//! and released around it; measured, asking it twice per request took a
//! seventh of the server's time on a cached read.
//!
//! In WAL mode (which this store always uses) every connection of every
//! process shares the *wal-index* in the `-shm` file beside the database,
//! and every commit rewrites its header: `mxFrame`, the last committed
//! frame of the log, grows, and when the log starts over its salt changes.
//! The header's layout is SQLite's documented WAL-index format
//! (<https://sqlite.org/walformat.html>, "The WAL-Index Header"): two copies
//! of 48 bytes, written one after the other, each holding a version number
//! (3007000 since WAL exists), a change counter, an "initialised" flag,
//! `mxFrame` and the salts. Reading those 96 bytes with one `pread` tells
//! whether the committed state changed.
//!
//! It answers `None` — "read afresh" — whenever it cannot be sure: no
//! `-shm` file, an unknown version, a header not initialised, the two
//! copies differing (a writer is between them), or the file having been
//! removed (every connection closed; a new one is then opened, and a
//! generation number keeps its marks apart from the old file's).

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The WAL-index version SQLite has written since WAL was introduced.
const WALINDEX_VERSION: u32 = 3_007_000;
/// One copy of the header.
const HEADER: usize = 48;

/// A look at the `-shm` file of one database.
#[derive(Debug)]
pub struct CommitProbe {
    path: PathBuf,
    /// The open `-shm` file and how many times it was (re)opened.
    shm: RwLock<Option<(File, u32)>>,
}

/// What a commit changes: which `-shm` file, the log's salt, its last
/// committed frame, the change counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    salt: u32,
    max_frame: u32,
    change: u32,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Header {
    /// The header in `both` copies, if they agree and it is one SQLite
    /// initialised in the format this code knows.
    fn read(both: &[u8; 2 * HEADER]) -> Option<Self> {
        let (first, second) = both.split_at(HEADER);
        if first != second || u32_at(first, 0)? != WALINDEX_VERSION || first[12] != 1 {
            return None;
        }
        Some(Self {
            change: u32_at(first, 8)?,
            max_frame: u32_at(first, 16)?,
            salt: u32_at(first, 32)?,
        })
    }
}

impl CommitProbe {
    /// A probe of the database file at `database` (its `-shm` file is
    /// opened on first use).
    pub fn new(database: &Path) -> Self {
        let mut path = database.as_os_str().to_owned();
        path.push("-shm");
        Self {
            path: PathBuf::from(path),
            shm: RwLock::new(None),
        }
    }

    /// A mark that differs from every earlier one once anyone committed a
    /// change to the database; `None` when that cannot be told right now.
    pub fn mark(&self) -> Option<u128> {
        let read = {
            let shm = self.shm.read().unwrap_or_else(|e| e.into_inner());
            shm.as_ref()
                .map(|(file, generation)| Self::look(file, *generation))
        };
        match read {
            Some(Some(mark)) => Some(mark),
            // Not opened yet, or removed: open the file there now, if any.
            _ => {
                self.reopen();
                None
            }
        }
    }

    fn look(file: &File, generation: u32) -> Option<u128> {
        let mut both = [0_u8; 2 * HEADER];
        file.read_exact_at(&mut both, 0).ok()?;
        let header = Header::read(&both)?;
        // Removed since it was opened: every connection closed, and the
        // next one makes a new file this handle does not see.
        if file.metadata().ok()?.nlink() == 0 {
            return None;
        }
        Some(
            u128::from(generation) << 96
                | u128::from(header.salt) << 64
                | u128::from(header.max_frame) << 32
                | u128::from(header.change),
        )
    }

    fn reopen(&self) {
        let mut shm = self.shm.write().unwrap_or_else(|e| e.into_inner());
        let stale = shm
            .as_ref()
            .is_none_or(|(file, _)| file.metadata().map_or(true, |m| m.nlink() == 0));
        if stale && let Ok(file) = File::open(&self.path) {
            let generation = shm.as_ref().map_or(0, |(_, g)| g.wrapping_add(1));
            *shm = Some((file, generation));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use sqlx::{Executor, SqlitePool};

    async fn pool(path: &Path) -> SqlitePool {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .expect("open")
    }

    /// The mark, after the probe opened the file if it had to.
    fn mark(probe: &CommitProbe) -> u128 {
        probe.mark().or_else(|| probe.mark()).expect("a mark")
    }

    #[tokio::test]
    async fn every_commit_changes_the_mark_and_nothing_else_does() {
        let dir = std::env::temp_dir().join(format!("commit-mark-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("t.db");
        let db = pool(&path).await;
        db.execute("CREATE TABLE t (x INTEGER)")
            .await
            .expect("create");
        let probe = CommitProbe::new(&path);
        let first = mark(&probe);
        db.execute("SELECT * FROM t").await.expect("read");
        assert_eq!(mark(&probe), first, "a read commits nothing");
        db.execute("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        let second = mark(&probe);
        assert_ne!(second, first, "a commit changes the mark");
        db.execute("BEGIN IMMEDIATE; INSERT INTO t VALUES (2); ROLLBACK;")
            .await
            .expect("rollback");
        assert_eq!(mark(&probe), second, "a rolled back write commits nothing");

        // Every connection closed: SQLite removes the -shm file; a new
        // connection makes another, and its marks are new ones.
        db.close().await;
        let db = pool(&path).await;
        db.execute("INSERT INTO t VALUES (3)")
            .await
            .expect("insert");
        let third = mark(&probe);
        assert!(third != first && third != second);
        db.execute("INSERT INTO t VALUES (4)")
            .await
            .expect("insert");
        assert_ne!(mark(&probe), third);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_file_or_a_header_it_does_not_know_is_no_mark() {
        let probe = CommitProbe::new(Path::new("/nonexistent/commit-mark/t.db"));
        assert_eq!(probe.mark(), None);
        assert_eq!(probe.mark(), None);
        let mut both = [0_u8; 2 * HEADER];
        both[..4].copy_from_slice(&WALINDEX_VERSION.to_ne_bytes());
        both[12] = 1;
        both[HEADER..4 + HEADER].copy_from_slice(&WALINDEX_VERSION.to_ne_bytes());
        both[12 + HEADER] = 1;
        assert!(Header::read(&both).is_some());
        let mut torn = both;
        torn[16] = 9; // mxFrame of the first copy only: a writer between them
        assert_eq!(Header::read(&torn), None);
        let mut future = both;
        future[..4].copy_from_slice(&3_999_000_u32.to_ne_bytes());
        future[HEADER..4 + HEADER].copy_from_slice(&3_999_000_u32.to_ne_bytes());
        assert_eq!(Header::read(&future), None);
    }
}

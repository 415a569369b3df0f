//! Answers read from the database, kept for as long as nothing was
//! committed to it by anyone.
//!
//! The hot reads behind every request — whose session a token is, the
//! change counters an ETag is made of — cost a statement each, and on
//! SQLite a statement is a hand-off to its connection's thread and back.
//! Where the backend can tell cheaply that nothing was committed since
//! ([`SqlBackend::commit_mark`](crate::backend::SqlBackend::commit_mark)),
//! the answer read last time is still the answer, whichever process wrote
//! since. Where it cannot (PostgreSQL), every read goes to the database.
//!
//! Never stale: the mark is taken *before* the read, so a commit racing the
//! read makes the next mark differ and the kept answer is dropped.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Answers kept at most; past that, the memo starts afresh.
const MAX_ANSWERS: usize = 10_000;

type Answer = Arc<dyn Any + Send + Sync>;

/// The answers kept under the commit mark they were read at.
#[derive(Default)]
pub(crate) struct Memo {
    kept: Mutex<Option<(u128, HashMap<String, Answer>)>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").finish_non_exhaustive()
    }
}

impl Memo {
    /// The answer kept for `key` at `mark`, if it is of type `T`.
    pub(crate) fn get<T: Clone + 'static>(&self, mark: u128, key: &str) -> Option<T> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match kept.as_ref() {
            Some((at, answers)) if *at == mark => answers.get(key)?.downcast_ref::<T>().cloned(),
            _ => None,
        }
    }

    /// Keep `value` for `key`, read after the database showed `mark`.
    /// Answers kept under another mark are dropped: marks never repeat, so
    /// they can never be asked for again.
    pub(crate) fn put<T: Send + Sync + 'static>(&self, mark: u128, key: String, value: T) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match kept.as_mut() {
            Some((at, answers)) if *at == mark => {
                if answers.len() >= MAX_ANSWERS {
                    answers.clear();
                }
                answers.insert(key, Arc::new(value));
            }
            _ => {
                let answers = HashMap::from([(key, Arc::new(value) as Answer)]);
                *kept = Some((mark, answers));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_only_at_its_mark() {
        let memo = Memo::default();
        assert_eq!(memo.get::<i64>(1, "a"), None);
        memo.put(1, "a".into(), 7_i64);
        assert_eq!(memo.get::<i64>(1, "a"), Some(7));
        assert_eq!(memo.get::<i64>(2, "a"), None, "a commit since: read afresh");
        assert_eq!(
            memo.get::<String>(1, "a"),
            None,
            "another type is no answer"
        );
    }

    #[test]
    fn another_mark_drops_the_answers_of_the_last() {
        let memo = Memo::default();
        memo.put(1, "a".into(), 1_i64);
        memo.put(2, "b".into(), 2_i64);
        assert_eq!(memo.get::<i64>(2, "a"), None);
        assert_eq!(memo.get::<i64>(2, "b"), Some(2));
        // An answer read at mark 1 is never one for mark 2.
        memo.put(1, "a".into(), 1_i64);
        assert_eq!(memo.get::<i64>(2, "b"), None);
        assert_eq!(memo.get::<i64>(1, "a"), Some(1));
    }
}

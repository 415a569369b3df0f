//! Status codes, the thread-local last error, and the guard that keeps
//! panics from crossing into C.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use booking_core::{CoreError, RuleViolation};

/// What a call did.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BkStatus {
    BkOk = 0,
    /// An argument is missing, not UTF-8, or breaks a field rule.
    BkInvalidInput = 1,
    BkNotFound = 2,
    /// The actor may not do this.
    BkForbidden = 3,
    /// The room is taken: `bk_last_conflict` names the booking in the way.
    BkConflict = 4,
    /// Another booking rule refused (business hours, capacity, window, quota, …).
    BkRule = 5,
    /// The record changed meanwhile, or is in a state that does not allow this.
    BkStale = 6,
    /// The database cannot be reached right now; nothing was changed.
    BkUnavailable = 7,
    BkInternal = 8,
    /// A bug: a Rust panic was caught at the boundary.
    BkPanic = 9,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
    static LAST_CONFLICT: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

pub(crate) fn set_error(status: BkStatus, message: &str) -> BkStatus {
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(cstring(message)));
    status
}

fn clear() {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
    LAST_CONFLICT.with(|e| *e.borrow_mut() = None);
}

/// The message of this thread's last failed call, or NULL after a success.
/// Valid until the next `bk_*` call on this thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn bk_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |s| s.as_ptr()))
}

/// After `BK_CONFLICT`: the id of the booking that holds the room, else NULL.
/// Valid until the next `bk_*` call on this thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn bk_last_conflict() -> *const c_char {
    LAST_CONFLICT.with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |s| s.as_ptr()))
}

/// The status and message of a core error.
pub(crate) fn from_core(err: CoreError) -> BkStatus {
    let status = match &err {
        CoreError::Input(_) | CoreError::SeriesDeclined(_) => BkStatus::BkInvalidInput,
        CoreError::Rule(RuleViolation::Conflict { booking_id, .. }) => {
            let id = cstring(&booking_id.to_string());
            LAST_CONFLICT.with(|e| *e.borrow_mut() = Some(id));
            BkStatus::BkConflict
        }
        CoreError::Rule(_) => BkStatus::BkRule,
        CoreError::NotFound { .. } => BkStatus::BkNotFound,
        CoreError::Forbidden(_) | CoreError::RoleDenied { .. } => BkStatus::BkForbidden,
        CoreError::InvalidTransition { .. }
        | CoreError::Stale(_)
        | CoreError::WrongState(_)
        | CoreError::AlreadyExists(_) => BkStatus::BkStale,
        CoreError::Store(e) if e.is_unavailable() => BkStatus::BkUnavailable,
        CoreError::Store(_) => BkStatus::BkInternal,
    };
    let message = match &err {
        CoreError::Rule(r) => format!("{} ({})", r, r.rule()),
        other => other.to_string(),
    };
    set_error(status, &message)
}

/// Run `f` with the last error cleared; a panic becomes `BK_PANIC`.
pub(crate) fn guard(f: impl FnOnce() -> BkStatus) -> BkStatus {
    clear();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(status) => status,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_error(
                BkStatus::BkPanic,
                &format!("internal error (panic): {what}"),
            )
        }
    }
}

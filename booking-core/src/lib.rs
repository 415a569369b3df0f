//! # booking-core
//!
//! The rules of a meeting-room booking system, embeddable in any Rust program:
//! rooms and their policies, bookings and their approval workflow, conflict
//! and capacity rules, availability search, and storage on SQLite or PostgreSQL.
//!
//! Rules are pure functions ([`rules`], [`availability`]); [`BookingService`]
//! runs them and writes through a [`store::Store`] in one transaction.

pub mod accounts;
pub mod analytics;
pub mod availability;
mod chat_link;
pub mod domain;
pub mod error;
pub mod procurement;
pub mod recurrence;
pub mod rules;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod workflow;

pub use domain::*;
pub use error::{CoreError, InputError, StoreError};
pub use rules::RuleViolation;
pub use service::{Actor, BookingEvent, BookingService, Clock, EventKind, FixedClock, SystemClock};

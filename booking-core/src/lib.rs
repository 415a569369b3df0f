//! # booking-core
//!
//! The rules of a meeting-room booking system, embeddable in any Rust program:
//! rooms and their policies, bookings and their approval workflow, conflict
//! and capacity rules, availability search, recurrence, and the storage traits
//! ([`store`]) that `booking-store` implements on SQLite and PostgreSQL.
//!
//! Rules are pure functions ([`rules`], [`availability`]); [`BookingService`]
//! runs them and writes through a [`store::Store`] in one transaction.

#![deny(missing_docs)]

pub mod accounts;
pub mod analytics;
pub mod availability;
mod closing;
pub mod closures;
pub mod domain;
mod dry_run;
pub mod email;
mod enums;
pub mod error;
mod guests;
mod input;
pub mod invitations;
mod linking;
pub mod links;
pub mod memory;
mod on_behalf;
pub mod orders;
pub mod procurement;
pub mod recurrence;
pub mod rules;
pub mod service;
pub mod sign_in;
pub mod store;
mod together;
pub mod workflow;

pub use closing::{ClosureOutcome, ExistingBookings};
pub use domain::*;
pub use email::Email;
pub use error::{CoreError, InputError, StoreError};
pub use rules::RuleViolation;
pub use service::{Actor, BookingEvent, BookingService, Clock, EventKind, FixedClock, SystemClock};
pub use sign_in::Lockout;
pub use together::{BookingGroup, GroupRequest, MAX_ROOMS_TOGETHER, RoomShare};

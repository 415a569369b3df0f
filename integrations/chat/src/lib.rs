//! # booking-chat
//!
//! Chat-platform support for the room-booking platform: one command grammar
//! for every platform ([`grammar`]) and the request signatures of Discord,
//! Slack and Teams ([`verify`]). Pure code, no I/O: the server wires it to
//! booking-core.

pub mod grammar;
pub mod verify;

pub use grammar::{Command, ParseError, When, match_room, parse};

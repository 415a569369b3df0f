//! What happened for each room of an invitation: what the room answers and
//! why, and what it booked.

use booking_calendar::itip::PartStat;
use booking_core::Room;
use serde::Serialize;

/// What happened for one room of an invitation.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub room: String,
    pub address: String,
    /// ACCEPTED, TENTATIVE or DECLINED (none for CANCEL).
    pub partstat: Option<String>,
    pub action: String,
    pub reason: Option<String>,
    pub booking_id: Option<String>,
    pub series_id: Option<String>,
    /// Dates of a recurring invitation that could not be booked (the rest
    /// was): declined one by one in the REPLY and named in the mail.
    pub declined: Vec<booking_core::recurrence::Skipped>,
}

/// The outcome for `room` before anything is booked.
pub(super) fn outcome(
    room: &Room,
    address: &str,
    partstat: Option<PartStat>,
    action: &str,
) -> Outcome {
    Outcome {
        room: room.name.clone(),
        address: address.to_string(),
        partstat: partstat.map(|p| p.as_str().to_string()),
        action: action.to_string(),
        reason: None,
        booking_id: None,
        series_id: None,
        declined: Vec::new(),
    }
}

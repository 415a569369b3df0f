//! Closures in calendars: a room's feed (and the all-rooms feed) shows each
//! closed interval as an opaque "Closed: reason" event, and free/busy
//! counts it as busy, so people see closed times where they plan.

use std::collections::{BTreeSet, HashMap};

use booking_calendar::Writer;
use booking_core::closures::Closure;
use booking_core::store::VersionScope;
use booking_core::{Room, RoomId};
use chrono::{DateTime, Utc};

use crate::state::AppState;

/// The VEVENTs of the closures a feed of `scope` shows within `[from, to)`:
/// a room's own, or (all rooms) every closure once.
pub(crate) async fn events(
    state: &AppState,
    scope: VersionScope,
    rooms: &HashMap<RoomId, Room>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    host: &str,
) -> Vec<String> {
    let list: Vec<Closure> = match scope {
        VersionScope::Organizer(_) => return Vec::new(),
        _ => match state.svc.list_closures().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "closures left out of a feed");
                return Vec::new();
            }
        },
    };
    let mut out = Vec::new();
    for c in &list {
        let location = match scope {
            VersionScope::Room(id) => match rooms.get(&id) {
                Some(room) if c.scope.covers(room) => room.name.clone(),
                _ => continue,
            },
            _ => {
                let names: BTreeSet<&str> = rooms
                    .values()
                    .filter(|r| c.scope.covers(r))
                    .map(|r| r.name.as_str())
                    .collect();
                if names.is_empty() {
                    continue;
                }
                names.into_iter().collect::<Vec<_>>().join(", ")
            }
        };
        for (s, e) in c.intervals(from, to) {
            let mut w = Writer::with_capacity(400);
            w.begin("VEVENT")
                .text("UID", &format!("closure-{}-{}@{host}", c.id, s.timestamp()))
                .utc("DTSTAMP", c.created_at)
                .utc("DTSTART", s)
                .utc("DTEND", e)
                .text("SUMMARY", &format!("Closed: {}", c.reason))
                .text("LOCATION", &location)
                .line("STATUS:CONFIRMED")
                .line("TRANSP:OPAQUE")
                .line("X-MICROSOFT-CDO-BUSYSTATUS:OOF")
                .end("VEVENT");
            out.push(w.finish());
        }
    }
    out
}

/// A room's closed intervals within `[from, to)` as free/busy periods.
pub(crate) async fn busy(
    state: &AppState,
    room: &Room,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<booking_calendar::Busy>, booking_core::CoreError> {
    let list = state.svc.list_closures().await?;
    Ok(
        booking_core::closures::closed_intervals(room, &list, from, to)
            .into_iter()
            .map(|(s, e, _)| booking_calendar::Busy {
                start: s.max(from),
                end: e.min(to),
                tentative: false,
            })
            .collect(),
    )
}

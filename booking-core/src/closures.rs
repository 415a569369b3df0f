//! Closures (blackouts): times when a room, a floor, a location or every
//! room is closed — holidays, maintenance — once or repeating (RRULE), with
//! a reason. Pure functions: which rooms a closure covers, its closed
//! intervals in a range, and the `closed` rule a booking must pass.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rrule::RRuleSet;
use serde::{Deserialize, Serialize};

pub use crate::domain::ClosureId;
use crate::domain::{Room, RoomId, UserId};
use crate::input::InputError;
use crate::rules::{RuleViolation, overlaps};

/// What a closure closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosureScope {
    /// Every room.
    Everywhere,
    /// Every room at a location (the room's `location`, ignoring case).
    Location {
        /// The location, as rooms name it.
        location: String,
    },
    /// One floor of a location.
    Floor {
        /// The location, as rooms name it.
        location: String,
        /// The floor.
        floor: i32,
    },
    /// One room.
    Room {
        /// The room.
        room_id: RoomId,
    },
}

impl ClosureScope {
    /// Whether `room` is closed by a closure of this scope.
    pub fn covers(&self, room: &Room) -> bool {
        match self {
            Self::Everywhere => true,
            Self::Location { location } => {
                room.location.trim().eq_ignore_ascii_case(location.trim())
            }
            Self::Floor { location, floor } => {
                room.floor == Some(*floor)
                    && room.location.trim().eq_ignore_ascii_case(location.trim())
            }
            Self::Room { room_id } => room.id == *room_id,
        }
    }

    /// The room it names, for a one-room closure.
    pub fn room(&self) -> Option<RoomId> {
        match self {
            Self::Room { room_id } => Some(*room_id),
            _ => None,
        }
    }
}

/// A period when rooms are closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// Its identifier.
    pub id: ClosureId,
    /// What it covers.
    pub scope: ClosureScope,
    /// The first (or only) closed interval.
    pub start: DateTime<Utc>,
    /// When the (first) closed period ends (UTC).
    pub end: DateTime<Utc>,
    /// Repeats by this rule (DAILY, WEEKLY or MONTHLY), each time for
    /// `end - start`, keeping the wall-clock time in `time_zone`.
    pub rrule: Option<String>,
    /// Time zone its repetition is expanded in.
    pub time_zone: Tz,
    /// Why the rooms are closed, shown to people who try to book.
    pub reason: String,
    /// Who made it.
    pub created_by: UserId,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// What an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureSpec {
    /// What it closes.
    pub scope: ClosureScope,
    /// When the (first) closed period starts (UTC).
    pub start: DateTime<Utc>,
    /// When the (first) closed period ends (UTC).
    pub end: DateTime<Utc>,
    /// RFC 5545 repetition rule, if it repeats.
    pub rrule: Option<String>,
    /// Time zone its repetition is expanded in (IANA).
    pub time_zone: Tz,
    /// Why the rooms are closed.
    pub reason: String,
}

/// At most this many repetitions are looked at in one range.
const MAX_REPEATS: u16 = 2000;

fn invalid(field: &'static str, reason: impl Into<String>) -> InputError {
    InputError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Check a closure's own shape: times, rule, reason.
pub fn validate(spec: &ClosureSpec) -> Result<(), InputError> {
    if spec.end <= spec.start {
        return Err(invalid("end", "must be after start"));
    }
    if spec.end - spec.start > Duration::days(366) {
        return Err(invalid(
            "end",
            "a closure lasts at most a year (repeat it instead)",
        ));
    }
    let reason = spec.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(invalid("reason", "give a reason of 1 to 200 characters"));
    }
    crate::input::refuse_control_characters("reason", reason)?;
    if let Some(rule) = &spec.rrule {
        crate::recurrence::validate_rule(rule)?;
    }
    if let ClosureScope::Location { location } | ClosureScope::Floor { location, .. } = &spec.scope
        && location.trim().is_empty()
    {
        return Err(invalid("scope.location", "name the location"));
    }
    Ok(())
}

impl Closure {
    /// The closed intervals that overlap `[from, to)`, in order.
    pub fn intervals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let length = self.end - self.start;
        let first = || {
            if overlaps(self.start, self.end, from, to) {
                vec![(self.start, self.end)]
            } else {
                Vec::new()
            }
        };
        let Some(rule) = &self.rrule else {
            return first();
        };
        let local = self.start.with_timezone(&self.time_zone).naive_local();
        let text = format!(
            "DTSTART;TZID={}:{}\nRRULE:{}",
            self.time_zone.name(),
            local.format("%Y%m%dT%H%M%S"),
            rule.trim().trim_start_matches("RRULE:")
        );
        let Ok(set) = text.parse::<RRuleSet>() else {
            // Validated when made; an unreadable rule closes its first interval.
            return first();
        };
        let rtz = rrule::Tz::Tz(self.time_zone);
        set.after((from - length).with_timezone(&rtz))
            .before(to.with_timezone(&rtz))
            .all(MAX_REPEATS)
            .dates
            .into_iter()
            .map(|d| {
                let s = d.with_timezone(&Utc);
                (s, s + length)
            })
            .filter(|(s, e)| overlaps(*s, *e, from, to))
            .collect()
    }
}

/// The `closed` rule: `[start, end)` in `room` meets no closure.
pub fn check_open(
    room: &Room,
    closures: &[Closure],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    for c in closures.iter().filter(|c| c.scope.covers(room)) {
        if let Some((s, e)) = c.intervals(start, end).into_iter().next() {
            return Err(RuleViolation::Closed {
                reason: c.reason.clone(),
                start: s,
                end: e,
            });
        }
    }
    Ok(())
}

/// Every closed interval of `room` overlapping `[from, to)`, sorted.
pub fn closed_intervals(
    room: &Room,
    closures: &[Closure],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, String)> {
    let mut out: Vec<_> = closures
        .iter()
        .filter(|c| c.scope.covers(room))
        .flat_map(|c| {
            c.intervals(from, to)
                .into_iter()
                .map(|(s, e)| (s, e, c.reason.clone()))
        })
        .collect();
    out.sort_by_key(|(s, e, _)| (*s, *e));
    out
}

/// `slots` with the closed intervals cut out, keeping pieces at least
/// `min` long.
pub fn cut(
    slots: Vec<crate::availability::Slot>,
    closed: &[(DateTime<Utc>, DateTime<Utc>, String)],
    min: Duration,
) -> Vec<crate::availability::Slot> {
    let mut out = Vec::new();
    for slot in slots {
        let mut cursor = slot.start;
        for (s, e, _) in closed
            .iter()
            .filter(|(s, e, _)| overlaps(*s, *e, slot.start, slot.end))
        {
            if *s - cursor >= min {
                out.push(crate::availability::Slot {
                    start: cursor,
                    end: *s,
                });
            }
            cursor = cursor.max(*e);
        }
        if slot.end - cursor >= min {
            out.push(crate::availability::Slot {
                start: cursor,
                end: slot.end,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::availability::Slot;
    use crate::domain::{RoomCategory, RoomPolicy};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("time")
    }

    fn room(location: &str, floor: Option<i32>) -> Room {
        Room {
            id: RoomId::new_random(),
            name: "Blue".into(),
            category: RoomCategory::Meeting,
            capacity: 8,
            floor,
            location: location.into(),
            amenities: BTreeSet::new(),
            time_zone: chrono_tz::Europe::Berlin,
            active: true,
            deleted_at: None,
            policy: RoomPolicy::default(),
            created_at: utc(2026, 1, 1, 0, 0),
            updated_at: utc(2026, 1, 1, 0, 0),
        }
    }

    fn closure(scope: ClosureScope, start: DateTime<Utc>, end: DateTime<Utc>) -> Closure {
        Closure {
            id: ClosureId::new_random(),
            scope,
            start,
            end,
            rrule: None,
            time_zone: chrono_tz::Europe::Berlin,
            reason: "Holiday".into(),
            created_by: UserId::new_random(),
            created_at: start,
        }
    }

    #[test]
    fn scopes_cover_the_rooms_they_name() {
        let r = room("HQ", Some(2));
        let loc = |l: &str| ClosureScope::Location { location: l.into() };
        let floor = |l: &str, f| ClosureScope::Floor {
            location: l.into(),
            floor: f,
        };
        assert!(ClosureScope::Everywhere.covers(&r));
        assert!(loc(" hq ").covers(&r), "case and spaces do not matter");
        assert!(!loc("Annex").covers(&r));
        assert!(floor("HQ", 2).covers(&r));
        assert!(!floor("HQ", 3).covers(&r));
        assert!(!floor("HQ", 2).covers(&room("HQ", None)));
        assert!(ClosureScope::Room { room_id: r.id }.covers(&r));
        assert!(
            !ClosureScope::Room {
                room_id: RoomId::new_random()
            }
            .covers(&r)
        );
    }

    #[test]
    fn a_booking_into_a_closure_is_refused_with_its_reason() {
        let r = room("HQ", None);
        let c = closure(
            ClosureScope::Everywhere,
            utc(2026, 12, 24, 0, 0),
            utc(2026, 12, 27, 0, 0),
        );
        let err = check_open(
            &r,
            std::slice::from_ref(&c),
            utc(2026, 12, 24, 9, 0),
            utc(2026, 12, 24, 10, 0),
        )
        .expect_err("closed");
        assert_eq!(err.rule(), "closed");
        assert!(err.to_string().contains("Holiday"), "{err}");
        // Touching the edges is not overlapping.
        assert!(
            check_open(
                &r,
                std::slice::from_ref(&c),
                utc(2026, 12, 23, 23, 0),
                utc(2026, 12, 24, 0, 0)
            )
            .is_ok()
        );
        assert!(check_open(&r, &[c], utc(2026, 12, 27, 0, 0), utc(2026, 12, 27, 1, 0)).is_ok());
    }

    #[test]
    fn a_weekly_closure_keeps_its_wall_clock_time_across_dst() {
        // Fridays 16:00–18:00 in Berlin, from before the end of summer time.
        let mut c = closure(
            ClosureScope::Everywhere,
            utc(2026, 10, 16, 14, 0),
            utc(2026, 10, 16, 16, 0),
        );
        c.rrule = Some("FREQ=WEEKLY;BYDAY=FR".into());
        let got = c.intervals(utc(2026, 10, 15, 0, 0), utc(2026, 11, 1, 0, 0));
        // 16 Oct (CEST, UTC+2) then 23 and 30 Oct (30 Oct is CET, UTC+1).
        assert_eq!(
            got,
            vec![
                (utc(2026, 10, 16, 14, 0), utc(2026, 10, 16, 16, 0)),
                (utc(2026, 10, 23, 14, 0), utc(2026, 10, 23, 16, 0)),
                (utc(2026, 10, 30, 15, 0), utc(2026, 10, 30, 17, 0)),
            ]
        );
        // An interval that started before the range still counts.
        let inside = c.intervals(utc(2026, 10, 23, 15, 0), utc(2026, 10, 23, 15, 30));
        assert_eq!(inside.len(), 1);
    }

    #[test]
    fn closed_times_are_cut_out_of_free_slots() {
        let slot = Slot {
            start: utc(2026, 5, 4, 8, 0),
            end: utc(2026, 5, 4, 18, 0),
        };
        let closed = vec![(
            utc(2026, 5, 4, 12, 0),
            utc(2026, 5, 4, 13, 0),
            "Lunch".to_string(),
        )];
        let got = cut(vec![slot], &closed, Duration::minutes(15));
        assert_eq!(
            got,
            vec![
                Slot {
                    start: utc(2026, 5, 4, 8, 0),
                    end: utc(2026, 5, 4, 12, 0)
                },
                Slot {
                    start: utc(2026, 5, 4, 13, 0),
                    end: utc(2026, 5, 4, 18, 0)
                },
            ]
        );
    }

    #[test]
    fn a_closure_must_make_sense() {
        let spec = |start, end, reason: &str, rrule: Option<&str>| ClosureSpec {
            scope: ClosureScope::Everywhere,
            start,
            end,
            rrule: rrule.map(String::from),
            time_zone: chrono_tz::UTC,
            reason: reason.into(),
        };
        let (a, b) = (utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0));
        assert_eq!(
            validate(&spec(b, a, "x", None)).map_err(|e| e.field()),
            Err("end")
        );
        assert_eq!(
            validate(&spec(a, b, " ", None)).map_err(|e| e.field()),
            Err("reason")
        );
        assert_eq!(
            validate(&spec(a, b, "x", Some("FREQ=HOURLY"))).map_err(|e| e.field()),
            Err("rrule")
        );
        assert!(validate(&spec(a, b, "Inventory", Some("FREQ=MONTHLY;BYMONTHDAY=1"))).is_ok());
    }

    proptest! {
        /// A booking is refused exactly when it overlaps the closed interval.
        #[test]
        fn refused_exactly_when_it_overlaps(s in 0i64..2000, len in 1i64..300, cs in 0i64..2000, clen in 1i64..600) {
            let base = utc(2026, 6, 1, 0, 0);
            let r = room("HQ", None);
            let c = closure(
                ClosureScope::Everywhere,
                base + Duration::minutes(cs),
                base + Duration::minutes(cs + clen),
            );
            let (bs, be) = (base + Duration::minutes(s), base + Duration::minutes(s + len));
            let refused = check_open(&r, std::slice::from_ref(&c), bs, be).is_err();
            prop_assert_eq!(refused, overlaps(bs, be, c.start, c.end));
        }
    }
}

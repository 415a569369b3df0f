//! Recurring series: RRULE expansion in the room's time zone (rrule crate),
//! bounded by the booking window, and the Exchange-style series decision.
//! Pure functions; no I/O.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};
use serde::Serialize;

use crate::domain::RoomPolicy;
use crate::input::InputError;
use crate::rules::{ConflictIndex, RuleViolation};

/// Upper bound of occurrences one series may have (a 10-year daily series).
pub const MAX_OCCURRENCES: u16 = 3660;

/// One occurrence of a series, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC).
    pub end: DateTime<Utc>,
}

/// The occurrences of a rule inside the booking window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The dates, in order.
    pub occurrences: Vec<Occurrence>,
    /// The rule continues past the window (or has no end) and was cut there.
    pub trimmed: bool,
}

fn invalid(reason: impl Into<String>) -> InputError {
    InputError::Invalid {
        field: "rrule",
        reason: reason.into(),
    }
}

/// Accept DAILY/WEEKLY/MONTHLY rules with BYDAY, BYMONTHDAY, INTERVAL, COUNT
/// and UNTIL; one occurrence per matched day.
pub fn validate_rule(rule: &str) -> Result<(), InputError> {
    let rule = rule.trim().trim_start_matches("RRULE:");
    if rule.is_empty() || rule.contains('\n') || rule.len() > 500 {
        return Err(invalid(
            "give one RRULE value such as FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        ));
    }
    let parsed: RRule<Unvalidated> = rule.parse().map_err(|e| invalid(format!("{e}")))?;
    if !matches!(
        parsed.get_freq(),
        Frequency::Daily | Frequency::Weekly | Frequency::Monthly
    ) {
        return Err(invalid("only FREQ=DAILY, WEEKLY or MONTHLY are supported"));
    }
    if !parsed.get_by_hour().is_empty()
        || !parsed.get_by_minute().is_empty()
        || !parsed.get_by_second().is_empty()
    {
        return Err(invalid(
            "BYHOUR/BYMINUTE/BYSECOND are not supported: the series start sets the time",
        ));
    }
    if parsed
        .get_count()
        .is_some_and(|c| c > u32::from(MAX_OCCURRENCES))
    {
        return Err(invalid(format!("COUNT is limited to {MAX_OCCURRENCES}")));
    }
    Ok(())
}

/// Expand `rule` from `local_start` (wall clock in `tz`), keeping occurrences
/// that start at or after `after` and no later than `window_end`. Each
/// occurrence keeps the local start time across DST changes.
pub fn expand(
    rule: &str,
    tz: Tz,
    local_start: NaiveDateTime,
    duration_minutes: u32,
    after: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> Result<Expansion, InputError> {
    validate_rule(rule)?;
    let rule = rule.trim().trim_start_matches("RRULE:");
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{}",
        tz.name(),
        local_start.format("%Y%m%dT%H%M%S"),
        rule
    );
    let set: RRuleSet = text.parse().map_err(|e| invalid(format!("{e}")))?;
    let rtz = rrule::Tz::Tz(tz);
    let window_end_local = window_end.with_timezone(&rtz);
    let result = set.clone().before(window_end_local).all(MAX_OCCURRENCES);
    if result.limited {
        return Err(invalid(format!(
            "the rule yields more than {MAX_OCCURRENCES} occurrences in the booking window"
        )));
    }
    let trimmed = !set.after(window_end_local).all(1).dates.is_empty();
    let duration = Duration::minutes(i64::from(duration_minutes));
    let occurrences = result
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .filter(|start| *start >= after && *start <= window_end)
        .map(|start| Occurrence {
            start,
            end: start + duration,
        })
        .collect();
    Ok(Expansion {
        occurrences,
        trimmed,
    })
}

/// An occurrence that could not be booked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Start of the refused date (UTC).
    pub start: DateTime<Utc>,
    /// End of the refused date (UTC).
    pub end: DateTime<Utc>,
    /// Why it was refused.
    pub violation: RuleViolation,
}

/// Why a whole series was declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesDeclined {
    /// Dates the rule gives.
    pub total: usize,
    /// Dates that would be skipped, with why.
    pub skipped: Vec<Skipped>,
    /// At most this many may be skipped (the room's policy).
    pub max_conflicts: u32,
    /// At most this share may be skipped, in percent.
    pub max_conflict_percent: u32,
}

impl std::fmt::Display for SeriesDeclined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} occurrences cannot be booked (the room allows at most {} or {}%): ",
            self.skipped.len(),
            self.total,
            self.max_conflicts,
            self.max_conflict_percent
        )?;
        let dates: Vec<String> = self
            .skipped
            .iter()
            .take(10)
            .map(|s| s.start.format("%Y-%m-%d %H:%M UTC").to_string())
            .collect();
        write!(f, "{}", dates.join(", "))?;
        if self.skipped.len() > 10 {
            write!(f, ", …")?;
        }
        Ok(())
    }
}

/// Decide a series like Exchange/Google: given each occurrence's rule result,
/// book the ones that pass unless more than `series_max_conflicts` or more than
/// `series_max_conflict_percent` % fail, in which case decline all.
/// Occurrences that would overlap an earlier occurrence of the same series
/// (possible with buffers) count as conflicts too.
pub fn decide(
    policy: &RoomPolicy,
    occurrences: &[Occurrence],
    held: &[(DateTime<Utc>, DateTime<Utc>)],
    results: Vec<Result<(), RuleViolation>>,
) -> Result<(Vec<usize>, Vec<Skipped>), SeriesDeclined> {
    let mut own = ConflictIndex::default();
    let mut book = Vec::new();
    let mut skipped = Vec::new();
    for (i, (occ, result)) in occurrences.iter().zip(results).enumerate() {
        let (hs, he) = held.get(i).copied().unwrap_or((occ.start, occ.end));
        let result = result.and_then(|()| {
            own.try_insert(crate::domain::Occupancy {
                booking_id: crate::domain::BookingId(uuid::Uuid::nil()),
                start: hs,
                end: he,
            })
            .map_err(|c| RuleViolation::Conflict {
                booking_id: c.booking_id,
                start: c.start,
                end: c.end,
            })
        });
        match result {
            Ok(()) => book.push(i),
            Err(violation) => skipped.push(Skipped {
                start: occ.start,
                end: occ.end,
                violation,
            }),
        }
    }
    let total = occurrences.len();
    let too_many = skipped.len() > policy.series_max_conflicts as usize
        || skipped.len() * 100 > total * policy.series_max_conflict_percent as usize
        || book.is_empty();
    if too_many {
        return Err(SeriesDeclined {
            total,
            skipped,
            max_conflicts: policy.series_max_conflicts,
            max_conflict_percent: policy.series_max_conflict_percent,
        });
    }
    Ok((book, skipped))
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Timelike};
    use proptest::prelude::*;

    use super::*;
    use crate::rules::overlaps;

    fn local(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("valid")
    }

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn weekly_series_keeps_nine_local_across_both_dst_changes() {
        let tz = chrono_tz::Europe::Berlin;
        let e = expand(
            "FREQ=WEEKLY;BYDAY=MO;COUNT=52",
            tz,
            local(2026, 1, 5, 9),
            60,
            utc(2026, 1, 1),
            utc(2027, 6, 1),
        )
        .expect("expand");
        assert_eq!(e.occurrences.len(), 52);
        assert!(!e.trimmed);
        for o in &e.occurrences {
            let l = o.start.with_timezone(&tz);
            assert_eq!((l.hour(), l.minute()), (9, 0), "{l}");
            assert_eq!((o.end - o.start).num_minutes(), 60);
        }
        let utc_hours: std::collections::BTreeSet<u32> =
            e.occurrences.iter().map(|o| o.start.hour()).collect();
        assert_eq!(
            utc_hours.into_iter().collect::<Vec<_>>(),
            [7, 8],
            "CEST and CET"
        );
    }

    #[test]
    fn endless_rule_is_trimmed_to_the_window() {
        let e = expand(
            "FREQ=DAILY",
            chrono_tz::UTC,
            local(2026, 3, 2, 9),
            30,
            utc(2026, 3, 1),
            utc(2026, 3, 11),
        )
        .expect("expand");
        assert_eq!(e.occurrences.len(), 9, "2..=10 March");
        assert!(e.trimmed);
        let e = expand(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20260401T000000Z",
            chrono_tz::UTC,
            local(2026, 3, 2, 9),
            30,
            utc(2026, 3, 1),
            utc(2026, 6, 1),
        )
        .expect("expand");
        assert!(!e.trimmed);
        let days: Vec<u32> = e
            .occurrences
            .iter()
            .map(|o| chrono::Datelike::day(&o.start))
            .collect();
        assert_eq!(days, [3, 5, 17, 19, 31]);
    }

    #[test]
    fn unsupported_rules_are_refused_with_a_reason() {
        for (rule, msg) in [
            ("FREQ=HOURLY", "only FREQ=DAILY"),
            ("FREQ=DAILY;BYHOUR=9,10", "BYHOUR"),
            ("FREQ=SOMETIMES", "rrule"),
            ("", "one RRULE"),
            ("FREQ=DAILY;COUNT=100000", "COUNT is limited"),
        ] {
            let err = validate_rule(rule).expect_err(rule);
            assert!(err.to_string().contains(msg), "{rule}: {err}");
        }
        assert!(validate_rule("FREQ=MONTHLY;BYDAY=1MO;COUNT=6").is_ok());
    }

    fn occ(day: i64) -> Occurrence {
        let start = utc(2026, 3, 2) + Duration::days(day) + Duration::hours(9);
        Occurrence {
            start,
            end: start + Duration::hours(1),
        }
    }

    fn conflict() -> RuleViolation {
        RuleViolation::Conflict {
            booking_id: crate::domain::BookingId::new_random(),
            start: utc(2026, 3, 2),
            end: utc(2026, 3, 2),
        }
    }

    #[test]
    fn thresholds_book_the_rest_or_decline_all() {
        let policy = RoomPolicy {
            series_max_conflicts: 3,
            series_max_conflict_percent: 10,
            ..RoomPolicy::default()
        };
        let occs: Vec<Occurrence> = (0..52).map(|w| occ(7 * w)).collect();
        let held: Vec<_> = occs.iter().map(|o| (o.start, o.end)).collect();
        let results = |bad: &[usize]| -> Vec<Result<(), RuleViolation>> {
            (0..52)
                .map(|i| {
                    if bad.contains(&i) {
                        Err(conflict())
                    } else {
                        Ok(())
                    }
                })
                .collect()
        };
        let (book, skipped) = decide(&policy, &occs, &held, results(&[3, 10, 40])).expect("within");
        assert_eq!(book.len(), 49);
        assert_eq!(
            skipped.iter().map(|s| s.start).collect::<Vec<_>>(),
            [occs[3].start, occs[10].start, occs[40].start]
        );
        let declined = decide(&policy, &occs, &held, results(&[1, 2, 3, 4])).expect_err("over N");
        assert_eq!(declined.skipped.len(), 4);
        assert!(
            declined
                .to_string()
                .starts_with("4 of 52 occurrences cannot be booked"),
            "{declined}"
        );
        // 2 of 10 is over 10 % even though under N.
        let occs10 = &occs[..10];
        let res10: Vec<_> = (0..10)
            .map(|i| if i < 2 { Err(conflict()) } else { Ok(()) })
            .collect();
        assert!(decide(&policy, occs10, &held[..10], res10).is_err());
    }

    proptest! {
        /// Whatever the rule, window and existing bookings, the occurrences
        /// chosen never overlap each other or an existing booking.
        #[test]
        fn chosen_occurrences_never_overlap(
            interval in 1u32..4,
            count in 1u32..60,
            hour in 0u32..23,
            duration in 15u32..600,
            existing in proptest::collection::vec((0i64..120, 0i64..24, 1i64..5), 0..30),
        ) {
            let rule = format!("FREQ=DAILY;INTERVAL={interval};COUNT={count}");
            let e = expand(&rule, chrono_tz::Europe::Berlin, local(2026, 3, 20, hour), duration,
                           utc(2026, 3, 1), utc(2026, 12, 31)).expect("expand");
            let existing: Vec<(DateTime<Utc>, DateTime<Utc>)> = existing
                .into_iter()
                .map(|(d, h, len)| {
                    let s = utc(2026, 3, 20) + Duration::days(d) + Duration::hours(h);
                    (s, s + Duration::hours(len))
                })
                .collect();
            let held: Vec<_> = e.occurrences.iter().map(|o| (o.start, o.end)).collect();
            let results = e.occurrences.iter().map(|o| {
                match existing.iter().find(|(s, en)| overlaps(*s, *en, o.start, o.end)) {
                    Some(_) => Err(conflict()),
                    None => Ok(()),
                }
            }).collect();
            let lenient = RoomPolicy { series_max_conflicts: 1000, series_max_conflict_percent: 100, ..RoomPolicy::default() };
            if let Ok((book, _)) = decide(&lenient, &e.occurrences, &held, results) {
                let chosen: Vec<&Occurrence> = book.iter().map(|&i| &e.occurrences[i]).collect();
                for (i, a) in chosen.iter().enumerate() {
                    for b in &chosen[i + 1..] {
                        prop_assert!(!overlaps(a.start, a.end, b.start, b.end));
                    }
                    for (s, en) in &existing {
                        prop_assert!(!overlaps(a.start, a.end, *s, *en));
                    }
                }
            }
        }
    }
}

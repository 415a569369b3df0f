//! Times as people read and type them: in the viewer's zone, from date and
//! time inputs, with DST gaps named instead of guessed.

use booking_core::rules::local_to_utc;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// Zones offered by the picker besides the rooms' own and the viewer's.
const COMMON_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
];

/// The zone named by `name`, else `fallback`.
pub fn zone(name: Option<&str>, fallback: Tz) -> Tz {
    name.and_then(|n| n.parse::<Tz>().ok()).unwrap_or(fallback)
}

/// Zones for the picker: common ones plus `extra`, sorted, without repeats.
pub fn zone_choices(extra: impl IntoIterator<Item = Tz>) -> Vec<String> {
    let mut all: Vec<String> = COMMON_ZONES.iter().map(|z| z.to_string()).collect();
    all.extend(extra.into_iter().map(|z| z.name().to_string()));
    all.sort();
    all.dedup();
    all
}

/// The instant local `date` starts in `tz` (the first instant after a gap).
pub fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    (0..4)
        .find_map(|h| local_to_utc(tz, date.and_time(NaiveTime::MIN) + Duration::hours(h)))
        .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc())
}

/// Local `date` in `tz` as a UTC half-open range (23, 24 or 25 hours long).
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (day_start(tz, date), day_start(tz, next))
}

/// Today in `tz`.
pub fn today(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// A date input (`YYYY-MM-DD`).
pub fn parse_date(field: &str, v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{field}: give a date as YYYY-MM-DD (got {v:?})"))
}

/// A time input (`HH:MM`).
pub fn parse_time(field: &str, v: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(v.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(v.trim(), "%H:%M:%S"))
        .map_err(|_| format!("{field}: give a time as HH:MM (got {v:?})"))
}

/// A local date and time in `tz` as an instant; a time that does not exist
/// (clocks go forward) is refused with a message naming it.
pub fn local_instant(
    tz: Tz,
    date: NaiveDate,
    time: NaiveTime,
    field: &str,
) -> Result<DateTime<Utc>, String> {
    local_to_utc(tz, date.and_time(time)).ok_or_else(|| {
        format!(
            "{field}: {} {} does not exist in {} (the clocks change then)",
            date,
            time.format("%H:%M"),
            tz.name()
        )
    })
}

/// "Tue 1 Dec 2026, 09:00–10:00" in `tz`.
pub fn range(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let s = start.with_timezone(&tz);
    let e = end.with_timezone(&tz);
    if s.date_naive() == e.date_naive() {
        format!("{}–{}", s.format("%a %-d %b %Y, %H:%M"), e.format("%H:%M"))
    } else {
        format!(
            "{} – {}",
            s.format("%a %-d %b %Y, %H:%M"),
            e.format("%a %-d %b, %H:%M")
        )
    }
}

/// "09:00–10:00" in `tz`.
pub fn clock_range(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "{}–{}",
        start.with_timezone(&tz).format("%H:%M"),
        end.with_timezone(&tz).format("%H:%M")
    )
}

/// "1 Dec 2026, 09:05 CET" in `tz`: when something happened.
pub fn stamp(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .format("%-d %b %Y, %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date("d", s).expect("date")
    }

    #[test]
    fn days_across_dst_have_their_real_length() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        let (s, e) = day_bounds(berlin, d("2027-03-28"));
        assert_eq!((e - s).num_hours(), 23);
        let (s, e) = day_bounds(berlin, d("2027-10-31"));
        assert_eq!((e - s).num_hours(), 25);
        let (s, e) = day_bounds(berlin, d("2027-01-12"));
        assert_eq!((e - s).num_hours(), 24);
        assert_eq!(s.to_rfc3339(), "2027-01-11T23:00:00+00:00");
    }

    #[test]
    fn times_in_a_gap_are_refused_with_the_zone_named() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        let t = parse_time("start", "02:30").expect("time");
        let err = local_instant(berlin, d("2027-03-28"), t, "start").expect_err("gap");
        assert!(err.contains("does not exist in Europe/Berlin"), "{err}");
        let ok = local_instant(berlin, d("2027-03-29"), t, "start").expect("exists");
        assert_eq!(ok.to_rfc3339(), "2027-03-29T00:30:00+00:00");
    }

    #[test]
    fn bad_inputs_name_the_field() {
        assert!(
            parse_date("date", "1.12.2026")
                .expect_err("bad")
                .starts_with("date:")
        );
        assert!(
            parse_time("end", "25:00")
                .expect_err("bad")
                .starts_with("end:")
        );
        assert_eq!(zone(Some("Mars/Base"), Tz::UTC), Tz::UTC);
    }
}

//! The feed cache's tests: what it serves, keeps and drops.

use super::*;
use chrono::Duration;

fn key(n: u128, day: u32) -> FeedKey {
    FeedKey {
        scope: VersionScope::Room(RoomId(uuid::Uuid::from_u128(n))),
        viewer: None,
        day: NaiveDate::from_ymd_opt(2026, 11, day).expect("day"),
    }
}

fn served(n: usize) -> Served {
    Served::new(format!("W/\"{n}\""), Bytes::from(vec![b'x'; n]))
}

fn stamp(writes: i64) -> ChangeStamp {
    ChangeStamp {
        writes,
        ..Default::default()
    }
}

fn at(writes: i64) -> (ChangeStamp, BookingsVersion) {
    (stamp(writes), BookingsVersion::default())
}

#[test]
fn serves_only_the_version_it_rendered() {
    let c = FeedCache::new(10_000);
    c.put(key(1, 1), at(3), served(10), Parts::default());
    assert_eq!(
        c.get(&key(1, 1), &stamp(3)).map(|s| s.tag),
        Some("W/\"10\"".into())
    );
    assert!(c.get(&key(1, 1), &stamp(4)).is_none());
    assert!(c.get(&key(2, 1), &stamp(3)).is_none());
}

#[test]
fn least_recently_used_goes_first_and_the_budget_holds() {
    let c = FeedCache::new(1_000);
    c.put(key(1, 1), at(0), served(400), Parts::default());
    c.put(key(2, 1), at(0), served(400), Parts::default());
    // Use 1, so 2 is the least recently used when 3 comes.
    assert!(c.get(&key(1, 1), &stamp(0)).is_some());
    c.put(key(3, 1), at(0), served(400), Parts::default());
    assert!(c.get(&key(1, 1), &stamp(0)).is_some());
    assert!(c.get(&key(2, 1), &stamp(0)).is_none());
    assert!(c.get(&key(3, 1), &stamp(0)).is_some());
    assert_eq!(c.stats().bytes, 800);
    // Too big alone: not kept, and nothing else lost for it.
    c.put(key(4, 1), at(0), served(2_000), Parts::default());
    assert!(c.get(&key(4, 1), &stamp(0)).is_none());
    assert_eq!(c.stats().bytes, 800);
}

#[test]
fn a_new_day_drops_the_feeds_of_earlier_days() {
    let c = FeedCache::new(10_000);
    c.put(key(1, 1), at(0), served(10), Parts::default());
    c.put(key(2, 2), at(0), served(10), Parts::default());
    assert!(c.get(&key(1, 1), &stamp(0)).is_none());
    assert_eq!(c.stats().bytes, 10);
}

#[test]
fn zero_budget_keeps_nothing() {
    let c = FeedCache::new(0);
    c.put(key(1, 1), at(0), served(1), Parts::default());
    assert!(c.get(&key(1, 1), &stamp(0)).is_none());
}

#[test]
fn requests_at_once_each_get_the_parts_to_catch_up_from() {
    let c = FeedCache::new(10_000);
    let mut parts = Parts::default();
    parts.insert(booking(Utc::now(), None));
    c.put(key(1, 1), at(2), served(10), parts);
    let first = c.parts(&key(1, 1)).map(|(_, p)| p.len());
    let second = c.parts(&key(1, 1)).map(|(_, p)| p.len());
    assert_eq!(first, Some(1));
    assert_eq!(second, Some(1), "a request at the same time catches up too");
    assert!(c.get(&key(1, 1), &stamp(2)).is_some());
}

fn booking(start: DateTime<Utc>, series: Option<SeriesId>) -> Booking {
    let end = start + Duration::hours(1);
    Booking {
        id: BookingId(uuid::Uuid::new_v4()),
        room_id: RoomId(uuid::Uuid::from_u128(1)),
        organizer_id: UserId(uuid::Uuid::from_u128(2)),
        title: "Planning".into(),
        purpose: String::new(),
        attendees: 2,
        start,
        end,
        held_start: start,
        held_end: end,
        status: booking_core::BookingStatus::Approved,
        approver_id: None,
        decision_reason: None,
        sequence: 1,
        created_at: start,
        updated_at: start,
        series_id: series,
        occurrence_start: series.map(|_| start),
        checked_in_at: None,
        no_show: false,
        booked_by: None,
        group_id: None,
    }
}

#[test]
fn merging_a_change_forgets_the_events_it_touches() {
    let t = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
        .expect("t")
        .with_timezone(&Utc);
    let (from, to) = (t - Duration::days(1), t + Duration::days(1));
    let s = SeriesId(uuid::Uuid::from_u128(7));
    let single = booking(t, None);
    let occ = booking(t, Some(s));
    let mut p = Parts::new(vec![single.clone(), occ.clone()]);
    for k in p.events.values_mut() {
        k.text = k.booking.series_id.is_none().then(|| "single".into());
    }
    p.series.insert(s, "series".into());
    let texts = |p: &Parts| p.events.values().filter(|k| k.text.is_some()).count();
    // The occurrence leaves the series' window: gone, series re-rendered.
    let mut moved = occ.clone();
    moved.start = t + Duration::days(3);
    moved.end = moved.start + Duration::hours(1);
    p.merge(moved, from, to);
    assert!(p.get(occ.id).is_none());
    assert_eq!(p.len(), 1);
    assert!(p.series.is_empty());
    assert_eq!(texts(&p), 1, "an unrelated event is kept");
    // A changed single: its event is forgotten, the booking replaced.
    let mut renamed = single.clone();
    renamed.title = "Renamed".into();
    renamed.sequence += 1;
    p.merge(renamed, from, to);
    assert_eq!(texts(&p), 0);
    assert_eq!(p.get(single.id).map(|b| b.title.as_str()), Some("Renamed"));
    // Moved within the window: still once, at its new place.
    let mut later = p.get(single.id).cloned().expect("kept");
    later.start += Duration::hours(2);
    later.end += Duration::hours(2);
    p.merge(later.clone(), from, to);
    assert_eq!(p.len(), 1);
    assert_eq!(p.events.keys().next(), Some(&(later.start, single.id)));
    let v = p.version(&BookingsVersion::default());
    assert_eq!(
        (v.count, v.sequence_sum),
        (1, i64::from(single.sequence) + 1)
    );
}

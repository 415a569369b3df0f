//! Rendered iCalendar feeds kept between requests.
//!
//! Calendar clients poll the same feeds over and over while bookings change
//! rarely. Each feed (scope, viewer, day of its window) keeps the body it
//! last served, the change stamp and version it was rendered at, the
//! bookings in it and the text of each event. A request first reads the
//! feed's change stamp (one key lookup of a counter the database bumps with
//! every booking write, so changes made by any process count): the same
//! stamp is answered from memory. Otherwise the feed's version (an
//! aggregate: count, sum of SEQUENCE, latest change) is read, the bookings
//! changed since are merged in, only their events are rendered again and
//! the body is re-assembled. Anything that does not add up (the merged
//! set's version is not the database's) falls back to reading the whole
//! feed.
//!
//! Memory is bounded: least recently used feeds go first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use booking_core::store::{BookingsVersion, ChangeStamp, VersionScope};
use booking_core::{Booking, BookingId, Room, RoomId, SeriesId, User, UserId};
use bytes::Bytes;

use crate::compressed::KeptBody;
use chrono::{DateTime, NaiveDate, Utc};

/// Which feed, as whom: everything a rendering depends on besides the
/// bookings and rooms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FeedKey {
    pub scope: VersionScope,
    pub viewer: Option<Viewer>,
    /// The day the feed's window starts.
    pub day: NaiveDate,
}

/// The parts of a viewer that decide what they may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Viewer {
    id: UserId,
    role: &'static str,
    rooms: BTreeSet<RoomId>,
}

impl Viewer {
    pub fn of(user: &User) -> Self {
        Self {
            id: user.id,
            role: user.role.as_str(),
            rooms: user.assigned_rooms.clone(),
        }
    }
}

/// What a feed was rendered from, kept so that a change re-renders only
/// the events it touches.
#[derive(Debug, Default, Clone)]
pub(crate) struct Parts {
    /// The bookings in the feed's window in feed order (start, then id),
    /// each single booking with its VEVENT once rendered.
    pub events: BTreeMap<(DateTime<Utc>, BookingId), Kept>,
    /// Where each booking sits in `events`.
    starts: HashMap<BookingId, DateTime<Utc>>,
    /// Rendered VEVENTs (master and overrides) of each series.
    pub series: HashMap<SeriesId, Arc<str>>,
    /// The rooms the events were rendered with, and the room writes
    /// ([`ChangeStamp::room_writes`]) counted before they were read.
    pub rooms: Option<(i64, Arc<HashMap<RoomId, Room>>)>,
}

/// A booking of a feed and, for a single booking, its rendered VEVENT
/// (shared, so copying a feed's parts copies no booking).
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub booking: Arc<Booking>,
    pub text: Option<Arc<str>>,
}

impl Parts {
    pub fn new(bookings: Vec<Booking>) -> Self {
        let mut parts = Self::default();
        for b in bookings {
            parts.insert(b);
        }
        parts
    }

    fn insert(&mut self, b: Booking) {
        self.starts.insert(b.id, b.start);
        self.events.insert(
            (b.start, b.id),
            Kept {
                booking: Arc::new(b),
                text: None,
            },
        );
    }

    #[cfg(test)]
    pub fn get(&self, id: BookingId) -> Option<&Booking> {
        let start = self.starts.get(&id)?;
        self.events.get(&(*start, id)).map(|k| &*k.booking)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Take in a booking read after a change: its event (or its series'
    /// events, old and new series) must be rendered again.
    pub fn merge(&mut self, b: Booking, from: DateTime<Utc>, to: DateTime<Utc>) {
        let old = self
            .starts
            .remove(&b.id)
            .and_then(|start| self.events.remove(&(start, b.id)));
        if let Some(s) = old.and_then(|o| o.booking.series_id) {
            self.series.remove(&s);
        }
        if let Some(s) = b.series_id {
            self.series.remove(&s);
        }
        if b.start < to && b.end > from {
            self.insert(b);
        }
    }

    /// Rooms were read again (name, floor, zone, policy may have
    /// changed): every event is stale.
    pub fn forget_events(&mut self) {
        for k in self.events.values_mut() {
            k.text = None;
        }
        self.series.clear();
    }

    /// The version these bookings have, computed the way the store does;
    /// the rooms' part is taken from `rooms`.
    pub fn version(&self, rooms: &BookingsVersion) -> BookingsVersion {
        let bookings = self.events.values().map(|k| &*k.booking);
        BookingsVersion {
            count: i64::try_from(self.events.len()).unwrap_or(i64::MAX),
            sequence_sum: bookings.clone().map(|b| i64::from(b.sequence)).sum(),
            last_change: bookings.map(|b| b.updated_at).max(),
            rooms_change: rooms.rooms_change,
            rooms: rooms.rooms,
        }
    }

    /// Rough bytes held, for the budget.
    fn size(&self) -> usize {
        let series: usize = self.series.values().map(|t| t.len()).sum();
        let events: usize = self
            .events
            .values()
            .map(|k| {
                let b = &k.booking;
                320 + b.title.len() + b.purpose.len() + k.text.as_ref().map_or(0, |t| t.len())
            })
            .sum();
        series + events
    }
}

/// A feed as last served: its ETag and body (with the compressed forms
/// clients asked for; those are not counted against the budget — about a
/// tenth of the body each).
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub tag: String,
    pub body: Arc<KeptBody>,
}

impl Served {
    pub fn new(tag: String, body: Bytes) -> Self {
        Self {
            tag,
            body: Arc::new(KeptBody::new(body)),
        }
    }
}

#[derive(Debug)]
struct Entry {
    stamp: ChangeStamp,
    version: BookingsVersion,
    served: Served,
    parts: Parts,
    used: u64,
    size: usize,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<FeedKey, Entry>,
    bytes: usize,
    tick: u64,
}

/// How a feed request was answered (for `/metrics` and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing changed: the kept body.
    Kept,
    /// Brought up to date from the bookings changed since.
    CaughtUp,
    /// Every booking read and rendered.
    Full,
}

/// Counters of [`Outcome`]s and the bytes held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    pub kept: u64,
    pub caught_up: u64,
    pub full: u64,
    pub bytes: usize,
}

/// The cache; one per process, shared by all requests.
#[derive(Debug)]
pub struct FeedCache {
    budget: usize,
    inner: Mutex<Inner>,
    counts: [AtomicU64; 3],
}

impl FeedCache {
    /// A cache holding at most `budget_bytes` (0 keeps nothing).
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            budget: budget_bytes,
            inner: Mutex::new(Inner::default()),
            counts: Default::default(),
        }
    }

    /// Count how a request was answered.
    pub fn record(&self, outcome: Outcome) {
        self.counts[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> FeedStats {
        let n = |o: Outcome| self.counts[o as usize].load(Ordering::Relaxed);
        FeedStats {
            kept: n(Outcome::Kept),
            caught_up: n(Outcome::CaughtUp),
            full: n(Outcome::Full),
            bytes: self.lock().bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data behind
        // (every change is a single map operation), so keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The feed as last served, if nothing changed since (same `stamp`).
    pub(crate) fn get(&self, key: &FeedKey, stamp: &ChangeStamp) -> Option<Served> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let e = inner.entries.get_mut(key)?;
        if e.stamp != *stamp {
            return None;
        }
        e.used = tick;
        Some(e.served.clone())
    }

    /// A copy of what the feed was rendered from, to bring it up to date
    /// (with the version it had). Requests doing the same at once each
    /// get one: the copy shares the bookings and rendered events.
    pub(crate) fn parts(&self, key: &FeedKey) -> Option<(BookingsVersion, Parts)> {
        let inner = self.lock();
        let e = inner.entries.get(key)?;
        Some((e.version, e.parts.clone()))
    }

    /// Keep a rendered feed, dropping feeds of earlier days and then the
    /// least recently used until the budget holds.
    pub(crate) fn put(
        &self,
        key: FeedKey,
        (stamp, version): (ChangeStamp, BookingsVersion),
        served: Served,
        parts: Parts,
    ) {
        let size = served.body.raw().len() + parts.size();
        let mut inner = self.lock();
        if let Some(old) = inner.entries.remove(&key) {
            inner.bytes -= old.size;
        }
        if size > self.budget {
            return;
        }
        let day = key.day;
        let stale: Vec<FeedKey> = inner
            .entries
            .keys()
            .filter(|k| k.day < day)
            .cloned()
            .collect();
        for k in stale {
            if let Some(e) = inner.entries.remove(&k) {
                inner.bytes -= e.size;
            }
        }
        while inner.bytes + size > self.budget {
            let Some(lru) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&lru) {
                inner.bytes -= e.size;
            }
        }
        inner.tick += 1;
        let used = inner.tick;
        inner.bytes += size;
        inner.entries.insert(
            key,
            Entry {
                stamp,
                version,
                served,
                parts,
                used,
                size,
            },
        );
    }
}

#[cfg(test)]
mod tests;

//! The rest of [`BookingService`]: recurring series, check-in and no-show
//! release, the waitlist, and quotas.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{
    Booking, BookingChanges, BookingId, BookingRequest, BookingStatus, Quota, QuotaPeriod, Room,
    RoomId, Series, SeriesId, SeriesRequest, UserId, WaitlistEntry, WaitlistId,
};
use crate::error::{CoreError, InputError};
use crate::recurrence::{self, Occurrence, Skipped};
use crate::rules::{self, RuleInput, RuleViolation};
use crate::service::{
    Actor, BookingService, EventKind, MAX_PURPOSE, MAX_TITLE, check_text, stored_event,
};
use crate::store::BookingFilter;
use crate::store::ChangeLog;

/// What booking a series did.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesOutcome {
    /// The series as stored.
    pub series: Series,
    /// The bookings made for it.
    pub booked: Vec<Booking>,
    /// Occurrences that could not be booked, with the rule that refused each.
    pub skipped: Vec<Skipped>,
    /// The rule ran past the booking window and was cut at `window_end`.
    pub trimmed: bool,
    /// The last date booked for now (later dates are booked as the window moves).
    pub window_end: DateTime<Utc>,
}

/// Which occurrences of a series a change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SeriesScope {
    /// Every occurrence that has not ended.
    All,
    /// The occurrence starting at this instant and every later one.
    FromOccurrence(DateTime<Utc>),
}

/// The outcome of changing several occurrences.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesChange {
    /// The bookings that changed.
    pub changed: Vec<Booking>,
    /// Occurrences left as they were, and why.
    pub failed: Vec<(BookingId, String)>,
}

fn period_bounds(tz: Tz, period: QuotaPeriod, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = at.with_timezone(&tz).date_naive();
    let (first, next) = match period {
        QuotaPeriod::Day => (day, day.succ_opt().unwrap_or(day)),
        QuotaPeriod::Week => {
            let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(7))
        }
        QuotaPeriod::Month => {
            let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
            let next = if day.month() == 12 {
                NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
            };
            (first, next.unwrap_or(first))
        }
    };
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            // Zones whose midnight falls in a DST gap start the day an hour later.
            .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN).and_utc())
    };
    (midnight(first), midnight(next))
}

impl BookingService {
    /// Check room and global quotas for new bookings `slots` of `user` in
    /// `room`, counting what is already booked plus the slots themselves.
    /// `ignore` is a booking being moved (not counted twice).
    pub(crate) async fn check_quotas(
        &self,
        user: UserId,
        room: &Room,
        slots: &[(DateTime<Utc>, DateTime<Utc>)],
        ignore: Option<&Booking>,
    ) -> Result<(), CoreError> {
        for verdict in self.quota_verdicts(user, room, slots, ignore).await? {
            verdict?;
        }
        Ok(())
    }

    /// The quota verdict of each slot in order: a slot that fits is counted
    /// against the next ones; one that does not is refused (and not counted).
    pub(crate) async fn quota_verdicts(
        &self,
        user: UserId,
        room: &Room,
        slots: &[(DateTime<Utc>, DateTime<Utc>)],
        ignore: Option<&Booking>,
    ) -> Result<Vec<Result<(), RuleViolation>>, CoreError> {
        let quotas: Vec<(&Quota, Option<RoomId>, &str)> = room
            .policy
            .quotas
            .iter()
            .map(|q| (q, Some(room.id), "room"))
            .chain(self.global_quotas.iter().map(|q| (q, None, "global")))
            .collect();
        if quotas.is_empty() {
            return Ok(slots.iter().map(|_| Ok(())).collect());
        }
        let mut used: HashMap<(usize, DateTime<Utc>), (u32, i64)> = HashMap::new();
        let mut verdicts = Vec::with_capacity(slots.len());
        for &(start, end) in slots {
            let minutes = (end - start).num_minutes();
            let mut keys = Vec::with_capacity(quotas.len());
            let mut refused = None;
            for (qi, (quota, scope_room, scope)) in quotas.iter().enumerate() {
                let (from, to) = period_bounds(room.time_zone, quota.period, start);
                let entry = match used.entry((qi, from)) {
                    Entry::Occupied(e) => *e.get(),
                    Entry::Vacant(e) => {
                        let (mut n, mut mins) =
                            self.store.usage(user, *scope_room, from, to).await?;
                        if let Some(b) = ignore
                            && b.start >= from
                            && b.start < to
                            && scope_room.is_none_or(|r| r == b.room_id)
                        {
                            n = n.saturating_sub(1);
                            mins -= (b.end - b.start).num_minutes();
                        }
                        *e.insert((n, mins))
                    }
                };
                keys.push((qi, from));
                if refused.is_some() {
                    continue;
                }
                if let Some(max) = quota.max_bookings
                    && entry.0 + 1 > max
                {
                    refused = Some(RuleViolation::QuotaExceeded {
                        scope: scope.to_string(),
                        period: quota.period,
                        detail: format!("{} of {max} bookings used", entry.0),
                    });
                } else if let Some(max) = quota.max_minutes
                    && entry.1 + minutes > i64::from(max)
                {
                    refused = Some(RuleViolation::QuotaExceeded {
                        scope: scope.to_string(),
                        period: quota.period,
                        detail: format!(
                            "{} of {max} minutes used, {minutes} more requested",
                            entry.1
                        ),
                    });
                }
            }
            match refused {
                Some(v) => verdicts.push(Err(v)),
                None => {
                    for key in keys {
                        if let Some(e) = used.get_mut(&key) {
                            e.0 += 1;
                            e.1 += minutes;
                        }
                    }
                    verdicts.push(Ok(()));
                }
            }
        }
        Ok(verdicts)
    }

    // ---- series ------------------------------------------------------------

    /// Book a recurring series. Occurrences are expanded in the room's zone,
    /// cut at the booking window, and each is checked by every rule; the series
    /// is declined when too many fail, otherwise the rest is booked in one
    /// transaction and the failures are reported.
    pub async fn book_series(
        &self,
        actor: &Actor,
        req: SeriesRequest,
    ) -> Result<SeriesOutcome, CoreError> {
        check_text("title", &req.title, MAX_TITLE, true)?;
        check_text("purpose", &req.purpose, MAX_PURPOSE, false)?;
        if req.duration_minutes == 0 {
            return Err(InputError::Invalid {
                field: "duration_minutes",
                reason: "must be at least 1".into(),
            }
            .into());
        }
        let now = self.now();
        let room = self.get_room(req.room_id).await?;
        let policy = room.policy.clone();
        let window_end = now + Duration::days(i64::from(policy.booking_window_days));
        let expansion = recurrence::expand(
            &req.rrule,
            room.time_zone,
            req.local_start,
            req.duration_minutes,
            now,
            window_end,
        )?;
        if expansion.occurrences.is_empty() {
            return Err(InputError::Invalid {
                field: "rrule",
                reason: "no occurrence falls inside the booking window".into(),
            }
            .into());
        }
        let series = Series {
            id: SeriesId::new_random(),
            room_id: room.id,
            organizer_id: actor.id,
            title: req.title.trim().to_string(),
            purpose: req.purpose.clone(),
            attendees: req.attendees,
            local_start: req.local_start,
            duration_minutes: req.duration_minutes,
            rrule: req.rrule.trim().trim_start_matches("RRULE:").to_string(),
            trimmed: expansion.trimmed,
            created_at: now,
        };
        let occs: &[Occurrence] = &expansion.occurrences;
        // Rules that need no other bookings, and quotas, before the transaction.
        let mut static_results = Vec::with_capacity(occs.len());
        for o in occs {
            static_results.push(rules::check_static(&RuleInput {
                room: &room,
                actor,
                start: o.start,
                end: o.end,
                attendees: req.attendees,
                now,
            }));
        }
        // Dates in a closure are skipped (rule `closed`) like taken ones.
        let closures = self.closures_for(&room).await?;
        for (o, result) in occs.iter().zip(static_results.iter_mut()) {
            if result.is_ok() {
                *result = crate::closures::check_open(&room, &closures, o.start, o.end);
            }
        }
        // Quotas count occurrences in order: those over a quota are skipped
        // (rule `quota`) like any other date that cannot be booked.
        let ok: Vec<usize> = (0..occs.len())
            .filter(|&i| static_results[i].is_ok())
            .collect();
        let ok_slots: Vec<_> = ok.iter().map(|&i| (occs[i].start, occs[i].end)).collect();
        let verdicts = self
            .quota_verdicts(actor.id, &room, &ok_slots, None)
            .await?;
        for (&i, verdict) in ok.iter().zip(verdicts) {
            if let Err(v) = verdict {
                static_results[i] = Err(v);
            }
        }

        let status = rules::initial_status(&policy);
        let bookings: Vec<Booking> = occs
            .iter()
            .map(|o| {
                let (held_start, held_end) = rules::held_interval(&policy, o.start, o.end);
                Booking {
                    id: BookingId::new_random(),
                    room_id: room.id,
                    organizer_id: actor.id,
                    title: series.title.clone(),
                    purpose: series.purpose.clone(),
                    attendees: req.attendees,
                    start: o.start,
                    end: o.end,
                    held_start,
                    held_end,
                    status,
                    approver_id: None,
                    decision_reason: None,
                    sequence: 0,
                    created_at: now,
                    updated_at: now,
                    series_id: Some(series.id),
                    occurrence_start: Some(o.start),
                    checked_in_at: None,
                    no_show: false,
                    booked_by: None,
                    group_id: None,
                }
            })
            .collect();
        let held: Vec<_> = bookings
            .iter()
            .map(|b| (b.held_start, b.held_end))
            .collect();
        let skipped_out: Mutex<Vec<Skipped>> = Mutex::new(Vec::new());
        let audit = self.audit_entry(
            actor,
            "series.create",
            "series",
            series.id,
            None,
            Some(&series),
        );
        let user_limit = policy.max_active_bookings_per_user;
        let chosen = self
            .store
            .create_series(
                &series,
                &bookings,
                &|snaps| {
                    // The per-user limit counts the series as one booking.
                    if let (Some(max), Some(first)) = (user_limit, snaps.first())
                        && first.user_active_in_room >= max
                    {
                        return Err(RuleViolation::UserLimitReached {
                            active: first.user_active_in_room,
                            max,
                        }
                        .into());
                    }
                    let results = occs
                        .iter()
                        .zip(&static_results)
                        .zip(snaps)
                        .map(|((o, r), snap)| {
                            r.clone().and_then(|()| {
                                rules::check_against_existing(
                                    &policy,
                                    o.start,
                                    o.end,
                                    &snap.conflicting,
                                    0,
                                    None,
                                )
                            })
                        })
                        .collect();
                    match recurrence::decide(&policy, occs, &held, results) {
                        Ok((book, skipped)) => {
                            if let Ok(mut out) = skipped_out.lock() {
                                *out = skipped;
                            }
                            Ok(book)
                        }
                        Err(declined) => Err(CoreError::SeriesDeclined(Box::new(declined))),
                    }
                },
                &ChangeLog {
                    audit,
                    events: bookings
                        .iter()
                        .map(|b| stored_event(EventKind::Created, b, now))
                        .collect(),
                },
            )
            .await?;
        let booked: Vec<Booking> = chosen
            .iter()
            .filter_map(|&i| bookings.get(i).cloned())
            .collect();
        for b in &booked {
            self.emit(EventKind::Created, b, actor);
        }
        let skipped = skipped_out.into_inner().unwrap_or_else(|p| p.into_inner());
        Ok(SeriesOutcome {
            series,
            booked,
            skipped,
            trimmed: expansion.trimmed,
            window_end,
        })
    }

    /// One series, or `NotFound`.
    pub async fn get_series(&self, id: SeriesId) -> Result<Series, CoreError> {
        self.store
            .get_series(id)
            .await?
            .ok_or_else(|| CoreError::not_found("series", id))
    }

    /// Every occurrence of a series, in order.
    pub async fn series_occurrences(&self, id: SeriesId) -> Result<Vec<Booking>, CoreError> {
        Ok(self
            .store
            .list_bookings(&BookingFilter {
                series_id: Some(id),
                limit: Some(u32::from(recurrence::MAX_OCCURRENCES)),
                ..BookingFilter::default()
            })
            .await?)
    }

    async fn scoped_occurrences(
        &self,
        id: SeriesId,
        scope: SeriesScope,
    ) -> Result<Vec<Booking>, CoreError> {
        let now = self.now();
        Ok(self
            .series_occurrences(id)
            .await?
            .into_iter()
            .filter(|b| b.status.is_blocking() && b.end > now)
            .filter(|b| match scope {
                SeriesScope::All => true,
                SeriesScope::FromOccurrence(from) => b.occurrence_start.unwrap_or(b.start) >= from,
            })
            .collect())
    }

    /// Cancel the whole series or this-and-following occurrences. Each
    /// cancellation frees only its own slot.
    pub async fn cancel_series(
        &self,
        actor: &Actor,
        id: SeriesId,
        scope: SeriesScope,
        reason: Option<String>,
    ) -> Result<SeriesChange, CoreError> {
        let series = self.get_series(id).await?;
        if !rules::can_cancel(actor, series.organizer_id, series.room_id) {
            return Err(CoreError::Forbidden(format!(
                "only the organizer or an approver of the room may cancel series {id}"
            )));
        }
        let mut change = SeriesChange {
            changed: Vec::new(),
            failed: Vec::new(),
        };
        for b in self.scoped_occurrences(id, scope).await? {
            match self.cancel(actor, b.id, reason.clone()).await {
                Ok(c) => change.changed.push(c),
                Err(e) => change.failed.push((b.id, e.to_string())),
            }
        }
        Ok(change)
    }

    /// Change title, purpose, attendees or shift the time of the whole series
    /// or this-and-following occurrences; each moved occurrence is re-checked.
    pub async fn update_series(
        &self,
        actor: &Actor,
        id: SeriesId,
        scope: SeriesScope,
        changes: BookingChanges,
        shift_minutes: i64,
    ) -> Result<SeriesChange, CoreError> {
        let series = self.get_series(id).await?;
        if !rules::can_cancel(actor, series.organizer_id, series.room_id) {
            return Err(CoreError::Forbidden(format!(
                "only the organizer or an approver of the room may change series {id}"
            )));
        }
        let mut change = SeriesChange {
            changed: Vec::new(),
            failed: Vec::new(),
        };
        let shift = Duration::minutes(shift_minutes);
        for b in self.scoped_occurrences(id, scope).await? {
            let c = BookingChanges {
                start: (shift_minutes != 0).then_some(b.start + shift),
                end: (shift_minutes != 0).then_some(b.end + shift),
                ..changes.clone()
            };
            match self.update_booking(actor, b.id, c).await {
                Ok(u) => change.changed.push(u),
                Err(e) => change.failed.push((b.id, e.to_string())),
            }
        }
        Ok(change)
    }

    // ---- check-in and no-shows ---------------------------------------------

    /// Check in to a booking: its organizer, or anyone who gives the room's
    /// check-in code, inside the room's check-in window.
    pub async fn check_in(
        &self,
        actor: &Actor,
        id: BookingId,
        code: Option<&str>,
    ) -> Result<Booking, CoreError> {
        let b = self.get_booking(id).await?;
        let room = self.get_room(b.room_id).await?;
        let code_ok = room
            .policy
            .check_in
            .as_ref()
            .and_then(|c| c.room_code.as_deref())
            .zip(code)
            .is_some_and(|(want, got)| !want.is_empty() && want == got.trim());
        if actor.id != b.organizer_id && !code_ok && !actor.manages_room(b.room_id) {
            return Err(CoreError::Forbidden(
                "only the organizer, or someone with the room's check-in code, may check in".into(),
            ));
        }
        self.record_check_in(actor, b, &room).await
    }

    /// Check in at the room's own door: `actor` is a door display the caller
    /// has verified to stand at `at_room`; being there is the proof of
    /// presence a check-in code gives. Only bookings of that room.
    pub async fn check_in_at_door(
        &self,
        actor: &Actor,
        at_room: RoomId,
        id: BookingId,
    ) -> Result<Booking, CoreError> {
        let b = self.get_booking(id).await?;
        if b.room_id != at_room {
            return Err(CoreError::Forbidden(
                "a door display checks in only to its own room's bookings".into(),
            ));
        }
        let room = self.get_room(b.room_id).await?;
        self.record_check_in(actor, b, &room).await
    }

    async fn record_check_in(
        &self,
        actor: &Actor,
        b: Booking,
        room: &Room,
    ) -> Result<Booking, CoreError> {
        let id = b.id;
        if b.status != BookingStatus::Approved {
            return Err(CoreError::InvalidTransition {
                from: b.status,
                to: b.status,
            });
        }
        if b.checked_in_at.is_some() {
            return Ok(b);
        }
        let now = self.now();
        let (before, after) = room.policy.check_in.as_ref().map_or((15, 15), |c| {
            (c.opens_minutes_before, c.release_after_minutes)
        });
        let opens = b.start - Duration::minutes(i64::from(before));
        let closes = b.start + Duration::minutes(i64::from(after));
        if now < opens || now > closes {
            return Err(RuleViolation::CheckInClosed { opens, closes }.into());
        }
        if !self.store.check_in(id, now).await? {
            return Err(CoreError::Stale(format!(
                "booking {id} changed; reload and retry"
            )));
        }
        let after_b = Booking {
            checked_in_at: Some(now),
            ..b.clone()
        };
        self.audit(
            Some(actor),
            "booking.check_in",
            "booking",
            Some(id.to_string()),
            None,
            serde_json::to_value(&after_b).ok(),
        )
        .await?;
        self.store
            .append_events(&[stored_event(EventKind::CheckedIn, &after_b, now)])
            .await?;
        self.emit(EventKind::CheckedIn, &after_b, actor);
        Ok(after_b)
    }

    /// Release every approved booking of a room with check-in whose release
    /// deadline has passed without a check-in. Each release touches only its
    /// own occurrence, is counted as a no-show and offers the slot to the
    /// waitlist. Returns the released bookings. Run it periodically.
    pub async fn release_no_shows(&self) -> Result<Vec<Booking>, CoreError> {
        let now = self.now();
        let candidates = self
            .store
            .awaiting_check_in(now - Duration::days(8), now)
            .await?;
        let mut rooms: HashMap<RoomId, Room> = HashMap::new();
        let mut released = Vec::new();
        for b in candidates {
            let room = match rooms.entry(b.room_id) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => v.insert(self.get_room(b.room_id).await?),
            };
            let Some(policy) = room.policy.check_in.clone() else {
                continue;
            };
            if now < b.start + Duration::minutes(i64::from(policy.release_after_minutes)) {
                continue;
            }
            let system = self.system_actor(&b).await?;
            let after = Booking {
                status: BookingStatus::Cancelled,
                no_show: true,
                decision_reason: Some("released: nobody checked in".into()),
                sequence: b.sequence + 1,
                updated_at: now,
                ..b.clone()
            };
            let audit = self.audit_entry(
                &system,
                "booking.no_show",
                "booking",
                b.id,
                Some(&b),
                Some(&after),
            );
            if self
                .store
                .set_booking_status(
                    &after,
                    BookingStatus::Approved,
                    &ChangeLog {
                        audit,
                        events: vec![stored_event(EventKind::NoShowReleased, &after, now)],
                    },
                )
                .await?
            {
                self.emit(EventKind::NoShowReleased, &after, &system);
                self.after_change(
                    after.id,
                    Some("booking released: nobody checked in"),
                    (after.room_id, after.start, after.end),
                )
                .await;
                released.push(after);
            }
        }
        Ok(released)
    }

    /// The organizer as the actor of automatic changes to their booking.
    async fn system_actor(&self, b: &Booking) -> Result<Actor, CoreError> {
        Ok(Actor {
            user: self.get_user(b.organizer_id).await?,
            ip: None,
        })
    }

    // ---- waitlist ----------------------------------------------------------

    /// Queue for a taken slot. The request must pass every rule except the
    /// overlap; when the slot frees up it is booked automatically.
    pub async fn join_waitlist(
        &self,
        actor: &Actor,
        req: BookingRequest,
    ) -> Result<WaitlistEntry, CoreError> {
        check_text("title", &req.title, MAX_TITLE, true)?;
        check_text("purpose", &req.purpose, MAX_PURPOSE, false)?;
        let room = self.get_room(req.room_id).await?;
        let now = self.now();
        rules::check_static(&RuleInput {
            room: &room,
            actor,
            start: req.start,
            end: req.end,
            attendees: req.attendees,
            now,
        })?;
        self.check_open(&room, req.start, req.end).await?;
        let (hs, he) = rules::held_interval(&room.policy, req.start, req.end);
        let taken = self
            .occupancies_linked(room.id, hs, he)
            .await?
            .iter()
            .any(|o| rules::overlaps(o.start, o.end, hs, he));
        if !taken {
            return Err(InputError::Invalid {
                field: "start",
                reason: "that slot is free: book it instead of waiting".into(),
            }
            .into());
        }
        let entry = WaitlistEntry {
            id: WaitlistId::new_random(),
            room_id: room.id,
            user_id: actor.id,
            title: req.title.trim().to_string(),
            purpose: req.purpose,
            attendees: req.attendees,
            start: req.start,
            end: req.end,
            created_at: now,
            booking_id: None,
            active: true,
        };
        self.store.insert_waitlist(&entry).await?;
        self.audit(
            Some(actor),
            "waitlist.join",
            "waitlist",
            Some(entry.id.to_string()),
            None,
            serde_json::to_value(&entry).ok(),
        )
        .await?;
        Ok(entry)
    }

    /// Leave the waitlist.
    pub async fn leave_waitlist(
        &self,
        actor: &Actor,
        id: WaitlistId,
    ) -> Result<WaitlistEntry, CoreError> {
        let e = self
            .store
            .get_waitlist(id)
            .await?
            .ok_or_else(|| CoreError::not_found("waitlist entry", id))?;
        if e.user_id != actor.id {
            return Err(CoreError::Forbidden(
                "that waitlist entry is not yours".into(),
            ));
        }
        let before = e.clone();
        let e = WaitlistEntry { active: false, ..e };
        self.store.update_waitlist(&e).await?;
        self.audit_change(
            actor,
            "waitlist.leave",
            "waitlist",
            id,
            Some(&before),
            Some(&e),
        )
        .await?;
        Ok(e)
    }

    /// The waitlist entries of the actor, still waiting.
    pub async fn my_waitlist(&self, actor: &Actor) -> Result<Vec<WaitlistEntry>, CoreError> {
        Ok(self.store.waitlist_of(actor.id).await?)
    }

    /// Offer a freed interval of a room to the waitlist, oldest entry first:
    /// the first request that still passes every rule is booked.
    pub async fn promote_waitlist(
        &self,
        room: RoomId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, CoreError> {
        let now = self.now();
        let mut booked = Vec::new();
        for entry in self.store.waiting_for(room, from, to).await? {
            if entry.start < now {
                self.store
                    .update_waitlist(&WaitlistEntry {
                        active: false,
                        ..entry
                    })
                    .await?;
                continue;
            }
            let user = match self.store.get_user(entry.user_id).await? {
                Some(u) if u.active => u,
                _ => continue,
            };
            let actor = Actor { user, ip: None };
            let req = BookingRequest {
                room_id: entry.room_id,
                title: entry.title.clone(),
                purpose: entry.purpose.clone(),
                attendees: entry.attendees,
                start: entry.start,
                end: entry.end,
            };
            match self
                .book_with(&actor, req, false, EventKind::WaitlistBooked)
                .await
            {
                Ok(b) => {
                    self.store
                        .update_waitlist(&WaitlistEntry {
                            active: false,
                            booking_id: Some(b.id),
                            ..entry
                        })
                        .await?;
                    booked.push(b);
                }
                // Still taken (by someone earlier in the queue) or now against
                // a rule: it keeps waiting.
                Err(CoreError::Rule(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(booked)
    }
}

//! The service's side of closures: making and removing them (audited), what
//! a new closure would hit, cancelling those bookings with a notice when the
//! admin chooses, and the closures every booking path checks.

use chrono::{DateTime, Duration, Utc};

use crate::closures::{self, Closure, ClosureId, ClosureScope, ClosureSpec};
use crate::domain::{Booking, Role, Room, RoomListing};
use crate::error::CoreError;
use crate::service::{Actor, BookingService};
use crate::store::BookingFilter;

/// How far ahead a repeating closure is matched against existing bookings.
const HORIZON_DAYS: i64 = 400;

/// What making a closure did.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosureOutcome {
    /// The closure as stored.
    pub closure: Closure,
    /// Pending and approved bookings in the closed times.
    pub affected: Vec<Booking>,
    /// Those of them cancelled (their organizers are told, with the reason).
    pub cancelled: Vec<Booking>,
}

/// What to do with bookings already in the closed times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingBookings {
    /// Keep them, and list them.
    Keep,
    /// Cancel them, telling each organizer why.
    Cancel,
}

impl BookingService {
    /// Closures in force for `room` (not ended, or repeating).
    pub(crate) async fn closures_for(&self, room: &Room) -> Result<Vec<Closure>, CoreError> {
        Ok(self
            .store
            .list_closures(self.now())
            .await?
            .into_iter()
            .filter(|c| c.scope.covers(room))
            .collect())
    }

    /// The `closed` rule for one booking.
    pub(crate) async fn check_open(
        &self,
        room: &Room,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let list = self.closures_for(room).await?;
        closures::check_open(room, &list, start, end)?;
        Ok(())
    }

    fn may_close(actor: &Actor, scope: &ClosureScope) -> Result<(), CoreError> {
        let ok = match scope.room() {
            Some(room) => actor.manages_room(room),
            None => actor.role == Role::SuperAdmin,
        };
        if ok {
            Ok(())
        } else {
            Err(CoreError::Forbidden(
                "room admins close their rooms; only super admins close floors, locations or everything"
                    .into(),
            ))
        }
    }

    /// Every closure in force (not ended, or repeating), by start.
    pub async fn list_closures(&self) -> Result<Vec<Closure>, CoreError> {
        Ok(self.store.list_closures(self.now()).await?)
    }

    /// One closure, or `NotFound`.
    pub async fn get_closure(&self, id: ClosureId) -> Result<Closure, CoreError> {
        self.store
            .get_closure(id)
            .await?
            .ok_or_else(|| CoreError::not_found("closure", id))
    }

    /// Pending and approved bookings that `closure` would fall on.
    async fn bookings_hit(&self, closure: &Closure) -> Result<Vec<Booking>, CoreError> {
        let now = self.now();
        let horizon = if closure.rrule.is_some() {
            now + Duration::days(HORIZON_DAYS)
        } else {
            closure.end
        };
        let from = closure.start.max(now);
        if horizon <= from {
            return Ok(Vec::new());
        }
        let rooms: Vec<Room> = self
            .list_rooms(RoomListing::Current)
            .await?
            .into_iter()
            .filter(|r| closure.scope.covers(r))
            .collect();
        let mut hit = Vec::new();
        for room in rooms {
            let list = self
                .list_bookings(&BookingFilter {
                    room_id: Some(room.id),
                    from: Some(from),
                    to: Some(horizon),
                    statuses: vec![
                        crate::domain::BookingStatus::Pending,
                        crate::domain::BookingStatus::Approved,
                    ],
                    limit: Some(5000),
                    ..BookingFilter::default()
                })
                .await?;
            hit.extend(
                list.into_iter()
                    .filter(|b| !closure.intervals(b.start, b.end).is_empty() && b.end > now),
            );
        }
        hit.sort_by_key(|b| (b.start, b.room_id));
        Ok(hit)
    }

    fn closure_from(&self, actor: &Actor, spec: ClosureSpec) -> Closure {
        Closure {
            id: ClosureId::new_random(),
            scope: spec.scope,
            start: spec.start,
            end: spec.end,
            rrule: spec
                .rrule
                .map(|r| r.trim().trim_start_matches("RRULE:").to_string())
                .filter(|r| !r.is_empty()),
            time_zone: spec.time_zone,
            reason: spec.reason.trim().to_string(),
            created_by: actor.id,
            created_at: self.now(),
        }
    }

    async fn check_spec(&self, actor: &Actor, spec: &ClosureSpec) -> Result<(), CoreError> {
        closures::validate(spec)?;
        Self::may_close(actor, &spec.scope)?;
        if let Some(room) = spec.scope.room() {
            self.get_room(room).await?;
        }
        Ok(())
    }

    /// The bookings a closure would fall on, without making it.
    pub async fn preview_closure(
        &self,
        actor: &Actor,
        spec: ClosureSpec,
    ) -> Result<Vec<Booking>, CoreError> {
        self.check_spec(actor, &spec).await?;
        let closure = self.closure_from(actor, spec);
        self.bookings_hit(&closure).await
    }

    /// Close rooms. Bookings already in the closed times are listed, and
    /// cancelled (each organizer told why) when `existing` says so — never
    /// silently. Audited as `closure.create`.
    pub async fn create_closure(
        &self,
        actor: &Actor,
        spec: ClosureSpec,
        existing: ExistingBookings,
    ) -> Result<ClosureOutcome, CoreError> {
        self.check_spec(actor, &spec).await?;
        let closure = self.closure_from(actor, spec);
        self.store.insert_closure(&closure).await?;
        self.audit_change(
            actor,
            "closure.create",
            "closure",
            closure.id,
            None,
            Some(&closure),
        )
        .await?;
        let affected = self.bookings_hit(&closure).await?;
        let mut cancelled = Vec::new();
        if existing == ExistingBookings::Cancel {
            let why = format!("the room is closed: {}", closure.reason);
            for b in &affected {
                cancelled.push(self.cancel(actor, b.id, Some(why.clone())).await?);
            }
        }
        Ok(ClosureOutcome {
            closure,
            affected,
            cancelled,
        })
    }

    /// Reopen: remove a closure. Audited as `closure.delete`.
    pub async fn delete_closure(&self, actor: &Actor, id: ClosureId) -> Result<(), CoreError> {
        let closure = self.get_closure(id).await?;
        Self::may_close(actor, &closure.scope)?;
        self.store.delete_closure(id).await?;
        self.audit_change(actor, "closure.delete", "closure", id, Some(&closure), None)
            .await
    }
}

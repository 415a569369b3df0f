"""Every method of booking.Service, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

import booking
from conftest import ALWAYS_OPEN, World, at

HOUR = dt.timedelta(hours=1)


def test_users_are_created_read_and_changed(world: World) -> None:
    svc = world.svc
    assert svc.get_user(world.ada.id).email == "ada@example.com"
    changed = svc.update_user(world.admin, world.ada.id, display_name="Ada L.", role="procurement_officer")
    assert (changed.display_name, changed.role) == ("Ada L.", "procurement_officer")
    assert world.approver.assigned_rooms == [world.room.id]
    with pytest.raises(booking.Forbidden):
        svc.update_user(world.bob, world.ada.id, active=False)
    with pytest.raises(booking.InvalidInput) as e:
        svc.create_user("x@example.com", "X", role="wizard")
    assert e.value.field == "role"
    with pytest.raises(booking.StaleError):
        svc.create_user("ada@example.com", "Ada again")


def test_rooms_and_their_policies(world: World) -> None:
    svc = world.svc
    room = svc.create_room(world.admin, "Board", 12, "Europe/London", floor=3, location="HQ",
                           policy={"approval_required": True, "buffer_after_minutes": 10})
    assert room.policy["approval_required"] is True
    assert room.policy["buffer_after_minutes"] == 10
    assert room.policy["booking_window_days"] == 90, "fields left out keep their defaults"
    moved = svc.update_room(world.admin, room.id, capacity=14, policy={"min_duration_minutes": 30})
    assert moved.capacity == 14 and moved.policy["min_duration_minutes"] == 30
    assert moved.policy["approval_required"] is True, "a policy patch keeps the other fields"
    assert svc.get_room(room.id).floor == 3
    assert {r.name for r in svc.list_rooms()} == {"Huddle", "Board"}
    assert svc.delete_room(world.admin, room.id).deleted
    assert {r.name for r in svc.list_rooms()} == {"Huddle"}
    assert {r.name for r in svc.list_rooms(include_deleted=True)} == {"Huddle", "Board"}
    assert not svc.restore_room(world.admin, room.id).deleted
    with pytest.raises(booking.Forbidden):
        svc.create_room(world.ada, "Mine", 2, "Europe/Berlin")
    with pytest.raises(booking.InvalidInput) as e:
        svc.create_room(world.admin, "Mars", 2, "Mars/Olympus")
    assert "Mars/Olympus" in str(e.value)
    with pytest.raises(booking.NotFound):
        svc.get_room("00000000-0000-0000-0000-000000000000")


def test_book_read_move_and_cancel(world: World) -> None:
    svc = world.svc
    b = svc.book(world.ada, world.room.id, "Planning", at(3, 10), at(3, 11), attendees=4, purpose="Q1")
    assert b.status == "approved"
    assert b.start == at(3, 10) and b.start.tzinfo == dt.timezone.utc
    assert svc.get_booking(b.id).title == "Planning"
    assert [x.id for x in svc.list_bookings(room_id=world.room.id)] == [b.id]
    assert svc.list_bookings(start=at(4, 0), end=at(5, 0)) == []
    moved = svc.update(world.ada, b.id, start=at(3, 14), end=at(3, 15), title="Planning (moved)")
    assert (moved.start, moved.title) == (at(3, 14), "Planning (moved)")
    with pytest.raises(booking.Forbidden):
        svc.cancel(world.bob, b.id)
    assert svc.cancel(world.ada, b.id, reason="not needed").status == "cancelled"
    with pytest.raises(booking.StaleError):
        svc.cancel(world.ada, b.id)


def test_a_conflict_names_the_booking_in_the_way(world: World) -> None:
    svc = world.svc
    first = svc.book(world.ada, world.room.id, "First", at(3, 10), at(3, 11))
    with pytest.raises(booking.ConflictError) as e:
        svc.book(world.bob, world.room.id, "Second", at(3, 10, 30), at(3, 11, 30))
    err = e.value
    assert isinstance(err, booking.RuleViolation) and isinstance(err, booking.BookingError)
    assert err.rule == "no_overlap"
    assert err.booking_id == first.id
    assert (err.start, err.end) == (at(3, 10), at(3, 11))
    # Back to back is no conflict (half-open intervals).
    svc.book(world.bob, world.room.id, "Next", at(3, 11), at(3, 12))


def test_rule_violations_carry_the_rule_and_its_limits(world: World) -> None:
    svc = world.svc
    with pytest.raises(booking.RuleViolation) as e:
        svc.book(world.ada, world.room.id, "Crowd", at(3, 10), at(3, 11), attendees=40)
    assert e.value.rule == "capacity"
    assert e.value.limits == {"attendees": 40, "capacity": 6}
    with pytest.raises(booking.RuleViolation) as e:
        svc.book(world.ada, world.room.id, "Past", at(-1, 10), at(-1, 11))
    assert e.value.rule == "not_in_past"
    with pytest.raises(booking.InvalidInput) as naive:
        svc.book(world.ada, world.room.id, "Naive", dt.datetime(2030, 1, 7, 10), dt.datetime(2030, 1, 7, 11))
    assert naive.value.field == "start"
    assert "timezone-aware" in str(naive.value)
    with pytest.raises(booking.InvalidInput) as bad:
        svc.book(world.ada, "not-a-room", "X", at(3, 10), at(3, 11))
    assert bad.value.field == "room_id"


def test_approval_workflow(world: World) -> None:
    svc = world.svc
    room = svc.create_room(world.admin, "Exec", 8, "Europe/Berlin",
                           policy={**ALWAYS_OPEN, "approval_required": True})
    svc.update_user(world.admin, world.approver.id, assigned_rooms=[world.room.id, room.id])
    a = svc.book(world.ada, room.id, "Board prep", at(4, 9), at(4, 10))
    b = svc.book(world.bob, room.id, "Offsite", at(4, 11), at(4, 12))
    assert (a.status, b.status) == ("pending", "pending")
    assert {x.id for x in svc.approval_queue(world.approver)} == {a.id, b.id}
    with pytest.raises(booking.Forbidden):
        svc.approve(world.bob, a.id)
    approved = svc.approve(world.approver, a.id)
    assert approved.status == "approved" and approved.approver_id == world.approver.id
    rejected = svc.reject(world.approver, b.id, "the room is needed for the board")
    assert (rejected.status, rejected.decision_reason) == ("rejected", "the room is needed for the board")
    with pytest.raises(booking.StaleError):
        svc.approve(world.approver, b.id)
    assert svc.approval_queue(world.approver) == []


def test_check_in_inside_its_window(world: World) -> None:
    svc = world.svc
    room = svc.create_room(world.admin, "Focus", 2, "Europe/Berlin",
                           policy={**ALWAYS_OPEN, "check_in": {"opens_minutes_before": 15, "release_after_minutes": 15, "room_code": "4711"}})
    now = svc.now()
    soon = svc.book(world.ada, room.id, "Soon", now + dt.timedelta(minutes=5), now + dt.timedelta(minutes=35))
    later = svc.book(world.ada, room.id, "Later", now + dt.timedelta(hours=3), now + dt.timedelta(hours=4))
    with pytest.raises(booking.Forbidden):
        svc.check_in(world.bob, soon.id)
    assert svc.check_in(world.bob, soon.id, code="4711").checked_in_at is not None
    with pytest.raises(booking.RuleViolation) as e:
        svc.check_in(world.ada, later.id)
    assert e.value.rule == "check_in_window"


def test_free_slots_and_find_rooms(world: World) -> None:
    svc = world.svc
    svc.book(world.ada, world.room.id, "Morning", at(5, 9), at(5, 12))
    day = at(5, 0).date()
    slots = svc.free_slots(world.room.id, day)
    assert any(s.end == at(5, 9) for s in slots) and any(s.start == at(5, 12) for s in slots)
    assert not any(s.start < at(5, 11) < s.end for s in slots)
    big = svc.create_room(world.admin, "Hall", 40, "Europe/Berlin", amenities=["screen", "stage"], policy=ALWAYS_OPEN)
    fits = svc.find_rooms(world.ada, at(5, 10), at(5, 11), min_capacity=4, amenities=["screen"])
    assert [f.room.id for f in fits] == [big.id], "Huddle is taken then"
    fits = svc.find_rooms(world.ada, at(5, 14), at(5, 15), min_capacity=4)
    assert [f.room.name for f in fits] == ["Huddle", "Hall"], "smallest fit first"
    assert fits[0].spare_seats == 2


def test_waitlist_gets_the_slot_when_it_frees_up(world: World) -> None:
    svc = world.svc
    held = svc.book(world.ada, world.room.id, "Held", at(6, 10), at(6, 11))
    with pytest.raises(booking.InvalidInput):
        svc.join_waitlist(world.bob, world.room.id, "Free slot", at(6, 14), at(6, 15))
    entry = svc.join_waitlist(world.bob, world.room.id, "Waiting", at(6, 10), at(6, 11))
    assert [e.id for e in svc.my_waitlist(world.bob)] == [entry.id]
    svc.cancel(world.ada, held.id)
    mine = svc.list_bookings(organizer_id=world.bob.id)
    assert [(b.title, b.start) for b in mine] == [("Waiting", at(6, 10))]
    other = svc.book(world.ada, world.room.id, "Another", at(7, 10), at(7, 11))
    left = svc.join_waitlist(world.bob, world.room.id, "Maybe", at(7, 10), at(7, 11))
    assert not svc.leave_waitlist(world.bob, left.id).active
    assert svc.get_booking(other.id).status == "approved"


def test_a_weekly_series_across_the_dst_change_keeps_its_wall_clock_time(world: World) -> None:
    svc = world.svc
    # Berlin springs forward on the last Sunday of March; a Monday series at
    # 09:00 from mid-March runs across it.
    year = dt.date.today().year + 1
    room = svc.create_room(world.admin, "Series room", 6, "Europe/Berlin",
                           policy={**ALWAYS_OPEN, "booking_window_days": 800})
    first_monday = dt.date(year, 3, 15)
    while first_monday.weekday() != 0:
        first_monday += dt.timedelta(days=1)
    start = dt.datetime.combine(first_monday, dt.time(9), tzinfo=at(0, 0).tzinfo)
    result = svc.book_series(world.ada, room.id, "Weekly", start, 60, "FREQ=WEEKLY;COUNT=4")
    assert result.skipped == [] and len(result.booked) == 4
    local = [b.start.astimezone(start.tzinfo) for b in result.booked]
    assert {t.hour for t in local} == {9}
    offsets = {b.start.hour for b in result.booked}
    assert offsets == {8, 7}, "UTC hour changes at the DST switch"
    assert all(b.series_id == result.series_id for b in result.booked)

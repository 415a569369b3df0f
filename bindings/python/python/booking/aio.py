"""The booking service for asyncio: every method of ``booking.Service`` as a
coroutine. Each call runs in a worker thread (the native call releases the
GIL), so the event loop keeps serving while the database works::

    svc = await booking.aio.open("postgresql://app@db/booking")
    b = await svc.book(user, room_id, "Stand-up", start, end)
"""

from __future__ import annotations

import asyncio
import datetime as dt
from uuid import UUID
from typing import Any, Optional, Sequence, Union

from ._booking import (
    Booking,
    FreeSlot,
    Room,
    RoomFit,
    SeriesResult,
    Service,
    User,
    WaitlistEntry,
)
from ._booking import open as _open

Actor = Union[User, str, UUID]
Id = Any


async def open(url: str) -> "AsyncService":
    """Open (and migrate) the database ``url`` names; see ``booking.open``."""
    return AsyncService(await asyncio.to_thread(_open, url))


class AsyncService:
    """``booking.Service`` with coroutine methods."""

    def __init__(self, service: Service) -> None:
        self.sync = service

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def create_user(self, email: str, display_name: str, role: str = "user") -> User:
        return await asyncio.to_thread(self.sync.create_user, email, display_name, role)

    async def user_by_email(self, email: str) -> Optional[User]:
        return await asyncio.to_thread(self.sync.user_by_email, email)

    async def get_user(self, user_id: Id) -> User:
        return await asyncio.to_thread(self.sync.get_user, user_id)

    async def update_user(self, actor: Actor, user_id: Id, **changes: Any) -> User:
        return await asyncio.to_thread(lambda: self.sync.update_user(actor, user_id, **changes))

    async def create_room(
        self, actor: Actor, name: str, capacity: int, time_zone: str, **fields: Any
    ) -> Room:
        return await asyncio.to_thread(
            lambda: self.sync.create_room(actor, name, capacity, time_zone, **fields)
        )

    async def update_room(self, actor: Actor, room_id: Id, **changes: Any) -> Room:
        return await asyncio.to_thread(lambda: self.sync.update_room(actor, room_id, **changes))

    async def get_room(self, room_id: Id) -> Room:
        return await asyncio.to_thread(self.sync.get_room, room_id)

    async def list_rooms(self, include_deleted: bool = False) -> list[Room]:
        return await asyncio.to_thread(self.sync.list_rooms, include_deleted)

    async def book(
        self,
        actor: Actor,
        room_id: Id,
        title: str,
        start: dt.datetime,
        end: dt.datetime,
        attendees: int = 1,
        purpose: str = "",
    ) -> Booking:
        return await asyncio.to_thread(
            self.sync.book, actor, room_id, title, start, end, attendees, purpose
        )

    async def book_series(
        self,
        actor: Actor,
        room_id: Id,
        title: str,
        start: dt.datetime,
        duration_minutes: int,
        rrule: str,
        attendees: int = 1,
        purpose: str = "",
    ) -> SeriesResult:
        return await asyncio.to_thread(
            self.sync.book_series, actor, room_id, title, start, duration_minutes, rrule, attendees, purpose
        )

    async def get_booking(self, booking_id: Id) -> Booking:
        return await asyncio.to_thread(self.sync.get_booking, booking_id)

    async def update(self, actor: Actor, booking_id: Id, **changes: Any) -> Booking:
        return await asyncio.to_thread(lambda: self.sync.update(actor, booking_id, **changes))

    async def cancel(self, actor: Actor, booking_id: Id, reason: Optional[str] = None) -> Booking:
        return await asyncio.to_thread(self.sync.cancel, actor, booking_id, reason)

    async def approve(self, actor: Actor, booking_id: Id, reason: Optional[str] = None) -> Booking:
        return await asyncio.to_thread(self.sync.approve, actor, booking_id, reason)

    async def reject(self, actor: Actor, booking_id: Id, reason: str) -> Booking:
        return await asyncio.to_thread(self.sync.reject, actor, booking_id, reason)

    async def check_in(self, actor: Actor, booking_id: Id, code: Optional[str] = None) -> Booking:
        return await asyncio.to_thread(self.sync.check_in, actor, booking_id, code)

    async def free_slots(self, room_id: Id, date: dt.date) -> list[FreeSlot]:
        return await asyncio.to_thread(self.sync.free_slots, room_id, date)

    async def find_rooms(
        self,
        actor: Actor,
        start: dt.datetime,
        end: dt.datetime,
        min_capacity: int = 1,
        amenities: Sequence[str] = (),
    ) -> list[RoomFit]:
        return await asyncio.to_thread(
            self.sync.find_rooms, actor, start, end, min_capacity, list(amenities)
        )

    async def join_waitlist(
        self,
        actor: Actor,
        room_id: Id,
        title: str,
        start: dt.datetime,
        end: dt.datetime,
        attendees: int = 1,
        purpose: str = "",
    ) -> WaitlistEntry:
        return await asyncio.to_thread(
            self.sync.join_waitlist, actor, room_id, title, start, end, attendees, purpose
        )

    async def leave_waitlist(self, actor: Actor, entry_id: Id) -> WaitlistEntry:
        return await asyncio.to_thread(self.sync.leave_waitlist, actor, entry_id)

    async def my_waitlist(self, actor: Actor) -> list[WaitlistEntry]:
        return await asyncio.to_thread(self.sync.my_waitlist, actor)

    async def approval_queue(self, actor: Actor) -> list[Booking]:
        return await asyncio.to_thread(self.sync.approval_queue, actor)


__all__ = ["AsyncService", "open"]

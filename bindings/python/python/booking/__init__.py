"""Room-booking rules for Python: the same core the booking server runs.

Open the server's database (SQLite file or PostgreSQL) and book rooms with
every rule applied — conflicts with buffers, business hours, booking window,
durations, capacity, roles, quotas, approval, check-in, waitlist — and every
change audited::

    import booking
    from datetime import datetime
    from zoneinfo import ZoneInfo

    svc = booking.open("sqlite:///rooms.db")
    admin = svc.create_user("admin@example.com", "Admin", role="super_admin")
    room = svc.create_room(admin, "Huddle", capacity=6, time_zone="Europe/Berlin")
    berlin = ZoneInfo("Europe/Berlin")
    b = svc.book(admin, room.id, "Planning",
                 datetime(2027, 3, 1, 9, tzinfo=berlin), datetime(2027, 3, 1, 10, tzinfo=berlin))

Datetimes must be timezone-aware (naive ones raise ``InvalidInput``); what
comes back is aware UTC. Refusals raise typed exceptions: ``ConflictError``
(``.booking_id``, ``.start``, ``.end``), ``RuleViolation`` (``.rule``,
``.limits``), ``NotFound``, ``Forbidden``, ``InvalidInput`` (``.field``),
``StaleError``, ``Unavailable``; all derive from ``BookingError``. Calls
release the GIL; ``booking.aio`` has the same API for asyncio.
"""

from ._booking import (
    Booking,
    BookingError,
    ConflictError,
    Forbidden,
    FreeSlot,
    InvalidInput,
    NotFound,
    Room,
    RoomFit,
    RuleViolation,
    SeriesResult,
    Service,
    SkippedOccurrence,
    StaleError,
    Unavailable,
    User,
    WaitlistEntry,
    expand_series,
    first_conflict,
    open,
    overlaps,
)

__all__ = [
    "Booking",
    "BookingError",
    "ConflictError",
    "Forbidden",
    "FreeSlot",
    "InvalidInput",
    "NotFound",
    "Room",
    "RoomFit",
    "RuleViolation",
    "SeriesResult",
    "Service",
    "SkippedOccurrence",
    "StaleError",
    "Unavailable",
    "User",
    "WaitlistEntry",
    "expand_series",
    "first_conflict",
    "open",
    "overlaps",
]

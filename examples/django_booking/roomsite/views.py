"""One view: book a room through the binding; a taken slot answers 409 with
the booking in the way, in the room's local time."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

import booking


@functools.cache
def service() -> booking.Service:
    return booking.open(settings.BOOKING_DATABASE_URL)


def demo_room(svc: booking.Service) -> booking.Room:
    """The example's room (and its admin), made on first use."""
    for room in svc.list_rooms():
        if room.name == "Django room":
            return room
    admin = svc.user_by_email("django-admin@example.com") or svc.create_user(
        "django-admin@example.com", "Django admin", role="super_admin"
    )
    hours = [{"open": "00:00:00", "close": "00:00:00"}] * 7
    return svc.create_room(admin, "Django room", 8, "Europe/Berlin", policy={"business_hours": hours})


def book(request: HttpRequest) -> HttpResponse:
    svc = service()
    room = demo_room(svc)
    zone = ZoneInfo(room.time_zone)
    context: dict[str, object] = {"room": room, "zone": room.time_zone}
    if request.method != "POST":
        return render(request, "book.html", context)
    form = request.POST
    context["form"] = form
    email = form.get("email", "").strip()
    try:
        day = dt.date.fromisoformat(form.get("date", ""))
        start = dt.datetime.combine(day, dt.time.fromisoformat(form.get("start", "")), tzinfo=zone)
        end = dt.datetime.combine(day, dt.time.fromisoformat(form.get("end", "")), tzinfo=zone)
    except ValueError:
        context["error"] = "Give a date (YYYY-MM-DD) and times (HH:MM)."
        return render(request, "book.html", context, status=400)
    try:
        person = svc.user_by_email(email) or svc.create_user(email, email.split("@")[0])
        made = svc.book(person, room.id, form.get("title", ""), start, end)
    except booking.ConflictError as e:
        taken = f"{e.start.astimezone(zone):%H:%M}–{e.end.astimezone(zone):%H:%M}"
        context["error"] = f"That time is taken: {room.name} is booked {taken} ({room.time_zone})."
        return render(request, "book.html", context, status=409)
    except booking.BookingError as e:
        context["error"] = str(e)
        return render(request, "book.html", context, status=400)
    context["booked"] = f"{made.title}: {made.start.astimezone(zone):%a %d %b %H:%M}–{made.end.astimezone(zone):%H:%M}"
    return render(request, "book.html", context)

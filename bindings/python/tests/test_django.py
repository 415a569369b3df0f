# mypy: disable-error-code="import-untyped"
"""The Django example (examples/django_booking): its view books through the
binding and shows the conflict message, with Django's own test client."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import django

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "django_booking"


def test_the_django_view_books_and_shows_the_conflict(tmp_path: Path) -> None:
    os.environ["BOOKING_DATABASE_URL"] = f"sqlite:///{tmp_path}/django.db"
    os.environ["DJANGO_SETTINGS_MODULE"] = "roomsite.settings"
    sys.path.insert(0, str(EXAMPLE))
    django.setup()
    from django.test import Client

    client = Client(enforce_csrf_checks=False)
    page = client.get("/")
    assert page.status_code == 200 and b"Book Django room" in page.content
    day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    form = {"email": "grace@example.com", "title": "Standup", "date": day, "start": "10:00", "end": "10:30"}
    made = client.post("/", form)
    assert made.status_code == 200, made.content
    assert b"Booked Standup" in made.content
    clash = client.post("/", {**form, "email": "alan@example.com", "title": "Clash", "start": "10:15", "end": "11:00"})
    assert clash.status_code == 409
    assert "That time is taken: Django room is booked 10:00–10:30 (Europe/Berlin)." in clash.content.decode()
    bad = client.post("/", {**form, "date": "soon"})
    assert bad.status_code == 400

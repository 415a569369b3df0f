"""Fixtures: a fresh database per test — a SQLite file, and a PostgreSQL
database created on BOOKING_TEST_PG_URL and dropped afterwards — and a small
world on it (a super admin, an approver, two employees, an always-open room)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from dataclasses import dataclass
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

import booking

BERLIN = ZoneInfo("Europe/Berlin")
PG_URL = os.environ.get("BOOKING_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ALWAYS_OPEN = {"business_hours": [{"open": "00:00:00", "close": "00:00:00"}] * 7}


def pg_available() -> bool:
    if os.environ.get("BOOKING_TEST_PG") == "off":
        return False
    return subprocess.run(["psql", "-q", PG_URL, "-c", "SELECT 1"], capture_output=True).returncode == 0


def backends() -> list[str]:
    return ["sqlite", "postgres"] if pg_available() else ["sqlite"]


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/rooms.db"
        return
    name = f"booking_py_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", "-q", PG_URL, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        subprocess.run(["psql", "-q", PG_URL, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


@dataclass
class World:
    svc: booking.Service
    admin: booking.User
    approver: booking.User
    ada: booking.User
    bob: booking.User
    room: booking.Room


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    svc = booking.open(db_url)
    admin = svc.create_user("admin@example.com", "Admin", role="super_admin")
    ada = svc.create_user("ada@example.com", "Ada")
    bob = svc.create_user("bob@example.com", "Bob")
    room = svc.create_room(admin, "Huddle", 6, "Europe/Berlin", amenities=["screen"], policy=ALWAYS_OPEN)
    approver = svc.create_user("approver@example.com", "Approver", role="room_admin")
    approver = svc.update_user(admin, approver.id, assigned_rooms=[room.id])
    yield World(svc, admin, approver, ada, bob, room)
    svc.close()


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """`days` from today at `hour:minute` Berlin time."""
    d = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=BERLIN)

"""One database, two doors: what Python books the HTTP API sees and
conflicts with, and the other way round (SQLite file and PostgreSQL)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

import booking
from conftest import ALWAYS_OPEN, at

ROOT = Path(__file__).resolve().parents[3]
SERVER = os.environ.get("BOOKING_SERVER_BIN", str(ROOT / "target" / "debug" / "booking-server"))
PASSWORD = "correct horse battery staple"


def server_url(url: str) -> str:
    """The URL as the server takes it (sqlx spells SQLite files with ?mode=rwc)."""
    return url + "?mode=rwc" if url.startswith("sqlite:") else url


def call(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, data, timeout=10) as r:
            return r.status, parse(r.read())
    except urllib.error.HTTPError as e:
        return e.code, parse(e.read())


def parse(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode()


@pytest.fixture
def server(db_url: str) -> Iterator[tuple[booking.Service, str]]:
    assert os.path.exists(SERVER), f"build the server first: cargo build -p booking-server ({SERVER})"
    svc = booking.open(db_url)
    url = server_url(db_url)
    subprocess.run([SERVER, "create-admin", "--email", "root@example.com", "--password-stdin", "--database-url", url],
                   input=PASSWORD.encode(), check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_JWT_SECRET": "python-binding-test-secret-0123456789",
           "RUST_LOG": "warn"}
    proc = subprocess.Popen([SERVER, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if call(base, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("the server did not start")
        yield svc, base
    finally:
        proc.terminate()
        proc.wait(10)
        svc.close()


def test_python_and_http_bookings_conflict_both_ways(server: tuple[booking.Service, str]) -> None:
    svc, base = server
    status, tokens = call(base, "POST", "/api/v1/auth/login", body={"email": "root@example.com", "password": PASSWORD})
    assert status == 200, tokens
    token = tokens["access_token"]
    admin = svc.create_user("py-admin@example.com", "Py Admin", role="super_admin")
    room = svc.create_room(admin, "Shared", 6, "Europe/Berlin", policy=ALWAYS_OPEN)
    ada = svc.create_user("ada@example.com", "Ada")

    # Python first: the API is refused, naming Python's booking.
    mine = svc.book(ada, room.id, "From Python", at(3, 10), at(3, 11))
    status, problem = call(base, "POST", "/api/v1/bookings", token, {
        "room_id": room.id, "title": "From HTTP", "attendees": 2,
        "start": at(3, 10, 30).isoformat(), "end": at(3, 11, 30).isoformat()})
    assert status == 409, problem
    assert mine.id in problem["detail"]
    status, listed = call(base, "GET", f"/api/v1/rooms/{room.id}/bookings?from={at(3, 0).isoformat()}&to={at(4, 0).isoformat()}".replace("+", "%2B"), token)
    assert status == 200 and [b["id"] for b in listed] == [mine.id]

    # HTTP first: Python is refused, naming the API's booking.
    status, theirs = call(base, "POST", "/api/v1/bookings", token, {
        "room_id": room.id, "title": "From HTTP", "attendees": 2,
        "start": at(3, 14).isoformat(), "end": at(3, 15).isoformat()})
    assert status == 201, theirs
    with pytest.raises(booking.ConflictError) as e:
        svc.book(ada, room.id, "From Python", at(3, 14, 30), at(3, 15, 30))
    assert e.value.booking_id == theirs["id"]
    assert svc.get_booking(theirs["id"]).title == "From HTTP"

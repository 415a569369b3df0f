"""Prepare a fresh server for scripts/bench-wrk.sh (standard library only).

Signs in, creates ROOMS open rooms (UTC, open all week, 15-minute minimum),
one more room whose feed gets FEED_EVENTS bookings, and prints shell
assignments: BENCH_TOKEN, BENCH_ROOMS, BENCH_FEED_PATH, BENCH_FEED_ETAG,
BENCH_DAY, BENCH_FIRST. With PEOPLE (default 0) it also makes that many
accounts, signs them in and prints their tokens as BENCH_PEOPLE.

Usage: setup.py BASE_URL EMAIL PASSWORD ROOMS FEED_EVENTS [PEOPLE]
       setup.py BASE_URL EMAIL PASSWORD --people-only PEOPLE
"""

import datetime as dt
import http.client
import json
import sys
import urllib.parse

base, email, password = sys.argv[1:4]
people_only = sys.argv[4] == "--people-only"
if people_only:
    n_rooms, n_events, n_people = "0", "0", int(sys.argv[5])
else:
    n_rooms, n_events = sys.argv[4:6]
    n_people = int(sys.argv[6]) if len(sys.argv) > 6 else 0
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def call(method, path, body=None, token=None, headers=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status >= 400:
        sys.exit(f"{method} {path}: {resp.status} {data[:300]!r}")
    return resp, data


_, data = call("POST", "/api/v1/auth/login", {"email": email, "password": password})
token = json.loads(data)["access_token"]


def make_people(n):
    """n accounts signed in; their bearer tokens."""
    tokens = []
    for i in range(n):
        person = f"person{i:02}@bench.example"
        call("POST", "/api/v1/users", {"email": person, "display_name": f"Person {i:02}",
                                       "password": password, "role": "user"}, token)
        _, data = call("POST", "/api/v1/auth/login", {"email": person, "password": password})
        tokens.append(json.loads(data)["access_token"])
    return tokens


if people_only:
    print(f"BENCH_PEOPLE='{','.join(make_people(n_people))}'")
    sys.exit(0)

always = [{"day": d, "open": "00:00", "close": "00:00"}
          for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]


def room(name, public_feed=False):
    body = {
        "name": name, "category": "meeting", "capacity": 10, "time_zone": "UTC",
        "amenities": ["projector", "whiteboard", "video"], "floor": 1,
        "location": "Bench building, first floor, east wing, next to the lifts",
        "policy": {"booking_window_days": 3650, "min_duration_minutes": 15,
                   "max_duration_minutes": 120, "business_hours": always,
                   "public_feed": public_feed},
    }
    _, data = call("POST", "/api/v1/rooms", body, token)
    return json.loads(data)["id"]


rooms = [room(f"Bench room {i:02}") for i in range(int(n_rooms))]
feed_room = room("Bench feed room", public_feed=True)

# The feed room's bookings: ten 30-minute meetings a day from tomorrow on.
tomorrow = dt.datetime.now(dt.timezone.utc).replace(
    hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
for i in range(int(n_events)):
    start = tomorrow + dt.timedelta(days=i // 10, hours=8 + i % 10)
    end = start + dt.timedelta(minutes=30)
    call("POST", "/api/v1/bookings", {
        "room_id": feed_room, "title": f"Meeting {i}", "attendees": 2,
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": end.isoformat().replace("+00:00", "Z")}, token)

people = make_people(n_people)
feed_path = f"/ical/rooms/{feed_room}.ics"
resp, body = call("GET", feed_path)
etag = resp.getheader("ETag") or ""
# Create-booking phases start a year out, so they never meet the feed's days.
first = int((tomorrow + dt.timedelta(days=400)).timestamp())

print(f"BENCH_TOKEN='{token}'")
print(f"BENCH_ROOMS='{','.join(rooms)}'")
print(f"BENCH_PEOPLE='{','.join(people)}'")
print(f"BENCH_ROOM_LIST='{rooms[0]}'")
print(f"BENCH_FEED_ROOM='{feed_room}'")
print(f"BENCH_FEED_PATH='{feed_path}'")
print(f"BENCH_FEED_ETAG='{etag}'")
print(f"BENCH_FEED_BYTES={len(body)}")
print(f"BENCH_DAY='{(tomorrow + dt.timedelta(days=2)).date().isoformat()}'")
print(f"BENCH_FIRST={first}")

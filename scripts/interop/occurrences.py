"""Parse an iCalendar file with Python peers and print, as JSON, whether each
accepted it and the occurrence list (UTC, ISO 8601) of every recurring event.

Peers: icalendar, vobject (validate=True), recurring-ical-events.
Usage: occurrences.py FILE START END   (dates, YYYY-MM-DD)
"""
import datetime as dt
import json
import sys

import icalendar
import recurring_ical_events
import vobject


def utc(v):
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return v.isoformat()


path, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
out = {}
try:
    cal = icalendar.Calendar.from_ical(data)
    errors = [(c.name, c.errors) for c in cal.walk() if getattr(c, "errors", None)]
    out["icalendar"] = "ok" if not errors else f"errors: {errors}"
    events = recurring_ical_events.of(cal).between(
        dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    )
    occ = {}
    for e in events:
        occ.setdefault(str(e["UID"]), []).append(utc(e["DTSTART"].dt))
    out["recurring_ical_events"] = {k: sorted(v) for k, v in occ.items()}
except Exception as e:  # report, do not crash: the caller asserts
    out["icalendar"] = f"FAIL {type(e).__name__}: {e}"
try:
    v = vobject.readOne(data.decode("utf-8"), validate=True)
    v.serialize(validate=True)
    out["vobject"] = "ok"
except Exception as e:
    out["vobject"] = f"FAIL {type(e).__name__}: {e}"
print(json.dumps(out))

"""Use the Python `caldav` client (python-caldav) against our /dav/: discover
the calendars, count a room calendar's objects, search a day, and expand the
recurring events of a range. Prints JSON.

Usage: caldav_client.py URL USER PASSWORD CALENDAR START END
"""
import datetime as dt
import json
import sys

import caldav

url, user, password, name, start, end = sys.argv[1:7]
client = caldav.DAVClient(url=url, username=user, password=password)
principal = client.principal()
calendars = principal.calendars()
cal = next(c for c in calendars if c.get_display_name() == name)
objects = cal.events()
utc = dt.timezone.utc
first = min(e.icalendar_component["DTSTART"].dt for e in objects)
day = first.astimezone(utc).replace(hour=0, minute=0, second=0)
found = cal.search(start=day, end=day + dt.timedelta(days=1), event=True)
expanded = {}
for ev in cal.search(
    start=dt.datetime.fromisoformat(start).replace(tzinfo=utc),
    end=dt.datetime.fromisoformat(end).replace(tzinfo=utc),
    event=True,
    expand=True,
):
    c = ev.icalendar_component
    if c.get("RECURRENCE-ID") is None and c.get("RRULE") is None:
        continue
    expanded.setdefault(str(c["UID"]), []).append(
        c["DTSTART"].dt.astimezone(utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
print(json.dumps({
    "calendars": sorted(c.get_display_name() for c in calendars),
    "objects": len(objects),
    "found_on_first_day": len(found),
    "expanded": expanded,
}))

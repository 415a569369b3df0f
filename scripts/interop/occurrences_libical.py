"""Parse an iCalendar file with Evolution's libical (GObject introspection,
Debian gir1.2-ical-3.0 + python3-gi) and print JSON: parse result,
restriction_check, X-LIC-ERROR lines, and per UID the occurrence starts in
UTC (master expanded by libical's foreach_recurrence, RECURRENCE-ID
overrides applied the way Evolution applies them).

Usage: /usr/bin/python3 occurrences_libical.py FILE START END
"""
import datetime as dt
import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I  # noqa: E402


def stamp(t):
    u = t.convert_to_zone(I.Timezone.get_utc_timezone()) if t.get_timezone() else t
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        u.get_year(), u.get_month(), u.get_day(), u.get_hour(), u.get_minute(), u.get_second())


def epoch(secs):
    return dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(s):
    y, m, d = map(int, s.split("-"))
    t = I.Time.new_null_time()
    t.set_date(y, m, d)
    t.set_time(0, 0, 0)
    t.set_timezone(I.Timezone.get_utc_timezone())
    return t


path, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-8").read()
out = {"parsed": False}
cal = I.Component.new_from_string(text)
if cal is not None:
    out["parsed"] = True
    out["restriction_check"] = bool(I.restriction_check(cal))
    rendered = cal.as_ical_string().replace("\r\n ", "")
    out["errors"] = [l for l in rendered.splitlines() if l.startswith("X-LIC-ERROR")]
    # Resolve TZIDs against the calendar's own VTIMEZONEs.
    zones = {}
    z = cal.get_first_component(I.ComponentKind.VTIMEZONE_COMPONENT)
    while z is not None:
        tz = I.Timezone.new()
        tz.set_component(z.clone())
        zones[tz.get_tzid()] = tz
        z = cal.get_next_component(I.ComponentKind.VTIMEZONE_COMPONENT)

    def with_zone(comp, kind):
        p = comp.get_first_property(kind)
        t = p.get_datetime_with_component(comp) if hasattr(p, "get_datetime_with_component") else None
        if t is None:
            t = p.get_dtstart() if kind == I.PropertyKind.DTSTART_PROPERTY else p.get_recurrenceid()
            par = p.get_first_parameter(I.ParameterKind.TZID_PARAMETER)
            if par is not None and par.get_tzid() in zones:
                t.set_timezone(zones[par.get_tzid()])
        return t

    masters, overrides = {}, {}
    ev = cal.get_first_component(I.ComponentKind.VEVENT_COMPONENT)
    while ev is not None:
        uid = ev.get_uid()
        if ev.get_first_property(I.PropertyKind.RECURRENCEID_PROPERTY) is not None:
            rid = stamp(with_zone(ev, I.PropertyKind.RECURRENCEID_PROPERTY))
            overrides.setdefault(uid, {})[rid] = stamp(with_zone(ev, I.PropertyKind.DTSTART_PROPERTY))
        elif ev.get_first_property(I.PropertyKind.RRULE_PROPERTY) is not None:
            found = []
            # libical resolves TZIDs through the enclosing VCALENDAR here.
            I.Component.foreach_recurrence(
                ev, day(start), day(end),
                lambda comp, span, data: found.append(epoch(span.get_start())), None)
            masters[uid] = found
        ev = cal.get_next_component(I.ComponentKind.VEVENT_COMPONENT)
    occ = {}
    for uid, starts in masters.items():
        moved = overrides.get(uid, {})
        occ[uid] = sorted(moved.get(s, s) for s in starts)
    out["occurrences"] = occ
print(json.dumps(out))

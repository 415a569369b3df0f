"""Check iTIP messages with Python `icalendar`: print, as JSON per file, the
METHOD, each VEVENT's UID/SEQUENCE/RECURRENCE-ID (UTC) and every ATTENDEE's
PARTSTAT, or the error. Usage: itip_check.py FILE...
"""
import json
import sys
from datetime import timezone

import icalendar

out = {}
for path in sys.argv[1:]:
    try:
        cal = icalendar.Calendar.from_ical(open(path, "rb").read())
        events = []
        for ev in cal.walk("VEVENT"):
            atts = ev.get("ATTENDEE") or []
            if not isinstance(atts, list):
                atts = [atts]
            events.append({
                "uid": str(ev.get("UID")),
                "sequence": int(ev.get("SEQUENCE", 0)),
                "recurrence_id": (ev.decoded("RECURRENCE-ID").astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                                  if ev.get("RECURRENCE-ID") else None),
                "attendees": [{"address": str(a), "partstat": a.params.get("PARTSTAT"),
                               "cutype": a.params.get("CUTYPE")} for a in atts],
                "comment": str(ev.get("COMMENT", "")),
            })
        errors = [(c.name, c.errors) for c in cal.walk() if getattr(c, "errors", None)]
        out[path] = {"method": str(cal.get("METHOD")), "events": events, "errors": errors}
    except Exception as e:  # reported, the caller asserts
        out[path] = {"error": f"{type(e).__name__}: {e}"}
print(json.dumps(out))

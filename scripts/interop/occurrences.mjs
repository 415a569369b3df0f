// Parse an iCalendar file with ical.js (Mozilla's parser, used by Thunderbird)
// and node-ical; print JSON: whether each accepted it, and per UID the
// occurrence starts in UTC of every recurring event, exceptions applied.
// Usage: node occurrences.mjs FILE START END   (dates, YYYY-MM-DD)
import fs from 'node:fs';
import ICAL from 'ical.js';
import nodeIcal from 'node-ical';

const [file, start, end] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
const out = {};
try {
  const comp = new ICAL.Component(ICAL.parse(text));
  for (const tz of comp.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(new ICAL.Timezone(tz));
  }
  const from = ICAL.Time.fromDateString(start);
  const to = ICAL.Time.fromDateString(end);
  const byUid = {};
  for (const v of comp.getAllSubcomponents('vevent')) {
    (byUid[v.getFirstPropertyValue('uid')] ??= []).push(v);
  }
  const occ = {};
  for (const [uid, comps] of Object.entries(byUid)) {
    const master = comps.find((c) => !c.hasProperty('recurrence-id'));
    if (!master || !master.hasProperty('rrule')) continue;
    const ev = new ICAL.Event(master);
    for (const c of comps) if (c !== master) ev.relateException(c);
    const it = ev.iterator();
    const list = [];
    for (let n = it.next(); n && n.compare(to) < 0; n = it.next()) {
      if (n.compare(from) < 0) continue;
      const d = ev.getOccurrenceDetails(n);
      list.push(d.startDate.toJSDate().toISOString().replace('.000Z', 'Z'));
    }
    occ[uid] = list.sort();
  }
  out['ical.js'] = 'ok';
  out.occurrences = occ;
} catch (e) {
  out['ical.js'] = `FAIL ${e.name}: ${e.message}`;
}
try {
  const r = nodeIcal.sync.parseICS(text);
  out['node-ical'] = `ok ${Object.values(r).filter((x) => x.type === 'VEVENT').length} events`;
} catch (e) {
  out['node-ical'] = `FAIL ${e.message}`;
}
console.log(JSON.stringify(out));

// End-to-end tests of the booking features of #22 in real headless
// Chromium: a room admin previews which bookings a closure of the Training
// Lab falls on, closes it cancelling them (the organizer's booking says
// why), sees the API refuse a booking into it with rule `closed`, and
// reopens it; a super admin checks and imports rooms (a picked CSV file) and
// bookings (a pasted .ics); a room admin books in an employee's name. Screenshots at 1280 and 375 px go to
// target/web-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ZONE, api, apiToken, app, check, checkBoth, context, done, signIn, startApp, stopApp, workday,
} from './harness.mjs';

before(startApp);
after(stopApp);

test('a room admin closes a room, cancelling what is booked, and reopens it', async () => {
  const day = workday(4);
  const token = await apiToken('user');
  const lab = (await api(token, 'GET', '/rooms')).json.find((r) => r.name === 'Training Lab');
  // 10:00–11:00 in Berlin (CET in winter, CEST in summer: let the server say).
  const offset = new Date(`${day}T12:00:00Z`).toLocaleString('en-GB', { timeZone: 'Europe/Berlin', timeZoneName: 'shortOffset' }).endsWith('+2') ? '+02:00' : '+01:00';
  const booked = await api(token, 'POST', '/bookings', {
    room_id: lab.id, title: 'Onboarding', attendees: 10,
    start: `${day}T10:00:00${offset}`, end: `${day}T11:00:00${offset}`,
  });
  assert.equal(booked.status, 201, booked.text);

  const ctx = await context();
  const page = await signIn(ctx, 'room_admin');
  page.on('dialog', (d) => d.accept());
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('link', { name: 'Closures' }).click();
  await page.waitForURL(/\/admin\/closures$/);
  await checkBoth(page, 'admin-closures');

  await page.selectOption('#f-room_id', { label: 'Training Lab' });
  await page.fill('#f-start', `${day}T09:00`);
  await page.fill('#f-end', `${day}T12:00`);
  await page.fill('#f-time_zone', 'Europe/Berlin');
  await page.fill('#f-reason', 'Carpet cleaning');
  await page.click('button:has-text("Show the bookings it falls on")');
  const hits = page.locator('#hits-h');
  await hits.waitFor();
  assert.match(await hits.textContent(), /1 booking\(s\) fall in that time/);
  assert.match(await page.locator('main').textContent(), /Training Lab: .*10:00.*Onboarding/s);
  assert.equal(await page.inputValue('#f-reason'), 'Carpet cleaning', 'what was typed is kept');
  await check(page, 'admin-closures-preview');

  await page.check('input[name=existing][value=cancel]');
  await page.click('button:has-text("Close")');
  await page.waitForURL(/flash=/);
  assert.match(await page.locator('.flash').first().textContent(), /1 booking\(s\) in that time are cancelled/);
  assert.match(await page.locator('table tbody').textContent(), /Training Lab.*Carpet cleaning/s);
  await checkBoth(page, 'admin-closures-list');

  const gone = await api(token, 'GET', `/bookings/${booked.json.id}`);
  assert.equal(gone.json.status, 'cancelled');
  assert.equal(gone.json.decision_reason, 'the room is closed: Carpet cleaning');
  const refused = await api(token, 'POST', '/bookings', {
    room_id: lab.id, title: 'Again', attendees: 2,
    start: `${day}T11:00:00${offset}`, end: `${day}T11:30:00${offset}`,
  });
  assert.equal(refused.status, 422);
  assert.equal(refused.json.rule, 'closed');

  await page.getByRole('button', { name: /Reopen/ }).click();
  await page.waitForURL(/flash=/);
  assert.match(await page.locator('main').textContent(), /No room is closed now or later/);
  assert.deepEqual(page.errors, []);
  await done(ctx);
});

test('a super admin checks, then imports rooms from CSV and bookings from iCalendar', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'super_admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('link', { name: 'Import' }).click();
  await page.waitForURL(/\/admin\/import$/);
  await checkBoth(page, 'admin-import');

  const csv = 'name,category,capacity,floor,location,amenities,time_zone,approval_required\n'
    + 'Maple,meeting,6,4,North wing,screen,Europe/Berlin,no\n'
    + 'Elm,meeting,lots,4,North wing,,Europe/Berlin,no\n';
  await page.setInputFiles('#f-csv-file', { name: 'rooms.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.waitForFunction(() => document.getElementById('f-csv').value.includes('Maple'));
  await page.click('form:has(#f-csv) button:has-text("Check")');
  const report = page.locator('#report-h');
  await report.waitFor();
  assert.match(await report.textContent(), /1 would be made, 1 refused, 0 skipped\. Nothing was written/);
  assert.match(await page.locator('table tbody').textContent(), /Elm.*refused.*capacity/s);
  await checkBoth(page, 'admin-import-check');
  await page.click('form:has(#f-csv) button:has-text("Import rooms")');
  await page.locator('#report-h').waitFor();
  assert.match(await page.locator('#report-h').textContent(), /Import of the rooms: 1 made, 1 refused/);

  const day = workday(5).replaceAll('-', '');
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//old//EN', 'BEGIN:VEVENT', 'UID:x1@old',
    'DTSTAMP:20260101T000000Z', 'SUMMARY:Team sync', 'LOCATION:Maple', 'ORGANIZER:mailto:alice@demo.example',
    'DTSTART;TZID=Europe/Berlin:' + day + 'T100000', 'DTEND;TZID=Europe/Berlin:' + day + 'T110000',
    'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  await page.fill('#f-ics', ics);
  await page.click('form:has(#f-ics) button:has-text("Check")');
  await page.locator('#report-h').waitFor();
  assert.match(await page.locator('#report-h').textContent(), /Check of the bookings: 1 would be made/);
  await page.click('form:has(#f-ics) button:has-text("Import bookings")');
  await page.locator('#report-h').waitFor();
  assert.match(await page.locator('#report-h').textContent(), /Import of the bookings: 1 made/);
  assert.match(await page.locator('table tbody').textContent(), /Team sync.*created.*booked for alice@demo\.example/s);

  const token = await apiToken('user');
  const mine = (await api(token, 'GET', '/bookings/mine?to=' + new Date(Date.now() + 30 * 86400e3).toISOString())).json;
  assert.ok(mine.some((b) => b.title === 'Team sync'), 'booked for Alice, the ORGANIZER');
  assert.deepEqual(page.errors, []);
  await done(ctx);
});

test('a room admin books the Training Lab in an employee\'s name', async () => {
  const day = workday(6);
  const ctx = await context();
  const page = await signIn(ctx, 'room_admin');
  await page.goto(`${app.base}/book?date=${day}&tz=${encodeURIComponent(ZONE)}`);
  await page.selectOption('#b-room', { label: 'Training Lab (30 seats)' });
  await page.fill('#b-title', 'Induction for Alice');
  await page.fill('#b-start', '14:00');
  await page.fill('#b-end', '15:00');
  await page.fill('#b-for', 'nobody@demo.example');
  await page.click('button[value=book]');
  const problem = page.locator('#problem, .problem').first();
  await problem.waitFor();
  assert.match(await problem.textContent(), /for_email.*nobody@demo\.example/s);
  assert.equal(await page.inputValue('#b-title'), 'Induction for Alice', 'what was typed is kept');
  await check(page, 'book-for-refused');
  await page.fill('#b-for', 'alice@demo.example');
  await page.click('button[value=book]');
  await page.waitForURL(/\/my\?/);

  const token = await apiToken('user');
  const mine = (await api(token, 'GET', `/bookings/mine?to=${new Date(Date.now() + 30 * 86400e3).toISOString()}`)).json;
  const made = mine.find((b) => b.title === 'Induction for Alice');
  assert.ok(made, 'the booking is Alice\'s');
  assert.ok(made.booked_by, 'and names who made it');
  assert.deepEqual(page.errors, []);
  await done(ctx);
});

test('a super admin divides a hall, a user books two rooms together, a guest asks for a room', async () => {
  const day = workday(7);
  const admin = await apiToken('super_admin');
  const huddle = (await api(admin, 'GET', '/rooms')).json.find((r) => r.name === 'Huddle 1');
  const made = {};
  for (const name of ['Forum East', 'Forum West', 'Forum']) {
    const r = await api(admin, 'POST', '/rooms', {
      name, category: 'meeting', capacity: 20, floor: 0, location: 'HQ', amenities: [],
      time_zone: huddle.time_zone, policy: huddle.policy,
    });
    assert.equal(r.status, 201, r.text);
    made[name] = r.json;
  }

  // The hall is made of its two halves on its admin page.
  const ctx = await context();
  const page = await signIn(ctx, 'super_admin');
  await page.goto(`${app.base}/admin/rooms/${made.Forum.id}`);
  await page.getByLabel('Forum East').check();
  await page.getByLabel('Forum West').check();
  await page.click('button:has-text("Save the parts")');
  await page.waitForURL(/flash=/);
  assert.match(await page.locator('.flash').first().textContent(), /holds its 2 parts/);
  await checkBoth(page, 'admin-room-parts');
  await done(ctx);

  // A user books a half and a huddle room together from the booking form.
  const uctx = await context();
  const upage = await signIn(uctx, 'user');
  await upage.goto(`${app.base}/book?date=${day}&tz=${encodeURIComponent(ZONE)}`);
  await upage.selectOption('#b-room', { label: 'Forum East (20 seats)' });
  await upage.selectOption('#b-also1', { label: 'Huddle 1 (4 seats)' });
  await upage.fill('#b-title', 'Two-room workshop');
  await upage.fill('#b-start', '10:00');
  await upage.fill('#b-end', '11:00');
  await upage.fill('#b-att', '3');
  await check(upage, 'book-two-rooms');
  await upage.click('button[value=book]');
  await upage.waitForURL(/\/my\?/);
  assert.match(await upage.locator('.flash').first().textContent(), /Booked together: .*Forum East.*Huddle 1|Booked together: .*Huddle 1.*Forum East/);
  assert.deepEqual(upage.errors, []);
  await done(uctx);
  const user = await apiToken('user');
  const mine = (await api(user, 'GET', `/bookings/mine?to=${new Date(Date.now() + 30 * 86400e3).toISOString()}`)).json;
  const east = mine.find((b) => b.title === 'Two-room workshop' && b.room_id === made['Forum East'].id);
  assert.ok(east && east.group_id, 'one of a group');
  // The whole hall is taken while its half is.
  const hall = await api(user, 'POST', '/bookings', {
    room_id: made.Forum.id, title: 'Plenary', attendees: 10, start: east.start, end: east.end,
  });
  assert.equal(hall.status, 409, hall.text);
  assert.equal(hall.json.conflict.booking_id, east.id);

  // A guest asks for the other half on its public form.
  const policy = { ...made['Forum West'].policy, guest_requests: true };
  const put = await api(admin, 'PUT', `/rooms/${made['Forum West'].id}/policy`, policy);
  assert.equal(put.status, 200, put.text);
  const gctx = await context();
  const gpage = await gctx.newPage();
  gpage.errors = [];
  gpage.on('pageerror', (e) => gpage.errors.push(e.message));
  await gpage.goto(`${app.base}/rooms/${made['Forum West'].id}/request`);
  await gpage.fill('#f-name', 'Gerda Guest');
  await gpage.fill('#f-email', 'gerda@guest.example');
  await gpage.fill('#f-title', 'Choir rehearsal');
  await gpage.fill('#f-date', day);
  await gpage.fill('#f-start', '10:00');
  await gpage.fill('#f-end', '11:00');
  await gpage.fill('#f-attendees', '8');
  await checkBoth(gpage, 'guest-request');
  await gpage.click('button:has-text("Send the request")');
  await gpage.locator('text=Check your e-mail').waitFor();
  assert.match(await gpage.locator('main').textContent(), /gerda@guest\.example/);
  await check(gpage, 'guest-request-sent');
  assert.deepEqual(gpage.errors, []);
  await done(gctx);
});

// End-to-end tests of the web app's part 2 in real headless Chromium: the
// admin pages, the procurement officer's queue and requisition, the
// dashboard against the analytics API, and the door display. The server,
// browser and checks come from harness.mjs; screenshots of every page (at
// 1280 and 375 px, the door display also at 1024 × 768) go to
// target/web-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ZONE, accounts, api, apiToken, app, check, checkBoth, context, done, restartServer, shots, signIn, startApp,
  stopApp, workday,
} from './harness.mjs';

before(startApp);
after(stopApp);

const day = workday();
const world = {};

// Set a room's opening hours to the whole day, every day, on the room form.
async function openAroundTheClock(page) {
  for (let i = 0; i < 7; i++) {
    await page.fill(`#f-open_${i}`, '00:00');
    await page.fill(`#f-close_${i}`, '00:00');
  }
}

test('a super admin creates a room with a policy, a user books it, its room admin approves', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'super_admin');
  page.on('dialog', (d) => d.accept());
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.waitForURL(/\/admin\/rooms$/);
  await checkBoth(page, 'admin-rooms');
  await page.getByRole('link', { name: 'New room' }).click();
  await page.waitForURL(/\/admin\/rooms\/new/);
  await checkBoth(page, 'admin-room-new');

  await page.fill('#f-name', 'Studio 7');
  await page.fill('#f-capacity', '8');
  await page.fill('#f-location', 'Building B, 2nd floor');
  await page.fill('#f-time_zone', ZONE);
  await openAroundTheClock(page);
  await page.check('#f-approval_required');
  // Half a day: refused, the field and the rule named, everything typed kept.
  await page.fill('#f-close_2', '');
  await page.click('button:has-text("Create the room")');
  const problem = page.locator('#problem');
  await problem.waitFor();
  assert.match(await problem.textContent(), /open_2.*Wednesday: give both the opening and the closing time/s);
  assert.equal(await page.inputValue('#f-name'), 'Studio 7');
  assert.equal(await page.inputValue('#f-location'), 'Building B, 2nd floor');
  assert.ok(await page.isChecked('#f-approval_required'));
  await check(page, 'admin-room-refused');

  await page.fill('#f-close_2', '00:00');
  await page.check('#f-check_in');
  await page.fill('#f-check_in_before', '15');
  await page.fill('#f-check_in_release', '15');
  await page.selectOption('#f-quota_period_0', 'week');
  await page.fill('#f-quota_bookings_0', '10');
  await page.click('button:has-text("Create the room")');
  await page.waitForURL(/\/admin\/rooms\/[0-9a-f-]{36}\?/);
  await page.locator('.flash', { hasText: 'The room is saved.' }).waitFor();
  world.roomId = page.url().match(/rooms\/([0-9a-f-]{36})/)[1];
  assert.ok(await page.isChecked('#f-approval_required'), 'the policy was stored');
  assert.equal(await page.inputValue('#f-quota_bookings_0'), '10');
  assert.equal(await page.inputValue('#f-open_4'), '00:00');
  await checkBoth(page, 'admin-room-edit');

  // The API sees the same policy.
  const root = await apiToken('super_admin');
  const policy = await api(root, 'GET', `/rooms/${world.roomId}/policy`);
  assert.equal(policy.status, 200);
  assert.equal(policy.json.approval_required, true);

  // Give the room to the facilities room admin.
  await page.getByRole('link', { name: 'Users' }).click();
  await page.waitForURL(/\/admin\/users/);
  await checkBoth(page, 'admin-users');
  await page.getByRole('link', { name: 'Facilities' }).first().click();
  await page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}/);
  await page.getByLabel('Studio 7').check();
  await page.click('button:has-text("Save the user")');
  await page.locator('.flash', { hasText: 'The user is saved.' }).waitFor();
  assert.ok(await page.getByLabel('Studio 7').isChecked());
  await checkBoth(page, 'admin-user');

  // Soft delete, then restore, from the list.
  await page.goto(`${app.base}/admin/rooms`);
  await page.click('button:has-text("Delete Studio 7")');
  await page.locator('.flash', { hasText: 'The room is deleted' }).waitFor();
  await page.click('button:has-text("Restore Studio 7")');
  await page.locator('.flash', { hasText: 'The room is restored.' }).waitFor();

  // An employee books it: pending, because the policy asks for approval.
  const uctx = await context();
  const user = await signIn(uctx, 'user');
  await user.goto(`${app.base}/book?room=${world.roomId}&date=${day}&tz=${encodeURIComponent(ZONE)}`);
  await user.fill('#b-title', 'Design review');
  await user.fill('#b-start', '10:00');
  await user.fill('#b-end', '11:00');
  await user.fill('#b-att', '5');
  await user.click('button[value=book]');
  await user.locator('.flash', { hasText: 'pending' }).waitFor();
  world.bookingId = (await user.locator('li.booking', { hasText: 'Design review' }).getAttribute('id')).replace(/^b-/, '');

  // The room admin approves it from the queue.
  const actx = await context();
  const admin = await signIn(actx, 'room_admin');
  await admin.goto(`${app.base}/approvals`);
  const item = admin.locator('li.booking', { hasText: 'Design review' });
  await item.getByRole('button', { name: 'Approve' }).click();
  await admin.locator('.flash', { hasText: 'Approved' }).waitFor();
  const b = await api(root, 'GET', `/bookings/${world.bookingId}`);
  assert.equal(b.json.status, 'approved');

  // The audit log has all of it.
  await page.goto(`${app.base}/admin/audit?entity=room&entity_id=${world.roomId}`);
  for (const action of ['room.create', 'room.delete', 'room.restore']) {
    await page.locator('td code', { hasText: action }).first().waitFor();
  }
  await checkBoth(page, 'admin-audit');
  await page.fill('#a-actor', 'nobody@nowhere.example');
  await page.click('button:has-text("Filter")');
  await page.getByRole('alert').getByText('nobody has the e-mail address').waitFor();
  for (const p of [page, user, admin]) assert.deepEqual(p.errors, [], 'no script errors');
  await done(uctx);
  await done(actx);
  await done(ctx);
});

test('a procurement officer advances an order and prints its requisition', async () => {
  const alice = await apiToken('user');
  const order = await api(alice, 'POST', `/bookings/${world.bookingId}/orders`, {
    kind: 'catering',
    items: [{ name: 'Coffee', quantity: 8, unit_cost_cents: 250 }, { name: 'Sandwiches', quantity: 8, unit_cost_cents: 1275 }],
    priority: 'high',
    cost_centre: 'Research / CC-4711',
    notes: 'Two vegetarian',
  });
  assert.equal(order.status, 201, order.text);
  const id = order.json.id;
  const short = id.slice(0, 8).toUpperCase();

  const ctx = await context();
  const page = await signIn(ctx, 'procurement_officer');
  await page.getByRole('link', { name: 'Orders' }).click();
  await page.waitForURL(/\/orders/);
  const row = page.locator(`#o-${id}`);
  await row.waitFor();
  assert.match(await row.textContent(), /122\.00/, 'the total is shown');
  await checkBoth(page, 'orders');
  await row.getByRole('button', { name: `Approve order ${short}` }).click();
  await page.locator('.flash', { hasText: 'The order is now approved.' }).waitFor();
  await page.locator(`#o-${id}`).getByRole('link', { name: /Requisition/ }).click();
  await page.waitForURL(/\/requisition/);
  await page.locator('h1', { hasText: 'Purchase requisition' }).waitFor();
  assert.equal(await page.textContent('#req-total'), '122.00');
  const trail = await page.textContent('.req-trail');
  assert.match(trail, /Requested.*Alice/s);
  assert.match(trail, /Approved.*Procurement/s);
  assert.match(await page.textContent('.requisition'), /Research \/ CC-4711/);
  assert.match(await page.textContent('.requisition'), /Design review/);
  await checkBoth(page, 'requisition');
  // Advance again from the requisition itself.
  await page.click('button:has-text("Mark as ordered")');
  await page.locator('.flash', { hasText: 'The order is now ordered.' }).waitFor();

  // Printed: no navigation, a clean A4 page.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.top').evaluate((e) => getComputedStyle(e).display), 'none');
  assert.equal(await page.locator('.noprint').first().evaluate((e) => getComputedStyle(e).display), 'none');
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(join(shots, 'requisition.pdf'), pdf);
  assert.ok(pdf.length > 5000 && pdf.subarray(0, 5).toString() === '%PDF-', 'a PDF came out');
  await page.emulateMedia({ media: 'screen' });

  // The CSV export names the order, one line per item.
  const csv = await page.request.get(`${app.base}/orders/export.csv`);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /text\/csv/);
  const lines = (await csv.text()).split('\r\n').filter((l) => l.includes(id));
  assert.equal(lines.length, 2);
  const report = await page.request.get(`${app.base}/orders/report.csv`);
  assert.match(await report.text(), /^period,kind,orders/);
  assert.deepEqual(page.errors, []);
  await done(ctx);
});

test('the dashboard shows the analytics API numbers for the same range', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'super_admin');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForURL(/\/dashboard/);
  const range = page.locator('#range');
  const from = await range.getAttribute('data-from');
  const to = await range.getAttribute('data-to');
  await checkBoth(page, 'dashboard');
  const root = await apiToken('super_admin');
  const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const use = await api(root, 'GET', `/analytics/utilisation?${q}`);
  const rooms = await api(root, 'GET', `/analytics/rooms?${q}`);
  const heat = await api(root, 'GET', `/analytics/heatmap?${q}`);
  assert.equal(use.status, 200);
  const booked = {};
  for (const r of use.json) booked[r.room_name] = (booked[r.room_name] || 0) + r.booked_minutes;
  const table = await page.$$eval('#use-table tbody tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));
  assert.equal(table.length, rooms.json.length, 'one row per room');
  assert.ok(booked['Studio 7'] >= 60, 'the approved booking counts');
  for (const [name, minutes, , , bookings] of table) {
    assert.equal(Number(minutes), booked[name], `booked minutes of ${name}`);
    assert.equal(Number(bookings), rooms.json.find((r) => r.room_name === name).bookings, `bookings of ${name}`);
  }
  const noShows = await page.$$eval('#noshow-table tbody tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));
  for (const [name, , n, rate] of noShows) {
    const r = rooms.json.find((x) => x.room_name === name);
    assert.equal(Number(n), r.no_shows);
    assert.equal(rate, `${(r.no_show_rate * 100).toFixed(1)}%`);
  }
  const heatTotal = heat.json.reduce((n, c) => n + c.bookings, 0);
  const shown = await page.$$eval('#heat-table tbody td', (cells) => cells.reduce((n, c) => n + Number(c.textContent), 0));
  assert.equal(shown, heatTotal, 'the heat map adds up to the API');
  assert.ok(await page.locator('svg.chart rect.bar').count() > 0, 'bars are drawn');
  // The CSV download is the API's CSV.
  const csv = await page.request.get(`${app.base}/dashboard/rooms.csv?from=${await page.inputValue('#d-from')}&to=${await page.inputValue('#d-to')}`);
  const apiCsv = await fetch(`${app.base}/api/v1/analytics/rooms.csv?${q}`, { headers: { authorization: `Bearer ${root}` } });
  assert.equal(await csv.text(), await apiCsv.text());
  // A room admin sees their rooms only and no all-room heat map.
  const actx = await context();
  const admin = await signIn(actx, 'room_admin');
  await admin.goto(`${app.base}/dashboard`);
  assert.equal(await admin.locator('#heat-table').count(), 0);
  await admin.locator('#use-table', { hasText: 'Studio 7' }).waitFor({ state: 'attached' });
  // An employee has no dashboard.
  const uctx = await context();
  const user = await signIn(uctx, 'user');
  const r = await user.goto(`${app.base}/dashboard`);
  assert.equal(r.status(), 403);
  assert.deepEqual(page.errors, []);
  await done(uctx);
  await done(actx);
  await done(ctx);
});

test('a door display turns busy when a meeting starts, checks in, survives a restart and stops when revoked', async () => {
  // A room with no approval, check-in 15 minutes either side, open all day.
  const root = await apiToken('super_admin');
  const users = await api(root, 'GET', '/users');
  const facilities = users.json.find((u) => u.email === accounts.room_admin.email);
  const actx = await context();
  const admin = await signIn(actx, 'super_admin');
  await admin.goto(`${app.base}/admin/rooms/new`);
  await admin.fill('#f-name', 'Focus 3');
  await admin.fill('#f-time_zone', ZONE);
  await openAroundTheClock(admin);
  await admin.check('#f-check_in');
  await admin.click('button:has-text("Create the room")');
  await admin.locator('.flash', { hasText: 'The room is saved.' }).waitFor();
  const roomId = admin.url().match(/rooms\/([0-9a-f-]{36})/)[1];
  const patched = await api(root, 'PATCH', `/users/${facilities.id}`, { assigned_rooms: [...facilities.assigned_rooms, roomId] });
  assert.equal(patched.status, 200, patched.text);

  // The room admin makes a display link.
  const rctx = await context();
  const roomAdmin = await signIn(rctx, 'room_admin');
  await roomAdmin.goto(`${app.base}/admin/rooms/${roomId}`);
  await roomAdmin.fill('#display-label', 'Door tablet');
  await roomAdmin.click('button:has-text("Make a display link")');
  const url = await roomAdmin.inputValue('#display-url');
  assert.match(url, new RegExp(`/display/${roomId}\\?token=[0-9a-f]{64}$`));
  await check(roomAdmin, 'admin-room-display-made');

  // The tablet: landscape 1024 × 768.
  const tctx = await context(1024, 'light', 768);
  const tablet = await tctx.newPage();
  tablet.errors = [];
  tablet.on('pageerror', (e) => tablet.errors.push(e.message));
  await tablet.goto(url);
  await tablet.locator('#state', { hasText: 'Free' }).waitFor();
  assert.ok(await tablet.locator('.door-qr svg').count() === 1, 'a QR code');
  assert.match(await tablet.textContent('.door-qr'), new RegExp(`/book\\?room=${roomId}`));
  await check(tablet, 'display-free');
  await tablet.setViewportSize({ width: 1280, height: 900 });
  await check(tablet, 'display-free');
  await tablet.setViewportSize({ width: 375, height: 800 });
  await check(tablet, 'display-free');
  await tablet.setViewportSize({ width: 1024, height: 768 });
  await tablet.evaluate(() => { window.notReloaded = true; });

  // A meeting booked elsewhere, starting in a few seconds: shown as next
  // at once, and the display turns busy within a second of its start.
  const alice = await apiToken('user');
  const startsAt = new Date(Math.ceil((Date.now() + 6000) / 1000) * 1000);
  const made = await api(alice, 'POST', '/bookings', {
    room_id: roomId, title: 'Stand-up', attendees: 3,
    start: startsAt.toISOString(), end: new Date(startsAt.getTime() + 15 * 60e3).toISOString(),
  });
  assert.equal(made.status, 201, made.text);
  await tablet.locator('.door-meeting', { hasText: 'Stand-up' }).waitFor({ timeout: 5000 });
  assert.equal(await tablet.textContent('#state'), 'Free');
  await tablet.locator('#state', { hasText: 'Busy' }).waitFor({ timeout: 10000 });
  const late = Date.now() - startsAt.getTime();
  assert.ok(late < 1000, `busy ${late} ms after the start`);
  assert.equal(await tablet.evaluate(() => window.notReloaded), true, 'no reload');
  await check(tablet, 'display-busy');

  // Check in at the door.
  await tablet.getByRole('button', { name: 'Check in' }).click();
  await tablet.locator('.flash', { hasText: 'Checked in' }).waitFor();
  const after = await api(alice, 'GET', `/bookings/${made.json.id}`);
  assert.ok(after.json.checked_in_at, 'checked in');

  // The server restarts; the page goes on and follows changes again.
  await tablet.evaluate(() => { window.notReloaded = true; });
  await restartServer();
  const cancelled = await api(alice, 'POST', `/bookings/${made.json.id}/cancel`, {});
  assert.equal(cancelled.status, 200, cancelled.text);
  await tablet.locator('#state', { hasText: 'Free' }).waitFor({ timeout: 15000 });
  assert.equal(await tablet.evaluate(() => window.notReloaded), true, 'no reload across the restart');

  // Book 30 minutes at the door.
  await tablet.getByRole('button', { name: '30 min' }).click();
  await tablet.locator('.flash', { hasText: 'Booked for 30 minutes.' }).waitFor();
  await tablet.locator('#state', { hasText: 'Busy' }).waitFor({ timeout: 3000 });

  // Revoked: the link stops working, for pages and for actions.
  await roomAdmin.goto(`${app.base}/admin/rooms/${roomId}`);
  await roomAdmin.click('button:has-text("Revoke Door tablet")');
  await roomAdmin.locator('.flash', { hasText: 'revoked' }).waitFor();
  const gone = await fetch(url);
  assert.equal(gone.status, 401);
  const token = new URL(url).searchParams.get('token');
  const post = await fetch(`${app.base}/display/${roomId}/book`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}&minutes=15`,
  });
  assert.equal(post.status, 401);
  await tablet.reload();
  await tablet.getByRole('heading', { name: 'This display link is not valid' }).waitFor();
  // The token shows this room only, and is nothing to the API.
  const other = await fetch(`${app.base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(other.status, 401);
  assert.deepEqual(tablet.errors, []);
  await done(tctx);
  await done(rctx);
  await done(actx);
});

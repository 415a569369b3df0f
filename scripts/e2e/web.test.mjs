// End-to-end tests of the web app in real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; no browser download).
//
// Starts `booking-server serve --demo` on a fresh SQLite file and a free
// loopback port, then uses the app as people would: sign in, drag across the
// board, meet a conflict, book a series, approve in a second browser and watch
// the first page change without a reload, cancel, rotate the feed token, book
// with the keyboard alone. axe-core checks every page; screenshots of every
// page at 1280 and 375 px go to target/web-screenshots/.
//
// The server, the browser and the checks are in harness.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  ZONE, accounts, app, check, checkBoth, checked, context, done, shots, signIn, startApp, stopApp, workday,
} from './harness.mjs';

before(startApp);
after(stopApp);

const day = workday();
const board = (q = '') => `${app.base}/board?date=${day}&tz=${encodeURIComponent(ZONE)}${q}`;

function lane(page, room) {
  return page.locator(`form.lane[aria-label="${room}"]`);
}

test('the sign-in page is accessible and refuses a wrong password', async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(`${app.base}/`);
  assert.match(page.url(), /\/login/);
  await checkBoth(page, 'sign-in');
  await page.fill('#email', accounts.user.email);
  await page.fill('#password', 'not the password');
  await page.click('form[action="/login"] button[type=submit]');
  await page.getByRole('alert').getByText('wrong e-mail or password').waitFor();
  assert.equal(await page.inputValue('#email'), accounts.user.email, 'the e-mail stays typed');
  await done(ctx);
});

test('drag across the board, meet the conflict, book a series, cancel', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'user');
  await page.goto(board());
  await checkBoth(page, 'board-day');

  // Drag across 10:00, 10:30 and 11:00 of Huddle 1: the form opens for 10:00–11:30.
  const huddle = lane(page, 'Huddle 1');
  const from = huddle.locator('button.free[aria-label="10:00"]');
  const to = huddle.locator('button.free[aria-label="11:00"]');
  await from.scrollIntoViewIfNeeded();
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
  await page.waitForURL(/\/book\?/);
  assert.equal(await page.inputValue('#b-start'), '10:00');
  assert.equal(await page.inputValue('#b-end'), '11:30');
  assert.equal(await page.inputValue('#b-date'), day);
  await checkBoth(page, 'book');
  await page.fill('#b-title', 'Sprint planning');
  await page.fill('#b-att', '3');
  await page.click('button[value=book]');
  await page.waitForURL(/\/my\?/);
  await page.locator('.flash', { hasText: 'Booked Huddle 1' }).waitFor();
  await page.locator('li.booking.hl', { hasText: 'Sprint planning' }).waitFor();

  // The board shows it as mine.
  await page.goto(board());
  await lane(page, 'Huddle 1').locator('.busy.mine', { hasText: 'Sprint planning' }).waitFor();

  // The same slot again: the server's message beside the form, what was typed kept.
  await lane(page, 'Huddle 1').locator('button.free[aria-label="09:30"]').click();
  await page.waitForURL(/\/book\?/);
  await page.fill('#b-end', '10:30');
  await page.fill('#b-title', 'Second try');
  await page.fill('#b-purpose', 'kept text');
  await page.click('button[value=book]');
  const alert = page.getByRole('alert');
  await alert.getByText('That time is taken.').waitFor();
  assert.match(await alert.innerText(), /conflict|taken|booked/i);
  assert.equal(await page.inputValue('#b-title'), 'Second try');
  assert.equal(await page.inputValue('#b-purpose'), 'kept text');
  assert.equal(await page.inputValue('#b-start'), '09:30');
  await page.getByRole('button', { name: 'Join the waitlist for this time' }).waitFor();
  await check(page, 'book-conflict');

  // A weekly series: preview its dates, then book it and see them.
  await page.goto(`${app.base}/book?date=${day}&tz=${encodeURIComponent(ZONE)}`);
  await page.selectOption('#b-room', { label: 'Conference A (20 seats)' });
  await page.fill('#b-title', 'Weekly sync');
  await page.fill('#b-start', '14:00');
  await page.fill('#b-end', '15:00');
  await page.selectOption('#b-repeat', 'weekly');
  await page.fill('#b-count', '4');
  await page.getByRole('button', { name: "Preview the series' dates" }).click();
  const preview = page.locator('#preview');
  await preview.getByText('4 dates').waitFor();
  assert.equal(await preview.locator('li').count(), 4);
  await check(page, 'book-series-preview');
  await page.click('button[value=book]');
  await page.waitForURL(/\/series\//);
  await page.locator('.flash', { hasText: 'Booked 4 dates of the series' }).waitFor();
  assert.equal(await page.locator('li.booking').count(), 4);
  await checkBoth(page, 'series');

  // Cancel this and the later dates from the third one: two stay.
  await page.locator('li.booking').nth(2).getByRole('button', { name: 'Cancel this and later dates' }).click();
  await page.locator('.flash', { hasText: '2 occurrence(s) cancelled' }).waitFor();
  assert.equal(await page.locator('li.booking .status.cancelled').count(), 2);

  // Cancel the single booking from My bookings.
  await page.goto(`${app.base}/my`);
  await checkBoth(page, 'my-bookings');
  const row = page.locator('li.booking', { hasText: 'Sprint planning' });
  await row.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('.flash', { hasText: 'The booking is cancelled.' }).waitFor();
  await page.goto(board());
  assert.equal(await lane(page, 'Huddle 1').locator('.busy', { hasText: 'Sprint planning' }).count(), 0);
  await page.goto(board('&view=week'));
  await checkBoth(page, 'board-week');
  assert.deepEqual(page.errors, []);
  await done(ctx);
});

test('an approval in a second browser updates the first page without a reload', async () => {
  // The approver's queue is open before the request exists: it shows up by itself.
  const admin = await context();
  const approver = await signIn(admin, 'room_admin');
  await approver.goto(`${app.base}/approvals`);
  await approver.evaluate(() => { window.__notReloaded = true; });

  const employee = await context();
  const page = await signIn(employee, 'user');
  await page.goto(`${app.base}/book?date=${day}&tz=${encodeURIComponent(ZONE)}`);
  await page.selectOption('#b-room', { label: 'Boardroom (12 seats)' });
  await page.fill('#b-title', 'Board review');
  await page.fill('#b-start', '16:00');
  await page.fill('#b-end', '17:00');
  await page.click('button[value=book]');
  await page.waitForURL(/\/my\?/);
  const row = page.locator('li.booking', { hasText: 'Board review' });
  await row.getByText('Pending approval').waitFor();
  // Marks this document: a reload would lose it.
  await page.evaluate(() => { window.__notReloaded = true; });
  await page.goto(board());
  await lane(page, 'Boardroom').locator('.busy.pending', { hasText: 'Board review' }).waitFor();
  await page.evaluate(() => { window.__notReloaded = true; });

  const item = approver.locator('li.booking', { hasText: 'Board review' });
  await item.waitFor({ timeout: 3000 });
  assert.equal(await approver.evaluate(() => window.__notReloaded), true, 'queue updated without a reload');
  await checkBoth(approver, 'approvals');
  const id = (await item.getAttribute('id')).replace(/^a-/, '');
  await approver.goto(`${app.base}/approvals/${id}`);
  await check(approver, 'approval-one');
  await approver.getByRole('button', { name: 'Approve' }).click();
  await approver.locator('.flash', { hasText: 'Approved' }).waitFor();

  // The employee's board turns the block from pending to confirmed by itself.
  const started = Date.now();
  await lane(page, 'Boardroom').locator('.busy:not(.pending)', { hasText: 'Board review' }).waitFor({ timeout: 3000 });
  assert.ok(Date.now() - started < 3000);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'updated without a reload');
  // The block stands under its hour: a long title never widens the columns.
  const block = await lane(page, 'Boardroom').locator('.busy', { hasText: 'Board review' }).boundingBox();
  const hour = await page.locator('.row.head .lane span', { hasText: '16:00' }).boundingBox();
  assert.ok(Math.abs(block.x - hour.x) < 4, `block at x=${block.x}, 16:00 at x=${hour.x}`);
  await check(page, 'board-busy');

  // A plain employee may not open the approvals queue.
  await page.goto(`${app.base}/approvals`);
  await page.getByRole('alert').getByText('Only room admins').waitFor();
  await check(page, 'error-forbidden');
  await done(admin);
  await done(employee);
});

test('a booking made through the API appears on an open board by itself', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'user');
  await page.goto(board());
  await page.evaluate(() => { window.__notReloaded = true; });
  const login = await fetch(`${app.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(accounts.super_admin),
  });
  const { access_token: token } = await login.json();
  const made = await fetch(`${app.base}/api/v1/bookings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      room_id: await lane(page, 'Training Lab').locator('input[name=room]').inputValue(),
      title: 'Booked over the API',
      attendees: 5,
      start: `${day}T14:00:00Z`,
      end: `${day}T15:00:00Z`,
    }),
  });
  assert.equal(made.status, 201, await made.text());
  await lane(page, 'Training Lab').locator('.busy', { hasText: 'Booked over the API' }).waitFor({ timeout: 3000 });
  assert.equal(await page.evaluate(() => window.__notReloaded), true);
  await done(ctx);
});

test('find a room and book it in one click', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'user');
  await page.goto(`${app.base}/find?tz=${encodeURIComponent(ZONE)}`);
  await page.fill('#q-date', day);
  await page.fill('#q-start', '09:00');
  await page.fill('#q-att', '10');
  await page.fill('#q-title', 'Customer call');
  await page.getByRole('checkbox', { name: 'projector' }).check();
  await page.getByRole('button', { name: 'Search' }).click();
  const results = page.locator('section.results');
  await results.getByRole('heading').waitFor();
  const names = await results.locator('li strong').allInnerTexts();
  assert.deepEqual(names.slice(0, 2), ['Boardroom', 'Conference A'], 'best fit first: fewest spare seats');
  assert.ok(!names.includes('Huddle 1'), 'too small');
  await results.locator('li', { hasText: 'Boardroom' }).getByText('needs approval').waitFor();
  await checkBoth(page, 'find');
  await results.getByRole('button', { name: 'Book Conference A' }).click();
  await page.waitForURL(/\/my\?/);
  await page.locator('.flash', { hasText: 'Booked Conference A' }).waitFor();
  await done(ctx);
});

test('rotating the feed token refuses the old URL', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'user');
  await page.goto(`${app.base}/calendar`);
  await checkBoth(page, 'calendar');
  const old = await page.inputValue('#u-mine');
  assert.match(old, /\/ical\/me\.ics\?token=/);
  assert.equal((await fetch(old)).status, 200);
  await page.getByRole('button', { name: /Make new links/ }).click();
  await page.locator('.flash', { hasText: 'old links stop working' }).waitFor();
  const fresh = await page.inputValue('#u-mine');
  assert.notEqual(fresh, old);
  assert.equal((await fetch(old)).status, 404);
  const feed = await fetch(fresh);
  assert.equal(feed.status, 200);
  assert.match(await feed.text(), /BEGIN:VCALENDAR/);
  await page.getByRole('button', { name: 'Get a one-time code' }).click();
  await page.getByRole('status').getByText(/Send link [A-Z0-9]{8}/).waitFor();
  await done(ctx);
});

test('a slot can be booked with the keyboard alone', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'user');
  await page.goto(board());
  // Tab into the board, then arrow keys along Training Lab's row.
  let onSlot = false;
  for (let i = 0; i < 80 && !onSlot; i++) {
    await page.keyboard.press('Tab');
    onSlot = await page.evaluate(() => document.activeElement?.matches('button.free') ?? false);
  }
  assert.ok(onSlot, 'Tab reaches a free slot');
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowDown');
  const laneName = await page.evaluate(() => document.activeElement.closest('form.lane').getAttribute('aria-label'));
  assert.equal(laneName, 'Training Lab');
  await page.keyboard.press('ArrowRight');
  const slot = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/book\?/);
  assert.equal(await page.inputValue('#b-start'), slot);
  let onTitle = false;
  for (let i = 0; i < 10 && !onTitle; i++) {
    await page.keyboard.press('Tab');
    onTitle = await page.evaluate(() => document.activeElement?.id === 'b-title');
  }
  assert.ok(onTitle, 'Tab reaches the title');
  await page.keyboard.type('Keyboard booking');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/my\?/);
  await page.locator('.flash', { hasText: 'Booked Training Lab' }).waitFor();
  await done(ctx);
});

test('the dark scheme keeps its contrast', async () => {
  const ctx = await context(1280, 'dark');
  const page = await signIn(ctx, 'user');
  await page.goto(board());
  await checkBoth(page, 'board-dark');
  await page.goto(`${app.base}/my`);
  await check(page, 'my-bookings-dark');
  await done(ctx);
});

test('the board stays small on the wire', async () => {
  const ctx = await context();
  await signIn(ctx, 'user');
  const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  // Bytes as sent (compressed), read with a client that does not decompress.
  const size = (path) => new Promise((ok, fail) => {
    http.get(`${app.base}${path}`, { headers: { cookie, 'accept-encoding': 'gzip, br' } }, (res) => {
      let n = 0;
      res.on('data', (d) => { n += d.length; });
      res.on('end', () => ok({ n, status: res.statusCode, encoding: res.headers['content-encoding'] }));
    }).on('error', fail);
  });
  const page = await size(`/board?date=${day}&tz=${encodeURIComponent(ZONE)}`);
  assert.equal(page.status, 200);
  assert.ok(page.encoding, 'the board is compressed');
  let total = page.n;
  for (const a of ['app.css', 'app.js', 'enhance.js', 'board.js', 'live.js', 'icon.svg']) total += (await size(`/assets/${a}`)).n;
  assert.ok(total < 300 * 1024, `board page with its assets: ${total} bytes`);
  assert.deepEqual(ctx.blocked, []);
  await done(ctx);
  console.log(`board page with assets: ${total} bytes on the wire; screenshots (${checked.length}) in ${shots}`);
});

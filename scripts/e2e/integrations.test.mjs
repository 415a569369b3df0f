// End-to-end tests of the integration pages in real headless Chromium: a
// super admin registers a webhook endpoint (a refused URL names the field),
// sees a booking change delivered to a loopback receiver in the delivery log,
// sends it again and disables the endpoint; an employee makes a personal
// access token, uses it on the API and revokes it. Screenshots at 1280 and
// 375 px go to target/web-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import {
  api, apiToken, app, check, checkBoth, context, done, signIn, startApp, stopApp, workday,
} from './harness.mjs';

// Loopback receivers are allowed here (they are refused by default).
process.env.BOOKING_WEBHOOK_DENIED_NETWORKS = 'none';
before(startApp);
after(stopApp);

// A receiver on loopback that answers 204 and keeps what it got.
function receiver() {
  const got = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, got, url: `http://127.0.0.1:${server.address().port}/hook` })));
}

async function until(what, cond) {
  for (let i = 0; i < 100; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a super admin registers a webhook, sees the delivery and sends it again', async () => {
  const rx = await receiver();
  const ctx = await context();
  const page = await signIn(ctx, 'super_admin');
  page.on('dialog', (d) => d.accept());
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForURL(/\/admin\/webhooks$/);
  await checkBoth(page, 'admin-webhooks');

  // A URL that is not http(s): refused, the field named, the rest kept.
  await page.fill('#f-url', 'ftp://files.example.com/in');
  await page.fill('#f-description', 'Facilities ERP');
  await page.check('input[name=kinds][value=created]');
  await page.click('button:has-text("Register the endpoint")');
  const problem = page.locator('#problem');
  await problem.waitFor();
  assert.match(await problem.textContent(), /url.*https:\/\/ or http:\/\//s);
  assert.equal(await page.inputValue('#f-description'), 'Facilities ERP');
  assert.ok(await page.isChecked('input[name=kinds][value=created]'));
  await check(page, 'admin-webhooks-refused');

  await page.fill('#f-url', rx.url);
  await page.click('button:has-text("Register the endpoint")');
  await page.waitForURL(/\/admin\/webhooks\/[0-9a-f-]{36}/);
  const secret = await page.inputValue('#u-secret');
  assert.match(secret, /^whsec_/);

  // A booking made over the API reaches the receiver and the log.
  const token = await apiToken('user');
  const rooms = (await api(token, 'GET', '/rooms')).json;
  const room = rooms.find((r) => !r.policy.approval_required && r.policy.allowed_roles.includes('user'));
  const day = workday(3);
  const made = await api(token, 'POST', '/bookings', {
    room_id: room.id, title: 'Webhook check', attendees: 2,
    start: `${day}T09:00:00Z`, end: `${day}T09:30:00Z`,
  });
  assert.equal(made.status, 201, made.text);
  await until('the delivery', () => rx.got.length >= 1);
  assert.equal(rx.got[0].body.type, 'booking.created');
  assert.equal(rx.got[0].body.data.booking.title, 'Webhook check');
  assert.match(rx.got[0].headers['webhook-signature'], /^v1,/);
  await page.reload();
  const row = page.locator('table tbody tr').first();
  assert.match(await row.textContent(), /created.*Delivered.*HTTP 204/s);
  await checkBoth(page, 'admin-webhook');

  await page.getByRole('button', { name: /Send again/ }).first().click();
  await page.waitForURL(/flash=/);
  await until('the second delivery', () => rx.got.length >= 2);
  assert.equal(rx.got[1].headers['webhook-id'], rx.got[0].headers['webhook-id']);

  await page.getByRole('button', { name: 'Disable' }).click();
  await page.waitForURL(/flash=/);
  assert.match(await page.locator('main').textContent(), /Disabled: disabled by admin@demo\.example/);
  await page.getByRole('button', { name: /Enable/ }).click();
  await page.waitForURL(/flash=/);
  assert.match(await page.locator('main').textContent(), /Active\./);
  assert.deepEqual(page.errors, []);
  await done(ctx);
  rx.server.close();
});

test('an employee makes an access token, uses it and revokes it', async () => {
  const ctx = await context();
  const page = await signIn(ctx, 'user');
  page.on('dialog', (d) => d.accept());
  await page.getByRole('link', { name: 'Calendar links' }).click();
  await page.getByRole('link', { name: 'Access tokens' }).click();
  await page.waitForURL(/\/tokens$/);
  await checkBoth(page, 'tokens');

  await page.fill('#f-name', 'My assistant');
  await page.check('input[name=scope][value=read]');
  await page.click('button:has-text("Make the token")');
  const secret = await page.inputValue('#u-token');
  assert.match(secret, /^bkp_[0-9a-f]{64}$/);
  await check(page, 'tokens-made');

  const me = await fetch(`${app.base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(me.status, 200);
  const write = await fetch(`${app.base}/api/v1/bookings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(write.status, 403, 'a read-only token may not book');

  await page.goto(`${app.base}/tokens`);
  assert.match(await page.locator('table tbody tr').first().textContent(), /My assistant.*Read only/s);
  await page.getByRole('button', { name: /Revoke/ }).click();
  await page.waitForURL(/flash=/);
  assert.match(await page.locator('table tbody tr').first().textContent(), /Revoked/);
  const after = await fetch(`${app.base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(after.status, 401);
  assert.deepEqual(page.errors, []);
  await done(ctx);
});

// What the browser test files share: a `booking-server serve --demo` on a
// fresh SQLite file and a free loopback port, headless Debian Chromium,
// contexts that refuse every request to other hosts, sign-in, and the
// axe-core check that also saves a screenshot of the page.
//
// BOOKING_SERVER_BIN names the binary (default: target/debug/booking-server).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
const bin = process.env.BOOKING_SERVER_BIN || join(root, 'target', 'debug', 'booking-server');
export const shots = join(root, 'target', 'web-screenshots');
const axeSource = readFileSync(join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
export const ZONE = 'Europe/Berlin';

export const accounts = {};
export const checked = [];
export const app = { base: '', browser: null, server: null, dir: '', env: null, port: 0 };

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// A weekday at least `offset` days ahead, as YYYY-MM-DD (the demo rooms open 07–20 on weekdays).
export function workday(offset = 2) {
  const d = new Date(Date.now() + offset * 86400e3);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// Start the server (with --demo the first time); resolves when /readyz answers.
async function launch(demo) {
  const args = ['serve', '--bind', `127.0.0.1:${app.port}`];
  if (demo) args.splice(1, 0, '--demo');
  app.server = spawn(bin, args, { env: app.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  app.server.stdout.on('data', (d) => { out += d; });
  app.server.stderr.on('data', (d) => { out += d; });
  for (let i = 0; i < 300; i++) {
    if (demo) for (const m of out.matchAll(/^\s+(\w+)\s+(\S+@demo\.example)\s+(\S+)$/gm)) accounts[m[1]] = { email: m[2], password: m[3] };
    if (!demo || accounts.user) {
      try {
        const r = await fetch(`${app.base}/readyz`);
        if (r.ok) return;
      } catch { /* not up yet */ }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the server did not start:\n${out}`);
}

export async function startApp() {
  mkdirSync(shots, { recursive: true });
  app.dir = mkdtempSync(join(tmpdir(), 'booking-web-'));
  app.port = await freePort();
  app.base = `http://127.0.0.1:${app.port}`;
  app.env = {
    ...process.env,
    BOOKING_DATABASE_URL: `sqlite://${join(app.dir, 'web.db')}?mode=rwc`,
    BOOKING_PUBLIC_URL: app.base,
    BOOKING_JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e',
    RUST_LOG: 'warn',
  };
  await launch(true);
  assert.ok(accounts.user && accounts.room_admin, 'demo accounts printed');
  app.browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Stop the server (SIGTERM) and start it again on the same port and database.
export async function restartServer() {
  const gone = new Promise((ok) => app.server.once('exit', ok));
  app.server.kill('SIGTERM');
  await gone;
  await launch(false);
}

export async function stopApp() {
  await app.browser?.close();
  app.server?.kill('SIGTERM');
  if (app.dir) rmSync(app.dir, { recursive: true, force: true });
}

export async function context(width = 1280, colorScheme = 'light', height = 900) {
  const ctx = await app.browser.newContext({ viewport: { width, height }, timezoneId: ZONE, locale: 'en-GB', colorScheme });
  // Nothing may leave the machine: requests to other hosts are refused and counted.
  ctx.blocked = [];
  await ctx.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => {
    ctx.blocked.push(route.request().url());
    return route.abort();
  });
  return ctx;
}

// Close a context after checking that its pages asked nothing of other hosts
// (no CDN, no font service: the app works offline).
export async function done(ctx) {
  assert.deepEqual(ctx.blocked, [], 'requests to other hosts');
  await ctx.close();
}

export async function signIn(ctx, who) {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${app.base}/board`);
  assert.match(page.url(), /\/login\?next=%2Fboard/);
  await page.fill('#email', accounts[who].email);
  await page.fill('#password', accounts[who].password);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(/\/board/);
  return page;
}

// axe-core: no serious or critical violation; a screenshot at this width.
export async function check(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => window.axe.run(document));
  assert.ok(result.passes.some((r) => r.id === 'color-contrast') || result.incomplete.some((r) => r.id === 'color-contrast'),
    `axe checked contrast on ${name}`);
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `accessibility of ${name}`,
  );
  const { width, height } = page.viewportSize();
  const suffix = width === 1024 && height === 768 ? '1024x768' : String(width);
  await page.screenshot({ path: join(shots, `${name}-${suffix}.png`), fullPage: true });
  checked.push(`${name}-${suffix}`);
}

// Every page at both widths (the phone one at 375 px).
export async function checkBoth(page, name) {
  await check(page, name);
  await page.setViewportSize({ width: 375, height: 800 });
  await check(page, name);
  await page.setViewportSize({ width: 1280, height: 900 });
}

// A bearer token for `who`, from the API.
export async function apiToken(who) {
  const r = await fetch(`${app.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(accounts[who]),
  });
  assert.equal(r.status, 200, `API sign-in of ${who}`);
  return (await r.json()).access_token;
}

export async function api(token, method, path, body) {
  const r = await fetch(`${app.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

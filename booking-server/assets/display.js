// The door display: follows the room's changes (server-sent events), counts
// down each second, and fetches itself again the moment the room turns busy
// or free, so the tablet never needs a reload. After a server restart the
// event stream reconnects by itself and the page catches up.
const main = () => document.querySelector('main[data-display]');
let offset = 0; // server clock minus ours

async function refresh() {
  try {
    const resp = await fetch(location.href, { credentials: 'omit', headers: { 'x-requested-with': 'fetch' } });
    if (!resp.ok) {
      // 401: the token was revoked (show why); otherwise keep what is shown and retry soon.
      if (resp.status === 401) location.reload();
      else setTimeout(refresh, 5000);
      return;
    }
    const doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
    const fresh = doc.querySelector('main[data-display]');
    if (!fresh) return;
    main().replaceWith(fresh);
    document.title = doc.title;
    start();
    document.documentElement.dataset.refreshed = String(Date.now());
  } catch {
    // The server is away (restarting): try again on the next tick.
    pending = true;
  }
}

let pending = false;
let changeAt = null;

function start() {
  const m = main();
  offset = Date.parse(m.dataset.now) - Date.now();
  changeAt = m.dataset.changeAt ? Date.parse(m.dataset.changeAt) : null;
}

function tick() {
  const now = Date.now() + offset;
  if (pending || (changeAt !== null && now >= changeAt)) {
    pending = false;
    changeAt = null;
    refresh();
  }
}

start();
setInterval(tick, 250);
// A fresh look every minute all the same (the clock, a new day).
setInterval(refresh, 60_000);
if (window.EventSource) {
  const m = main();
  const url = `/display/${encodeURIComponent(m.dataset.room)}/live?token=${encodeURIComponent(m.dataset.token)}`;
  const source = new EventSource(url);
  source.addEventListener('change', () => setTimeout(refresh, 100));
  source.addEventListener('open', () => { pending = true; });
}

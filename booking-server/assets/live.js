// Pages whose <main> has data-live follow booking changes: the server's
// /live stream says that something changed, and the page fetches itself
// again and swaps its <main>, keeping scroll position and focus.
import { swap } from './enhance.js';

let source = null;
let timer = null;
let waiting = false;

function typing() {
  const el = document.activeElement;
  return el && el.closest('main') && el.matches('input:not([type=hidden]), textarea, select');
}

async function refresh() {
  if (!document.querySelector('main[data-live]')) return;
  if (typing() || document.querySelector('[data-board] .sel')) {
    waiting = true;
    return;
  }
  waiting = false;
  const focused = document.activeElement && document.activeElement.id;
  const x = window.scrollX;
  const y = window.scrollY;
  const resp = await fetch(location.href, { credentials: 'same-origin', headers: { 'x-requested-with': 'fetch' } });
  if (!resp.ok || resp.redirected) return;
  swap(await resp.text(), location.href, false);
  window.scrollTo(x, y);
  if (focused) document.getElementById(focused)?.focus();
  document.documentElement.dataset.refreshed = String(Date.now());
}

export function live() {
  if (source || !window.EventSource || !document.querySelector('main[data-live]')) return;
  source = new EventSource('/live');
  source.addEventListener('change', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 100);
  });
  document.addEventListener('focusout', () => {
    if (waiting) setTimeout(refresh, 50);
  });
}

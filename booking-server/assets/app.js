// The web app's entry point. Pages work without it; this only makes them
// quicker (fragment swaps), live (SSE) and adds drag-to-select on the board.
import { enhance } from './enhance.js';
import { board } from './board.js';
import { live } from './live.js';

const TZ_COOKIE = 'bk_tz';

function copyButtons() {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    if (button.dataset.ready) continue;
    button.dataset.ready = '1';
    button.addEventListener('click', async () => {
      const input = document.getElementById(button.dataset.copy);
      if (!input) return;
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        input.select();
        document.execCommand('copy');
      }
      const label = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
}

// Remember the browser's time zone, so pages show times the way the person
// reads them; the zone picker still wins.
function rememberZone() {
  if (document.cookie.split('; ').some((c) => c.startsWith(TZ_COOKIE + '='))) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  document.cookie = `${TZ_COOKIE}=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax`;
  const shown = document.querySelector('[data-tz]');
  if (shown && shown.dataset.tz !== zone && !new URLSearchParams(location.search).has('tz')) {
    location.reload();
  }
}

// "Print" buttons, and forms that ask before they delete.
function printAndConfirm() {
  for (const button of document.querySelectorAll('button[data-print]')) {
    if (button.dataset.ready) continue;
    button.dataset.ready = '1';
    button.addEventListener('click', () => window.print());
  }
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    if (form.dataset.ready) continue;
    form.dataset.ready = '1';
    form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  }
}

// A file chosen beside a text box is read into it (the box alone works without scripts).
function readFiles() {
  for (const input of document.querySelectorAll('input[type=file][data-read-into]')) {
    if (input.dataset.ready) continue;
    input.dataset.ready = '1';
    input.addEventListener('change', async () => {
      const file = input.files && input.files[0];
      const target = document.getElementById(input.dataset.readInto);
      if (file && target) target.value = await file.text();
    });
  }
}

function init() {
  enhance();
  readFiles();
  printAndConfirm();
  board();
  copyButtons();
  live();
}

document.addEventListener('page:swapped', init);
rememberZone();
init();

// Forms marked data-enhance are sent with fetch and the answer's <main>
// (and header) replace this page's, instead of a full page load: the idea
// htmx made popular, in a few lines. Without JavaScript they submit as usual.

export function swap(html, url, push) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const fresh = doc.querySelector('main');
  const current = document.querySelector('main');
  if (!fresh || !current) {
    location.assign(url);
    return null;
  }
  const header = doc.querySelector('header.top');
  const oldHeader = document.querySelector('header.top');
  if (header && oldHeader) oldHeader.replaceWith(header);
  current.replaceWith(fresh);
  document.title = doc.title;
  if (push && url && url !== location.href) history.pushState({}, '', url);
  document.dispatchEvent(new CustomEvent('page:swapped'));
  return fresh;
}

async function submit(event) {
  const form = event.currentTarget;
  event.preventDefault();
  const data = new FormData(form, event.submitter);
  const method = (form.getAttribute('method') || 'get').toUpperCase();
  let url = form.action;
  const init = { method, credentials: 'same-origin', headers: { 'x-requested-with': 'fetch' } };
  if (method === 'GET') {
    const u = new URL(url);
    u.search = new URLSearchParams(data).toString();
    url = u.toString();
  } else {
    init.body = new URLSearchParams(data);
  }
  form.setAttribute('aria-busy', 'true');
  try {
    const resp = await fetch(url, init);
    const html = await resp.text();
    const fresh = swap(html, resp.url, method === 'GET' || resp.redirected);
    if (fresh) {
      const target = fresh.querySelector('[role=alert], #preview, .flash') || fresh.querySelector('h1');
      if (target) {
        if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
        target.focus();
      }
    }
  } catch {
    form.removeEventListener('submit', submit);
    form.submit();
  } finally {
    form.removeAttribute('aria-busy');
  }
}

export function enhance() {
  for (const form of document.querySelectorAll('form[data-enhance]')) {
    if (form.dataset.ready) continue;
    form.dataset.ready = '1';
    form.addEventListener('submit', submit);
  }
}

window.addEventListener('popstate', () => location.reload());

// The board: drag across free slots of one room to book that range, and
// arrow keys to move between slots. A click or Enter on one slot is a plain
// form submit (the booking form for half an hour), with or without this.

let drag = null;

function lanes(board) {
  return [...board.querySelectorAll('form.lane')];
}

function mark() {
  for (const b of drag.lane.querySelectorAll('button.free')) {
    const v = Number(b.value);
    b.classList.toggle('sel', v >= drag.from() && v <= drag.to());
  }
}

function clear(lane) {
  for (const b of lane.querySelectorAll('button.sel')) b.classList.remove('sel');
}

function down(event) {
  const button = event.target.closest('button.free');
  if (!button || event.button !== 0) return;
  const lane = button.closest('form.lane');
  drag = {
    lane,
    first: Number(button.value),
    last: Number(button.value),
    moved: false,
    from() { return Math.min(this.first, this.last); },
    to() { return Math.max(this.first, this.last); },
  };
  mark();
  document.addEventListener('pointermove', move);
  document.addEventListener('pointerup', up, { once: true });
}

function move(event) {
  const el = document.elementFromPoint(event.clientX, event.clientY);
  const button = el && el.closest('button.free');
  if (!button || button.closest('form.lane') !== drag.lane) return;
  const v = Number(button.value);
  if (v !== drag.last) {
    drag.last = v;
    drag.moved = true;
    mark();
  }
}

function up() {
  document.removeEventListener('pointermove', move);
  const d = drag;
  drag = null;
  if (!d || !d.moved) {
    if (d) clear(d.lane);
    return;
  }
  // The click that follows the drag must not also submit one slot.
  d.lane.addEventListener('click', (e) => e.preventDefault(), { once: true, capture: true });
  const step = Number(d.lane.closest('[data-board]').dataset.step || 30);
  const form = new FormData(d.lane);
  const q = new URLSearchParams();
  for (const k of ['room', 'date', 'tz']) q.set(k, form.get(k));
  q.set('m', String(d.from()));
  q.set('until', String(d.to() + step));
  location.assign('/book?' + q.toString());
}

function key(event) {
  const button = event.target.closest('button.free');
  if (!button || !['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(event.key)) return;
  const board = button.closest('[data-board]');
  const lane = button.closest('form.lane');
  let next = null;
  if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
    const free = [...lane.querySelectorAll('button.free')];
    const i = free.indexOf(button) + (event.key === 'ArrowRight' ? 1 : -1);
    next = free[i];
  } else {
    const all = lanes(board);
    const i = all.indexOf(lane) + (event.key === 'ArrowDown' ? 1 : -1);
    const other = all[i];
    if (other) {
      const free = [...other.querySelectorAll('button.free')];
      const v = Number(button.value);
      next = free.reduce((best, b) => (!best || Math.abs(Number(b.value) - v) < Math.abs(Number(best.value) - v) ? b : best), null);
    }
  }
  if (next) {
    event.preventDefault();
    next.focus();
  }
}

export function board() {
  for (const b of document.querySelectorAll('[data-board]')) {
    if (b.dataset.ready) continue;
    b.dataset.ready = '1';
    b.addEventListener('pointerdown', down);
    b.addEventListener('keydown', key);
  }
}

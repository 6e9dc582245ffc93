// dom.js - building the page without HTML strings: every text goes in through textContent
// (a text node), so anything typed by a user or sent by the server shows as text, never markup.

// h('div', {class: 'x', onclick: fn, dataset: {k: 'v'}}, 'text', childNode, [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else if (k === 'class') {
        el.className = v;
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') {
        el[k] = v;
      } else if (k === 'text') {
        el.textContent = String(v);
      } else if (k === 'html') {
        throw new Error('dom.h: no HTML strings');
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// Money: integer fen shown as yuan with two decimals (no floating point on the way).
export function yuan(fen) {
  if (fen === null || fen === undefined) return '—';
  const n = Math.trunc(Number(fen));
  const neg = n < 0 ? '-' : '';
  const a = Math.abs(n);
  return `${neg}¥${Math.trunc(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

// Unix seconds shown in Asia/Shanghai (UTC+8, no daylight saving), "YYYY-MM-DD HH:MM".
export function shanghai(sec) {
  if (sec === null || sec === undefined || sec === '') return '—';
  const d = new Date((Number(sec) + 8 * 3600) * 1000);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

// Today in Asia/Shanghai as YYYY-MM-DD.
export function todayShanghai(offsetDays = 0) {
  const d = new Date(Date.now() + 8 * 3600 * 1000 + offsetDays * 86400 * 1000);
  return d.toISOString().slice(0, 10);
}

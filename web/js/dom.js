// DOM helpers. Every piece of data reaches the page as a text node or an attribute value set
// through the DOM: nothing here (or anywhere in the UI) parses HTML, so data cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

// h('a', {href: '#/x', class: 'c'}, 'text', child, [more]) builds an HTML element.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s('rect', {x: 0, ...}) builds an SVG element.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Text with highlighted byte ranges (UTF-8 offsets, as the search API returns them) as a list of
// text nodes and <mark> elements. Ranges that are out of order or out of bounds are skipped.
export function highlighted(text, ranges) {
  const bytes = new TextEncoder().encode(text || '');
  const decoder = new TextDecoder();
  const parts = [];
  let at = 0;
  for (const range of ranges || []) {
    const [begin, end] = Array.isArray(range) ? range : [range.begin ?? range.start, range.end];
    if (!(Number.isInteger(begin) && Number.isInteger(end))) continue;
    if (begin < at || end > bytes.length || begin >= end) continue;
    if (begin > at) parts.push(decoder.decode(bytes.subarray(at, begin)));
    parts.push(h('mark', {}, decoder.decode(bytes.subarray(begin, end))));
    at = end;
  }
  if (at < bytes.length) parts.push(decoder.decode(bytes.subarray(at)));
  return parts;
}

// A snippet the API sends as HTML-escaped text with matches in <b>...</b>, rebuilt as text nodes
// and <mark> elements. The HTML is parsed into an inert document (no scripts run, nothing loads)
// and only its text and the <b> boundaries are kept: any other markup is dropped, never inserted.
export function markedText(html) {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  const parts = [];
  const walk = (node, inMark) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        parts.push(inMark ? h('mark', {}, child.nodeValue) : child.nodeValue);
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        walk(child, inMark || child.localName === 'b' || child.localName === 'mark');
      }
    }
  };
  walk(doc.body, false);
  return parts;
}

// A status line for loading/empty/error states, announced by screen readers.
export function notice(text, kind = 'info') {
  return h('p', {class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status'}, text);
}

export function formatNumber(n) {
  return typeof n === 'number' ? n.toLocaleString('en') : String(n ?? '');
}

export function formatBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

// First defined member of `obj` among `names` (the API uses snake_case or lowerCamelCase).
export function pick(obj, ...names) {
  if (!obj || typeof obj !== 'object') return undefined;
  for (const n of names) {
    if (obj[n] !== undefined && obj[n] !== null) return obj[n];
  }
  return undefined;
}

// The list in a response: the response itself when it is an array, else its first array member
// among `names`.
export function listOf(response, ...names) {
  if (Array.isArray(response)) return response;
  for (const n of [...names, 'items', 'data', 'results']) {
    if (response && Array.isArray(response[n])) return response[n];
  }
  return [];
}

// Offers `text` as a file download.
export function downloadText(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const a = h('a', {href: url, download: filename, hidden: true});
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

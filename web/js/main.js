// The shell: a small hash router (#/search?q=..., #/patents/ID, #/assist, #/dashboard, #/signin)
// so every view has a shareable URL and the server needs to serve only index.html and assets.
import {h, clear, notice} from './dom.js';
import {get, token} from './api.js';

const ROUTES = [
  {pattern: /^\/(search)?$/, nav: 'search', load: () => import('./pages/search.js')},
  {pattern: /^\/patents\/([^/]+)$/, nav: 'search', load: () => import('./pages/record.js')},
  {pattern: /^\/assist$/, nav: 'assist', load: () => import('./pages/assist.js')},
  {pattern: /^\/dashboard$/, nav: 'dashboard', load: () => import('./pages/dashboard.js')},
  {pattern: /^\/signin$/, nav: 'signin', load: () => import('./pages/signin.js')},
];

let lastPath = null;
let generation = 0;

export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return {path, params};
}

// "#/search?q=a&offset=20" from a path and parameters (empty values left out).
export function link(path, params = {}) {
  const usp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') usp.set(k, String(v));
  }
  const qs = usp.toString();
  return `#${path}${qs ? '?' + qs : ''}`;
}

function setNav(active) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function updateSignin() {
  const a = document.getElementById('signin-link');
  if (a) a.textContent = token() ? 'Signed in' : 'Sign in';
}

async function route() {
  const {path, params} = parseHash();
  const main = document.getElementById('main');
  const entry = ROUTES.find((r) => r.pattern.test(path));
  const my = ++generation;
  if (!entry) {
    setNav(null);
    clear(main).append(h('h1', {}, 'Page not found'),
                       h('p', {}, 'There is no page at this address. ', h('a', {href: '#/'}, 'Search')));
    return;
  }
  setNav(entry.nav);
  const match = path.match(entry.pattern);
  const pathChanged = path !== lastPath;
  lastPath = path;
  let page;
  try {
    page = await entry.load();
  } catch {
    clear(main).append(notice('This page could not be loaded. Reload to try again.', 'error'));
    return;
  }
  if (my !== generation) return;
  // `isCurrent` lets a page drop results that arrive after the user has moved on.
  const ctx = {match, params, isCurrent: () => my === generation, pathChanged};
  const view = h('div', {class: 'view'});
  clear(main).append(view);
  try {
    await page.render(view, ctx);
  } catch (e) {
    if (my === generation) view.append(notice(`Something went wrong: ${e.message}`, 'error'));
  }
  if (my !== generation) return;
  const heading = view.querySelector('h1');
  document.title = heading ? `${heading.textContent} · ipdx` : 'ipdx';
  // Moving focus to the new page's heading tells keyboard and screen reader users the page
  // changed; a new query on the same page keeps focus where the user is.
  if (pathChanged && heading && document.readyState === 'complete' && ctx.focusHeading !== false) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: false});
  }
}

async function showNode() {
  try {
    const node = await get('/node');
    const office = node && (node.office || node.office_code);
    if (office) document.getElementById('node-office').textContent = `node ${office}`;
  } catch {
    // The node summary is decoration here; the dashboard reports failures.
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('ipdx-token', updateSignin);
updateSignin();
showNode();
route();

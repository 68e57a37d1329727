// The HTTP API client: one place that knows the base path, the bearer token and the error body
// {code, message, details}. The token lives in sessionStorage (this tab only, gone when it closes).

export const BASE = '/ipdx/v1';
const TOKEN_KEY = 'ipdx.token';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event('ipdx-token'));
}

function headers(extra) {
  const out = {...extra};
  const t = token();
  if (t) out.Authorization = `Bearer ${t}`;
  return out;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): fall back to the status line.
  }
  const code = (body && body.code) || `http${response.status}`;
  const message = (body && body.message) || `${response.status} ${response.statusText}`;
  return new ApiError(response.status, code, message, body && body.details);
}

// Fetches `path` (relative to the base path, except /ipdx/..., /metrics and /health) and returns its parsed JSON,
// or its text when `as` is 'text'. Throws ApiError for HTTP errors and network failures.
export async function request(path, {method = 'GET', body, accept = 'application/json', as = 'json',
                                     contentType = 'application/json', signal} = {}) {
  const url = /^\/(ipdx\/|metrics|health)/.test(path) ? path : BASE + path;
  const init = {method, headers: headers({Accept: accept}), signal};
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = contentType;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unavailable', 'The node could not be reached. Check the connection.');
  }
  if (!response.ok) throw await errorFrom(response);
  if (as === 'text') return response.text();
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path, options) => request(path, options);
export const post = (path, body, options) => request(path, {...options, method: 'POST', body});

// ---- what this node serves (from its OpenAPI document) -------------------------------------------

let routesPromise = null;

// Set of "METHOD /template" strings, e.g. "GET /patents/{id}/receipt" (without the base path), or
// null when the document could not be read (then callers just try).
export function routes() {
  if (!routesPromise) {
    routesPromise = request('/openapi.json').then((doc) => {
      const set = new Set();
      for (const [path, item] of Object.entries(doc.paths || {})) {
        const rel = path.startsWith(BASE) ? path.slice(BASE.length) : path;
        for (const method of Object.keys(item)) set.add(`${method.toUpperCase()} ${rel}`);
      }
      return set;
    }).catch(() => null);
  }
  return routesPromise;
}

// True when the node serves METHOD on the path template; true also when it cannot be known.
export async function hasRoute(method, template) {
  const set = await routes();
  return set === null || set.has(`${method} ${template}`);
}

// The first of `templates` the node serves, or null.
export async function firstRoute(method, ...templates) {
  const set = await routes();
  if (set === null) return templates[0];
  return templates.find((t) => set.has(`${method} ${t}`)) || null;
}

export function recordPath(id) {
  return `/patents/${encodeURIComponent(id)}`;
}

// Search: the query language of docs/query-language.md with inline help and error positions,
// highlighted snippets, facets that narrow the query, sort and pagination. The URL holds the whole
// state (#/search?q=...&sort=...&offset=...), so a search can be bookmarked and shared.
import {h, highlighted, markedText, notice, formatNumber, pick} from '../dom.js';
import {get, ApiError} from '../api.js';
import {link} from '../main.js';
import {sortOptions, searchParams} from '../search-api.js';

const PAGE_SIZES = [10, 20, 50, 100];

const EXAMPLES = [
  ['electric motor', 'both words, anywhere in the text (AND is the default)'],
  ['ti:"electric motor" AND pd:2015..2018', 'phrase in the title, published 2015 to 2018'],
  ['(rotor OR armature) NEAR/3 stator', 'within 3 words, either order'],
  ['pa:siemens -cc:US ipc:H02K', 'applicant, not a US document, IPC subclass H02K'],
  ['ipc:"A61K 31" AND pd>=2016-03-01', 'everything under main group A61K 31, from 1 March 2016'],
  ['pn:"US 8,936,998 B2"', 'a publication number, in any spelling'],
  ['electr* ADJ/0 motor^2', 'truncation, ordered adjacency, boost'],
];

const FIELDS = [
  ['txt', 'title, abstract, claims and description (default)'], ['ti', 'titles'],
  ['ab', 'abstracts'], ['cl', 'claims'], ['de', 'description'],
  ['pa', 'applicants and assignees'], ['in', 'inventors'], ['ipc', 'IPC symbols, any level'],
  ['cpc', 'CPC symbols'], ['pn', 'publication number'], ['an', 'application number'],
  ['cc', 'office (ST.3)'], ['kind', 'kind code (ST.16)'], ['pd', 'publication date'],
  ['ad', 'application date'], ['prd', 'earliest priority date'],
];

const FACETS = [
  ['office', 'Office', (v) => `cc:${v}`],
  ['ipcSubclass', 'IPC subclass', (v) => `ipc:${v}`],
  ['year', 'Year', (v) => `pd:${v}`],
  ['applicant', 'Applicant', (v) => `pa:"${v.replace(/["“”„]/g, ' ').trim()}"`],
];

// The query narrowed by one more condition. A query with a top-level OR is parenthesised first,
// because AND binds tighter than OR.
export function narrow(query, clause) {
  const q = query.trim();
  if (!q) return clause;
  if (q.split(/\s+/).includes(clause)) return q;
  return /(^|[\s)])OR([\s(]|$)/i.test(q) ? `(${q}) ${clause}` : `${q} ${clause}`;
}

// Position and message of a query error: from details.position when the API gives it, else from
// the "position N: " prefix of the message. Positions count Unicode characters from 0.
export function queryErrorOf(error) {
  let position = pick(error.details, 'position', 'offset');
  let message = error.message || '';
  const m = message.match(/^position (\d+):\s*/);
  if (m) {
    if (position === undefined) position = Number(m[1]);
    message = message.slice(m[0].length);
  }
  return {position: Number.isInteger(position) ? position : null, message};
}

function queryErrorView(query, {position, message}) {
  const box = h('div', {class: 'query-error', id: 'q-error', role: 'alert'});
  box.append(h('p', {}, h('strong', {}, 'The query has an error'),
                position === null ? ': ' : ` at position ${position}: `, message));
  if (position !== null) {
    const chars = Array.from(query);
    const at = Math.min(position, chars.length);
    const offending = at < chars.length ? chars[at] : ' ';
    box.append(h('pre', {class: 'query-caret', 'aria-hidden': 'true'},
                 h('code', {}, chars.slice(0, at).join(''),
                   h('span', {class: 'caret-char'}, offending), chars.slice(at + 1).join(''),
                   '\n', ' '.repeat(at), '^')));
  }
  return box;
}

function helpView(onExample) {
  return h('details', {class: 'query-help', id: 'q-help'},
    h('summary', {}, 'Query language help'),
    h('p', {}, 'Words are combined with AND unless you write OR. Use quotes for phrases, ',
      h('code', {}, 'field:'), ' to search one field, ', h('code', {}, '-'), ' or ',
      h('code', {}, 'NOT'), ' to exclude, ', h('code', {}, '*'), ' to truncate.'),
    h('table', {class: 'help-table'},
      h('caption', {}, 'Examples (select one to use it)'),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Query'), h('th', {scope: 'col'}, 'Finds'))),
      h('tbody', {}, EXAMPLES.map(([q, what]) => h('tr', {},
        h('td', {}, h('button', {type: 'button', class: 'link-button code', onclick: () => onExample(q)}, q)),
        h('td', {}, what))))),
    h('table', {class: 'help-table'},
      h('caption', {}, 'Fields'),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Field'), h('th', {scope: 'col'}, 'Searches'))),
      h('tbody', {}, FIELDS.map(([f, what]) =>
        h('tr', {}, h('td', {}, h('code', {}, `${f}:`)), h('td', {}, what))))),
    h('p', {}, 'Dates: ', h('code', {}, 'pd:2015'), ', ', h('code', {}, 'pd:2015..2018'), ', ',
      h('code', {}, 'pd>=2016-03-01'), '. Proximity: ', h('code', {}, 'a NEAR/3 b'), ', ',
      h('code', {}, 'a ADJ/0 b'), '. Boost: ', h('code', {}, 'term^2'), '. Classification at any level: ',
      h('code', {}, 'ipc:A61K'), ', ', h('code', {}, 'ipc:"A61K 31"'), '.'));
}

export function hitView(hit) {
  const id = hit.id;
  const snippet = hit.snippet;
  const snippetText = typeof snippet === 'string' ? snippet : pick(snippet, 'text') || '';
  const ranges = pick(hit, 'highlights') || pick(snippet, 'highlights');
  const html = pick(hit, 'snippetHtml', 'snippet_html');
  const snippetNodes = ranges ? highlighted(snippetText, ranges)
      : html ? markedText(html) : [snippetText];
  const meta = [id, hit.office, hit.kind, pick(hit, 'publicationDate', 'publication_date')]
      .filter(Boolean);
  if (hit.publisher && hit.publisher !== hit.office) meta.push(`copy published by ${hit.publisher}`);
  const params = hit.publisher && hit.publisher !== hit.office ? {publisher: hit.publisher} : {};
  return h('li', {class: 'hit'},
    h('h3', {class: 'hit-title'}, h('a', {href: link(`/patents/${id}`, params)}, hit.title || id)),
    h('p', {class: 'hit-meta'}, meta.join(' · ')),
    snippetText ? h('p', {class: 'snippet'}, snippetNodes) : null);
}

function facetsView(facets, q, base) {
  if (!facets) return null;
  const values = (key) => facets[key] || facets[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] || [];
  const groups = FACETS.filter(([key]) => values(key).length > 0);
  if (!groups.length) return null;
  return h('nav', {class: 'facets', 'aria-label': 'Narrow the results'},
    h('h2', {}, 'Narrow by'),
    groups.map(([key, label, clause]) => h('section', {class: 'facet'},
      h('h3', {id: `facet-${key}`}, label),
      h('ul', {'aria-labelledby': `facet-${key}`}, values(key).slice(0, 12).map((f) => {
        const value = pick(f, 'value', 'name') ?? '';
        return h('li', {}, h('a', {href: link('/search', {...base, q: narrow(q, clause(String(value))),
                                                         offset: 0}),
                                   'data-facet': key},
          h('span', {class: 'facet-value'}, String(value)),
          h('span', {class: 'facet-count'}, formatNumber(f.count))));
      })))));
}

function paginationView(total, offset, limit, base) {
  if (total <= limit && offset === 0) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const items = [];
  if (offset > 0) {
    items.push(h('a', {href: link('/search', {...base, offset: Math.max(0, offset - limit)}),
                       rel: 'prev'}, '← Previous'));
  }
  items.push(h('span', {class: 'page-of'}, `Page ${page} of ${formatNumber(pages)}`));
  if (offset + limit < total) {
    items.push(h('a', {href: link('/search', {...base, offset: offset + limit}), rel: 'next'},
                 'Next →'));
  }
  return h('nav', {class: 'pagination', 'aria-label': 'Pages of results'}, items);
}

export async function render(view, ctx) {
  const {params} = ctx;
  const q = params.get('q') || '';
  const sort = params.get('sort') || 'relevance';
  const limit = PAGE_SIZES.includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 20;
  const offset = Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0);
  const base = {q, sort: sort === 'relevance' ? '' : sort, limit: limit === 20 ? '' : limit};

  const input = h('input', {type: 'search', id: 'q', name: 'q', value: q, autocomplete: 'off',
                            spellcheck: 'false', 'aria-describedby': 'q-hint',
                            placeholder: 'e.g. ti:"electric motor" AND pd:2015..2018'});
  const sortSelect = h('select', {id: 'sort', name: 'sort'},
    sortOptions().map(([value, label]) => h('option', {value, selected: value === sort}, label)));
  const sizeSelect = h('select', {id: 'limit', name: 'limit'},
    PAGE_SIZES.map((n) => h('option', {value: n, selected: n === limit}, String(n))));
  const go = (overrides = {}) => {
    const next = link('/search', {q: input.value.trim(), sort: sortSelect.value === 'relevance' ? '' :
                                  sortSelect.value,
                                  limit: sizeSelect.value === '20' ? '' : sizeSelect.value,
                                  ...overrides});
    if (location.hash === next) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = next;
  };
  const form = h('form', {class: 'search-form', role: 'search',
                          onsubmit: (e) => { e.preventDefault(); go(); }},
    h('label', {for: 'q', class: 'q-label'}, 'Query'),
    h('div', {class: 'q-row'}, input, h('button', {type: 'submit', class: 'primary'}, 'Search')),
    h('p', {id: 'q-hint', class: 'hint'}, 'Words, phrases in quotes, fields like ',
      h('code', {}, 'ti:'), ' or ', h('code', {}, 'ipc:'), ', AND / OR / NOT, dates like ',
      h('code', {}, 'pd:2015..2018'), '.'),
    h('div', {class: 'form-options'},
      h('label', {for: 'sort'}, 'Sort ', sortSelect),
      h('label', {for: 'limit'}, 'Per page ', sizeSelect)));
  sortSelect.addEventListener('change', () => { if (q) go(); });
  sizeSelect.addEventListener('change', () => { if (q) go(); });

  const help = helpView((example) => { input.value = example; go({offset: ''}); });
  const results = h('section', {class: 'results', 'aria-labelledby': 'results-heading'});
  const layout = h('div', {class: 'search-layout'}, results);
  view.append(h('h1', {}, 'Search patents'), form, help, layout);

  if (!q) {
    results.append(h('h2', {id: 'results-heading', class: 'visually-hidden'}, 'Results'),
      h('p', {class: 'intro'}, 'Search the records this node holds: bibliographic data, ' +
        'abstracts, claims and descriptions. Open the help above for the query language.'));
    ctx.focusHeading = true;
    return;
  }
  ctx.focusHeading = false;
  try {
    sessionStorage.setItem('ipdx.lastSearch', location.hash);
  } catch {
    // Only the "back to search" link uses it.
  }
  const status = h('p', {class: 'result-count', role: 'status'}, 'Searching…');
  results.append(h('h2', {id: 'results-heading', class: 'visually-hidden'}, 'Results'), status);

  let response;
  try {
    response = await get(`/patents/search?${searchParams({q, offset, limit, sort})}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    status.remove();
    if (e instanceof ApiError && e.status === 400) {
      const err = queryErrorOf(e);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'q-error q-hint');
      form.after(queryErrorView(q, err));
      if (err.position !== null) {
        const at = Array.from(q).slice(0, err.position).join('').length;
        input.focus();
        input.setSelectionRange(at, Math.min(q.length, at + 1));
      }
      results.append(notice('Fix the query and search again.'));
    } else {
      results.append(notice(`Search failed: ${e.message}`, 'error'));
    }
    return;
  }
  if (!ctx.isCurrent()) return;
  const hits = response.hits || [];
  const total = Number(response.total) || 0;
  const exact = pick(response, 'totalExact', 'total_exact') !== false;
  if (total === 0) {
    status.textContent = 'No records match this query.';
  } else {
    status.textContent = `${exact ? '' : 'About '}${formatNumber(total)} result${total === 1 ? '' : 's'}` +
        (hits.length ? `, showing ${formatNumber(offset + 1)}–${formatNumber(offset + hits.length)}` : '');
  }
  for (const n of response.notices || []) {
    results.append(notice(typeof n === 'string' ? n : n.message || ''));
  }
  results.append(h('ol', {class: 'hits', start: offset + 1}, hits.map(hitView)));
  const pages = paginationView(total, offset, limit, base);
  if (pages) results.append(pages);
  const facets = facetsView(response.facets, q, base);
  if (facets) layout.prepend(facets);
}

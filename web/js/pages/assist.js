// Examiner assist: similar documents for a record or a pasted text, and IPC suggestions with
// scores and reasons that the examiner accepts or rejects (recorded with a write token).
import {h, notice, pick, listOf} from '../dom.js';
import {get, request, firstRoute, recordPath, token} from '../api.js';
import {link} from '../main.js';
import {hitView} from './search.js';

// Route candidates, in order of preference; the node's OpenAPI document says which exist.
const SUGGEST_ROUTES = ['/classify', '/classifications/suggest', '/classifier/suggestions'];
const DECIDE_ROUTES = ['/classify/decisions', '/classificationDecisions',
                       '/patents/{id}/classificationDecisions'];

const pct = (x) => `${Math.round(Number(x || 0) * 100)}%`;

async function similar(out, {id, text, lang, restrict}) {
  out.replaceChildren(notice('Looking for similar documents…'));
  const qs = new URLSearchParams({limit: '10'});
  if (restrict) qs.set('q', restrict);
  if (lang) qs.set('lang', lang);
  try {
    const r = id ? await get(`${recordPath(id)}/similar?${qs}`)
        : await request(`/similar?${qs}`, {method: 'POST', body: text,
                                           contentType: 'text/plain; charset=utf-8'});
    const hits = r.hits || [];
    out.replaceChildren(hits.length
        ? h('ol', {class: 'hits'}, hits.map(hitView))
        : notice('No similar documents on this node.'));
  } catch (e) {
    out.replaceChildren(notice(e.status === 404 ? `No record ${id} on this node.`
        : `Similar documents could not be found: ${e.message}`, e.status === 404 ? 'info' : 'error'));
  }
}

function reasonsView(reasons) {
  if (!reasons) return null;
  const neighbours = listOf(reasons, 'neighbours', 'neighbors');
  const terms = listOf(reasons, 'terms');
  if (!neighbours.length && !terms.length) return null;
  return h('details', {class: 'reasons'}, h('summary', {}, 'Why these suggestions'),
    terms.length ? h('p', {}, 'Heaviest words: ', terms.slice(0, 12).map((t, i) =>
      [i ? ', ' : '', h('code', {}, t.term), ` (${Number(t.weight).toFixed(2)})`])) : null,
    neighbours.length ? [h('p', {}, 'Similar classified documents that voted:'),
      h('ul', {}, neighbours.slice(0, 10).map((n) => h('li', {},
        h('a', {href: link(`/patents/${n.id}`)}, n.id), ` — ${(n.symbols || []).join(', ')}`,
        h('span', {class: 'muted'}, ` (similarity ${Number(n.score).toFixed(1)})`))))] : null);
}

async function decide(route, id, symbol, accept, byInput, row, status) {
  if (!token()) {
    status.replaceChildren(notice('Recording a decision needs a token with write scope. ', 'error'),
                           h('a', {href: '#/signin'}, 'Sign in'));
    return;
  }
  const by = byInput.value.trim();
  if (!by) {
    status.replaceChildren(notice('Enter your name (examiner) to record decisions.', 'error'));
    byInput.focus();
    return;
  }
  const buttons = row.querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  try {
    const body = {id, symbol, decision: accept ? 'accept' : 'reject', accept, by};
    const r = await request(route.replace('{id}', encodeURIComponent(id)), {method: 'POST', body});
    row.dataset.decision = accept ? 'accept' : 'reject';
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.accept === String(accept)));
    const when = pick(r, 'decidedAt', 'decided_at');
    status.replaceChildren(notice(`${accept ? 'Accepted' : 'Rejected'} ${symbol} for ${id}` +
                                  (when ? ` (recorded ${when})` : '') + '.'));
  } catch (e) {
    status.replaceChildren(notice(`The decision was not recorded: ${e.message}`, 'error'));
  }
  for (const b of buttons) b.disabled = false;
}

async function suggest(out, {id, text}, byInput) {
  const route = await firstRoute('POST', ...SUGGEST_ROUTES);
  if (!route) {
    out.replaceChildren(notice('Classification is not available on this node.'));
    return;
  }
  out.replaceChildren(notice('Asking the classifier…'));
  let r;
  try {
    r = await request(route, {method: 'POST', body: id ? {id, limit: 8} : {text, limit: 8}});
  } catch (e) {
    out.replaceChildren(notice(e.code === 'failedPrecondition'
        ? `Classification is not ready on this node: ${e.message}`
        : `No suggestions: ${e.message}`, e.code === 'failedPrecondition' ? 'info' : 'error'));
    return;
  }
  const suggestions = listOf(r, 'suggestions');
  const decideRoute = id ? await firstRoute('POST', ...DECIDE_ROUTES) : null;
  const status = h('div', {'aria-live': 'polite'});
  const current = listOf(r, 'current');
  const rows = suggestions.map((sg) => {
    const symbol = sg.symbol;
    const title = pick(sg, 'titleEn', 'title_en', 'title') || '';
    const row = h('tr', {'data-symbol': symbol},
      h('th', {scope: 'row'}, h('code', {}, symbol), current.includes(symbol)
          ? h('span', {class: 'badge'}, 'already given') : ''),
      h('td', {}, title),
      h('td', {}, h('meter', {min: 0, max: 1, value: Number(sg.score) || 0,
                              'aria-label': `score ${pct(sg.score)}`}), ` ${pct(sg.score)}`),
      h('td', {class: 'muted'}, `fastText ${pct(sg.fasttext)}, kNN ${pct(sg.knn)}`));
    if (decideRoute) {
      const mk = (accept) => h('button', {type: 'button', 'data-accept': String(accept),
        'aria-pressed': 'false', 'aria-label': `${accept ? 'Accept' : 'Reject'} ${symbol}`,
        class: accept ? 'accept' : 'reject',
        onclick: () => decide(decideRoute, id, symbol, accept, byInput, row, status)},
        accept ? 'Accept' : 'Reject');
      row.append(h('td', {class: 'decide'}, mk(true), ' ', mk(false)));
    }
    return row;
  });
  out.replaceChildren(...[
    h('p', {class: 'muted'}, `Model ${pick(r, 'modelVersion', 'model_version') || ''}, level ` +
      `${r.level || ''}.`, current.length ? ` Current classification: ${current.join(', ')}.` : ''),
    suggestions.length ? h('table', {class: 'data-table suggestions'},
      h('thead', {}, h('tr', {}, ['Symbol', 'Title', 'Score', 'Models', decideRoute ? 'Decision' : null]
        .filter(Boolean).map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, rows)) : notice('The classifier made no suggestion.'),
    id && !decideRoute ? notice('Recording decisions is not available on this node.') : null,
    !id && suggestions.length ? h('p', {class: 'hint'},
      'Decisions are recorded for records on the node: enter a publication id to decide.') : null,
    status, reasonsView(r.reasons)].filter(Boolean));
}

export async function render(view, ctx) {
  const id = ctx.params.get('id') || '';
  const idInput = h('input', {type: 'text', id: 'assist-id', name: 'id', value: id,
                              placeholder: 'US-8936998-B2', autocomplete: 'off',
                              spellcheck: 'false'});
  const textInput = h('textarea', {id: 'assist-text', name: 'text', rows: 6,
                                   placeholder: 'Paste a claim, an abstract or a paragraph'});
  const restrict = h('input', {type: 'text', id: 'assist-restrict', name: 'restrict',
                               placeholder: 'e.g. pd<2015 ipc:H02K', autocomplete: 'off'});
  let by = '';
  try {
    by = localStorage.getItem('ipdx.examiner') || '';
  } catch {
    // Not remembered then.
  }
  const byInput = h('input', {type: 'text', id: 'assist-by', name: 'by', value: by,
                              autocomplete: 'name'});
  byInput.addEventListener('change', () => {
    try {
      localStorage.setItem('ipdx.examiner', byInput.value.trim());
    } catch {
      // Not remembered then.
    }
  });
  const similarOut = h('div', {id: 'similar-out'});
  const suggestOut = h('div', {id: 'suggest-out'});
  const formError = h('div', {'aria-live': 'polite'});
  const run = () => {
    const req = {id: idInput.value.trim(), text: textInput.value.trim(), restrict: restrict.value.trim()};
    if (!req.id && !req.text) {
      formError.replaceChildren(notice('Enter a publication id or paste a text.', 'error'));
      idInput.focus();
      return Promise.resolve();
    }
    formError.replaceChildren();
    if (req.id) req.text = '';
    if (req.id !== id) history.replaceState(null, '', link('/assist', {id: req.id}));
    return Promise.all([similar(similarOut, req), suggest(suggestOut, req, byInput)]);
  };
  const form = h('form', {class: 'assist-form', onsubmit: (e) => { e.preventDefault(); run(); }},
    h('fieldset', {},
      h('legend', {}, 'Document to examine'),
      h('div', {class: 'field'}, h('label', {for: 'assist-id'}, 'A record on this node (publication id)'),
        idInput),
      h('div', {class: 'field'}, h('label', {for: 'assist-text'}, 'or a text'), textInput),
      h('div', {class: 'field'}, h('label', {for: 'assist-restrict'},
        'Restrict similar documents to (query, optional)'), restrict),
      h('div', {class: 'field'}, h('label', {for: 'assist-by'}, 'Examiner (recorded with decisions)'),
        byInput)),
    h('button', {type: 'submit', class: 'primary'}, 'Find similar documents and suggest IPC'),
    formError);
  view.append(h('h1', {}, 'Examiner assist'), form,
    h('div', {class: 'assist-results'},
      h('section', {'aria-labelledby': 'suggest-heading'},
        h('h2', {id: 'suggest-heading'}, 'IPC suggestions'), suggestOut),
      h('section', {'aria-labelledby': 'similar-heading'},
        h('h2', {id: 'similar-heading'}, 'Similar documents'), similarOut)));
  if (id) {
    await run();
  } else {
    suggestOut.append(h('p', {class: 'muted'}, 'Suggestions appear here.'));
    similarOut.append(h('p', {class: 'muted'}, 'Similar documents appear here.'));
  }
}

// Record: bibliographic data, abstract, claims, classification, citations (linked when the cited
// record is on this node), versions and their differences, rights events, ledger status with a
// downloadable receipt, ST.96 XML and JSON downloads, and similar documents.
import {h, notice, pick, listOf, downloadText, formatNumber} from '../dom.js';
import {get, request, firstRoute, recordPath, token, BASE, ApiError} from '../api.js';
import {link} from '../main.js';
import {diffRecords} from '../diff.js';
import {parseCheckpointNote} from '../ledger-note.js';
import {hitView} from './search.js';

const LANG_NAMES = {en: 'English', de: 'German', fr: 'French', ja: 'Japanese', zh: 'Chinese',
                    ko: 'Korean', es: 'Spanish', it: 'Italian', ru: 'Russian', pt: 'Portuguese'};
const langName = (l) => (l ? LANG_NAMES[l] || l : 'language not given');

function section(id, title, ...content) {
  return h('section', {class: 'record-section', 'aria-labelledby': id},
           h('h2', {id}, title), ...content);
}

function dl(rows) {
  const items = rows.filter(([, v]) => v !== undefined && v !== null && v !== '' &&
                                        !(Array.isArray(v) && v.length === 0));
  return h('dl', {class: 'biblio'}, items.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

const docRef = (r) => r ? [r.office, r.number].filter(Boolean).join(' ') +
    (r.date ? ` (${r.date})` : '') : '';

function partyList(parties) {
  if (!parties || !parties.length) return '';
  return h('ul', {class: 'plain'}, parties.map((p) =>
    h('li', {}, p.name, p.country ? ` (${p.country})` : '',
      p.address ? h('span', {class: 'muted'}, ` — ${p.address}`) : '')));
}

function pickText(list, preferred) {
  if (!list || !list.length) return null;
  return list.find((t) => t.lang === preferred) || list.find((t) => t.lang === 'en') || list[0];
}

function textBlocks(text, lang) {
  return String(text || '').split(/\n+/).filter((p) => p.trim())
      .map((p) => h('p', {lang: lang || null}, p));
}

async function download(url, filename, type) {
  const text = await request(url, {as: 'text', accept: type});
  downloadText(text, filename, type);
}

function downloadLink(label, url, filename, type) {
  // A plain link works without JavaScript quirks and can be copied; with a token (private reads)
  // the file is fetched with the Authorization header instead.
  return h('a', {href: url, download: filename, class: 'button', onclick: (e) => {
    if (!token()) return;
    e.preventDefault();
    download(url, filename, type).catch((err) => alert(`Download failed: ${err.message}`));
  }}, label);
}

function citationsView(citations, onNode) {
  const patents = citations.filter((c) => c.number);
  const npl = citations.filter((c) => !c.number && c.text);
  const rows = patents.map((c) => {
    const label = [c.office, c.number, c.kind].filter(Boolean).join(' ');
    const key = `${c.office}-${c.number}`;
    const target = onNode.get(key);
    return h('tr', {},
      h('td', {}, target ? h('a', {href: link(`/patents/${target}`)}, label) : label,
        target ? h('span', {class: 'badge'}, 'on this node') : ''),
      h('td', {}, c.date || ''), h('td', {}, c.category || ''));
  });
  return [
    patents.length ? h('table', {class: 'data-table'},
      h('caption', {}, `Patent literature (${patents.length})`),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Document'), h('th', {scope: 'col'}, 'Date'),
                       h('th', {scope: 'col'}, 'Category'))),
      h('tbody', {}, rows)) : null,
    npl.length ? [h('h3', {}, `Non-patent literature (${npl.length})`),
                  h('ul', {}, npl.map((c) => h('li', {}, c.text,
                    c.category ? h('span', {class: 'muted'}, ` (${c.category})`) : '')))] : null,
  ];
}

// Which cited documents this node holds, in one search: "pn:US123 OR pn:EP456 ...".
async function citedOnNode(citations) {
  const found = new Map();
  const cited = citations.filter((c) => c.office && c.number).slice(0, 100);
  if (!cited.length) return found;
  const q = cited.map((c) => `pn:${c.office}${c.number.replace(/[^0-9A-Za-z]/g, '')}`).join(' OR ');
  try {
    const r = await get(`/patents/search?${new URLSearchParams({q, limit: '100'})}`);
    for (const hit of r.hits || []) {
      const [office, number] = String(hit.id).split('-');
      if (!found.has(`${office}-${number}`)) found.set(`${office}-${number}`, hit.id);
    }
  } catch {
    // Citations stay unlinked when search is unavailable.
  }
  return found;
}

// Content first; provenance (source), findings and bookkeeping (version, hash) apart, folded.
function diffView(all) {
  const meta = (c) => /^(source|findings|version|hash|format_version)\b/.test(c.path);
  const content = all.filter((c) => !meta(c));
  const other = all.filter(meta);
  return [
    content.length ? diffTable(content, 'in the content')
        : notice('No differences in the record content.'),
    other.length ? h('details', {}, h('summary', {}, `Provenance and findings: ${other.length} ` +
                                     `difference${other.length === 1 ? '' : 's'}`),
                     diffTable(other, 'in provenance and findings')) : null,
  ];
}

function diffTable(changes, where) {
  const cut = (t) => (t.length > 400 ? t.slice(0, 400) + '…' : t);
  return h('table', {class: 'data-table diff-table'},
    h('caption', {}, `${changes.length} difference${changes.length === 1 ? '' : 's'} ${where}`),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Field'), h('th', {scope: 'col'}, 'Before'),
                     h('th', {scope: 'col'}, 'After'))),
    h('tbody', {}, changes.slice(0, 200).map((c) => h('tr', {class: `diff-${c.change}`},
      h('th', {scope: 'row'}, h('code', {}, c.path)),
      h('td', {}, c.change === 'added' ? h('em', {}, 'absent') : h('del', {}, cut(c.before))),
      h('td', {}, c.change === 'removed' ? h('em', {}, 'absent') : h('ins', {}, cut(c.after)))))));
}

async function versionsView(container, id) {
  const route = await firstRoute('GET', '/patents/{id}/versions');
  if (!route) {
    container.append(notice('Version history is not available on this node.'));
    return;
  }
  let versions;
  try {
    versions = listOf(await get(`${recordPath(id)}/versions`), 'versions');
  } catch (e) {
    container.append(notice(`Versions could not be loaded: ${e.message}`, 'error'));
    return;
  }
  versions = versions.slice().sort((a, b) => (b.version || 0) - (a.version || 0));
  const out = h('div', {class: 'diff-output', 'aria-live': 'polite'});
  const compare = async (n, button) => {
    button.disabled = true;
    out.replaceChildren(notice(`Comparing version ${n - 1} with version ${n}…`));
    try {
      const [older, newer] = await Promise.all([get(`${recordPath(id)}/versions/${n - 1}`),
                                                get(`${recordPath(id)}/versions/${n}`)]);
      out.replaceChildren(h('h3', {}, `Changes from version ${n - 1} to version ${n}`),
                          ...diffView(diffRecords(older, newer)).filter(Boolean));
    } catch (e) {
      out.replaceChildren(notice(`The versions could not be compared: ${e.message}`, 'error'));
    }
    button.disabled = false;
  };
  container.append(h('table', {class: 'data-table'},
    h('caption', {}, `${versions.length} version${versions.length === 1 ? '' : 's'}`),
    h('thead', {}, h('tr', {}, ['Version', 'Stored', 'Content hash', 'Source', ''].map(
      (t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, versions.map((v) => {
      const n = Number(v.version);
      const button = n > 1 ? h('button', {type: 'button'}, `Compare with version ${n - 1}`) : null;
      if (button) button.addEventListener('click', () => compare(n, button));
      return h('tr', {},
        h('td', {}, String(v.version ?? '')),
        h('td', {}, pick(v, 'stored_at', 'storedAt', 'ingested_at') || ''),
        h('td', {}, h('code', {title: v.hash || ''}, String(v.hash || '').slice(0, 12))),
        h('td', {class: 'wrap'}, pick(v, 'source_file', 'sourceFile', 'file') || ''),
        h('td', {}, button));
    }))), out);
}

async function eventsView(container, id, record) {
  const inline = pick(record, 'rights_events', 'rightsEvents', 'events');
  let events = Array.isArray(inline) ? inline : null;
  if (!events) {
    const route = await firstRoute('GET', '/patents/{id}/events', '/patents/{id}/rightsEvents');
    if (!route) {
      container.append(notice('Rights events are not available on this node.'));
      return;
    }
    try {
      events = listOf(await get(route.replace('{id}', encodeURIComponent(id))), 'events',
                      'rightsEvents', 'rights_events');
    } catch (e) {
      container.append(notice(`Rights events could not be loaded: ${e.message}`, 'error'));
      return;
    }
  }
  if (!events.length) {
    container.append(h('p', {}, 'No rights events are recorded for this document.'));
    return;
  }
  container.append(h('table', {class: 'data-table'},
    h('thead', {}, h('tr', {}, ['Date', 'Event', 'Parties', 'Details'].map(
      (t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, events.map((ev) => {
      const e = ev.entry || ev.event || ev;
      const parties = (e.parties || []).map((p) => (typeof p === 'string' ? p : p.name)).join('; ');
      const details = typeof e.details === 'object' ? JSON.stringify(e.details) : e.details || '';
      return h('tr', {}, h('td', {}, e.effectiveDate || e.date || ''),
               h('td', {}, e.type || e.event_type || ''),
               h('td', {}, parties), h('td', {class: 'wrap'}, details));
    }))));
}

async function ledgerView(container, id, record) {
  const route = await firstRoute('GET', '/patents/{id}/receipt');
  if (!route) {
    container.append(notice('Ledger receipts are not available on this node.'));
    return;
  }
  let text;
  try {
    text = await request(`${recordPath(id)}/receipt`, {as: 'text'});
  } catch (e) {
    container.append(notice(e instanceof ApiError && e.status === 404
        ? 'This version is not yet in a signed checkpoint of the log.'
        : `The ledger status could not be loaded: ${e.message}`, e.status === 404 ? 'info' : 'error'));
    return;
  }
  let receipt;
  try {
    receipt = JSON.parse(text);
  } catch {
    container.append(notice('The node returned a receipt that is not JSON.', 'error'));
    return;
  }
  const note = parseCheckpointNote(receipt.checkpoint);
  const signer = receipt.key_name || note.signers[0] || 'the node';
  const witnesses = note.signers.filter((n) => n !== signer);
  const witnessed = witnesses.length
      ? `, witnessed by ${witnesses.length === 1 ? witnesses[0]
          : witnesses.slice(0, -1).join(', ') + ' and ' + witnesses.at(-1)}`
      : ', not yet witnessed by another node';
  container.append(
    h('p', {class: 'ledger-status'}, h('strong', {}, 'Included'),
      ` in checkpoint ${formatNumber(receipt.tree_size ?? note.treeSize)} (log ${note.origin || ''}) ` +
      `signed by ${signer}${witnessed}.`),
    dl([['Leaf index', formatNumber(receipt.leaf_index)],
        ['Tree size', formatNumber(receipt.tree_size)],
        ['Root hash', h('code', {}, note.rootHash)],
        ['Inclusion proof', `${(receipt.inclusion_proof || []).length} hashes`]]),
    h('p', {}, h('button', {type: 'button', onclick: () => downloadText(text,
      `${id}-v${record.version || ''}-receipt.json`, 'application/json')}, 'Download receipt'),
      ' Check it offline with ', h('code', {}, 'ipdx verify'), ' and the office\'s public key.'));
}

async function similarView(container, id) {
  const route = await firstRoute('GET', '/patents/{id}/similar');
  if (!route) {
    container.append(notice('Similar documents are not available on this node.'));
    return;
  }
  const button = h('button', {type: 'button'}, 'Find similar documents');
  const out = h('div', {'aria-live': 'polite'});
  button.addEventListener('click', async () => {
    button.disabled = true;
    out.replaceChildren(notice('Searching for similar documents…'));
    try {
      const r = await get(`${recordPath(id)}/similar?limit=10`);
      const hits = r.hits || [];
      out.replaceChildren(hits.length ? h('ol', {class: 'hits'}, hits.map(hitView))
                                      : notice('No similar documents on this node.'));
    } catch (e) {
      out.replaceChildren(notice(`Similar documents could not be found: ${e.message}`, 'error'));
    }
    button.disabled = false;
  });
  container.append(h('p', {}, button, ' ',
    h('a', {href: link('/assist', {id})}, 'Open in examiner assist')), out);
}

export async function render(view, ctx) {
  const id = decodeURIComponent(ctx.match[1]);
  const publisher = ctx.params.get('publisher') || '';
  const query = publisher ? `?publisher=${encodeURIComponent(publisher)}` : '';
  let record;
  try {
    record = await get(`${recordPath(id)}${query}`);
  } catch (e) {
    view.append(h('h1', {}, id),
      notice(e.status === 404 ? `No record ${id} on this node.` : `The record could not be loaded: ${e.message}`,
             e.status === 404 ? 'info' : 'error'),
      h('p', {}, h('a', {href: link('/search', {q: `pn:"${id}"`})}, 'Search for this number')));
    return;
  }
  const rid = record.id || id;
  const lang = record.language || '';
  const title = pickText(record.titles, lang);
  const abstract = pickText(record.abstracts, lang);
  const url = `${BASE}${recordPath(rid)}`;

  let back = '#/search';
  try {
    back = sessionStorage.getItem('ipdx.lastSearch') || back;
  } catch {
    // sessionStorage may be disabled; the plain search page will do.
  }
  view.append(h('p', {class: 'breadcrumb'}, h('a', {href: back}, '← Back to search')));
  view.append(h('header', {class: 'record-header'},
    h('p', {class: 'record-id'}, rid, record.version ? h('span', {class: 'badge'}, `version ${record.version}`) : ''),
    h('h1', {lang: title?.lang || null}, title ? title.text : rid),
    h('div', {class: 'downloads', role: 'group', 'aria-label': 'Downloads'},
      downloadLink('ST.96 XML', `${url}?format=st96`, `${rid}.xml`, 'application/xml'),
      downloadLink('JSON', url, `${rid}.json`, 'application/json'))));

  const toc = [['biblio', 'Bibliographic data'], ['abstract', 'Abstract'], ['claims', 'Claims'],
               ['classification', 'Classification'], ['citations', 'Citations'],
               ['versions', 'Versions'], ['events', 'Rights events'], ['ledger', 'Ledger'],
               ['similar', 'Similar documents']];
  view.append(h('nav', {class: 'toc', 'aria-label': 'Sections of this record'},
    h('ul', {}, toc.map(([sid, label]) => h('li', {}, h('a', {href: `#${location.hash.slice(1)}`,
      onclick: (e) => { e.preventDefault(); document.getElementById(`sec-${sid}`)?.focus(); },
    }, label))))));

  const otherTitles = (record.titles || []).filter((t) => t !== title);
  view.append(section('sec-biblio', 'Bibliographic data', dl([
    ['Publication', `${record.office} ${record.number} ${record.kind}`],
    ['Publication date', record.publication_date],
    ['Grant date', record.grant_date],
    ['Language', record.language ? langName(record.language) : ''],
    ['Application', docRef(record.application)],
    ['Priorities', (record.priorities || []).length ? h('ul', {class: 'plain'},
      record.priorities.map((p) => h('li', {}, docRef(p)))) : ''],
    ['Applicants', partyList(record.applicants)],
    ['Inventors', partyList(record.inventors)],
    ['Assignees', partyList(record.assignees)],
    ['Agents', partyList(record.agents)],
    ['Other titles', otherTitles.length ? h('ul', {class: 'plain'}, otherTitles.map((t) =>
      h('li', {lang: t.lang || null}, `${t.text} (${langName(t.lang)})`))) : ''],
    ['Source', record.source ? `${record.source.format || ''} · ${record.source.file || ''}` : ''],
    ['Ingested', record.source?.ingested_at],
    ['Findings', (record.findings || []).length ? h('ul', {class: 'plain'}, record.findings.map((f) =>
      h('li', {}, h('code', {}, f.rule), ` ${f.severity}: ${f.message}`))) : ''],
  ])));

  view.append(section('sec-abstract', 'Abstract',
    abstract ? h('div', {lang: abstract.lang || null}, textBlocks(abstract.text)) :
      h('p', {class: 'muted'}, 'This document has no abstract.'),
    (record.abstracts || []).filter((a) => a !== abstract).map((a) =>
      h('details', {}, h('summary', {}, `Abstract in ${langName(a.lang)}`),
        h('div', {lang: a.lang || null}, textBlocks(a.text))))));

  const claimSets = record.claims || [];
  view.append(section('sec-claims', 'Claims',
    claimSets.length ? claimSets.map((set, i) => {
      const list = h('ol', {class: 'claims', lang: set.lang || null},
        set.claims.map((c) => h('li', {}, c)));
      const label = `${set.claims.length} claim${set.claims.length === 1 ? '' : 's'} (${langName(set.lang)})`;
      return i === 0 && claimSets.length === 1 ? [h('p', {class: 'muted'}, label), list]
          : h('details', {open: i === 0}, h('summary', {}, label), list);
    }) : h('p', {class: 'muted'}, 'This document has no claims.'),
    (record.descriptions || []).map((d) => h('details', {class: 'description'},
      h('summary', {}, `Description (${langName(d.lang)})`),
      h('div', {lang: d.lang || null}, textBlocks(d.text))))));

  const ipcList = h('ul', {class: 'plain'}, (record.ipc || []).map((sym) =>
    h('li', {}, h('a', {href: link('/search', {q: `ipc:"${sym}"`})}, h('code', {}, sym)),
      h('span', {class: 'ipc-title', 'data-symbol': sym}))));
  view.append(section('sec-classification', 'Classification', dl([
    ['IPC', (record.ipc || []).length ? ipcList : ''],
    ['CPC', (record.cpc || []).length ? h('ul', {class: 'plain'}, record.cpc.map((sym) =>
      h('li', {}, h('a', {href: link('/search', {q: `cpc:"${sym}"`})}, h('code', {}, sym))))) : ''],
    ['National', (record.national || []).join(', ')],
  ]), !(record.ipc || []).length && !(record.cpc || []).length
      ? h('p', {class: 'muted'}, 'No classification given.') : null));

  const citations = record.citations || [];
  const citationsBox = h('div', {});
  view.append(section('sec-citations', 'Citations', citations.length ? citationsBox :
    h('p', {class: 'muted'}, 'No citations.')));

  const boxes = {versions: h('div', {}), events: h('div', {}), ledger: h('div', {}),
                 similar: h('div', {})};
  view.append(section('sec-versions', 'Versions', boxes.versions),
              section('sec-events', 'Rights events', boxes.events),
              section('sec-ledger', 'Ledger', boxes.ledger),
              section('sec-similar', 'Similar documents', boxes.similar));
  for (const el of view.querySelectorAll('.record-section')) el.setAttribute('tabindex', '-1');

  // The sections below load in parallel; each degrades on its own.
  await Promise.all([
    citations.length ? citedOnNode(citations).then((onNode) =>
      citationsBox.append(...citationsView(citations, onNode).flat().filter(Boolean))) : null,
    versionsView(boxes.versions, rid),
    eventsView(boxes.events, rid, record),
    ledgerView(boxes.ledger, rid, record),
    similarView(boxes.similar, rid),
    ipcTitles(view),
  ]);
}

// IPC titles, when the node serves them.
async function ipcTitles(view) {
  const route = await firstRoute('GET', '/ipc/{symbol}', '/classifications/ipc/{symbol}');
  const spans = [...view.querySelectorAll('.ipc-title')];
  if (!route || !spans.length) return;
  await Promise.all(spans.map(async (span) => {
    try {
      const r = await get(route.replace('{symbol}', encodeURIComponent(span.dataset.symbol)));
      if (r && r.title) span.textContent = ` — ${r.title}`;
    } catch {
      // No title for this symbol.
    }
  }));
}

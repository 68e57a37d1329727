// Office dashboard: ingest runs and rejects by rule over time (data quality per office and source),
// store and index size, the log and its latest checkpoint, peers.
import {h, notice, pick, listOf, formatNumber, formatBytes} from '../dom.js';
import {get, request, firstRoute, token} from '../api.js';
import {stackedColumns, bars, PALETTE} from '../charts.js';
import {parseCheckpointNote} from '../ledger-note.js';

function section(id, title, ...content) {
  return h('section', {class: 'dash-section', 'aria-labelledby': id}, h('h2', {id}, title), ...content);
}

const day = (ts) => String(ts || '').slice(0, 10) || 'unknown';

function table(caption, columns, rows) {
  return h('div', {class: 'table-scroll'}, h('table', {class: 'data-table'},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

async function nodeSection(box) {
  try {
    const node = await get('/node');
    const sw = node.software || {};
    const keys = listOf(node, 'publicKeys');
    box.append(h('dl', {class: 'biblio'},
      h('dt', {}, 'Office'), h('dd', {}, `${node.office || ''} ${node.officeName ? '— ' + node.officeName : ''}`),
      h('dt', {}, 'Records'), h('dd', {id: 'node-records'}, formatNumber(node.records)),
      h('dt', {}, 'Software'), h('dd', {}, `${sw.name || 'ipdx'} ${sw.version || ''}, API ${node.apiVersion || ''}`),
      h('dt', {}, 'Reads'), h('dd', {}, node.publicReads === false ? 'need a token' : 'public'),
      h('dt', {}, 'Public keys'), h('dd', {}, keys.length
          ? h('ul', {class: 'plain'}, keys.map((k) => h('li', {}, h('code', {class: 'wrap'},
              typeof k === 'string' ? k : pick(k, 'key', 'verifierKey', 'vkey') || JSON.stringify(k)))))
          : 'none published yet')));
  } catch (e) {
    box.append(notice(`The node summary could not be loaded: ${e.message}`, 'error'));
  }
}

async function runsSection(box) {
  let runs;
  try {
    runs = listOf(await get('/ingestRuns?limit=200'), 'ingestRuns', 'runs');
  } catch (e) {
    box.append(notice(`Ingest runs could not be loaded: ${e.message}`, 'error'));
    return;
  }
  if (!runs.length) {
    box.append(h('p', {}, 'No ingest runs yet. Run ', h('code', {}, 'ipdx ingest'), '.'));
    return;
  }
  runs = runs.slice().sort((a, b) => (pick(a, 'runId', 'run_id') || 0) - (pick(b, 'runId', 'run_id') || 0));
  const series = [['accepted', 'Accepted (new)'], ['updated', 'Updated'], ['unchanged', 'Unchanged'],
                  ['rejected', 'Rejected']];
  box.append(stackedColumns({
    title: `Documents per ingest run (${runs.length} run${runs.length === 1 ? '' : 's'})`,
    categories: runs.map((r) => `#${pick(r, 'runId', 'run_id')}`),
    series: series.map(([key, name], i) => ({name, values: runs.map((r) => Number(r[key]) || 0),
                                             color: [PALETTE[2], PALETTE[0], PALETTE[5], PALETTE[1]][i]})),
  }));
  box.append(table('Ingest runs, newest first',
    ['Run', 'Started', 'Finished', 'Status', 'Documents', 'Accepted', 'Updated', 'Unchanged', 'Rejected'],
    runs.slice().reverse().map((r) => [String(pick(r, 'runId', 'run_id')), pick(r, 'startedAt', 'started_at') || '',
      pick(r, 'finishedAt', 'finished_at') || '—', r.status || '', formatNumber(r.documents),
      formatNumber(r.accepted), formatNumber(r.updated), formatNumber(r.unchanged),
      formatNumber(r.rejected)])));
}

async function rejectsSection(box) {
  let rejects;
  try {
    rejects = listOf(await get('/rejects?limit=1000'), 'rejects');
  } catch (e) {
    box.append(notice(`Rejects could not be loaded: ${e.message}`, 'error'));
    return;
  }
  if (!rejects.length) {
    box.append(h('p', {}, 'No rejected documents.'));
    return;
  }
  const count = (key) => {
    const m = new Map();
    for (const r of rejects) m.set(key(r), (m.get(key(r)) || 0) + 1);
    return [...m].map(([label, value]) => ({label, value})).sort((a, b) => b.value - a.value);
  };
  const byRule = count((r) => r.rule || 'unknown');
  const bySource = count((r) => r.format || 'unknown format');
  const byOffice = count((r) => (r.id && r.id.split('-')[0]) || 'unknown office');
  const days = [...new Set(rejects.map((r) => day(pick(r, 'createdAt', 'created_at'))))].sort();
  const topRules = byRule.slice(0, 7).map((r) => r.label);
  const ruleOf = (r) => (topRules.includes(r.rule) ? r.rule : 'other');
  const ruleNames = [...topRules, ...(byRule.length > 7 ? ['other'] : [])];
  box.append(
    h('p', {}, `${formatNumber(rejects.length)} rejected document${rejects.length === 1 ? '' : 's'}` +
      (rejects.length >= 1000 ? ' (the latest 1,000)' : '') + '.'),
    h('div', {class: 'chart-grid'},
      bars({title: 'Rejects by rule', data: byRule}),
      bars({title: 'Rejects by source format', data: bySource, color: PALETTE[3]}),
      bars({title: 'Rejects by office', data: byOffice, color: PALETTE[4]})),
    stackedColumns({title: 'Rejects by rule over time (per day)', categories: days,
      series: ruleNames.map((rule) => ({name: rule, values: days.map((d) =>
        rejects.filter((r) => ruleOf(r) === rule && day(pick(r, 'createdAt', 'created_at')) === d).length)}))}),
    table('Rejects by rule', ['Rule', 'Documents', 'Example'], byRule.map(({label, value}) => {
      const ex = rejects.find((r) => (r.rule || 'unknown') === label);
      return [h('code', {}, label), formatNumber(value),
              h('span', {class: 'wrap'}, `${ex.file || ''}${ex.offset !== undefined ? ' @' + ex.offset : ''}: ${ex.message || ''}`)];
    })));
}

function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN)/);
    if (m) out.set(m[1] + (m[2] || ''), Number(m[3]));
  }
  return out;
}

async function storageSection(box) {
  if (!token()) {
    box.append(notice('Store and index sizes come from /metrics, which needs a token with admin scope. '),
               h('a', {href: '#/signin'}, 'Sign in'));
    return;
  }
  let metrics;
  try {
    metrics = parseMetrics(await request('/metrics', {as: 'text', accept: 'text/plain'}));
  } catch (e) {
    box.append(notice(e.status === 403 ? 'Store and index sizes need a token with admin scope.'
        : `Metrics could not be loaded: ${e.message}`, e.status === 403 ? 'info' : 'error'));
    return;
  }
  const rows = [];
  for (const [name, value] of metrics) {
    if (/^ipdx_(store|index|log|ledger|search)_/.test(name)) {
      rows.push([h('code', {}, name), /bytes/.test(name) ? formatBytes(value) : formatNumber(value)]);
    }
  }
  box.append(rows.length ? table('Storage', ['Metric', 'Value'], rows)
      : notice('The node reports no storage metrics.'));
}

async function ledgerSection(box) {
  const route = await firstRoute('GET', '/log/checkpoint');
  if (!route) {
    box.append(notice('The ledger is not available on this node.'));
    return;
  }
  try {
    const note = parseCheckpointNote(await request('/log/checkpoint', {as: 'text', accept: 'text/plain'}));
    box.append(h('dl', {class: 'biblio'},
      h('dt', {}, 'Log'), h('dd', {}, note.origin),
      h('dt', {}, 'Log size (entries)'), h('dd', {}, formatNumber(note.treeSize)),
      h('dt', {}, 'Latest checkpoint root'), h('dd', {}, h('code', {class: 'wrap'}, note.rootHash)),
      h('dt', {}, 'Signed by'), h('dd', {}, note.signers[0] || '—'),
      h('dt', {}, 'Witnessed by'), h('dd', {}, note.signers.slice(1).join(', ') || 'no witness yet')));
  } catch (e) {
    box.append(notice(e.status === 404 ? 'No checkpoint has been signed yet.'
        : `The checkpoint could not be loaded: ${e.message}`, e.status === 404 ? 'info' : 'error'));
  }
}

async function peersSection(box) {
  const route = await firstRoute('GET', '/peers');
  if (!route) {
    box.append(notice('Peers are not available on this node (exchange is not enabled).'));
    return;
  }
  try {
    const peers = listOf(await get('/peers'), 'peers');
    box.append(peers.length ? table('Peers', ['Peer', 'Office', 'Lag (entries)', 'Last sync', 'Last error'],
      peers.map((p) => [p.name || p.url || '', p.office || '', formatNumber(pick(p, 'lag', 'lagEntries') ?? ''),
                        pick(p, 'lastSyncAt', 'last_sync_at') || '—', pick(p, 'lastError', 'last_error') || '—']))
      : h('p', {}, 'No peers configured.'));
  } catch (e) {
    box.append(notice(`Peers could not be loaded: ${e.message}`, 'error'));
  }
}

export async function render(view) {
  const boxes = ['node', 'runs', 'rejects', 'storage', 'ledger', 'peers'].map(() => h('div', {}));
  view.append(h('h1', {}, 'Office dashboard'),
    h('div', {class: 'dash-grid'},
      section('dash-node', 'Node', boxes[0]),
      section('dash-storage', 'Store and index', boxes[3]),
      section('dash-ledger', 'Log', boxes[4]),
      section('dash-peers', 'Peers', boxes[5])),
    section('dash-runs', 'Ingest runs', boxes[1]),
    section('dash-rejects', 'Rejects (data quality)', boxes[2]));
  await Promise.all([nodeSection(boxes[0]), runsSection(boxes[1]), rejectsSection(boxes[2]),
                     storageSection(boxes[3]), ledgerSection(boxes[4]), peersSection(boxes[5])]);
}

// Browser tests of the web UI (web/, issue 8) against the real `ipdx serve`: a temporary node that
// ingested data/sample/, Debian's chromium driven headless by playwright-core. Screenshots of each
// page go to build/e2e-screenshots/ (IPDX_E2E_SCREENSHOTS overrides; IPDX_BIN names the binary).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, rmSync, existsSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createInterface} from 'node:readline';
import {chromium} from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.resolve(ROOT, process.env.IPDX_BIN || 'build/ipdx');
const SHOTS = path.resolve(ROOT, process.env.IPDX_E2E_SCREENSHOTS || 'build/e2e-screenshots');
const CHROMIUM = process.env.IPDX_CHROMIUM || '/usr/bin/chromium';
const AMENDED = 'US-9358892-B1';  // a sample record that gets a second version

let home;
let server;
let baseUrl;
let writeToken = '';
let browser;
let context;
let routes = new Set();
const problems = [];  // console errors, page errors, CSP violations, failed requests

function ipdx(...args) {
  const r = spawnSync(BIN, ['--home', home, ...args], {encoding: 'utf8'});
  return {code: r.status, out: r.stdout, err: r.stderr};
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} does not exist: build ipdx first (or set IPDX_BIN)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} does not exist: apt-get install chromium`);
  mkdirSync(SHOTS, {recursive: true});
  home = mkdtempSync(path.join(tmpdir(), 'ipdx-e2e-'));
  let r = ipdx('init', '--office', 'US');
  assert.equal(r.code, 0, r.err);
  r = ipdx('ingest', path.join(ROOT, 'data/sample'));
  assert.ok(r.code === 0 || r.code === 3, `ingest exit ${r.code}: ${r.err}`);
  // A second version of one record (its title corrected), for the version differences.
  r = ipdx('show', AMENDED, '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const amended = JSON.parse(r.out);
  delete amended.hash;
  delete amended.version;
  amended.source = {};
  amended.titles[0].text += ' (corrected)';
  const jsonl = path.join(home, 'amended.jsonl');
  writeFileSync(jsonl, JSON.stringify(amended) + '\n');
  r = ipdx('ingest', jsonl);
  assert.equal(r.code, 0, r.err);
  // A classification model (the node's records plus the bundled labelled corpus), so the examiner
  // assist page gets suggestions; a build without the classifier just lacks the route.
  r = ipdx('classifier', 'train', '--extra-data',
           path.join(ROOT, 'data/classify/mini_labelled_corpus.jsonl'));
  assert.ok(r.code === 0 || /unknown|not found|classifier/i.test(r.err), `classifier train: ${r.err}`);
  r = ipdx('token', 'create', '--scope', 'admin', '--name', 'e2e');
  const m = r.code === 0 && r.out.match(/^(ipdx_tok_\S+)$/m);
  if (m) writeToken = m[1];

  server = spawn(BIN, ['--home', home, 'serve', '--listen', '127.0.0.1:0'],
                 {stdio: ['ignore', 'pipe', 'pipe']});
  server.stderr.on('data', () => {});  // the access log
  baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ipdx serve did not start in 20 s')), 20000);
    server.once('exit', (code) => reject(new Error(`ipdx serve exited with ${code}`)));
    createInterface({input: server.stdout}).once('line', (line) => {
      clearTimeout(timer);
      const u = line.match(/listening on (http\S+)/);
      if (u) resolve(u[1]); else reject(new Error(`unexpected first line: ${line}`));
    });
  });
  const doc = await (await fetch(`${baseUrl}/ipdx/v1/openapi.json`)).json();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) routes.add(`${method.toUpperCase()} ${p}`);
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({viewport: {width: 1280, height: 900}});
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (home) rmSync(home, {recursive: true, force: true});
});

async function newPage() {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (400|404)/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}

async function shot(page, name) {
  await page.screenshot({path: path.join(SHOTS, `${name}.png`), fullPage: true});
}

const total = async (page) => {
  const text = await page.locator('.result-count').textContent();
  const m = text.replace(/,/g, '').match(/(\d+) results?/);
  return m ? Number(m[1]) : 0;
};

test('search and open a record', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Query').fill('motor');
  await page.getByLabel('Query').press('Enter');
  await page.locator('.hit').first().waitFor();
  assert.match(page.url(), /#\/search\?q=motor/, 'the search is in the URL');
  assert.ok(await total(page) >= 2);
  assert.ok(await page.locator('.snippet mark').count() > 0, 'snippets highlight the matches');
  const marked = (await page.locator('.snippet mark').first().textContent()).toLowerCase();
  assert.match(marked, /^motor/);
  await shot(page, 'search');

  const first = page.locator('.hit-title a').first();
  const title = (await first.textContent()).trim();
  await first.click();
  await page.locator('.record-id').waitFor();
  assert.match(page.url(), /#\/patents\/[A-Z]{2}-/);
  assert.equal((await page.locator('h1').textContent()).trim(), title);
  assert.ok(await page.locator('#sec-claims + * , .claims li').count() > 0, 'claims are shown');
  await page.locator('#sec-versions').locator('xpath=..').locator('table').waitFor();
  // The ST.96 download is the record as ST.96 XML.
  const href = await page.getByRole('link', {name: 'ST.96 XML'}).getAttribute('href');
  const xml = await (await fetch(new URL(href, baseUrl))).text();
  assert.match(xml, /<pat:PatentPublication|PatentPublication/);
  await shot(page, 'record');
  await page.close();
});

test('a record shows its versions and what changed', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/#/patents/${AMENDED}`);
  await page.locator('h1', {hasText: '(corrected)'}).waitFor();
  await page.getByRole('button', {name: 'Compare with version 1'}).click();
  const diff = page.locator('.diff-table', {has: page.locator('caption', {hasText: 'in the content'})});
  await diff.waitFor();
  assert.match(await diff.locator('caption').textContent(), /^1 difference in the content/);
  const row = diff.locator('tr', {has: page.locator('code', {hasText: 'titles[0].text'})});
  assert.match(await row.locator('del').textContent(), /performance$/);
  assert.match(await row.locator('ins').textContent(), /\(corrected\)$/);
  assert.equal(await diff.locator('code', {hasText: /^claims/}).count(), 0, 'claims did not change');
  await shot(page, 'record-versions');
  await page.close();
});

test('a shared URL opens the same search', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/#/search?q=${encodeURIComponent('ti:vehicle')}&sort=dateDesc`);
  await page.locator('.hit').first().waitFor();
  assert.equal(await page.getByLabel('Query').inputValue(), 'ti:vehicle');
  assert.equal(await page.locator('#sort').inputValue(), 'dateDesc');
  const dates = await page.locator('.hit-meta').allTextContents();
  const years = dates.map((d) => (d.match(/(\d{4})-\d{2}-\d{2}/) || [])[1]).filter(Boolean);
  assert.deepEqual(years, [...years].sort().reverse(), 'newest first');
  await page.close();
});

test('a bad query shows its error with the position', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/#/search`);
  await page.getByLabel('Query').fill('(a OR b');
  await page.getByRole('button', {name: 'Search', exact: true}).click();
  const error = page.locator('#q-error');
  await error.waitFor();
  const text = await error.textContent();
  assert.match(text, /position 7/, text);
  assert.match(text, /expected '\)'/, text);
  const caretLine = (await error.locator('pre').textContent()).split('\n')[1];
  assert.equal(caretLine, ' '.repeat(7) + '^', 'the caret points at position 7');
  assert.equal(await page.getByLabel('Query').getAttribute('aria-invalid'), 'true');
  await shot(page, 'search-error');

  await page.getByLabel('Query').fill('xx:motor');
  await page.getByLabel('Query').press('Enter');
  await page.waitForFunction(() => document.querySelector('#q-error')?.textContent.includes('xx'));
  assert.match(await page.locator('#q-error').textContent(), /position 0: unknown field 'xx'/);
  await page.close();
});

test('facets narrow the results', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/#/search?q=motor`);
  await page.locator('.facets').waitFor();
  const before = await total(page);
  const ep = page.locator('[data-facet="office"]', {hasText: 'EP'});
  const expected = Number(await ep.locator('.facet-count').textContent());
  assert.ok(expected > 0 && expected < before, `EP ${expected} of ${before}`);
  await ep.click();
  await page.waitForFunction(() => location.hash.includes('cc%3AEP'));
  await page.locator('.hit').first().waitFor();
  assert.equal(await page.getByLabel('Query').inputValue(), 'motor cc:EP');
  assert.equal(await total(page), expected, 'the facet count is the narrowed total');
  for (const meta of await page.locator('.hit-meta').allTextContents()) {
    assert.match(meta, /^EP-/, meta);
  }
  // A second facet narrows further (AND), and Back returns to the wider search.
  const year = page.locator('[data-facet="year"]').first();
  await year.click();
  await page.waitForFunction(() => /pd%3A\d{4}/.test(location.hash));
  await page.locator('.result-count').waitFor();
  assert.ok(await total(page) <= expected);
  await shot(page, 'search-facets');
  await page.goBack();
  await page.waitForFunction(() => !/pd%3A/.test(location.hash));
  await page.close();
});

test('the dashboard shows the ingest runs and rejects', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/#/dashboard`);
  const runs = page.locator('table', {has: page.locator('caption', {hasText: 'Ingest runs'})});
  await runs.waitFor();
  const rows = await runs.locator('tbody tr').count();
  assert.ok(rows >= 1);
  const cells = await runs.locator('tbody tr').first().locator('td').allTextContents();
  assert.equal(cells[3], 'finished');
  assert.ok(Number(cells[4].replace(/,/g, '')) > 0, 'the run counted documents');
  assert.ok(await page.locator('#dash-runs ~ * svg[role="img"], section[aria-labelledby="dash-runs"] svg').count() > 0);
  await page.locator('section[aria-labelledby="dash-rejects"] code', {hasText: 'FMT-UNSUPPORTED'}).first().waitFor();
  await shot(page, 'dashboard');

  // With an admin token the store size from /metrics appears.
  if (writeToken) {
    await page.evaluate((t) => sessionStorage.setItem('ipdx.token', t), writeToken);
    await page.reload();
    await page.locator('code', {hasText: 'ipdx_store_bytes'}).waitFor();
  }
  await page.close();
});

test('examiner assist finds similar documents', async () => {
  const page = await newPage();
  await page.goto(`${baseUrl}/#/assist`);
  await page.getByLabel('or a text').fill('hybrid vehicle with an electric motor and a battery ' +
                                           'charged by the engine before reverse driving');
  await page.getByRole('button', {name: /Find similar/}).click();
  await page.locator('#similar-out .hit').first().waitFor();
  assert.ok(await page.locator('#similar-out .hit').count() > 0);
  await shot(page, 'assist');
  await page.close();
});

test('classification accept records a decision', async (t) => {
  const suggest = ['/classify', '/classifications/suggest', '/classifier/suggestions']
      .find((p) => routes.has(`POST /ipdx/v1${p}`));
  if (!suggest) {
    t.skip('POST /ipdx/v1/classify is not served by this build: the UI says ' +
           '"Classification is not available on this node"');
    const page = await newPage();
    await page.goto(`${baseUrl}/#/assist?id=US-9358892-B1`);
    await page.locator('#suggest-out', {hasText: 'Classification is not available'}).waitFor();
    await page.close();
    return;
  }
  assert.ok(writeToken, 'a write token could be created');
  const page = await newPage();
  await page.goto(`${baseUrl}/#/signin`);
  await page.getByLabel('Access token').fill(writeToken);
  await page.getByRole('button', {name: 'Sign in', exact: true}).click();
  await page.getByText('Signed in:').waitFor();
  await page.goto(`${baseUrl}/#/assist?id=US-9358892-B1`);
  await page.getByLabel('Examiner (recorded with decisions)').fill('E2E Examiner');
  const accept = page.locator('#suggest-out button.accept').first();
  await accept.waitFor();
  await accept.click();
  await page.locator('#suggest-out', {hasText: /Accepted .* for US-9358892-B1/}).waitFor();
  assert.equal(await accept.getAttribute('aria-pressed'), 'true');
  await shot(page, 'assist-decision');
  await page.close();
});

test('every form control has a label and the pages have landmarks', async () => {
  const page = await newPage();
  for (const hash of ['#/search?q=motor', '#/assist', '#/dashboard', '#/signin']) {
    await page.goto(`${baseUrl}/${hash}`);
    await page.locator('main h1').waitFor();
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.id || el.name));
    assert.deepEqual(unlabelled, [], `${hash}: unlabelled controls`);
    assert.equal(await page.locator('header, main, nav[aria-label="Main"], footer').count(), 4);
  }
  await page.goto(`${baseUrl}/#/signin`);
  await shot(page, 'signin');
  // Narrow screens: the search page still fits (no horizontal scrolling).
  await page.setViewportSize({width: 390, height: 800});
  await page.goto(`${baseUrl}/#/search?q=motor`);
  await page.locator('.hit').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px at 390px`);
  await shot(page, 'search-mobile');
  await page.close();
});

test('no script errors or blocked resources on any page', () => {
  assert.deepEqual(problems, []);
});

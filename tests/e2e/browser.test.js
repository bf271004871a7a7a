'use strict';
// The unmodified Jaeger UI, served by spanvault with --ui-dir, driven in headless Chromium:
// search a service, open the trace from the results, and open a trace by its URL; the System
// Architecture page and the Monitor tab over the span metrics; and the same
// UI for a support engineer (signed in through a trusted proxy), who sees only the order path,
// personal data redacted and an out-of-scope hop as a placeholder.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('./lib/harness');
const { uiDir, launchChromium } = require('./lib/browser');
const { startServer, artifactsDir, SpanvaultServer } = require('./lib/server');
const otel = require('./lib/otel');
const { request } = require('./lib/http');



let server;
let browser;
let trace;
const apiFailures = []; // /api/ responses >= 400 and failed /api/ requests, from any page

before(async () => {
  server = await startServer({ name: 'spanvault-ui', uiDir: uiDir() });
  trace = otel.buildRichTrace({
    service: 'ui-shop-api', workerService: 'ui-mes-worker', orderId: 'UI-1', baseNs: otel.baseTimeNs(5 * 60 * 1000),
  });
  const exporter = otel.createExporter(server, 'grpc');
  try {
    await otel.exportSpans(exporter, trace.spans, 'ui trace export');
  } finally {
    await exporter.shutdown();
  }
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

// A fresh page that logs console errors and records every failing /api/ call; signed in as
// the admin unless `contextOptions` says otherwise.
async function newPage(name, contextOptions = { httpCredentials: server.credentials }) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 }, ...contextOptions,
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      process.stderr.write(`[browser ${name} console.${m.type()}] ${m.text()}\n`);
    }
  });
  page.on('pageerror', (e) => process.stderr.write(`[browser ${name} page error] ${e.stack || e}\n`));
  page.on('requestfailed', (r) => {
    const line = `${r.method()} ${r.url()} failed: ${r.failure() && r.failure().errorText}`;
    process.stderr.write(`[browser ${name}] ${line}\n`);
    if (new URL(r.url()).pathname.startsWith('/api/')) apiFailures.push(line);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) {
      const line = `${r.request().method()} ${r.url()} → ${r.status()}`;
      process.stderr.write(`[browser ${name}] ${line}\n`);
      if (new URL(r.url()).pathname.startsWith('/api/')) apiFailures.push(line);
    }
  });
  return page;
}

async function screenshot(page, file) {
  const target = path.join(artifactsDir(), file);
  await page.screenshot({ path: target, fullPage: true });
  process.stderr.write(`[browser] screenshot: ${target}\n`);
}

// Asserts the trace page shows every span of the trace (service and operation) and its header.
async function assertTracePage(page) {
  const rows = page.locator('.span-name');
  await rows.first().waitFor({ timeout: 30000 });
  await page.locator('.endpoint-name', { hasText: 'orders process' }).first().waitFor({ timeout: 30000 });
  const shown = await rows.evaluateAll((els) => els.map((el) => ({
    service: (el.querySelector('.span-svc-name') || {}).textContent || '',
    operation: (el.querySelector('.endpoint-name') || {}).textContent || '',
  })));
  const got = shown.map((r) => `${r.service.trim().split(/\s/)[0]} ${r.operation.trim()}`).sort();
  const want = trace.spans.map((s) => `${s.resource.attributes['service.name']} ${s.name}`).sort();
  assert.deepEqual(got, want, 'the timeline shows every span with its service and operation');
  const header = await page.locator('.TracePageHeader').innerText();
  assert.match(header, /ui-shop-api: POST \/orders/, 'trace title: root service and operation');
  assert.match(header, /Services\s*2/);
  assert.match(header, /Total Spans\s*6/);
  assert.match(header, new RegExp(trace.traceId.slice(0, 7)), 'short trace id');
}

test('search page: pick the service, find traces, open the trace', async () => {
  const page = await newPage('search');
  await page.goto(`${server.queryOrigin}/search`);
  const service = page.locator('[data-testid="service"]');
  await service.waitFor({ timeout: 30000 });
  // The service count in the label comes from /api/v3/services.
  await page.getByText('Service (2)').waitFor({ timeout: 30000 });
  await service.click();
  await page.keyboard.type('ui-shop-api');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="service"] .ant-select-content[title="ui-shop-api"]').waitFor({ timeout: 10000 });
  // The operations of the service are loaded (4 of them).
  await page.getByText('Operation (4)').waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: 'Find Traces' }).click();

  const link = page.locator(`a[href$="/trace/${trace.traceId}"]`);
  await link.waitFor({ timeout: 30000 });
  assert.equal((await link.innerText()).trim(), 'ui-shop-api: POST /orders');
  const row = page.locator(`[data-row-key="${trace.traceId}"]`);
  const rowText = await row.innerText();
  assert.match(rowText, /ui-shop-api \(4\)/, 'service pill with its span count');
  assert.match(rowText, /ui-mes-worker \(2\)/);
  await screenshot(page, 'browser-search-results.png');

  await link.click();
  await page.waitForURL(new RegExp(`/trace/${trace.traceId}`), { timeout: 30000 });
  await assertTracePage(page);
  await screenshot(page, 'browser-trace-from-search.png');
  await page.context().close();
  assert.deepEqual(apiFailures, [], 'no /api/ call from the UI failed');
});

test('trace page opened by URL, archived with its button', async () => {
  const page = await newPage('trace');
  await page.goto(`${server.queryOrigin}/trace/${trace.traceId}`);
  await assertTracePage(page);
  // Expanding the failed span shows its error tags.
  await page.locator('.span-name', { hasText: 'charge-payment' }).click();
  await page.getByText('PaymentDeclined').first().waitFor({ timeout: 30000 });
  await screenshot(page, 'browser-trace-direct.png');
  // The archive button is on (archiveStorage), and archiving succeeds.
  await page.getByRole('button', { name: 'Archive Trace' }).click();
  await page.getByText('This trace has been archived.').waitFor({ timeout: 30000 });
  await screenshot(page, 'browser-trace-archived.png');
  await page.context().close();
  assert.deepEqual(apiFailures, [], 'no /api/ call from the UI failed');
});

test('System Architecture and Monitor show the services and operations sent', async () => {
  const page = await newPage('dependencies');
  await page.goto(`${server.queryOrigin}/dependencies`);
  // The link ui-shop-api -> ui-mes-worker (producer -> consumer) from /api/dependencies.
  await page.getByText('ui-mes-worker').first().waitFor({ timeout: 30000 });
  await page.getByText('ui-shop-api').first().waitFor({ timeout: 30000 });
  await screenshot(page, 'browser-dependencies.png');

  // The Monitor menu is there (metricsStorage), and its tab charts the service's server spans.
  await page.goto(`${server.queryOrigin}/monitor?service=ui-shop-api&spanKind=server`);
  await page.getByText('Operations metrics under').first().waitFor({ timeout: 30000 });
  await page.locator('.ant-table-row', { hasText: 'POST /orders' }).first().waitFor({ timeout: 30000 });
  assert.equal(await page.getByText('No data yet').count(), 0, 'the Monitor tab has data');
  await screenshot(page, 'browser-monitor.png');
  await page.context().close();
  assert.deepEqual(apiFailures, [], 'no /api/ call from the UI failed');
});

test('UI serving: index.html with injected configuration, SPA routes, static files', async () => {
  const index = await request(`${server.queryUrl}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'], /^text\/html/);
  assert.ok(!index.text.includes('JAEGER_BACKEND_CAPABILITIES = DEFAULT_BACKEND_CAPABILITIES;'),
            'backend capabilities are injected');
  assert.match(index.text, /JAEGER_BACKEND_CAPABILITIES = \{[^;]*"searchWithoutServiceName"/);
  assert.ok(!index.text.includes('JAEGER_CONFIG = DEFAULT_CONFIG;'), 'UI config is injected');
  // Every SPA route gets the same index.html.
  for (const route of ['/search', `/trace/${trace.traceId}`, '/dependencies', '/some/deep/link']) {
    const res = await request(`${server.queryUrl}${route}`);
    assert.equal(res.status, 200, route);
    assert.equal(res.text, index.text, `${route} serves index.html`);
  }
  // The bundle's own script, with a JavaScript content type.
  const script = /src="\.?\/?(static\/index-[^"]+\.js)"/.exec(index.text);
  assert.ok(script, 'index.html references static/index-*.js');
  const js = await request(`${server.queryUrl}/${script[1]}`);
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /javascript/);
  assert.equal(js.body.length, fs.statSync(path.join(uiDir(), script[1])).size);
  // No escaping the UI directory, no invented files.
  assert.equal((await request(`${server.queryUrl}/static/no-such-file.js`)).status, 404);
  for (const rawPath of ['/static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd', '/static/../../../../../etc/passwd',
    '/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    // A file beside the UI directory.
    ...fs.readdirSync(path.dirname(uiDir()), { withFileTypes: true })
        .filter((e) => e.isFile()).slice(0, 1).map((e) => `/static/../../${e.name}`)]) {
    const res = await request(server.queryUrl, { rawPath });
    assert.ok(!res.text.includes('root:'), `${rawPath} must not serve /etc/passwd`);
    assert.ok(res.status === 404 || (res.status === 200 && res.text === index.text),
              `${rawPath}: 404 or the SPA index, got ${res.status} ${res.text.slice(0, 80)}`);
  }
  // /api/ stays the API, even with the UI on.
  const api = await request(`${server.queryUrl}/api/nothing-here`);
  assert.equal(api.status, 404);
  assert.equal(api.json().errors[0].code, 404);
});

test('a support engineer sees the order path only, redacted, with a placeholder hop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-ui-roles-'));
  const config = path.join(dir, 'spanvault.yaml');
  fs.writeFileSync(config, 'auth:\n  proxy:\n    trusted_cidrs: [127.0.0.1/32]\n' +
                           '  group_roles:\n    support-team: [support]\n');
  const roles = new SpanvaultServer({ name: 'spanvault-ui-roles', uiDir: uiDir(), args: ['--config', config] });
  try {
    await roles.start();
    // shop-api (with a user id) -> billing-api, which support may not see.
    const base = otel.baseTimeNs(60000);
    const shop = otel.memoryProvider({ 'service.name': 'shop-api' });
    const billing = otel.memoryProvider({ 'service.name': 'billing-api' });
    const root = otel.startSpan(shop.provider.getTracer('t'), 'POST /orders', {
      kind: otel.api.SpanKind.SERVER, at: base, attributes: { order_id: 'UI-7', user_id: 'u-77' },
    });
    const hop = otel.startSpan(billing.provider.getTracer('t'), 'charge card', { parent: root, at: base + otel.ms(1) });
    hop.end(otel.hr(base + otel.ms(4)));
    root.end(otel.hr(base + otel.ms(9)));
    const exporter = otel.createExporter(roles, 'grpc');
    await otel.exportSpans(exporter, [...shop.memory.getFinishedSpans(), ...billing.memory.getFinishedSpans()]);
    await exporter.shutdown();
    const traceId = root.spanContext().traceId;

    const page = await newPage('support', {
      extraHTTPHeaders: { 'X-Forwarded-User': 'sam', 'X-Forwarded-Groups': 'support-team' },
    });
    await page.goto(`${roles.queryOrigin}/search`);
    await page.getByText('Service (1)').waitFor({ timeout: 30000 });
    await page.goto(`${roles.queryOrigin}/trace/${traceId}`);
    const rows = page.locator('.span-name');
    await rows.nth(1).waitFor({ timeout: 30000 });
    const shown = await rows.evaluateAll((els) => els.map((el) => el.textContent.replace(/\s+/g, ' ').trim()));
    assert.equal(shown.length, 2, `two rows: ${shown}`);
    assert.match(shown[0], /shop-api.*POST \/orders/);
    assert.match(shown[1], /\[hidden\].*\[hidden\]/, 'the billing hop is a placeholder');
    assert.ok(!shown.join(' ').includes('billing'), 'billing-api never shown');
    await rows.first().click();
    await page.getByText('[redacted]').first().waitFor({ timeout: 30000 });
    assert.ok(!(await page.content()).includes('u-77'), 'the user id is not in the page');
    await screenshot(page, 'browser-support-role.png');
    await page.context().close();
  } finally {
    await roles.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

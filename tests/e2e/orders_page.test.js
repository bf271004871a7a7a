'use strict';
// The orders page (/orders, docs/orders.md "The orders page") in headless Chromium against the
// real binary, with the Jaeger UI served beside it. Orders are sent with the official
// OpenTelemetry SDK: a completed one, a failed one and a lost one (published by crm-api, never
// consumed; a `within: 2s` on the consume step makes it stuck within the test, found by
// polling). The admin looks the lost order up, sees it stuck after the publish in the lists,
// and follows the published step's link into the Jaeger UI trace view. A role scoped to the
// shop and CRM sees the MES steps hidden and the MES error withheld; a role that sees order_id
// only redacted finds no order at all.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { test, before, after } = require('./lib/harness');
const { uiDir, launchChromium } = require('./lib/browser');
const { SpanvaultServer, ctlPath, artifactsDir } = require('./lib/server');
const otel = require('./lib/otel');
const { getJson, request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const sv = require('./lib/sampling');
const { orderFlows, buildOrder } = require('./lib/orders');

const { ms } = otel;
const FRONT_PASSWORD = 'front-office-pass-1234';
const MES_PASSWORD = 'mes-only-pass-1234';
const SENDER_PASSWORD = 'sender-only-pass-1234';
const configDir = sv.makeTempDir('spanvault-e2e-orders-page-');
let server;
let browser;
const traceOf = {};  // order -> its trace id
const cspViolations = [];

const CONFIG = `
sampling:
  decision_wait: 1s
  decision_quiet: 0s
  policies:
    - {name: everything, type: always_sample}
${orderFlows('2s')}`;



async function ctl(args, input) {
  const res = await new Promise((resolve) => {
    const child = execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                           { timeout: 30000, env: server.ctlEnv() },
                           (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
    child.stdin.end(input || '');
  });
  assert.equal(res.code, 0, `spanvaultctl ${args.join(' ')}: ${res.stderr}`);
}

async function sendOrders() {
  const providers = Object.fromEntries([['shop', 'shop-api'], ['crm', 'crm-api'], ['mes', 'mes-api']]
      .map(([k, service]) => [k, otel.memoryProvider({ 'service.name': service })]));
  const at = otel.baseTimeNs(1000);
  traceOf['o-completed'] = buildOrder('o-completed', 'completed', providers, at)[0];
  traceOf['o-failed'] = buildOrder('o-failed', 'failed', providers, at + ms(100))[0];
  traceOf['o-lost'] = buildOrder('o-lost', 'lost', providers, at + ms(200))[0];
  const exporter = otel.createExporter(server, 'grpc');
  try {
    for (const k of ['shop', 'crm', 'mes']) {
      await otel.exportSpans(exporter, providers[k].memory.getFinishedSpans(), `${k} export`);
    }
  } finally {
    await exporter.shutdown();
  }
}

before(async () => {
  server = new SpanvaultServer({
    name: 'spanvault-orders-page', uiDir: uiDir(),
    args: ['--config', sv.writeConfig(configDir, 'orders.yaml', CONFIG)],
  });
  await server.start();
  await sendOrders();
  await ctl(['roles', 'create', 'front-office', '--services', 'shop-*,crm-*', '--allow', 'traces:read']);
  await ctl(['users', 'add', 'front1', '--role', 'front-office', '--password-stdin'], `${FRONT_PASSWORD}\n`);
  await ctl(['roles', 'create', 'mes-only', '--services', 'mes-*', '--redact', 'order_id', '--allow', 'traces:read']);
  await ctl(['users', 'add', 'mes1', '--role', 'mes-only', '--password-stdin'], `${MES_PASSWORD}\n`);
  await ctl(['roles', 'create', 'sender', '--services', '*', '--allow', 'ingest']);
  await ctl(['users', 'add', 'sender1', '--role', 'sender', '--password-stdin'], `${SENDER_PASSWORD}\n`);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

// A page signed in with `credentials` (the admin's by default), logging what goes wrong and
// recording Content-Security-Policy violations (the page must need no inline script).
async function newPage(name, credentials = server.credentials) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, httpCredentials: credentials });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    process.stderr.write(`[browser ${name} console.${m.type()}] ${m.text()}\n`);
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => {
    process.stderr.write(`[browser ${name} page error] ${e.stack || e}\n`);
    cspViolations.push(`page error: ${e}`);
  });
  return page;
}

async function screenshot(page, file) {
  const target = path.join(artifactsDir(), file);
  await page.screenshot({ path: target, fullPage: true });
  process.stderr.write(`[browser] screenshot: ${target}\n`);
}

// The steps table as [name, state, service] rows.
function stepsShown(page) {
  return page.locator('#steps tbody tr').evaluateAll((rows) => rows.map((r) => [
    r.dataset.step, r.dataset.state, r.children[2].textContent,
  ]));
}

const listKeys = (page, status) =>
  page.locator(`#${status} tbody tr[data-key]`).evaluateAll((rows) => rows.map((r) => r.dataset.key));

test('the binary serves the page behind the API\'s sign-in, with a strict CSP', async () => {
  const anonymous = await request(`${server.queryOrigin}/orders`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers['www-authenticate'], /^Basic realm=/);
  const page = await request(`${server.queryUrl}/orders?flow=order&key=o-lost`);
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(page.headers['content-security-policy'], /script-src 'self';/);
  const js = await request(`${server.queryUrl}/orders/orders.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/);
  assert.equal((await request(`${server.queryUrl}/orders/nothing.js`)).status, 404);
  assert.equal((await request(`${server.queryUrl}/orders`, { method: 'POST', body: '' })).status, 405);
  assert.deepEqual((await getJson(`${server.queryUrl}/api/flows`)).data, ['order']);
});

test('a lost order is stuck after crm-api\'s publish, and its link opens the trace in the Jaeger UI', async () => {
  // The page shows what the API answers: wait until the order is stuck, its trace kept, and
  // the lists (read from the store, flushed every 5 s) hold the lost and the failed order.
  const listed = async (status, key) =>
    (await getJson(`${server.queryUrl}/api/orders?flow=order&status=${status}`)).data.some((j) => j.key === key);
  await waitFor(async () => {
    const { data } = await getJson(`${server.queryUrl}/api/orders/o-lost?flow=order`);
    return data.verdict.status === 'stuck' && data.traces[0].kept &&
        await listed('stuck', 'o-lost') && await listed('failed', 'o-failed');
  }, { timeoutMs: 30000, what: 'o-lost stuck with its trace kept, and both lists filled' });
  const page = await newPage('lost');
  await page.goto(`${server.queryOrigin}/orders?flow=order&key=o-lost`);
  await page.locator('#verdict[data-status="stuck"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('#verdict-status').innerText(), 'STUCK');
  assert.match(await page.locator('#verdict-summary').innerText(), /waiting for consumed after published for \d/);
  assert.match(await page.locator('#verdict-message').innerText(),
               /^published to orders .* ago and not consumed: lost or waiting in the queue$/);
  assert.deepEqual(await stepsShown(page), [
    ['placed', 'reached', 'shop-api'],
    ['created', 'reached', 'crm-api'],
    ['published', 'reached', 'crm-api'],
    ['consumed', 'not_reached', ''],
    ['confirmed', 'not_reached', ''],
  ]);
  const published = page.locator('tr[data-step="published"]');
  assert.match(await published.innerText(), /orders publish/);
  assert.match(await published.locator('td.gap').innerText(), /^2 ms$/, 'the gap from created');
  assert.equal(await page.locator('tr[data-step="consumed"]').getAttribute('class'), 'waiting');
  assert.match(await page.locator('#traces').innerText(), new RegExp(`${traceOf['o-lost']} kept`));

  // The lists: the lost order is stuck, the completed one is in neither, the failed one failed.
  await page.locator('#stuck tbody tr[data-key="o-lost"]').waitFor({ timeout: 30000 });
  assert.deepEqual(await listKeys(page, 'stuck'), ['o-lost']);
  await page.locator('#failed tbody tr[data-key="o-failed"]').waitFor({ timeout: 30000 });
  assert.deepEqual(await listKeys(page, 'failed'), ['o-failed']);
  await screenshot(page, 'orders-page-lost.png');

  await published.locator('a.trace-link').click();
  await page.waitForURL(new RegExp(`/trace/${traceOf['o-lost']}$`), { timeout: 30000 });
  const header = page.locator('.TracePageHeader');
  await header.waitFor({ timeout: 30000 });
  await page.locator('.endpoint-name', { hasText: 'orders publish' }).first().waitFor({ timeout: 30000 });
  assert.match(await header.innerText(), /shop-api: POST \/orders/, 'the trace view of the lost order');
  assert.match(await header.innerText(), new RegExp(traceOf['o-lost'].slice(0, 7)));
  await screenshot(page, 'orders-page-lost-trace.png');
  await page.context().close();
  assert.deepEqual(cspViolations, []);
});

test('the lists link to journeys; the form looks keys up and says when there is none', async () => {
  const page = await newPage('lists');
  await page.goto(`${server.queryOrigin}/orders`);
  await page.locator('#failed tbody tr[data-key="o-failed"] a').click();
  await page.locator('#verdict[data-status="failed"]').waitFor({ timeout: 30000 });
  assert.match(page.url(), /\/orders\?flow=order&key=o-failed$/, 'the address can be shared');
  assert.match(await page.locator('#verdict-summary').innerText(), /at step consumed/);
  assert.equal(await page.locator('#verdict-message').innerText(), 'processing error: unknown sku');
  assert.match(await page.locator('tr[data-step="consumed"] td.error').innerText(), /unknown sku/);

  await page.locator('#key').fill('o-completed');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('#verdict[data-status="completed"]').waitFor({ timeout: 30000 });
  assert.deepEqual((await stepsShown(page)).map((s) => s[1]), Array(5).fill('reached'));

  await page.locator('#key').fill('o-never-seen');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('#message', { hasText: 'No order "o-never-seen"' }).waitFor({ timeout: 30000 });
  assert.equal(await page.locator('#journey').isHidden(), true);

  await page.locator('#since').fill('yesterday');
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('#list-message', { hasText: "parameter 'since'" }).waitFor({ timeout: 30000 });
  await page.context().close();
  assert.deepEqual(cspViolations, []);
});

test('redaction: a scoped role sees hidden steps without details; a redacted key finds nothing', async () => {
  const front = await newPage('front-office', { username: 'front1', password: FRONT_PASSWORD });
  await front.goto(`${server.queryOrigin}/orders?flow=order&key=o-failed`);
  await front.locator('#verdict[data-status="failed"]').waitFor({ timeout: 30000 });
  assert.deepEqual(await stepsShown(front), [
    ['placed', 'reached', 'shop-api'],
    ['created', 'reached', 'crm-api'],
    ['published', 'reached', 'crm-api'],
    ['consumed', 'hidden', ''],
    ['confirmed', 'hidden', ''],
  ]);
  assert.equal(await front.locator('#verdict-message').innerText(),
               'the failed step\'s service is outside your scope');
  await front.locator('#failed tbody tr[data-key="o-failed"]').waitFor({ timeout: 30000 });
  const shown = await front.locator('body').innerText();
  assert.doesNotMatch(shown, /mes-api|unknown sku|orders process|sellers/, 'nothing of the MES steps');
  await screenshot(front, 'orders-page-front-office.png');
  await front.context().close();

  const mes = await newPage('mes-only', { username: 'mes1', password: MES_PASSWORD });
  await mes.goto(`${server.queryOrigin}/orders?flow=order&key=o-failed`);
  await mes.locator('#message', { hasText: 'No order "o-failed"' }).waitFor({ timeout: 30000 });
  await mes.locator('#stuck tbody td.empty').waitFor({ timeout: 30000 });
  assert.deepEqual(await listKeys(mes, 'stuck'), []);
  assert.deepEqual(await listKeys(mes, 'failed'), []);
  assert.doesNotMatch(await mes.locator('body').innerText(), /unknown sku|o-lost/);
  await mes.context().close();
  assert.deepEqual(cspViolations, []);
});

test('a role without traces:read is told so, and sees no order', async () => {
  const page = await newPage('sender', { username: 'sender1', password: SENDER_PASSWORD });
  await page.goto(`${server.queryOrigin}/orders?flow=order&key=o-lost`);
  await page.locator('#message', { hasText: 'Your role may not read orders' }).waitFor({ timeout: 30000 });
  assert.match(await page.locator('#message').innerText(), /lack traces:read/);
  assert.equal(await page.locator('#journey').isHidden(), true);
  assert.equal(await page.locator('#stuck tbody tr[data-key]').count(), 0);
  await page.context().close();
  assert.deepEqual(cspViolations, []);
});

'use strict';
// Order journeys against the real binary: the order pipeline Shop -> CRM -> (RabbitMQ) -> MES
// sent with the official OpenTelemetry exporters, with the issue's `flows` syntax (a short
// `within` on the consume step so a lost message shows within the test). A completed order, a
// failed one, one lost after its publish (stuck: "lost or waiting in the queue", found by
// polling, never by sleeping), and one split across two traces joined only by a span link (the
// consumer trace carries no order_id and arrives first). Tail sampling keeps only error traces,
// so the journey says which traces were kept. Both endpoints, their 400s and 404, the /metrics
// counters, and a role whose scope hides the MES steps. spanvaultctl orders show|list (the admin
// gRPC API) answers the same JSON with the same access checks and audit records.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFile } = require('node:child_process');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer, ctlPath } = require('./lib/server');
const otel = require('./lib/otel');
const { getJson, request, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const sv = require('./lib/sampling');
const { orderFlows, buildOrder } = require('./lib/orders');

const { ms } = otel;
const FRONT_PASSWORD = 'front-office-pass-1234';
const MES_PASSWORD = 'mes-only-pass-1234';
const NO_TRACES_PASSWORD = 'no-traces-pass-1234';
const asFront = { SPANVAULT_USER: 'front1', SPANVAULT_PASSWORD: FRONT_PASSWORD };
const asMes = { SPANVAULT_USER: 'mes1', SPANVAULT_PASSWORD: MES_PASSWORD };
const asNoTraces = { SPANVAULT_USER: 'um1', SPANVAULT_PASSWORD: NO_TRACES_PASSWORD };
const configDir = sv.makeTempDir('spanvault-e2e-orders-');
let server;
const traceOf = {};  // order -> [trace ids]

const CONFIG = `
sampling:
  decision_wait: 1s
  decision_quiet: 0s
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
${orderFlows('2s')}`;


function ctl(args, input, env = {}) {
  return new Promise((resolve) => {
    const child = execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                           { timeout: 30000, env: server.ctlEnv(env) },
                           (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
    child.stdin.end(input || '');
  });
}

async function ok(args, input, env) {
  const res = await ctl(args, input, env);
  assert.equal(res.code, 0, `spanvaultctl ${args.join(' ')}: ${res.stderr}`);
  return res;
}

const order = (base, key, params = { flow: 'order' }) =>
  `${base}/api/orders/${encodeURIComponent(key)}?${qs(params)}`;
const list = (base, params) => `${base}/api/orders?${qs({ flow: 'order', ...params })}`;

async function listKeys(base, params) {
  const body = await getJson(list(base, params));
  assert.equal(body.total, body.data.length);
  return body.data.map((o) => o.key).sort();
}

before(async () => {
  server = new SpanvaultServer({ name: 'spanvault-orders', args: ['--config', sv.writeConfig(configDir, 'orders.yaml', CONFIG)] });
  await server.start();
  const providers = Object.fromEntries([['shop', 'shop-api'], ['crm', 'crm-api'], ['mes', 'mes-api']]
      .map(([k, service]) => [k, otel.memoryProvider({ 'service.name': service })]));
  const at = otel.baseTimeNs(1000);
  traceOf['o-completed'] = buildOrder('o-completed', 'completed', providers, at);
  traceOf['o-failed'] = buildOrder('o-failed', 'failed', providers, at + ms(100));
  traceOf['o-lost'] = buildOrder('o-lost', 'lost', providers, at + ms(200));
  traceOf['o-linked'] = buildOrder('o-linked', 'linked', providers, at + ms(300));
  const spansOf = (k) => providers[k].memory.getFinishedSpans();
  const grpc = otel.createExporter(server, 'grpc');
  const http = otel.createExporter(server, 'http/protobuf');
  try {
    // The MES first: the linked consumer trace arrives before the trace it links to.
    await otel.exportSpans(http, spansOf('mes'), 'mes export');
    await otel.exportSpans(grpc, spansOf('crm'), 'crm export');
    await otel.exportSpans(grpc, spansOf('shop'), 'shop export');
  } finally {
    await grpc.shutdown();
    await http.shutdown();
  }
  await ok(['roles', 'create', 'front-office', '--services', 'shop-*,crm-*', '--allow', 'traces:read']);
  await ok(['users', 'add', 'front1', '--role', 'front-office', '--password-stdin'], `${FRONT_PASSWORD}\n`);
  await ok(['roles', 'create', 'mes-only', '--services', 'mes-*', '--redact', 'order_id', '--allow', 'traces:read']);
  await ok(['users', 'add', 'mes1', '--role', 'mes-only', '--password-stdin'], `${MES_PASSWORD}\n`);
  await ok(['roles', 'create', 'user-manager', '--allow', 'admin:users']);
  await ok(['users', 'add', 'um1', '--role', 'user-manager', '--password-stdin'], `${NO_TRACES_PASSWORD}\n`);
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

test('a completed order: every step in order with service, timing, gap and trace links', async () => {
  const { data } = await getJson(order(server.queryUrl, 'o-completed'));
  assert.equal(data.flow, 'order');
  assert.equal(data.key, 'o-completed');
  assert.equal(data.verdict.status, 'completed');
  assert.deepEqual(data.steps.map((s) => [s.name, s.reached, s.service, s.operation]), [
    ['placed', true, 'shop-api', 'POST /orders'],
    ['created', true, 'crm-api', 'create-order'],
    ['published', true, 'crm-api', 'orders publish'],
    ['consumed', true, 'mes-api', 'orders process'],
    ['confirmed', true, 'mes-api', 'POST /sellers/acme/confirm'],
  ]);
  const [trace] = traceOf['o-completed'];
  for (const step of data.steps) {
    assert.equal(step.traceID, trace);
    assert.equal(step.traceUrl, `/trace/${trace}`);
    assert.equal(step.status, 'ok');
    assert.ok(!Number.isNaN(Date.parse(step.start)), step.start);
  }
  assert.equal(data.steps[0].gapMs, null);
  assert.equal(data.steps[3].gapMs, 36, 'the queue wait: consume start - publish start');
  assert.equal(data.steps[2].durationMs, 1);
  assert.deepEqual(data.traces.map((t) => [t.traceID, t.url]), [[trace, `/trace/${trace}`]]);
});

test('a failed order names the step and the error; sampling kept its trace only', async () => {
  const { data } = await getJson(order(server.queryUrl, 'o-failed'));
  assert.equal(data.verdict.status, 'failed');
  assert.equal(data.verdict.step, 'consumed');
  assert.equal(data.verdict.message, 'processing error: unknown sku');
  assert.equal(data.steps[3].status, 'error');
  // Only error traces are kept: once decided, the failed order's trace is kept, the completed
  // one's is not (its journey is whole all the same).
  await waitFor(async () => {
    const failed = (await getJson(order(server.queryUrl, 'o-failed'))).data.traces;
    const completed = (await getJson(order(server.queryUrl, 'o-completed'))).data.traces;
    return failed[0].kept === true && completed[0].kept === false && completed[0].pending === false;
  }, { timeoutMs: 20000, what: 'sampling decisions shown as kept true/false' });
});

test('an order split across two traces by a span link, consumer first and without order_id', async () => {
  const { data } = await getJson(order(server.queryUrl, 'o-linked'));
  assert.equal(data.verdict.status, 'completed');
  const [publisher, consumer] = traceOf['o-linked'];
  assert.notEqual(publisher, consumer);
  assert.equal(data.steps[2].traceID, publisher);
  assert.equal(data.steps[3].traceID, consumer);
  assert.equal(data.steps[4].traceID, consumer);
  assert.deepEqual(data.traces.map((t) => t.traceID).sort(), [publisher, consumer].sort());
});

test('a lost message turns the order stuck after the publish: lost or waiting in the queue', async () => {
  const stuck = await waitFor(async () => {
    const { data } = await getJson(order(server.queryUrl, 'o-lost'));
    return data.verdict.status === 'stuck' ? data : null;
  }, { timeoutMs: 20000, what: 'o-lost to become stuck' });
  assert.equal(stuck.verdict.step, 'consumed');
  assert.equal(stuck.verdict.after, 'published');
  assert.ok(stuck.verdict.waitingMs >= 2000, `waiting ${stuck.verdict.waitingMs} ms`);
  assert.match(stuck.verdict.message, /lost or waiting in the queue/);
  assert.deepEqual(stuck.steps.map((s) => s.reached), [true, true, true, false, false]);
  assert.equal(stuck.lastStep, 'published');
});

test('flow_status (on by default with flows) keeps the trace of the stuck order; policies alone would drop it', async () => {
  // No error in it: `errors` would drop it. Its decision waits until the consume is overdue
  // (2 s after the publish), then the stuck order's trace is kept.
  const [trace] = traceOf['o-lost'];
  await waitFor(async () => {
    const { data } = await getJson(order(server.queryUrl, 'o-lost'));
    return data.traces[0].kept === true;
  }, { timeoutMs: 20000, what: 'the stuck order\'s trace to be kept' });
  const decided = await sv.traceState(server, trace);
  assert.equal(decided.state, 'decided');
  assert.equal(decided.trace.spans.length, 3, 'POST /orders, create-order, publish');
  assert.equal(sv.tagValue(sv.rootSpanOf(decided.trace), 'sampling.policy'), 'flow_status');
  const kept = sv.metricSum(await sv.metricSamples(server), 'spanvault_sampling_traces_total',
                            { decision: 'kept', policy: 'flow_status' });
  assert.equal(kept, 1, 'flow_status kept the stuck order\'s trace only');
});

test('the list answers by status, since and limit', async () => {
  await waitFor(async () => (await listKeys(server.queryUrl, { status: 'stuck' })).includes('o-lost'),
                { timeoutMs: 20000, what: 'o-lost in the stuck list' });
  assert.deepEqual(await listKeys(server.queryUrl, { status: 'stuck' }), ['o-lost']);
  assert.deepEqual(await listKeys(server.queryUrl, { status: 'completed' }), ['o-completed', 'o-linked']);
  assert.deepEqual(await listKeys(server.queryUrl, { status: 'failed', since: '1h' }), ['o-failed']);
  assert.deepEqual(await listKeys(server.queryUrl, { status: 'in_progress' }), []);
  assert.deepEqual(await listKeys(server.queryUrl, {}), ['o-completed', 'o-failed', 'o-linked', 'o-lost']);
  const one = await getJson(list(server.queryUrl, { limit: 1 }));
  assert.equal(one.data.length, 1);
  const entry = (await getJson(list(server.queryUrl, { status: 'failed' }))).data[0];
  assert.deepEqual(Object.keys(entry).sort(), ['firstSeen', 'flow', 'key', 'lastStep', 'updated', 'verdict']);
  assert.equal(entry.verdict.message, 'processing error: unknown sku');
});

test('bad input answers 400 with a message, an unknown key 404', async () => {
  const cases = [
    [order(server.queryUrl, 'o-completed', { flow: 'invoice' }), /unknown flow "invoice"/],
    [order(server.queryUrl, 'o-completed', {}), /'flow'/],
    [order(server.queryUrl, 'bad\u0001key'), /malformed key/],
    [list(server.queryUrl, { since: '9000h' }), /'since': out of range/],
    [list(server.queryUrl, { since: 'yesterday' }), /'since'/],
    [list(server.queryUrl, { limit: '0' }), /'limit'/],
    [list(server.queryUrl, { status: 'lost' }), /'status'/],
    [list(server.queryUrl, { flow: 'invoice' }), /unknown flow/],
  ];
  for (const [url, message] of cases) {
    const res = await request(url);
    assert.equal(res.status, 400, `${url}: ${res.text}`);
    assert.match(res.json().errors[0].msg, message);
  }
  const missing = await request(order(server.queryUrl, 'o-never-seen'));
  assert.equal(missing.status, 404);
  assert.equal((await request(order(server.queryOrigin, 'o-completed'))).status, 401);
});

test('a role sees only the steps of the services in its scope', async () => {
  const front = `http://front1:${FRONT_PASSWORD}@${server.ports.query_http}`;
  const { data } = await getJson(order(front, 'o-completed'));
  assert.equal(data.verdict.status, 'completed', 'the verdict is the whole journey\'s');
  assert.deepEqual(data.steps.map((s) => [s.name, s.reached, s.service || null, s.hidden || false]), [
    ['placed', true, 'shop-api', false],
    ['created', true, 'crm-api', false],
    ['published', true, 'crm-api', false],
    ['consumed', true, null, true],
    ['confirmed', true, null, true],
  ]);
  // The linked order's consumer trace only had hidden steps: it is not listed.
  const linked = (await getJson(order(front, 'o-linked'))).data;
  assert.deepEqual(linked.traces.map((t) => t.traceID), [traceOf['o-linked'][0]]);
  const failed = (await getJson(order(front, 'o-failed'))).data;
  assert.equal(failed.verdict.status, 'failed');
  assert.doesNotMatch(JSON.stringify(failed), /unknown sku/, 'the hidden step\'s error stays hidden');
  // A role that sees order_id only redacted cannot look orders up by it, nor list them.
  const mes = `http://mes1:${MES_PASSWORD}@${server.ports.query_http}`;
  assert.equal((await request(order(mes, 'o-completed'))).status, 404);
  assert.deepEqual(await listKeys(mes, {}), []);
});

test('/metrics counts orders started, completed, failed and stuck, and step gaps', async () => {
  const samples = await waitFor(async () => {
    const s = await sv.metricSamples(server);
    const stuckNow = sv.metricSum(s, 'spanvault_journeys_stuck_now');
    return sv.metricSum(s, 'spanvault_journeys_started_total', { flow: 'order' }) === 4 && stuckNow === 1 ? s : null;
  }, { timeoutMs: 60000, intervalMs: 500, what: 'journey metrics after a flush and a stuck count' });
  assert.equal(sv.metricSum(samples, 'spanvault_journeys_completed_total', { flow: 'order' }), 2);
  assert.equal(sv.metricSum(samples, 'spanvault_journeys_failed_total', { flow: 'order' }), 1);
  assert.equal(sv.metricSum(samples, 'spanvault_journeys_stuck_total', { flow: 'order' }), 1);
  assert.equal(sv.metricSum(samples, 'spanvault_journeys_step_gap_seconds_count',
                            { flow: 'order', from: 'published', to: 'consumed' }), 3);
});

// spanvaultctl orders: the admin gRPC API answers the same JSON as GET /api/orders, through the
// same access checks and audit.
const showJson = async (key, env) => JSON.parse((await ok(['-o', 'json', 'orders', 'show', key], '', env)).stdout);
const listJson = async (args, env) => JSON.parse((await ok(['-o', 'json', 'orders', 'list', ...args], '', env)).stdout);
// A stuck verdict's wait grows while the test runs: everything else must be equal.
const withoutWait = (j) => ({ ...j, verdict: { ...j.verdict, waitingMs: 0, message: '' } });

test('spanvaultctl orders show: the stuck order as a table, -o json as the HTTP API answers', async () => {
  await waitFor(async () => (await showJson('o-lost')).verdict.status === 'stuck',
                { timeoutMs: 20000, what: 'o-lost stuck through spanvaultctl' });
  const table = (await ok(['orders', 'show', 'o-lost'])).stdout;
  assert.match(table, /^o-lost: stuck at consumed: published to orders \S+ ago and not consumed: lost or waiting in the queue$/m);
  assert.match(table, /^STEP\s+REACHED\s+SERVICE\s+OPERATION\s+START\s+DURATION\s+GAP\s+STATUS\s+TRACE ID$/m);
  const [trace] = traceOf['o-lost'];
  assert.match(table, new RegExp(`^placed\\s+yes\\s+shop-api\\s+POST /orders\\s+\\S+Z\\s+8ms\\s+-\\s+ok\\s+${trace}$`, 'm'));
  assert.match(table, /^published\s+yes\s+crm-api\s+orders publish\s+\S+\s+1ms\s+2ms\s+ok\s+/m);
  assert.match(table, /^consumed\s+no\s+-/m);
  assert.match(table, new RegExp(`^${trace}\\s+(yes|no)\\s+(yes|no)$`, 'm'));

  const cli = await showJson('o-lost');
  const http = (await getJson(order(server.queryUrl, 'o-lost'))).data;
  assert.deepEqual(withoutWait(cli), withoutWait(http));
  assert.match(cli.verdict.message, /lost or waiting in the queue/);
  // Settled journeys are equal to the byte (kept/pending polled: the sampler decides meanwhile).
  for (const key of ['o-completed', 'o-failed', 'o-linked']) {
    await waitFor(async () => {
      const [c, h] = [await showJson(key), (await getJson(order(server.queryUrl, key))).data];
      return JSON.stringify(c) === JSON.stringify(h);
    }, { timeoutMs: 20000, what: `spanvaultctl -o json = HTTP data for ${key}` });
  }
});

test('spanvaultctl orders list: by status and since, as a table or the HTTP list', async () => {
  const stuck = (await ok(['orders', 'list', '--status', 'stuck', '--since', '1h'])).stdout;
  assert.match(stuck, /^KEY\s+STATUS\s+STEP\s+LAST STEP\s+UPDATED\s+MESSAGE$/m);
  assert.match(stuck, /^o-lost\s+stuck\s+consumed\s+published\s+\S+Z\s+published to orders .*lost or waiting in the queue$/m);
  assert.doesNotMatch(stuck, /o-completed/);
  const failed = (await ok(['orders', 'list', '--status', 'failed'])).stdout;
  assert.match(failed, /^o-failed\s+failed\s+consumed\s+confirmed\s+\S+Z\s+processing error: unknown sku$/m);
  assert.doesNotMatch(failed, /o-lost/);
  assert.deepEqual(await listJson(['--status', 'failed', '--since', '1h']),
                   (await getJson(list(server.queryUrl, { status: 'failed', since: '1h' }))).data);
  assert.deepEqual((await listJson([])).map((o) => o.key).sort(), await listKeys(server.queryUrl, {}));
  assert.equal((await listJson(['--limit', '1'])).length, 1);
});

test('spanvaultctl orders: a scoped role sees what the HTTP API shows it, no traces:read nothing', async () => {
  const front = `http://front1:${FRONT_PASSWORD}@${server.ports.query_http}`;
  for (const key of ['o-completed', 'o-failed', 'o-linked']) {
    assert.deepEqual(await showJson(key, asFront), (await getJson(order(front, key))).data, key);
  }
  const table = (await ok(['orders', 'show', 'o-completed'], '', asFront)).stdout;
  assert.match(table, /^created\s+yes\s+crm-api/m);
  assert.match(table, /^consumed\s+hidden \(outside your scope\)\s+-/m);
  assert.doesNotMatch(table, /mes-api/);
  assert.doesNotMatch((await ok(['orders', 'show', 'o-failed'], '', asFront)).stdout, /unknown sku/);
  assert.deepEqual(await listJson(['--status', 'failed'], asFront),
                   (await getJson(list(front, { status: 'failed' }))).data);
  // order_id redacted for the MES role: no journey to look up, none listed.
  const mes = await ctl(['orders', 'show', 'o-completed'], '', asMes);
  assert.equal(mes.code, 1);
  assert.match(mes.stderr, /^spanvaultctl: no journey with this key$/m);
  assert.deepEqual(await listJson([], asMes), []);
  for (const args of [['orders', 'show', 'o-completed'], ['orders', 'list']]) {
    const denied = await ctl(args, '', asNoTraces);
    assert.equal(denied.code, 1, args.join(' '));
    assert.match(denied.stderr, /^spanvaultctl: .*lack traces:read/m);
  }
});

test('spanvaultctl orders: bad input and an unknown key exit 1 with a message naming it', async () => {
  const cases = [
    [['orders', 'show', 'o-completed', '--flow', 'invoice'], /unknown flow "invoice" \(configured: order\)/],
    [['orders', 'show', 'bad\u0001key'], /malformed key/],
    [['orders', 'show', 'o-never-seen'], /no journey with this key/],
    [['orders', 'list', '--since', 'yesterday'], /'since': must be a duration/],
    [['orders', 'list', '--since', '9000h'], /'since': out of range/],
    [['orders', 'list', '--status', 'lost'], /'status': unknown status "lost"/],
    [['orders', 'list', '--limit', '5000'], /'limit'/],
    [['orders', 'list', '--flow', 'invoice'], /unknown flow "invoice"/],
  ];
  for (const [args, message] of cases) {
    const res = await ctl(args);
    assert.equal(res.code, 1, `${args.join(' ')}: ${res.stdout}`);
    assert.match(res.stderr, new RegExp(`^spanvaultctl: .*${message.source}`, 'm'), args.join(' '));
  }
});

test('spanvaultctl orders calls are audited as GetJourney and ListJourneys with traces:read', async () => {
  const records = JSON.parse((await ok(['-o', 'json', 'audit', 'list', '--since', '1h'])).stdout);
  const find = (principal, api, allowed = true) =>
    records.find((r) => r.principal === principal && r.api === api && r.allowed === allowed);
  const shown = find('admin', 'admin_grpc GetOrder (GetJourney)');
  assert.ok(shown, `GetJourney via the admin API in ${JSON.stringify([...new Set(records.map((r) => r.api))])}`);
  assert.equal(shown.action, 'traces:read');
  assert.deepEqual(JSON.parse(shown.params), { flow: 'order', key: 'o-lost' });
  const listed = find('admin', 'admin_grpc ListOrders (ListJourneys)');
  assert.ok(listed, 'ListJourneys via the admin API');
  assert.equal(listed.action, 'traces:read');
  assert.ok(find('front1', 'admin_grpc GetOrder (GetJourney)'), 'the scoped user\'s call');
  const denied = find('um1', 'admin_grpc GetOrder (GetJourney)', false);
  assert.ok(denied, 'the refused call of a user without traces:read');
  assert.match(denied.detail, /lack traces:read/);
});

test('journeys survive a graceful restart', async () => {
  await server.stop();
  await server.start();
  const { data } = await getJson(order(server.queryUrl, 'o-linked'));
  assert.equal(data.verdict.status, 'completed');
  assert.equal(data.traces.length, 2);
});

'use strict';
// The System Architecture and Monitor (SPM) data against the real binary: the order pipeline
// Shop -> CRM -> (RabbitMQ) -> MES, plus an out-of-scope ledger behind the CRM, sent with the
// official OpenTelemetry exporters in scattered batches (children before parents, consumers
// linked to their producer when propagation is broken) to a server that keeps 1 % of traces.
// /api/dependencies must show exactly the links and call counts sent, and /api/metrics/*
// the rates, error shares and latency quantiles computed here from what was sent (within the
// sketch's 1 %), because the tap counts every span before sampling. A support user sees
// neither the ledger's links nor its metrics, and everything survives a restart.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFile } = require('node:child_process');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer, ctlPath } = require('./lib/server');
const otel = require('./lib/otel');
const { getJson, request, qs } = require('./lib/http');
const sv = require('./lib/sampling');

const { api, ms, hr } = otel;
const N = 120;                   // orders
const RELATIVE_ERROR = 0.01;     // LatencySketch::kRelativeAccuracy
const SUPPORT_PASSWORD = 'support-pass-1234';
const configDir = sv.makeTempDir();
let server;
let sent;  // what the workload sent: { shopLatencies, shopErrors, crmLatencies, crmErrors }

const CONFIG = `
sampling:
  decision_wait: 2s
  policies:
    - name: baseline
      type: probabilistic
      probabilistic: {sampling_percentage: 1}
`;

// One order: shop-api SERVER "POST /orders" -> shop-api CLIENT -> crm-api SERVER, which calls
// billing-ledger (CLIENT -> SERVER) and publishes to RabbitMQ (PRODUCER); mes-api CONSUMES it,
// as a child of the producer for even orders, and in a new trace with a span link to the
// producer for odd ones (context propagation broken).
function buildOrder(i, providers, baseNs) {
  const t = (p) => providers[p].provider.getTracer('e2e');
  const at = baseNs + ms(i * 3);
  const shopMs = 5 + ((i * 37) % 200);
  const crmMs = 2 + ((i * 53) % 90);
  const root = otel.startSpan(t('shop'), 'POST /orders', { kind: api.SpanKind.SERVER, at });
  const call = otel.startSpan(t('shop'), 'POST /crm/orders', { kind: api.SpanKind.CLIENT, parent: root, at });
  const crm = otel.startSpan(t('crm'), 'POST /orders', { kind: api.SpanKind.SERVER, parent: call, at });
  const ledgerCall = otel.startSpan(t('crm'), 'POST /ledger', { kind: api.SpanKind.CLIENT, parent: crm, at });
  const ledger = otel.startSpan(t('ledger'), 'POST /ledger', { kind: api.SpanKind.SERVER, parent: ledgerCall, at });
  const publish = otel.startSpan(t('crm'), 'orders publish', { kind: api.SpanKind.PRODUCER, parent: crm, at });
  const consume = i % 2 === 0
      ? otel.startSpan(t('mes'), 'orders process', { kind: api.SpanKind.CONSUMER, parent: publish, at: at + ms(1) })
      : otel.startSpan(t('mes'), 'orders process', {
        kind: api.SpanKind.CONSUMER, at: at + ms(1), links: [{ context: publish.spanContext() }],
      });
  const shopError = i % 5 === 0;
  const crmError = i % 4 === 0;
  if (shopError) root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'order failed' });
  if (crmError) crm.setStatus({ code: api.SpanStatusCode.ERROR, message: 'crm failed' });
  consume.end(hr(at + ms(2)));
  ledger.end(hr(at + ms(1)));
  ledgerCall.end(hr(at + ms(1)));
  publish.end(hr(at + ms(1)));
  crm.end(hr(at + ms(crmMs)));
  call.end(hr(at + ms(crmMs)));
  root.end(hr(at + ms(shopMs)));
  return { shopMs, crmMs, shopError, crmError };
}

function ctl(args, input) {
  return new Promise((resolve) => {
    const child = execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                           { timeout: 30000, env: server.ctlEnv() },
                           (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
    child.stdin.end(input || '');
  });
}

function supportUrl() {
  return `http://support1:${SUPPORT_PASSWORD}@${server.ports.query_http}`;
}

// The exact q-quantile as the sketch defines it: rank floor(q (n - 1)) of the sorted values.
function exactQuantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))];
}

function window() {
  return { endTs: Date.now() + 60000, lookback: 3600000, step: 60000, ratePer: 600000 };
}

async function dependencies(base) {
  const body = await getJson(`${base}/api/dependencies?${qs({ endTs: Date.now() + 60000, lookback: 604800000 })}`);
  assert.deepEqual(Object.keys(body).sort(), ['data', 'errors', 'limit', 'offset', 'total']);
  return [...body.data].sort((a, b) => `${a.parent}>${a.child}`.localeCompare(`${b.parent}>${b.child}`));
}

async function metric(base, which, params) {
  return getJson(`${base}/api/metrics/${which}?${qs({ ...window(), ...params })}`);
}

// The last point of the only series of a MetricFamily.
function lastValue(family, service) {
  assert.equal(family.metrics.length, 1, `one series in ${JSON.stringify(family).slice(0, 500)}`);
  assert.deepEqual(family.metrics[0].labels[0], { name: 'service_name', value: service });
  const points = family.metrics[0].metricPoints;
  assert.ok(points.length > 0);
  for (const p of points) assert.ok(!Number.isNaN(Date.parse(p.timestamp)), p.timestamp);
  return points[points.length - 1].gaugeValue.doubleValue;
}

const EXPECTED_LINKS = [
  { parent: 'crm-api', child: 'billing-ledger', callCount: N },
  { parent: 'crm-api', child: 'mes-api', callCount: N },
  { parent: 'shop-api', child: 'crm-api', callCount: N },
];

before(async () => {
  server = new SpanvaultServer({ name: 'spanvault-spm', args: ['--config', sv.writeConfig(configDir, 'spm.yaml', CONFIG)] });
  await server.start();
  const providers = Object.fromEntries([
    ['shop', 'shop-api'], ['crm', 'crm-api'], ['ledger', 'billing-ledger'], ['mes', 'mes-api'],
  ].map(([k, service]) => [k, otel.memoryProvider({ 'service.name': service })]));
  const baseNs = otel.baseTimeNs(90 * 1000);
  sent = { shopLatencies: [], shopErrors: 0, crmLatencies: [], crmErrors: 0 };
  for (let i = 0; i < N; i++) {
    const o = buildOrder(i, providers, baseNs);
    sent.shopLatencies.push(o.shopMs);
    sent.crmLatencies.push(o.crmMs);
    sent.shopErrors += o.shopError ? 1 : 0;
    sent.crmErrors += o.crmError ? 1 : 0;
  }
  // Consumers first, then the CRM, then the shop: most children arrive before their parents,
  // in other batches and over other protocols.
  const spansOf = (k) => providers[k].memory.getFinishedSpans();
  const grpc = otel.createExporter(server, 'grpc');
  const http = otel.createExporter(server, 'http/protobuf');
  try {
    await otel.exportSpans(http, spansOf('mes'), 'mes export');
    await otel.exportSpans(grpc, spansOf('ledger'), 'ledger export');
    const crm = spansOf('crm');
    await otel.exportSpans(grpc, crm.slice(0, crm.length / 2), 'crm export 1');
    await otel.exportSpans(http, crm.slice(crm.length / 2), 'crm export 2');
    await otel.exportSpans(grpc, spansOf('shop'), 'shop export');
  } finally {
    await grpc.shutdown();
    await http.shutdown();
  }
  const added = await ctl(['users', 'add', 'support1', '--role', 'support', '--password-stdin'], `${SUPPORT_PASSWORD}\n`);
  assert.equal(added.code, 0, `users add: ${added.stderr}`);
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

async function assertAdminView() {
  assert.deepEqual(await dependencies(server.queryUrl), EXPECTED_LINKS);

  const calls = await metric(server.queryUrl, 'calls', { service: 'shop-api' });
  assert.equal(calls.name, 'service_call_rate');
  assert.equal(calls.type, 'GAUGE');
  assert.ok(Math.abs(lastValue(calls, 'shop-api') - N / 600) < 1e-9, 'calls/s over ratePer (10 min)');

  const errors = await metric(server.queryUrl, 'errors', { service: 'crm-api' });
  assert.equal(errors.name, 'service_error_rate');
  assert.ok(Math.abs(lastValue(errors, 'crm-api') - sent.crmErrors / N) < 1e-9, 'error share of crm-api');
  const shopErrors = await metric(server.queryUrl, 'errors', { service: 'shop-api' });
  assert.ok(Math.abs(lastValue(shopErrors, 'shop-api') - sent.shopErrors / N) < 1e-9, 'error share of shop-api');

  for (const [service, values] of [['shop-api', sent.shopLatencies], ['crm-api', sent.crmLatencies]]) {
    for (const q of [0.5, 0.75, 0.95, 0.99]) {
      const family = await metric(server.queryUrl, 'latencies', { service, quantile: q });
      assert.equal(family.name, 'service_latencies');
      assert.equal(family.help, `${q}th quantile latency, grouped by service`);
      const want = exactQuantile(values, q);
      const got = lastValue(family, service);
      assert.ok(Math.abs(got - want) <= want * RELATIVE_ERROR + 1e-6,
                `${service} p${q * 100}: got ${got} ms, sent ${want} ms`);
    }
  }

  // Per operation, for another span kind: the shop's client calls to the CRM.
  const byOp = await metric(server.queryUrl, 'calls', { service: 'shop-api', groupByOperation: true, spanKind: 'client' });
  assert.equal(byOp.name, 'service_operation_call_rate');
  assert.deepEqual(byOp.metrics.map((m) => m.labels),
                   [[{ name: 'service_name', value: 'shop-api' }, { name: 'operation', value: 'POST /crm/orders' }]]);
  // Consumers are counted as consumers.
  const consumers = await metric(server.queryUrl, 'calls', { service: 'mes-api', spanKind: 'consumer' });
  assert.ok(Math.abs(lastValue(consumers, 'mes-api') - N / 600) < 1e-9);
}

test('dependencies and RED metrics count every span sent, though 1 % of traces is kept', async () => {
  await assertAdminView();
  // The sampler did keep only a few of the N + N/2 traces (odd consumers start their own): the
  // rates above cannot come from stored traces.
  const samples = await sv.waitForDecisions(server, N + N / 2);
  const kept = sv.metricSum(samples, 'spanvault_sampling_traces_total', { decision: 'kept' });
  assert.ok(kept < N / 10, `${kept} traces kept`);
  await assertAdminView();
});

test('a support user sees neither the out-of-scope ledger links nor its metrics', async () => {
  const base = supportUrl();
  assert.deepEqual(await dependencies(base), EXPECTED_LINKS.filter((l) => l.child !== 'billing-ledger'));
  const ledger = await metric(base, 'calls', { service: 'billing-ledger' });
  assert.deepEqual(ledger.metrics, []);
  const admin = await metric(server.queryUrl, 'calls', { service: 'billing-ledger' });
  assert.equal(admin.metrics.length, 1, 'the admin does see the ledger');
  const shop = await metric(base, 'latencies', { service: 'shop-api', quantile: 0.95 });
  assert.equal(shop.metrics.length, 1);
  const denied = await request(`http://nobody:wrong@${server.ports.query_http}/api/dependencies`);
  assert.equal(denied.status, 401);
});

test('bad parameters answer 400 naming the parameter; minstep', async () => {
  const cases = [
    ['calls', {}, /please provide at least one service name/],
    ['latencies', { service: 'shop-api' }, /quantile/],
    ['calls', { service: 'shop-api', spanKind: 'sever' }, /'spanKind'/],
    ['errors', { service: 'shop-api', step: 'soon' }, /'step'/],
    ['calls', { service: 'shop-api', ratePer: '-1' }, /'ratePer'/],
  ];
  for (const [which, params, message] of cases) {
    const res = await request(`${server.queryUrl}/api/metrics/${which}?${qs(params)}`);
    assert.equal(res.status, 400, `${which} ${JSON.stringify(params)}`);
    assert.match(res.json().errors[0].msg, message);
  }
  const deps = await request(`${server.queryUrl}/api/dependencies?lookback=week`);
  assert.equal(deps.status, 400);
  assert.match(deps.json().errors[0].msg, /'lookback'/);
  const minstep = await getJson(`${server.queryUrl}/api/metrics/minstep`);
  assert.equal(minstep.data, 60000);
});

test('the aggregates survive a graceful restart and keep counting after it', async () => {
  await server.stop();
  await server.start();
  await assertAdminView();
  // A crash loses at most the last flush interval (5 s); what is flushed survives it too.
  const metricsText = (await request(`${server.adminUrl}/metrics`)).text;
  assert.match(metricsText, /^spanvault_spanmetrics_waiting_children \d/m);
});

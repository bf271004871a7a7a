'use strict';
// Search: a small known set of traces across four services, then exact result sets (and
// newest-first order) for the classic /api/traces search and the api_v3 trace summaries.

const assert = require('node:assert/strict');
const { test, before, after } = require('./lib/harness');
const { startServer } = require('./lib/server');
const { getJson, request, qs } = require('./lib/http');
const otel = require('./lib/otel');
const { jaegerTraceId, isHex } = require('./lib/expect');

const { api, ms, hr } = otel;

// Duration classes. Children are shorter than their root but stay in the same class, so a
// duration filter selects the same traces whichever span it looks at:
//   fast: root 10 ms, children 5 ms (all <= 100 ms)
//   medium: root 300 ms, children 150 ms (all in (100 ms, 1 s))
//   slow: root 2 s, children 1.5 s (all >= 1 s)
const CLASSES = {
  fast: { root: 10, child: 5 },
  medium: { root: 300, child: 150 },
  slow: { root: 2000, child: 1500 },
};

// The data set; `at` counts steps of 25 minutes after the base time, so newest-first is
// unambiguous and the set spans several hours (the duration index is bucketed by hour).
const STEP_NS = 25n * 60n * 1000000000n;
const PLAN = [
  { key: 'T1', service: 'shop-api', op: 'POST /orders', cls: 'fast', order: 'A-1001', at: 0 },
  { key: 'T2', service: 'shop-api', op: 'POST /orders', cls: 'medium', order: 'A-1002', at: 1 },
  { key: 'T3', service: 'shop-api', op: 'GET /orders/{id}', cls: 'slow', order: 'A-1003', at: 2, error: true },
  { key: 'T4', service: 'crm-api', op: 'POST /customers/sync', cls: 'medium', order: 'A-1001', at: 3 },
  { key: 'T5', service: 'mes-api', op: 'POST /work-orders', cls: 'slow', order: 'A-1001', at: 4 },
  { key: 'T6', service: 'mes-api', op: 'POST /work-orders', cls: 'fast', order: 'A-1004', at: 5, error: true },
  { key: 'T7', service: 'shop-api', op: 'GET /orders/{id}', cls: 'fast', order: 'A-1005', at: 6 },
  // Two services: shop-api root and client child, and a crm-api server span with an error.
  { key: 'T8', service: 'shop-api', op: 'POST /checkout', cls: 'medium', order: 'A-1006', at: 7, crmChild: true },
  // Single-span traces of two operations in different hours, for newest-first with a
  // duration filter and a limit: D2 is the newest fast one, D3 (newer) is slow.
  { key: 'D1', service: 'dur-api', op: 'a-op', cls: 'fast', order: 'D-1', at: 1, solo: true },
  { key: 'D2', service: 'dur-api', op: 'b-op', cls: 'fast', order: 'D-2', at: 4, solo: true },
  { key: 'D3', service: 'dur-api', op: 'b-op', cls: 'slow', order: 'D-3', at: 7, solo: true },
];

let server;
let baseNs;
const T = {}; // key → { traceId, spans, startNs, endNs, plan }

function buildPlannedTrace(plan, providers) {
  const tracer = providers[plan.service].tracer;
  const c = CLASSES[plan.cls];
  // The single-span traces are one minute later than the others of the same step: no ties.
  const start = baseNs + BigInt(plan.at) * STEP_NS + (plan.solo ? 60n * 1000000000n : 0n);
  const root = otel.startSpan(tracer, plan.op, {
    kind: api.SpanKind.SERVER, at: start,
    attributes: { order_id: plan.order, 'http.route': plan.op.split(' ')[1] },
  });
  if (plan.solo) {
    root.end(hr(start + ms(c.root)));
    return { traceId: root.spanContext().traceId, startNs: start, endNs: start + ms(c.root), plan };
  }
  const db = otel.startSpan(tracer, 'db query', { kind: api.SpanKind.CLIENT, parent: root, at: start + ms(1) });
  if (plan.error) db.setStatus({ code: api.SpanStatusCode.ERROR, message: 'deadlock' });
  db.end(hr(start + ms(1) + ms(c.child)));
  if (plan.crmChild) {
    const crm = otel.startSpan(providers['crm-api'].tracer, 'POST /customers', {
      kind: api.SpanKind.SERVER, parent: { ...root.spanContext(), isRemote: true }, at: start + ms(2),
    });
    crm.setStatus({ code: api.SpanStatusCode.ERROR, message: 'customer locked' });
    crm.end(hr(start + ms(2) + ms(c.child)));
  } else {
    const cache = otel.startSpan(tracer, 'cache lookup', { parent: root, at: start + ms(2) });
    cache.end(hr(start + ms(2) + ms(c.child)));
  }
  const end = start + ms(c.root);
  root.end(hr(end));
  return { traceId: root.spanContext().traceId, startNs: start, endNs: end, plan };
}

before(async () => {
  server = await startServer({ name: 'spanvault-search' });
  baseNs = otel.baseTimeNs(4 * 3600 * 1000);
  const providers = {};
  for (const service of ['shop-api', 'crm-api', 'mes-api', 'dur-api']) {
    const p = otel.memoryProvider({ 'service.name': service, 'deployment.environment': 'e2e' });
    providers[service] = { ...p, tracer: p.provider.getTracer('search-e2e', '1.0.0') };
  }
  for (const plan of PLAN) T[plan.key] = buildPlannedTrace(plan, providers);
  const all = Object.values(providers).flatMap((p) => p.memory.getFinishedSpans());
  for (const t of Object.values(T)) {
    t.spans = all.filter((s) => s.spanContext().traceId === t.traceId);
  }
  // Half through gRPC, half through HTTP/protobuf.
  const grpc = otel.createExporter(server, 'grpc');
  const proto = otel.createExporter(server, 'http/protobuf', { gzip: true });
  try {
    const keys = Object.keys(T);
    const half = Math.ceil(keys.length / 2);
    await otel.exportSpans(grpc, keys.slice(0, half).flatMap((k) => T[k].spans), 'grpc export');
    await otel.exportSpans(proto, keys.slice(half).flatMap((k) => T[k].spans), 'http/protobuf export');
  } finally {
    await grpc.shutdown();
    await proto.shutdown();
  }
});

after(async () => {
  if (server) await server.close();
});

// --- helpers ---------------------------------------------------------------------------------

const us = (ns) => (ns / 1000n).toString();
const iso = (ns) => new Date(Number(ns / 1000000n)).toISOString();
const windowStart = () => baseNs - 1000000000n;     // 1 s before the oldest trace
const windowEnd = () => baseNs + 10n * STEP_NS;    // well after the newest

const keyOf = (traceId) => {
  const found = Object.entries(T).find(([, t]) => jaegerTraceId(t.traceId) === jaegerTraceId(traceId));
  return found ? found[0] : `unknown:${traceId}`;
};

// Keys of the given plan entries, newest first.
const newestFirst = (keys) => [...keys].sort((a, b) => (T[b].startNs > T[a].startNs ? 1 : -1));

async function classicSearch(params, { start = windowStart(), end = windowEnd() } = {}) {
  const window = start === null ? [] : [['start', us(start)], ['end', us(end)]];
  const url = `${server.queryUrl}/api/traces?${qs([...params, ...window])}`;
  const body = await getJson(url);
  assert.equal(body.errors, null, `${url}: errors`);
  assert.ok(Array.isArray(body.data), `${url}: data is an array`);
  return body.data;
}

async function v3Summaries(params, { start = windowStart(), end = windowEnd() } = {}) {
  const url = `${server.queryUrl}/api/v3/trace-summaries?${qs([
    ...params, ['query.startTimeMin', iso(start)], ['query.startTimeMax', iso(end)]])}`;
  const body = await getJson(url);
  assert.ok(Array.isArray(body.summaries), `${url}: summaries is an array: ${JSON.stringify(body)}`);
  return body.summaries;
}

// Asserts the classic search returns exactly `keys`, newest first, each as a full trace.
async function expectClassic(params, keys, options) {
  const data = await classicSearch(params, options);
  const got = data.map((t) => keyOf(t.traceID));
  assert.deepEqual(got, newestFirst(keys), `classic search ${JSON.stringify(params)}`);
  for (const t of data) {
    const want = T[keyOf(t.traceID)];
    assert.deepEqual(t.spans.map((s) => s.spanID).sort(),
                     want.spans.map((s) => s.spanContext().spanId).sort(),
                     `classic search returns the full trace ${keyOf(t.traceID)}`);
  }
  return data;
}

async function expectV3(params, keys, options) {
  const summaries = await v3Summaries(params, options);
  assert.deepEqual(summaries.map((s) => keyOf(s.traceId)), newestFirst(keys),
                   `v3 trace-summaries ${JSON.stringify(params)}`);
  return summaries;
}

// --- classic ---------------------------------------------------------------------------------

test('classic: service (newest first)', async () => {
  await expectClassic([['service', 'shop-api']], ['T1', 'T2', 'T3', 'T7', 'T8']);
  await expectClassic([['service', 'crm-api']], ['T4', 'T8']);
  await expectClassic([['service', 'mes-api']], ['T5', 'T6']);
  // Without start/end the window is the last 2 days.
  await expectClassic([['service', 'shop-api']], ['T1', 'T2', 'T3', 'T7', 'T8'], { start: null });
});

test('classic: service + operation', async () => {
  await expectClassic([['service', 'shop-api'], ['operation', 'GET /orders/{id}']], ['T3', 'T7']);
  await expectClassic([['service', 'shop-api'], ['operation', 'POST /orders']], ['T1', 'T2']);
  await expectClassic([['service', 'crm-api'], ['operation', 'POST /customers']], ['T8']);
  await expectClassic([['service', 'shop-api'], ['operation', 'no such operation']], []);
});

test('classic: tags as JSON and tag as key:value', async () => {
  await expectClassic([['service', 'shop-api'], ['tags', JSON.stringify({ order_id: 'A-1001' })]], ['T1']);
  await expectClassic([['service', 'shop-api'], ['tag', 'order_id:A-1001']], ['T1']);
  await expectClassic([['service', 'crm-api'], ['tag', 'order_id:A-1001']], ['T4']);
  await expectClassic([['service', 'shop-api'], ['tags', JSON.stringify({ order_id: 'A-9999' })]], []);
  // Resource attributes match too, and several tags are ANDed.
  await expectClassic([['service', 'mes-api'],
    ['tags', JSON.stringify({ 'deployment.environment': 'e2e', order_id: 'A-1004' })]], ['T6']);
  await expectClassic([['service', 'shop-api'], ['tag', 'order_id:A-1002'], ['tag', 'http.route:/orders']], ['T2']);
  await expectClassic([['service', 'shop-api'], ['tag', 'order_id:A-1002'], ['tag', 'http.route:/checkout']], []);
  // Repeated `tags` objects are merged; `tags` and `tag` combine.
  await expectClassic([['service', 'shop-api'], ['tags', JSON.stringify({ order_id: 'A-1002' })],
    ['tags', JSON.stringify({ 'http.route': '/orders' })]], ['T2']);
  await expectClassic([['service', 'shop-api'], ['tags', JSON.stringify({ order_id: 'A-1002' })],
    ['tag', 'http.route:/checkout']], []);
  // The UI sends lookback too; the server ignores it.
  await expectClassic([['service', 'mes-api'], ['lookback', '2d'], ['tag', 'order_id:A-1001']], ['T5']);
});

test('classic: error tag', async () => {
  await expectClassic([['service', 'shop-api'], ['tags', JSON.stringify({ error: 'true' })]], ['T3']);
  // T8's error span belongs to crm-api: the match is per span, service included.
  await expectClassic([['service', 'crm-api'], ['tags', JSON.stringify({ error: 'true' })]], ['T8']);
  await expectClassic([['service', 'mes-api'], ['tag', 'error:true']], ['T6']);
});

test('classic: minDuration and maxDuration', async () => {
  await expectClassic([['service', 'shop-api'], ['minDuration', '1s']], ['T3']);
  await expectClassic([['service', 'shop-api'], ['maxDuration', '100ms']], ['T1', 'T7']);
  await expectClassic([['service', 'shop-api'], ['minDuration', '100ms'], ['maxDuration', '1s']], ['T2', 'T8']);
  await expectClassic([['service', 'mes-api'], ['minDuration', '1.2s']], ['T5']);
  await expectClassic([['service', 'shop-api'], ['operation', 'GET /orders/{id}'], ['minDuration', '1s']], ['T3']);
  // Conditions hold on one span: the 300 ms root has the order id, its 150 ms child has not.
  await expectClassic([['service', 'shop-api'], ['tag', 'order_id:A-1002'], ['minDuration', '200ms']], ['T2']);
  await expectClassic([['service', 'shop-api'], ['tag', 'order_id:A-1002'], ['maxDuration', '200ms']], []);
});

test('duration filter with a limit keeps newest-first across operations and hours', async () => {
  await expectClassic([['service', 'dur-api'], ['maxDuration', '100ms']], ['D1', 'D2']);
  await expectClassic([['service', 'dur-api'], ['maxDuration', '100ms'], ['limit', '1']], ['D2']);
  await expectClassic([['service', 'dur-api'], ['minDuration', '1ms'], ['maxDuration', '100ms'], ['limit', '1']], ['D2']);
  await expectV3([['query.serviceName', 'dur-api'], ['query.durationMax', '100ms'], ['query.searchDepth', '1']], ['D2']);
  await expectClassic([['service', 'dur-api'], ['minDuration', '1s'], ['limit', '1']], ['D3']);
});

test('classic: the time window excludes traces outside it', async () => {
  const half = STEP_NS / 2n;
  // [1.5 steps, 4.5 steps]: shop-api has only T3 (step 2) in it.
  await expectClassic([['service', 'shop-api']], ['T3'], { start: baseNs + STEP_NS + half, end: baseNs + 4n * STEP_NS + half });
  await expectClassic([['service', 'shop-api'], ['minDuration', '1ms']], ['T3'],
                      { start: baseNs + STEP_NS + half, end: baseNs + 4n * STEP_NS + half });
  await expectClassic([['service', 'shop-api']], ['T3', 'T7', 'T8'], { start: baseNs + STEP_NS + half });
  await expectClassic([['service', 'shop-api']], [], { start: baseNs - 3n * STEP_NS, end: baseNs - STEP_NS });
});

test('classic: limit', async () => {
  await expectClassic([['service', 'shop-api'], ['limit', '1']], ['T8']);
  await expectClassic([['service', 'shop-api'], ['limit', '3']], ['T3', 'T7', 'T8']);
});

test('classic: traceID list with an unknown id', async () => {
  const unknown = 'abcdef0123456789abcdef0123456789';
  const res = await request(`${server.queryUrl}/api/traces?${qs([['traceID', T.T1.traceId], ['traceID', unknown]])}`);
  assert.equal(res.status, 200, res.text);
  const body = res.json();
  assert.deepEqual(body.data.map((t) => keyOf(t.traceID)), ['T1']);
  assert.equal(body.data[0].spans.length, T.T1.spans.length);
  assert.deepEqual(body.errors, [{ msg: 'trace not found', traceID: unknown }]);
});

// --- api_v3 ----------------------------------------------------------------------------------

test('v3 trace-summaries: service, operation, attributes, durations, depth', async () => {
  await expectV3([['query.serviceName', 'shop-api']], ['T1', 'T2', 'T3', 'T7', 'T8']);
  await expectV3([['query.serviceName', 'shop-api'], ['query.operationName', 'POST /orders']], ['T1', 'T2']);
  await expectV3([['query.serviceName', 'shop-api'],
    ['query.attributes', JSON.stringify({ order_id: 'A-1003' })]], ['T3']);
  await expectV3([['query.serviceName', 'shop-api'], ['query.attributes', JSON.stringify({ error: 'true' })]], ['T3']);
  await expectV3([['query.serviceName', 'shop-api'], ['query.durationMin', '1s']], ['T3']);
  await expectV3([['query.serviceName', 'shop-api'], ['query.durationMax', '100ms']], ['T1', 'T7']);
  await expectV3([['query.serviceName', 'shop-api'], ['query.durationMin', '100ms'],
    ['query.durationMax', '1s']], ['T2', 'T8']);
  await expectV3([['query.serviceName', 'shop-api'], ['query.searchDepth', '2']], ['T7', 'T8']);
  await expectV3([['query.serviceName', 'shop-api']], ['T3', 'T7'],
                 { start: baseNs + STEP_NS + STEP_NS / 2n, end: baseNs + 6n * STEP_NS + STEP_NS / 2n });
  await expectV3([['query.serviceName', 'shop-api'], ['query.durationMax', '1s']], ['T7'],
                 { start: baseNs + STEP_NS + STEP_NS / 2n, end: baseNs + 6n * STEP_NS + STEP_NS / 2n });
  await expectV3([['query.serviceName', 'no-such-service']], []);
});

test('v3 trace-summaries: summary fields', async () => {
  const [s8] = await expectV3([['query.serviceName', 'crm-api'], ['query.operationName', 'POST /customers']], ['T8']);
  assert.ok(isHex(s8.traceId, 32), `traceId is 32 hex digits: ${s8.traceId}`);
  assert.equal(s8.traceId, T.T8.traceId);
  assert.equal(s8.rootServiceName, 'shop-api');
  assert.equal(s8.rootOperationName, 'POST /checkout');
  assert.equal(s8.spanCount, 3);
  assert.equal(s8.errorSpanCount, 1);
  assert.equal(s8.orphanSpanCount, 0);
  assert.equal(typeof s8.minStartTimeUnixNano, 'string');
  assert.equal(typeof s8.maxEndTimeUnixNano, 'string');
  assert.equal(s8.minStartTimeUnixNano, T.T8.startNs.toString());
  assert.equal(s8.maxEndTimeUnixNano, T.T8.endNs.toString());
  assert.deepEqual(s8.services, [
    { name: 'crm-api', spanCount: 1, errorSpanCount: 1 },
    { name: 'shop-api', spanCount: 2, errorSpanCount: 0 },
  ]);

  const [s3] = await expectV3([['query.serviceName', 'shop-api'], ['query.attributes', JSON.stringify({ order_id: 'A-1003' })]], ['T3']);
  assert.equal(s3.rootServiceName, 'shop-api');
  assert.equal(s3.rootOperationName, 'GET /orders/{id}');
  assert.equal(s3.spanCount, 3);
  assert.equal(s3.errorSpanCount, 1);
  assert.equal(s3.minStartTimeUnixNano, T.T3.startNs.toString());
  assert.equal(s3.maxEndTimeUnixNano, T.T3.endNs.toString());
  assert.deepEqual(s3.services, [{ name: 'shop-api', spanCount: 3, errorSpanCount: 1 }]);

  const [s1] = await expectV3([['query.serviceName', 'shop-api'], ['query.attributes', JSON.stringify({ order_id: 'A-1001' })]], ['T1']);
  assert.equal(s1.errorSpanCount, 0);
  assert.equal(s1.spanCount, 3);
});

test('v3 trace-summaries: an order across services, without a service name', async () => {
  await expectV3([['query.attributes', JSON.stringify({ order_id: 'A-1001' })]], ['T1', 'T4', 'T5']);
  await expectV3([['query.attributes', JSON.stringify({ order_id: 'A-1006' })]], ['T8']);
  await expectV3([['query.attributes', JSON.stringify({ error: 'true' })]], ['T3', 'T6', 'T8']);
  await expectV3([['query.durationMin', '1s']], ['T3', 'T5', 'D3']);
});

test('v3 traces search returns full OTLP traces', async () => {
  const url = `${server.queryUrl}/api/v3/traces?${qs([
    ['query.serviceName', 'mes-api'], ['query.startTimeMin', iso(windowStart())],
    ['query.startTimeMax', iso(windowEnd())]])}`;
  const body = await getJson(url);
  const ids = new Set();
  let spans = 0;
  for (const rs of body.result.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const sp of ss.spans) {
        ids.add(sp.traceId);
        spans += 1;
      }
    }
  }
  assert.deepEqual([...ids].sort(), [T.T5.traceId, T.T6.traceId].sort());
  assert.equal(spans, T.T5.spans.length + T.T6.spans.length);
  // Nothing found: 404 "No traces found" on this route.
  const none = await request(`${server.queryUrl}/api/v3/traces?${qs([
    ['query.serviceName', 'no-such-service'], ['query.startTimeMin', iso(windowStart())],
    ['query.startTimeMax', iso(windowEnd())]])}`);
  assert.equal(none.status, 404, none.text);
  assert.equal(none.json().error.message, 'No traces found');
});

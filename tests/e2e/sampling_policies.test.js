'use strict';
// Tail sampling against the real binary: a known mix of 2,000 traces is stored exactly as the
// policies imply (errors, slow and watched orders always; 10 % of the rest, the same 10 % on
// every run and the Collector's own choice); a trace split over three exports is stored whole
// and is readable but not searchable while it waits; late spans follow the decision.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { setTimeout: delay } = require('node:timers/promises');
const { test, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const { jaegerTraceId } = require('./lib/expect');
const { getJson } = require('./lib/http');
const sv = require('./lib/sampling');

const { api, ms, hr } = otel;
const configDir = sv.makeTempDir();
const servers = [];

after(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

async function startWithConfig(name, yaml) {
  const server = new SpanvaultServer({ name, args: ['--config', sv.writeConfig(configDir, `${name}.yaml`, yaml)] });
  servers.push(server);
  await server.start();
  return server;
}

async function withExporters(server, fn) {
  const exporters = Object.fromEntries(otel.PROTOCOLS.map((p) => [p, otel.createExporter(server, p)]));
  try {
    return await fn(exporters);
  } finally {
    await Promise.all(Object.values(exporters).map((e) => e.shutdown()));
  }
}

// Runs `fn` over `items` with at most `limit` calls in flight.
async function inParallel(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

// --- 1. a known mix of 2,000 traces ---------------------------------------------------------

const MIX_CONFIG = `
sampling:
  decision_wait: 2s
  decision_quiet: 500ms
  policies:
    - name: errors
      type: status_code
      status_code: {status_codes: [ERROR]}
    - name: slow
      type: latency
      latency: {threshold_ms: 1000}
    - name: watched-orders
      type: string_attribute
      string_attribute: {key: order_id, values: [W-1, W-2]}
    - name: baseline
      type: probabilistic
      probabilistic: {sampling_percentage: 10}
`;
const MIX_TRACES = 2000;
const MIX_SERVICE = 'mix-shop';
const PERCENT = 10;

// The kinds of trace, by i % 20: six that a policy keeps whatever their id, fourteen "plain"
// ones that only the probabilistic policy can keep (several of them near misses).
//   each trace: SERVER "POST /orders" root, INTERNAL "validate", CLIENT "charge"
const KINDS = [
  { kind: 'error-child', policy: 'errors', charge: { error: true } },
  { kind: 'slow-root-1000ms', policy: 'slow', rootMs: 1000 },       // exactly the threshold
  { kind: 'slow-child', policy: 'slow', charge: { endMs: 1500 } },  // the trace, not the root, is slow
  { kind: 'watched-root', policy: 'watched-orders', rootAttrs: { order_id: 'W-1' } },
  { kind: 'watched-child', policy: 'watched-orders', chargeAttrs: { order_id: 'W-2' } },
  { kind: 'error-slow-watched', policy: 'errors', rootError: true, rootMs: 1200, rootAttrs: { order_id: 'W-1' } },
  // plain
  { kind: 'plain' },
  { kind: 'plain-999.999ms', rootMs: 999, rootExtraNs: 999999n },  // 999 ms, rounded down
  { kind: 'plain-W-3', rootAttrs: { order_id: 'W-3' } },
  { kind: 'plain-w-1', rootAttrs: { order_id: 'w-1' } },
  { kind: 'plain-W-10', chargeAttrs: { order_id: 'W-10' } },
  { kind: 'plain-ok', rootOk: true, charge: { ok: true } },
  { kind: 'plain-other-key', rootAttrs: { watched_order: 'W-1' } },
  { kind: 'plain' }, { kind: 'plain' }, { kind: 'plain' }, { kind: 'plain' }, { kind: 'plain' },
  { kind: 'plain' }, { kind: 'plain' },
];

// Builds the 2,000 traces with trace ids fixed by their number. Returns [{i, traceId, kind,
// policy (undefined: only the probabilistic policy decides), spans, startNs}].
function buildMix(baseNs) {
  const ids = new sv.FixedIdGenerator(0x5a0000000001);
  const { provider, memory } = otel.memoryProvider(
      { 'service.name': MIX_SERVICE, 'e2e.run': 'sampling-mix' }, { idGenerator: ids });
  const tracer = provider.getTracer('sampling-e2e', '1.0.0');
  const traces = [];
  for (let i = 0; i < MIX_TRACES; i++) {
    const k = KINDS[i % KINDS.length];
    const traceId = sv.fixedTraceId('sampling-mix', i);
    const start = baseNs + BigInt(i) * ms(1);
    ids.next(traceId);
    const root = otel.startSpan(tracer, 'POST /orders', {
      kind: api.SpanKind.SERVER, at: start, attributes: { 'e2e.n': i, ...(k.rootAttrs || {}) },
    });
    assert.equal(root.spanContext().traceId, traceId);
    const validate = otel.startSpan(tracer, 'validate', { parent: root, at: start + ms(1) });
    validate.end(hr(start + ms(5)));
    const charge = otel.startSpan(tracer, 'charge', {
      kind: api.SpanKind.CLIENT, parent: root, at: start + ms(6), attributes: k.chargeAttrs,
    });
    const c = k.charge || {};
    if (c.error) charge.setStatus({ code: api.SpanStatusCode.ERROR, message: 'declined' });
    if (c.ok) charge.setStatus({ code: api.SpanStatusCode.OK });
    charge.end(hr(start + ms(c.endMs || 15)));
    if (k.rootError) root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'failed' });
    if (k.rootOk) root.setStatus({ code: api.SpanStatusCode.OK });
    root.end(hr(start + ms(k.rootMs || 20) + (k.rootExtraNs || 0n)));
    const spans = memory.getFinishedSpans();
    memory.reset();
    assert.equal(spans.length, 3);
    traces.push({ i, traceId, kind: k.kind, policy: k.policy, spans, startNs: start });
  }
  return traces;
}

// Sends the mix in batches of 50 whole traces, in turn over gRPC, HTTP/protobuf and HTTP/JSON,
// four exports in flight.
async function sendMix(server, traces) {
  const batches = [];
  for (let b = 0; b < traces.length; b += 50) batches.push(traces.slice(b, b + 50).flatMap((t) => t.spans));
  await withExporters(server, (exporters) => inParallel(batches, 4, (spans, b) =>
    otel.exportSpans(exporters[otel.PROTOCOLS[b % 3]], spans, `mix batch ${b}`)));
}

// Runs the mix against a fresh server and checks what it stored against its own decisions:
// every error, slow and watched trace kept and whole, the metrics by policy, search and
// read-by-id agreeing. Returns the set of trace ids it kept.
async function runMix(name, traces, { fullCheck }) {
  const server = await startWithConfig(name, MIX_CONFIG);
  await sendMix(server, traces);
  const samples = await sv.waitForDecisions(server, traces.length);

  // Search finds the kept traces: every error, slow and watched one, and some plain ones.
  const from = traces[0].startNs - ms(1000);
  const to = traces[traces.length - 1].startNs + ms(1000);
  const summaries = await sv.summariesById(server, MIX_SERVICE, from, to);
  const kept = new Set(summaries.keys());
  const missing = traces.filter((t) => t.policy && !kept.has(t.traceId)).map((t) => `${t.i} (${t.kind})`);
  assert.deepEqual(missing, [], `${name}: error, slow and watched traces not kept`);
  for (const [id, s] of summaries) {
    assert.equal(s.spanCount, 3, `${name}: summary spanCount of ${id}`);
    assert.equal(s.rootOperationName, 'POST /orders', `${name}: root of ${id}`);
  }
  const watched2 = await sv.classicSearchIds(server, MIX_SERVICE, from, to, 'order_id:W-2');
  assert.deepEqual(watched2.sort(), traces.filter((t) => t.kind === 'watched-child')
      .map((t) => jaegerTraceId(t.traceId)).sort(), `${name}: classic search order_id:W-2`);

  // The policy that kept each trace: the first in configuration order that samples it.
  const policyOf = (t) => t.policy || (kept.has(t.traceId) ? 'baseline' : undefined);
  const counts = {};
  for (const t of traces) {
    const key = policyOf(t) ? `kept/${policyOf(t)}` : 'dropped/';
    counts[key] = (counts[key] || 0) + 1;
  }
  assert.deepEqual(sv.decisionCounts(samples), counts, `${name}: spanvault_sampling_traces_total`);
  assert.equal(sv.metricSum(samples, 'spanvault_sampling_late_spans_total'), 0, `${name}: no late spans`);
  assert.equal(sv.metricSum(samples, 'spanvault_sampling_pending_bytes'), 0, `${name}: no pending bytes`);

  if (fullCheck) {
    // Every trace by id: kept ones complete, field by field, with their policy on the root
    // span; dropped ones gone.
    await inParallel(traces, 8, async (t) => {
      const where = `${name}: trace ${t.i} (${t.kind}, ${t.traceId})`;
      const got = await sv.traceState(server, t.traceId);
      if (kept.has(t.traceId)) {
        assert.equal(got.state, 'decided', `${where}: kept and decided`);
        sv.assertKeptTrace(got.trace, t.spans, policyOf(t), { where });
      } else {
        assert.equal(got.state, 'absent', `${where}: dropped`);
      }
    });
  }
  await server.stop();
  return kept;
}

test('a known mix of 2,000 traces is stored exactly as the policies imply, the same on two runs', async () => {
  const traces = buildMix(otel.baseTimeNs(20 * 60 * 1000));
  const plain = traces.filter((t) => !t.policy);
  assert.equal(plain.length, 1400);
  const forced = {};
  for (const t of traces.filter((x) => x.policy)) forced[t.policy] = (forced[t.policy] || 0) + 1;
  assert.deepEqual(forced, { errors: 200, slow: 200, 'watched-orders': 200 });

  const first = await runMix('spanvault-mix-1', traces, { fullCheck: true });

  // Of the plain traces, the kept share is within 5 sigma of 10 % (binomial).
  const keptPlain = plain.filter((t) => first.has(t.traceId));
  const mean = plain.length * PERCENT / 100;
  const sigma = Math.sqrt(plain.length * (PERCENT / 100) * (1 - PERCENT / 100));
  assert.ok(Math.abs(keptPlain.length - mean) <= 5 * sigma,
            `${keptPlain.length} of ${plain.length} plain traces kept, want ${mean} ± ${(5 * sigma).toFixed(1)}`);

  // A second server with a fresh data directory and the same trace ids keeps the same set.
  const second = await runMix('spanvault-mix-2', traces, { fullCheck: false });
  assert.deepEqual([...second].sort(), [...first].sort(), 'the same traces kept on both runs');

  // And it is the Collector's choice (FNV-1a of the default salt and the id, written here
  // independently), so a Collector in front of spanvault would keep the same 10 %.
  const collector = plain.filter((t) => sv.probabilisticSamples(t.traceId, PERCENT));
  assert.deepEqual(keptPlain.map((t) => t.i), collector.map((t) => t.i),
                   'the plain traces kept are those the Collector\'s probabilistic policy samples');
});

// --- 2, 3. a trace over three exports; late spans -------------------------------------------

// decision_wait is well above the ~2 s a split trace takes to arrive; the root ends it early.
const SPLIT_CONFIG = `
sampling:
  decision_wait: 20s
  decision_quiet: 500ms
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
    - {name: slow, type: latency, latency: {threshold_ms: 1000}}
    - {name: watched-orders, type: string_attribute, string_attribute: {key: order_id, values: [W-1, W-2]}}
`;
let splitServer;
async function getSplitServer() {
  if (!splitServer) splitServer = await startWithConfig('spanvault-split', SPLIT_CONFIG);
  return splitServer;
}

// A trace in `service` with a root and `children` children; `childAttrs(j)` gives the
// attributes of child j. Returns {traceId, rootSpan, children, spans, startNs, endNs, addSpan}.
function buildTrace(service, { children = 2, childAttrs = () => ({}), rootError = false, idLabel, n }) {
  const ids = new sv.FixedIdGenerator(0x5b0000000001 + n * 100);
  const { provider, memory } = otel.memoryProvider({ 'service.name': service }, { idGenerator: ids });
  const tracer = provider.getTracer('sampling-e2e', '1.0.0');
  const startNs = otel.baseTimeNs(10 * 60 * 1000) + BigInt(n) * ms(1000);
  const traceId = sv.fixedTraceId(idLabel, n);
  ids.next(traceId);
  const root = otel.startSpan(tracer, 'GET /orders/{id}', { kind: api.SpanKind.SERVER, at: startNs });
  for (let j = 0; j < children; j++) {
    const c = otel.startSpan(tracer, `step-${j}`, { parent: root, at: startNs + ms(j + 1), attributes: childAttrs(j) });
    c.end(hr(startNs + ms(j + 2)));
  }
  if (rootError) root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'failed' });
  root.end(hr(startNs + ms(50)));
  const spans = memory.getFinishedSpans();
  memory.reset();
  const rootSpan = spans.find((s) => !s.parentSpanContext);
  // Another child of the root, ended; returns its ReadableSpan.
  const addSpan = (name, attributes) => {
    const c = otel.startSpan(tracer, name, { parent: rootSpan.spanContext(), at: startNs + ms(30), attributes });
    c.end(hr(startNs + ms(40)));
    const [late] = memory.getFinishedSpans();
    memory.reset();
    return late;
  };
  return {
    traceId, spans, startNs, endNs: startNs + ms(50), rootSpan, addSpan,
    children: spans.filter((s) => s !== rootSpan),
  };
}

async function servicesOf(server) {
  return (await getJson(`${server.queryUrl}/api/v3/services`)).services;
}

test('a trace split over three exports is stored whole; while pending it is readable by id, not searchable', async () => {
  const server = await getSplitServer();
  const service = 'split-svc';
  // K is kept for W-2 on a span of the second export; D has W-9 there and is dropped. Each
  // export carries a part of both; the roots come last. D's service has no other trace.
  const K = buildTrace(service, { idLabel: 'split', n: 1, children: 4, childAttrs: (j) => (j === 2 ? { order_id: 'W-2' } : {}) });
  const D = buildTrace('split-dropped-svc', { idLabel: 'split', n: 2, children: 4, childAttrs: (j) => (j === 2 ? { order_id: 'W-9' } : {}) });
  const parts = (t) => [t.children.slice(0, 2), t.children.slice(2), [t.rootSpan]];
  const from = K.startNs - ms(1000);
  const to = D.endNs + ms(1000);

  async function assertPending(t, sent, when) {
    const got = await sv.traceState(server, t.traceId);
    assert.equal(got.state, 'pending', `${when}: trace ${t.traceId} is pending`);
    assert.deepEqual(sv.spanIdsOf(got.trace), sent.map((s) => s.spanContext().spanId).sort(),
                     `${when}: the spans sent so far`);
  }
  async function assertNotSearchable(when) {
    assert.deepEqual(await servicesOf(server), [], `${when}: no services listed`);
    assert.equal((await sv.summariesById(server, service, from, to)).size, 0, `${when}: no summaries`);
    assert.deepEqual(await sv.classicSearchIds(server, service, from, to), [], `${when}: classic search`);
    assert.deepEqual(await sv.classicSearchIds(server, service, from, to, 'order_id:W-2'), [],
                     `${when}: classic search by order_id`);
  }

  await withExporters(server, async (exporters) => {
    const protocols = ['grpc', 'http/protobuf', 'http/json'];
    for (let p = 0; p < 3; p++) {
      if (p > 0) await delay(1000); // a client's pause between exports, not a wait for state
      await otel.exportSpans(exporters[protocols[p]], [...parts(K)[p], ...parts(D)[p]], `export ${p + 1}`);
      // The first export retried (a lost acknowledgement): stored once.
      if (p === 0) await otel.exportSpans(exporters['http/json'], [...parts(K)[0], ...parts(D)[0]], 'export 1 again');
      if (p < 2) {
        const when = `after export ${p + 1}`;
        await assertPending(K, parts(K).slice(0, p + 1).flat(), when);
        await assertPending(D, parts(D).slice(0, p + 1).flat(), when);
        await assertNotSearchable(when);
      }
    }
  });

  // Decided decision_quiet after the root: K whole, D gone.
  const k = await waitFor(async () => {
    const got = await sv.traceState(server, K.traceId);
    return got.state === 'decided' && got;
  }, { timeoutMs: 30000, what: 'the split trace K to be decided' });
  sv.assertKeptTrace(k.trace, K.spans, 'watched-orders', { where: 'split trace K' });
  await waitFor(async () => (await sv.traceState(server, D.traceId)).state === 'absent',
                { timeoutMs: 30000, what: 'the split trace D to be dropped' });
  const summaries = await sv.summariesById(server, service, from, to);
  assert.deepEqual([...summaries.keys()], [K.traceId]);
  assert.equal(summaries.get(K.traceId).spanCount, 5);
  assert.deepEqual(await servicesOf(server), [service], 'the dropped trace\'s service is not listed');
  assert.deepEqual(await sv.classicSearchIds(server, service, from, to, 'order_id:W-2'),
                   [jaegerTraceId(K.traceId)]);
});

test('a late span of a kept trace is stored and indexed; one of a dropped trace is not', async () => {
  const server = await getSplitServer();
  const service = 'late-svc';
  const K = buildTrace(service, { idLabel: 'late', n: 1, children: 2, rootError: true });
  const D = buildTrace(service, { idLabel: 'late', n: 2, children: 2 });
  const from = K.startNs - ms(1000);
  const to = D.endNs + ms(1000);
  const decidedBefore = sv.metricSum(await sv.metricSamples(server), 'spanvault_sampling_traces_total');

  await withExporters(server, async (exporters) => {
    await otel.exportSpans(exporters.grpc, [...K.spans, ...D.spans], 'K and D');
    await sv.waitForDecisions(server, decidedBefore + 2);
    const k = await sv.traceState(server, K.traceId);
    assert.equal(k.state, 'decided', 'K is kept');
    sv.assertKeptTrace(k.trace, K.spans, 'errors', { where: 'K before its late span' });
    assert.equal((await sv.traceState(server, D.traceId)).state, 'absent', 'D is dropped');
    assert.equal((await sv.summariesById(server, service, from, to)).get(K.traceId).spanCount, 3);

    // A late child of each, with an indexed attribute of its own; acknowledged means durable.
    const lateK = K.addSpan('late-step', { order_id: 'LATE-K' });
    const lateD = D.addSpan('late-step', { order_id: 'LATE-D' });
    await otel.exportSpans(exporters['http/protobuf'], [lateK, lateD], 'the late spans');

    const k2 = await sv.traceState(server, K.traceId);
    assert.equal(k2.state, 'decided', 'K after its late span');
    sv.assertKeptTrace(k2.trace, [...K.spans, lateK], 'errors', { where: 'K after its late span' });
    const summaries = await sv.summariesById(server, service, from, to);
    assert.deepEqual([...summaries.keys()], [K.traceId], 'only K is searchable');
    assert.equal(summaries.get(K.traceId).spanCount, 4, 'the summary counts the late span');
    assert.deepEqual(await sv.classicSearchIds(server, service, from, to, 'order_id:LATE-K'),
                     [jaegerTraceId(K.traceId)], 'the late span is indexed');
    assert.equal((await sv.traceState(server, D.traceId)).state, 'absent', 'D stays dropped');
    assert.deepEqual(await sv.classicSearchIds(server, service, from, to, 'order_id:LATE-D'), []);

    const samples = await sv.metricSamples(server);
    assert.equal(sv.metricSum(samples, 'spanvault_sampling_late_spans_total', { decision: 'kept' }), 1);
    assert.equal(sv.metricSum(samples, 'spanvault_sampling_late_spans_total', { decision: 'dropped' }), 1);
    assert.equal(sv.metricSum(samples, 'spanvault_sampling_pending_traces'), 0, 'a late span opens no pending trace');
  });
});

test('a late span after the decision cache forgot a keep: the trace stays kept, its root tagged once', async () => {
  // A decision is remembered for decision_cache_ttl; a span after that opens a new pending
  // episode, and the store keeps a trace it kept before whatever that episode decides.
  const server = await startWithConfig('spanvault-cache-ttl', `
sampling:
  decision_wait: 2s
  decision_quiet: 200ms
  decision_cache_ttl: 1s
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
`);
  const service = 'ttl-svc';
  const K = buildTrace(service, { idLabel: 'ttl', n: 1, children: 1, rootError: true });
  await withExporters(server, async (exporters) => {
    await otel.exportSpans(exporters.grpc, K.spans, 'K');
    await sv.waitForDecisions(server, 1);
    // Late spans, one per poll, until one finds the decision forgotten (a new pending episode of
    // K; the trace itself still shows as kept); each is stored either way: as a late span of
    // the kept trace, or in the new episode.
    const late = [];
    await waitFor(async () => {
      const span = K.addSpan(`late-${late.length}`, { order_id: `TTL-${late.length}` });
      await otel.exportSpans(exporters.grpc, [span], `late span ${late.length}`);
      late.push(span);
      if ((await sv.traceState(server, K.traceId)).state !== 'decided') {
        throw new Error('K, kept before, must never show as undecided');
      }
      return (await sv.pendingTraces(server)) > 0;
    }, { timeoutMs: 30000, intervalMs: 200, what: 'the keep decision of K to be forgotten' });
    await sv.waitForDecisions(server, 2);
    const got = await sv.traceState(server, K.traceId);
    assert.equal(got.state, 'decided', 'K is decided again');
    sv.assertKeptTrace(got.trace, [...K.spans, ...late], 'errors', { where: `K with ${late.length} late spans` });
    const summaries = await sv.summariesById(server, service, K.startNs - ms(1000), K.endNs + ms(1000));
    assert.equal(summaries.get(K.traceId).spanCount, K.spans.length + late.length);
  });
});

test('an invalid sampling section stops the start with a message naming the field', async () => {
  const cases = [
    ['policies:\n    - {name: slow, type: latency, latency: {treshold_ms: 1000}}',
     /sampling\.policies\[0\]\.latency\.treshold_ms: unknown key/],
    ['policies:\n    - {name: a, type: sometimes}',
     /sampling\.policies\[0\]\.type: unknown policy type "sometimes"; supported: always_sample, /],
    ['decision_wait: soon\n  policies:\n    - {name: a, type: always_sample}',
     /sampling\.decision_wait: .*"soon"/],
    ['policies:\n    - {name: e, type: always_sample}\n    - {name: e, type: status_code, status_code: {status_codes: [ERROR]}}',
     /sampling\.policies\[1\]\.name: duplicate policy name "e" \(also sampling\.policies\[0\]\)/],
  ];
  for (const [n, [section, message]] of cases.entries()) {
    const file = sv.writeConfig(configDir, `invalid-${n}.yaml`, `sampling:\n  ${section}\n`);
    const server = new SpanvaultServer({ name: `spanvault-invalid-${n}`, args: ['--config', file] });
    servers.push(server);
    const exit = await server.startExpectingExit();
    assert.notEqual(exit.code, 0, `invalid config ${n}: exit code`);
    assert.match(exit.output, message, `invalid config ${n}: message`);
  }
});

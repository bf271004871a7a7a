'use strict';
// Tail sampling survives kill -9: hundreds of undecided traces, acknowledged and then crashed,
// are decided after the restart, every kept one complete and every dropped one gone; retried
// batches are stored once; decisions made before a crash still route late spans after it.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const otel = require('./lib/otel');
const sv = require('./lib/sampling');

const { api, ms, hr } = otel;
const configDir = sv.makeTempDir();
const servers = [];

after(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

const policies = `
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
    - {name: slow, type: latency, latency: {threshold_ms: 1000}}
    - {name: watched-orders, type: string_attribute, string_attribute: {key: order_id, values: [W-1, W-2]}}
`;
// Before the crash nothing is decided: no early decision, and a minute to wait.
const HOLD_CONFIG = `sampling:\n  decision_wait: 1m\n  decision_quiet: 0s\n${policies}`;
// After it, every reloaded trace is already past its deadline.
const DECIDE_CONFIG = `sampling:\n  decision_wait: 2s\n  decision_quiet: 500ms\n${policies}`;

const TRACES = 300;
const SPANS = 4;
const SERVICE = 'crash-sampling-svc';
// By i % 4: kept for an error on a child, kept for a watched order, dropped (two kinds).
const KINDS = [
  { kind: 'error', policy: 'errors' },
  { kind: 'watched', policy: 'watched-orders' },
  { kind: 'plain' },
  { kind: 'near-miss', order: 'W-3' },
];

function buildTraces(baseNs) {
  const ids = new sv.FixedIdGenerator(0x5c0000000001);
  const { provider, memory } = otel.memoryProvider({ 'service.name': SERVICE, 'e2e.run': 'sampling-crash' }, { idGenerator: ids });
  const tracer = provider.getTracer('sampling-crash-e2e', '1.0.0');
  const traces = [];
  for (let i = 0; i < TRACES; i++) {
    const k = KINDS[i % KINDS.length];
    const traceId = sv.fixedTraceId('sampling-crash', i);
    const start = baseNs + BigInt(i) * ms(2);
    ids.next(traceId);
    const order = k.kind === 'watched' ? (i % 8 === 1 ? 'W-1' : 'W-2') : (k.order || `C-${i}`);
    const root = otel.startSpan(tracer, 'POST /orders', { kind: api.SpanKind.SERVER, at: start, attributes: { order_id: order } });
    for (let j = 1; j < SPANS; j++) {
      const c = otel.startSpan(tracer, `work-${j}`, { parent: root, at: start + ms(j) });
      if (k.kind === 'error' && j === SPANS - 1) c.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom' });
      c.end(hr(start + ms(j + 3)));
    }
    root.end(hr(start + ms(20)));
    const spans = memory.getFinishedSpans();
    memory.reset();
    traces.push({ i, traceId, kind: k.kind, policy: k.policy, spans, startNs: start });
  }
  // A late child of trace t, from the same provider (so the same resource).
  const lateSpan = (t) => {
    const root = t.spans.find((x) => !x.parentSpanContext);
    const s = otel.startSpan(tracer, 'late-work', { parent: root.spanContext(), at: t.startNs + ms(10) });
    s.end(hr(t.startNs + ms(11)));
    const [span] = memory.getFinishedSpans();
    memory.reset();
    return span;
  };
  return { traces, lateSpan };
}

// Every trace's spans spread over `count` batches: a trace's children and its root land in
// different batches.
function spreadOverBatches(traces, count) {
  const batches = Array.from({ length: count }, () => []);
  for (const t of traces) {
    t.spans.forEach((span, j) => batches[(t.i + j * 7) % count].push(span));
  }
  return batches;
}

test('kill -9 with hundreds of pending traces: after the restart every kept trace is complete and every dropped one is gone', async () => {
  const configFile = sv.writeConfig(configDir, 'crash.yaml', HOLD_CONFIG);
  const server = new SpanvaultServer({ name: 'spanvault-sampling-crash', args: ['--config', configFile] });
  servers.push(server);
  await server.start();

  const { traces, lateSpan } = buildTraces(otel.baseTimeNs(30 * 60 * 1000));
  const batches = spreadOverBatches(traces, 30);
  const from = traces[0].startNs - ms(1000);
  const to = traces[TRACES - 1].startNs + ms(1000);
  const exporters = otel.PROTOCOLS.map((p) => otel.createExporter(server, p));
  try {
    // The first half of the batches, then a look: every trace is pending, none searchable.
    for (let b = 0; b < 15; b++) await otel.exportSpans(exporters[b % 3], batches[b], `batch ${b}`);
    assert.equal(await sv.pendingTraces(server), TRACES, 'every trace is pending');
    for (const t of traces.filter((x) => x.i % 25 === 0)) {
      assert.equal((await sv.traceState(server, t.traceId)).state, 'pending', `trace ${t.i} is pending`);
    }
    assert.equal((await sv.summariesById(server, SERVICE, from, to)).size, 0, 'nothing searchable while pending');
    // The rest, and kill -9 right after the last acknowledgement.
    for (let b = 15; b < batches.length; b++) await otel.exportSpans(exporters[b % 3], batches[b], `batch ${b}`);
    await server.kill();
  } finally {
    await Promise.all(exporters.map((e) => e.shutdown()));
  }

  // Restart on the same data directory with a short decision_wait: all are decided at once.
  sv.writeConfig(configDir, 'crash.yaml', DECIDE_CONFIG);
  await server.start();
  const samples = await sv.waitForDecisions(server, TRACES);
  const kept = traces.filter((t) => t.policy);
  assert.deepEqual(sv.decisionCounts(samples), {
    'kept/errors': TRACES / 4, 'kept/watched-orders': TRACES / 4, 'dropped/': TRACES / 2,
  }, 'the decisions after the restart');
  for (const t of traces) {
    const where = `trace ${t.i} (${t.kind}) after kill -9 and restart`;
    const got = await sv.traceState(server, t.traceId);
    if (t.policy) {
      assert.equal(got.state, 'decided', `${where}: kept`);
      sv.assertKeptTrace(got.trace, t.spans, t.policy, { where });
    } else {
      assert.equal(got.state, 'absent', `${where}: dropped`);
    }
  }
  const summaries = await sv.summariesById(server, SERVICE, from, to);
  assert.deepEqual([...summaries.keys()].sort(), kept.map((t) => t.traceId).sort(), 'the searchable traces');
  for (const s of summaries.values()) assert.equal(s.spanCount, SPANS);

  // The exporters retry every batch (they may not have seen the acknowledgements): late spans
  // now, stored once for the kept traces and discarded for the dropped ones.
  const retry = otel.PROTOCOLS.map((p) => otel.createExporter(server, p));
  try {
    for (let b = 0; b < batches.length; b++) await otel.exportSpans(retry[(b + 1) % 3], batches[b], `retry of batch ${b}`);
  } finally {
    await Promise.all(retry.map((e) => e.shutdown()));
  }
  const afterRetry = await sv.metricSamples(server);
  assert.equal(sv.metricSum(afterRetry, 'spanvault_sampling_late_spans_total', { decision: 'kept' }), kept.length * SPANS);
  assert.equal(sv.metricSum(afterRetry, 'spanvault_sampling_late_spans_total', { decision: 'dropped' }), (TRACES - kept.length) * SPANS);
  assert.equal(sv.metricSum(afterRetry, 'spanvault_sampling_pending_traces'), 0, 'retries open no pending trace');
  for (const t of traces) {
    const got = await sv.traceState(server, t.traceId);
    const where = `trace ${t.i} (${t.kind}) after the retries`;
    if (t.policy) sv.assertKeptTrace(got.trace, t.spans, t.policy, { where });
    else assert.equal(got.state, 'absent', where);
  }
  for (const s of (await sv.summariesById(server, SERVICE, from, to)).values()) {
    assert.equal(s.spanCount, SPANS, 'spanCount after the retries');
  }

  // The decisions survive a crash: late spans after it follow them, and survive the next one.
  const keptOne = kept[0];
  const droppedOne = traces.find((t) => !t.policy);
  await server.kill();
  await server.start();
  const exporter = otel.createExporter(server, 'grpc');
  const lateKept = lateSpan(keptOne);
  try {
    await otel.exportSpans(exporter, [lateKept, lateSpan(droppedOne)], 'late spans after a crash');
    await server.kill(); // right after the acknowledgement
  } finally {
    await exporter.shutdown();
  }
  await server.start();
  const k = await sv.traceState(server, keptOne.traceId);
  assert.equal(k.state, 'decided', 'the kept trace after the third start');
  sv.assertKeptTrace(k.trace, [...keptOne.spans, lateKept], keptOne.policy, { where: 'kept trace with its late span' });
  assert.equal((await sv.traceState(server, droppedOne.traceId)).state, 'absent', 'the dropped trace stays gone');
  const after2 = await sv.metricSamples(server);
  // Neither late span opened a pending trace (it would have been reloaded).
  assert.equal(sv.metricSum(after2, 'spanvault_sampling_pending_traces'), 0, 'nothing pending');
  assert.equal(sv.metricSum(after2, 'spanvault_sampling_traces_total'), 0, 'nothing decided again');
  await server.stop();
});

test('a graceful restart keeps the pending traces and their deadlines', async () => {
  const configFile = sv.writeConfig(configDir, 'graceful.yaml', HOLD_CONFIG);
  const server = new SpanvaultServer({ name: 'spanvault-sampling-graceful', args: ['--config', configFile] });
  servers.push(server);
  await server.start();
  const { traces } = buildTraces(otel.baseTimeNs(40 * 60 * 1000));
  const some = traces.slice(0, 40);
  const exporter = otel.createExporter(server, 'http/protobuf');
  try {
    await otel.exportSpans(exporter, some.flatMap((t) => t.spans), 'forty traces');
  } finally {
    await exporter.shutdown();
  }
  assert.equal(await sv.pendingTraces(server), some.length);
  await server.stop(); // SIGTERM with everything pending; asserts exit code 0

  // Restarted with the same long decision_wait: still pending, nothing decided yet.
  await server.start();
  assert.equal(await sv.pendingTraces(server), some.length, 'pending after the restart');
  assert.equal((await sv.traceState(server, some[0].traceId)).state, 'pending');
  await server.stop();

  // With a short one: decided, as the policies say.
  sv.writeConfig(configDir, 'graceful.yaml', DECIDE_CONFIG);
  await server.start();
  await sv.waitForDecisions(server, some.length);
  for (const t of some) {
    const got = await sv.traceState(server, t.traceId);
    if (t.policy) sv.assertKeptTrace(got.trace, t.spans, t.policy, { where: `trace ${t.i} after a graceful restart` });
    else assert.equal(got.state, 'absent', `trace ${t.i} after a graceful restart`);
  }
  await server.stop();
});

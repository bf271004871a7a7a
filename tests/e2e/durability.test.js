'use strict';
// Durability: what was acknowledged survives a graceful restart and a kill -9, exactly once,
// and a retried batch does not duplicate spans.

const assert = require('node:assert/strict');
const { test, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { getJson, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const { assertJaegerTrace, jaegerTraceId } = require('./lib/expect');

const { api, ms, hr } = otel;
const servers = [];

after(async () => {
  for (const s of servers) await s.close();
});

function newServer(name) {
  const s = new SpanvaultServer({ name });
  servers.push(s);
  return s;
}

const iso = (ns) => new Date(Number(ns / 1000000n)).toISOString();

async function withExporters(server, fn) {
  const exporters = Object.fromEntries(otel.PROTOCOLS.map((p) => [p, otel.createExporter(server, p)]));
  try {
    return await fn(exporters);
  } finally {
    await Promise.all(Object.values(exporters).map((e) => e.shutdown()));
  }
}

// Trace summaries of `service` in [from, to], by trace id.
async function summariesById(server, service, fromNs, toNs) {
  const body = await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs([
    ['query.serviceName', service], ['query.startTimeMin', iso(fromNs)],
    ['query.startTimeMax', iso(toNs)], ['query.searchDepth', '1000']])}`);
  return new Map(body.summaries.map((s) => [s.traceId, s]));
}

test('graceful restart: every trace, service, operation and search result is still there', async () => {
  const server = newServer('spanvault-restart');
  await server.start();
  const traces = [];
  await withExporters(server, async (exporters) => {
    for (const [i, protocol] of ['grpc', 'http/protobuf', 'http/json', 'grpc'].entries()) {
      const t = otel.buildRichTrace({
        service: `restart-shop-${i}`, workerService: 'restart-worker', orderId: `R-${i}`,
        baseNs: otel.baseTimeNs(600000 - i * 10000),
      });
      await otel.exportSpans(exporters[protocol], t.spans, `${protocol} export ${i}`);
      traces.push(t);
    }
  });
  const servicesBefore = (await getJson(`${server.queryUrl}/api/v3/services`)).services;

  await server.stop(); // asserts exit code 0
  await server.start();

  for (const t of traces) {
    const body = await getJson(`${server.queryUrl}/api/traces/${t.traceId}`);
    assertJaegerTrace(body.data[0], t.spans, { where: `trace ${t.traceId} after restart` });
  }
  const services = (await getJson(`${server.queryUrl}/api/v3/services`)).services;
  assert.deepEqual(services, servicesBefore, 'services after restart');
  assert.deepEqual([...services].sort(),
                   [...new Set(traces.flatMap((t) => t.services))].sort());
  const ops = await getJson(`${server.queryUrl}/api/v3/operations?service=restart-shop-2`);
  assert.deepEqual(ops.operations.map((o) => `${o.name}/${o.spanKind}`).sort(),
                   ['POST /orders/server', 'charge-payment/client', 'orders publish/producer',
                    'validate-cart/internal']);
  // Search by the indexed order_id, classic and v3.
  const from = traces[0].baseNs - ms(1000);
  const to = traces[3].endNs + ms(1000);
  const classic = await getJson(`${server.queryUrl}/api/traces?${qs([
    ['service', 'restart-worker'], ['tag', 'order_id:R-2'],
    ['start', (from / 1000n).toString()], ['end', (to / 1000n).toString()]])}`);
  assert.deepEqual(classic.data.map((d) => d.traceID), [jaegerTraceId(traces[2].traceId)]);
  const worker = await summariesById(server, 'restart-worker', from, to);
  assert.deepEqual([...worker.keys()].sort(), traces.map((t) => t.traceId).sort());
  for (const t of traces) assert.equal(worker.get(t.traceId).spanCount, t.spans.length);
  // And the restarted server still ingests.
  await withExporters(server, async (exporters) => {
    const t = otel.buildRichTrace({ service: 'restart-late', workerService: 'restart-worker', orderId: 'R-9', baseNs: otel.baseTimeNs(5000) });
    await otel.exportSpans(exporters.grpc, t.spans, 'export after restart');
    const body = await getJson(`${server.queryUrl}/api/traces/${t.traceId}`);
    assertJaegerTrace(body.data[0], t.spans, { where: 'trace sent after restart' });
  });
  await server.stop();
});

test('kill -9 right after the last acknowledged export loses nothing; retries do not duplicate', async () => {
  const server = newServer('spanvault-crash');
  await server.start();

  // 10 traces of 12 spans, spread over 24 batches (each trace lands in 12 different batches),
  // the batches sent in turn over gRPC, HTTP/protobuf and HTTP/JSON.
  const TRACES = 10;
  const SPANS = 12;
  const BATCHES = 24;
  const baseNs = otel.baseTimeNs(15 * 60 * 1000);
  const { provider, memory } = otel.memoryProvider({ 'service.name': 'crash-svc', 'e2e.run': 'crash' });
  const tracer = provider.getTracer('crash-e2e', '1.0.0');
  const traceIds = [];
  const bounds = new Map(); // trace id → [start, end] in ns
  for (let t = 0; t < TRACES; t++) {
    const start = baseNs + BigInt(t) * ms(1000);
    const root = otel.startSpan(tracer, 'batch-root', { kind: api.SpanKind.SERVER, at: start, attributes: { order_id: `K-${t}` } });
    for (let j = 1; j < SPANS; j++) {
      const child = otel.startSpan(tracer, `work-${j % 3}`, { parent: root, at: start + ms(j) });
      child.end(hr(start + ms(j) + ms(5)));
    }
    root.end(hr(start + ms(100)));
    traceIds.push(root.spanContext().traceId);
    bounds.set(root.spanContext().traceId, [start, start + ms(100)]);
  }
  const all = memory.getFinishedSpans();
  assert.equal(all.length, TRACES * SPANS);
  const batches = Array.from({ length: BATCHES }, () => []);
  all.forEach((span, i) => batches[i % BATCHES].push(span));
  const protocolOf = (b) => otel.PROTOCOLS[b % otel.PROTOCOLS.length];

  await withExporters(server, async (exporters) => {
    for (let b = 0; b < BATCHES; b++) {
      await otel.exportSpans(exporters[protocolOf(b)], batches[b], `batch ${b}`);
    }
    // A retry of an already acknowledged batch while running.
    await otel.exportSpans(exporters.grpc, batches[0], 'retry of batch 0');
    await server.kill(); // immediately after the last acknowledgement
  });

  await server.start();
  const expected = new Map(traceIds.map((id) => [id, all.filter((s) => s.spanContext().traceId === id)]));

  async function checkExactlyOnce(when) {
    for (const [id, spans] of expected) {
      const body = await getJson(`${server.queryUrl}/api/traces/${id}`);
      // assertJaegerTrace fails on a missing, extra or duplicated span.
      assertJaegerTrace(body.data[0], spans, { where: `trace ${id} ${when}` });
      const v3 = await getJson(`${server.queryUrl}/api/v3/traces/${id}`);
      const count = v3.result.resourceSpans
          .flatMap((rs) => rs.scopeSpans).flatMap((ss) => ss.spans).length;
      assert.equal(count, SPANS, `v3 span count of ${id} ${when}`);
    }
    const summaries = await summariesById(server, 'crash-svc', baseNs - ms(1000), baseNs + ms(60000));
    assert.deepEqual([...summaries.keys()].sort(), [...traceIds].sort(), `summaries ${when}`);
    for (const id of traceIds) {
      const s = summaries.get(id);
      assert.equal(s.spanCount, SPANS, `spanCount of ${id} ${when}`);
      assert.deepEqual(s.services, [{ name: 'crash-svc', spanCount: SPANS, errorSpanCount: 0 }],
                       `services of ${id} ${when}`);
      // The root may have arrived after its children: the summary still finds it.
      assert.equal(s.rootServiceName, 'crash-svc', `root service of ${id} ${when}`);
      assert.equal(s.rootOperationName, 'batch-root', `root operation of ${id} ${when}`);
      assert.equal(s.minStartTimeUnixNano, bounds.get(id)[0].toString(), `min start of ${id} ${when}`);
      assert.equal(s.maxEndTimeUnixNano, bounds.get(id)[1].toString(), `max end of ${id} ${when}`);
    }
  }

  await checkExactlyOnce('after kill -9 and restart');
  assert.deepEqual((await getJson(`${server.queryUrl}/api/v3/services`)).services, ['crash-svc']);
  const ops = await getJson(`${server.queryUrl}/api/v3/operations?service=crash-svc`);
  assert.deepEqual(ops.operations.map((o) => `${o.name}/${o.spanKind}`).sort(),
                   ['batch-root/server', 'work-0/internal', 'work-1/internal', 'work-2/internal']);

  // Every batch retried after the restart (an exporter that never saw the acknowledgements).
  await withExporters(server, async (exporters) => {
    for (let b = 0; b < BATCHES; b++) {
      await otel.exportSpans(exporters[protocolOf(b + 1)], batches[b], `retry of batch ${b}`);
    }
  });
  await checkExactlyOnce('after retrying every batch');

  // The same batch three times at once (group-committed together), and one request that
  // carries every span of a trace twice.
  await withExporters(server, async (exporters) => {
    await Promise.all(otel.PROTOCOLS.map((p) => otel.exportSpans(exporters[p], batches[5], `concurrent ${p}`)));
    const twice = expected.get(traceIds[3]);
    await otel.exportSpans(exporters['http/protobuf'], [...twice, ...twice], 'every span twice');
  });
  await checkExactlyOnce('after concurrent and in-request duplicates');

  // And once more across a graceful restart.
  await server.stop();
  await server.start();
  await checkExactlyOnce('after retries and a graceful restart');
  await server.stop();
});

test('SIGTERM in the middle of ingest: exit 0, and every acknowledged export is durable', async () => {
  const server = newServer('spanvault-sigterm');
  await server.start();
  const baseNs = otel.baseTimeNs(10 * 60 * 1000);
  const acked = [];
  let sending = true;
  // One sender per protocol, each exporting small traces back to back until an export fails.
  const senders = otel.PROTOCOLS.map(async (protocol, p) => {
    const exporter = otel.createExporter(server, protocol, { timeoutMillis: 3000 });
    try {
      for (let i = 0; sending && i < 500; i++) {
        const t = otel.buildSimpleTrace({
          service: 'sigterm-svc', rootName: `${protocol}-${i}`, children: 4,
          baseNs: baseNs + BigInt(p * 1000 + i) * ms(1),
        });
        const result = await otel.exportSpansRaw(exporter, t.spans);
        if (result.code !== otel.ExportResultCode.SUCCESS) break;
        acked.push(t);
      }
    } finally {
      await exporter.shutdown();
    }
  });
  await waitFor(() => acked.length >= 30, { timeoutMs: 60000, what: '30 acknowledged exports' });
  try {
    await server.stop(); // SIGTERM while the senders keep going; asserts exit code 0
  } finally {
    sending = false;
    await Promise.all(senders);
  }
  assert.ok(acked.length >= 30);
  await server.start();
  for (const t of acked) {
    const body = await getJson(`${server.queryUrl}/api/traces/${t.traceId}`);
    assertJaegerTrace(body.data[0], t.spans, { where: `acknowledged trace ${t.rootName}` });
  }
  await server.stop();
});

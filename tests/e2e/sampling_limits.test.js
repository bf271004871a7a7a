'use strict';
// Tail sampling over its limits: once max_pending_traces (or max_pending_bytes) undecided
// traces are held, exports of new traces are refused with the retryable status (HTTP 429 with
// Retry-After, gRPC RESOURCE_EXHAUSTED with RetryInfo), never dropped silently, and the
// OpenTelemetry HTTP exporters' retries succeed once decisions free room.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const { test, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const proto = require('./lib/otlp_proto');
const sv = require('./lib/sampling');

const configDir = sv.makeTempDir();
const servers = [];
const EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

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

// An OTLP request (as a plain object for otlp_proto) with one span per trace id; `error` marks
// the spans ERROR, `padding` adds an attribute of that many bytes.
let spanCounter = 1;
function otlpRequest(service, traceIds, { error = false, padding = 0, parentSpanId } = {}) {
  const now = BigInt(Date.now()) * 1000000n;
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'sampling-limits-e2e' },
        spans: traceIds.map((traceId) => ({
          traceId: Buffer.from(traceId, 'hex'),
          spanId: Buffer.from((spanCounter++).toString(16).padStart(16, '0'), 'hex'),
          parentSpanId: parentSpanId ? Buffer.from(parentSpanId, 'hex') : undefined,
          name: 'limits-op',
          kind: 2,
          startTimeUnixNano: (now - 5000000n).toString(),
          endTimeUnixNano: now.toString(),
          attributes: padding ? [{ key: 'e2e.padding', value: { stringValue: 'x'.repeat(padding) } }] : [],
          status: error ? { code: 2, message: 'failed' } : undefined,
        })),
      }],
    }],
  };
}

function postProtobuf(server, object) {
  return request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: proto.encodeRequest(object),
  });
}

function rawGrpcExport(server, object) {
  const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_METHOD, (b) => b, (b) => b, proto.encodeRequest(object),
                            { deadline: Date.now() + 30000 }, (err, response) => {
                              client.close();
                              resolve({ err, response });
                            });
  });
}

// Asserts a 429 with Retry-After and a google.rpc.Status RESOURCE_EXHAUSTED body naming `limit`.
function assertRefused(res, limit, what) {
  assert.equal(res.status, 429, `${what}: status (body ${res.text.slice(0, 300)})`);
  assert.match(String(res.headers['retry-after']), /^[1-9][0-9]*$/, `${what}: Retry-After in whole seconds`);
  const status = res.headers['content-type'].startsWith('application/json')
      ? res.json() : proto.decodeRpcStatus(res.body);
  assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED, `${what}: google.rpc.Status code`);
  assert.match(status.message, new RegExp(`${limit}.*retry later`), `${what}: message`);
}

const rejected = async (server, receiver) => sv.metricSum(await sv.metricSamples(server),
    'spanvault_spans_rejected_total', { receiver, reason: 'overloaded' });

test('max_pending_traces: new traces get 429 / RESOURCE_EXHAUSTED, and the HTTP exporters succeed on retry', async () => {
  const server = await startWithConfig('spanvault-limit-traces', `
sampling:
  decision_wait: 60s
  decision_quiet: 1s
  max_pending_traces: 5
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
`);
  const service = 'limits-svc';
  const fillers = [0, 1, 2, 3, 4].map((n) => sv.fixedTraceId('limits-filler', n));
  // Five undecided traces: the limit. Their spans are children: without a root, nothing decides
  // them before decision_wait (60 s), however slow the machine; their roots, sent below, end
  // them decision_quiet (1 s) later.
  const parentSpanId = '00000000000000aa';
  const filled = await Promise.all(fillers.map((id) => postProtobuf(server, otlpRequest(service, [id], { parentSpanId }))));
  filled.forEach((res, n) => assert.equal(res.status, 200, `filler ${n}: ${res.text}`));
  assert.equal(await sv.pendingTraces(server), 5);

  // A sixth trace is refused over HTTP (protobuf and JSON) and gRPC.
  const sixth = sv.fixedTraceId('limits-new', 0);
  assertRefused(await postProtobuf(server, otlpRequest(service, [sixth])), 'max_pending_traces', 'HTTP protobuf');
  const nowNs = BigInt(Date.now()) * 1000000n;
  const jsonBody = JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ spans: [{
        traceId: sixth, spanId: 'aaaaaaaaaaaaaaaa', name: 'limits-op', kind: 2,
        startTimeUnixNano: String(nowNs - 1000000n), endTimeUnixNano: String(nowNs),
      }] }],
    }],
  });
  assertRefused(await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: jsonBody,
  }), 'max_pending_traces', 'HTTP JSON');
  const { err } = await rawGrpcExport(server, otlpRequest(service, [sixth]));
  assert.ok(err, 'gRPC export of a sixth trace fails');
  assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, `gRPC code: ${err.code} ${err.details}`);
  assert.match(err.details, /max_pending_traces.*retry later/);
  const detailsBin = err.metadata.get('grpc-status-details-bin');
  assert.equal(detailsBin.length, 1, 'grpc-status-details-bin');
  const details = proto.decodeRpcStatus(detailsBin[0]);
  assert.equal(details.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.ok(details.details.some((d) => d.typeUrl === RETRY_INFO_TYPE), `a RetryInfo detail: ${JSON.stringify(details.details.map((d) => d.typeUrl))}`);
  // Spans of a trace that is already pending are still taken: the limit counts new traces.
  const more = await postProtobuf(server, otlpRequest(service, [fillers[0]], { parentSpanId }));
  assert.equal(more.status, 200, `a span of a pending trace: ${more.text}`);
  // Nothing of the refused trace was stored.
  assert.equal((await sv.traceState(server, sixth)).state, 'absent');

  // The official HTTP exporters, started while the sampler is full, are refused and retry
  // (Retry-After: 1 s, five attempts) until the fillers' decisions free room: once each was
  // refused, the fillers' roots arrive.
  const refusedBefore = await rejected(server, 'otlp_http');
  const viaExporter = ['http/protobuf', 'http/json'].map((protocol, n) => {
    const { provider, memory } = otel.memoryProvider({ 'service.name': service });
    const root = otel.startSpan(provider.getTracer('sampling-limits-e2e'), `exporter-${protocol}`, {
      kind: otel.api.SpanKind.SERVER, at: otel.baseTimeNs(1000 + n),
    });
    root.setStatus({ code: otel.api.SpanStatusCode.ERROR, message: 'kept by errors' });
    root.end(otel.hr(otel.baseTimeNs(1000 + n) + otel.ms(3)));
    return { protocol, spans: memory.getFinishedSpans(), traceId: root.spanContext().traceId };
  });
  const exported = Promise.all(viaExporter.map(async (t) => {
    const exporter = otel.createExporter(server, t.protocol);
    try {
      return await otel.exportSpansRaw(exporter, t.spans);
    } finally {
      await exporter.shutdown();
    }
  }));
  await waitFor(async () => await rejected(server, 'otlp_http') >= refusedBefore + 2,
                { timeoutMs: 30000, what: 'both exporters to be refused' });
  const roots = await postProtobuf(server, otlpRequest(service, fillers));
  assert.equal(roots.status, 200, `the fillers' roots: ${roots.text}`);
  const results = await exported;
  results.forEach((r, n) => assert.equal(r.code, otel.ExportResultCode.SUCCESS,
                                         `${viaExporter[n].protocol} exporter: ${r.error && (r.error.stack || r.error)}`));
  assert.ok(await rejected(server, 'otlp_http') >= refusedBefore + 2,
            'each exporter was refused at least once before it succeeded');
  // Their traces are stored, decided and kept.
  for (const t of viaExporter) {
    const got = await waitFor(async () => {
      const s = await sv.traceState(server, t.traceId);
      return s.state === 'decided' && s;
    }, { timeoutMs: 30000, what: `the ${t.protocol} exporter's trace to be decided` });
    sv.assertKeptTrace(got.trace, t.spans, 'errors', { where: `${t.protocol} exporter's trace` });
  }
  // And the sixth trace goes through now that there is room.
  const now = await postProtobuf(server, otlpRequest(service, [sixth], { error: true }));
  assert.equal(now.status, 200, now.text);
});

test('max_pending_bytes: a batch that would pass it gets 429; a smaller one fits', async () => {
  const server = await startWithConfig('spanvault-limit-bytes', `
sampling:
  decision_wait: 30s
  max_pending_bytes: 4KiB
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
`);
  const service = 'limits-bytes-svc';
  const first = await postProtobuf(server, otlpRequest(service, [sv.fixedTraceId('limits-bytes', 0)], { padding: 2500 }));
  assert.equal(first.status, 200, first.text);
  const big = sv.fixedTraceId('limits-bytes', 1);
  assertRefused(await postProtobuf(server, otlpRequest(service, [big], { padding: 2500 })), 'max_pending_bytes', 'a batch over the bytes');
  assert.equal((await sv.traceState(server, big)).state, 'absent', 'nothing of the refused batch is stored');
  const small = await postProtobuf(server, otlpRequest(service, [sv.fixedTraceId('limits-bytes', 2)], { padding: 100 }));
  assert.equal(small.status, 200, small.text);
  assert.equal(await sv.pendingTraces(server), 2);
});

test('max_spans_per_trace: a trace that reaches it is decided at once, long before decision_wait', async () => {
  const server = await startWithConfig('spanvault-limit-spans', `
sampling:
  decision_wait: 5m
  max_spans_per_trace: 6
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
`);
  // Six children of a root that never comes, one of them failed: no early decision but the
  // span limit (and none at all within the five minutes' decision_wait).
  const { provider, memory } = otel.memoryProvider({ 'service.name': 'limits-spans-svc' });
  const tracer = provider.getTracer('sampling-limits-e2e');
  const start = otel.baseTimeNs(2000);
  const root = otel.startSpan(tracer, 'never-sent-root', { kind: otel.api.SpanKind.SERVER, at: start });
  for (let j = 0; j < 6; j++) {
    const c = otel.startSpan(tracer, `part-${j}`, { parent: root, at: start + otel.ms(j) });
    if (j === 4) c.setStatus({ code: otel.api.SpanStatusCode.ERROR, message: 'failed' });
    c.end(otel.hr(start + otel.ms(j + 1)));
  }
  const spans = memory.getFinishedSpans();
  const exporter = otel.createExporter(server, 'grpc');
  try {
    await otel.exportSpans(exporter, spans.slice(0, 3), 'three spans');
    assert.equal((await sv.traceState(server, root.spanContext().traceId)).state, 'pending', 'below the limit: pending');
    await otel.exportSpans(exporter, spans.slice(3), 'three more: the limit');
  } finally {
    await exporter.shutdown();
  }
  await sv.waitForDecisions(server, 1);
  const got = await sv.traceState(server, root.spanContext().traceId);
  assert.equal(got.state, 'decided');
  // The root span was never sent: the earliest span carries the policy.
  const earliest = got.trace.spans.find((s) => s.operationName === 'part-0');
  assert.equal(sv.tagValue(earliest, 'sampling.policy'), 'errors');
  assert.deepEqual(sv.spanIdsOf(got.trace), spans.map((s) => s.spanContext().spanId).sort());
});

test('max_spans_per_trace counts distinct spans: a retried batch does not end the trace early', async () => {
  const server = await startWithConfig('spanvault-limit-spans-retry', `
sampling:
  decision_wait: 5m
  max_spans_per_trace: 6
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
`);
  const { provider, memory } = otel.memoryProvider({ 'service.name': 'limits-retry-svc' });
  const tracer = provider.getTracer('sampling-limits-e2e');
  const start = otel.baseTimeNs(2000);
  const root = otel.startSpan(tracer, 'never-sent-root', { kind: otel.api.SpanKind.SERVER, at: start });
  for (let j = 0; j < 6; j++) {
    const c = otel.startSpan(tracer, `part-${j}`, { parent: root, at: start + otel.ms(j) });
    if (j === 5) c.setStatus({ code: otel.api.SpanStatusCode.ERROR, message: 'failed' });
    c.end(otel.hr(start + otel.ms(j + 1)));
  }
  const spans = memory.getFinishedSpans();
  const traceId = root.spanContext().traceId;
  const exporter = otel.createExporter(server, 'http/protobuf');
  try {
    // Three spans, and the same three again (an exporter retrying after a lost acknowledgement):
    // still three spans, below the limit. Then the other three, one failed: six, the limit.
    await otel.exportSpans(exporter, spans.slice(0, 3), 'three spans');
    await otel.exportSpans(exporter, spans.slice(0, 3), 'the same three again');
    await otel.exportSpans(exporter, spans.slice(3), 'the other three');
  } finally {
    await exporter.shutdown();
  }
  await sv.waitForDecisions(server, 1);
  const got = await sv.traceState(server, traceId);
  assert.equal(got.state, 'decided', 'the trace with a failed span is kept');
  assert.deepEqual(sv.spanIdsOf(got.trace), spans.map((s) => s.spanContext().spanId).sort(), 'all six spans');
  const samples = await sv.metricSamples(server);
  assert.deepEqual(sv.decisionCounts(samples), { 'kept/errors': 1 });
  assert.equal(sv.metricSum(samples, 'spanvault_sampling_excess_spans_total'), 0, 'no excess spans');
});

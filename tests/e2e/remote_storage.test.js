'use strict';
// The Jaeger remote-storage API on --remote-storage-addr, as an unmodified jaeger-query calls
// it (jaeger.storage.v2 TraceReader, DependencyReader and Capabilities; jaeger.storage.v1
// SpanReaderPlugin, DependenciesReaderPlugin, PluginCapabilities and SpanWriterPlugin), called
// with @grpc/grpc-js on the protos of this repository: every RPC answers what the HTTP API
// answers for the same traces; storage.v2 chunks never mix traces, split a large trace into
// consecutive chunks under gRPC's 4 MiB default and skip unknown ids; the end user's token
// that jaeger-query forwards as "bearer.token" metadata identifies the caller (scope,
// redaction, permission and audit apply), and a bad one is refused; bad parameters are
// INVALID_ARGUMENT naming the field.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { test, before, after } = require('./lib/harness');
const { startServer, ctlPath } = require('./lib/server');
const { getJson, request, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const {
  grpc, loadProtos, basic, rpcs, rejected, ts, hex, idBytes, uiKeyValue, uiSpan, httpSpan, chunkSpans,
  otlpSpans,
} = require('./lib/jaeger_grpc');

const loaded = loadProtos([
  'jaeger/storage/v2/trace_storage.proto', 'jaeger/storage/v2/dependency_storage.proto',
  'jaeger/storage/v2/capabilities.proto', 'jaeger/storage/v1/storage.proto',
]);
const S2 = loaded.jaeger.storage.v2;
const S1 = loaded.jaeger.storage.v1;

// 0001-01-01T00:00:00Z: how Jaeger's Go clients send an unset time.
const GO_ZERO_TIME = { seconds: '-62135596800', nanos: 0 };
const MISSING_ID = '0af7651916cd43dd8448eb211c80319c';

let server;
let rich;     // shop-api + mes-worker, 6 spans, user_id on the root
let big;      // shop-api, 23 spans
let hidden;   // billing-svc: outside the support role's scope
let large;    // shop-api, ~2.5 MB of span data
let window;   // { startNs, endNs } around every trace
const clients = {};
let supportToken;
let auditorToken;

// --- helpers -------------------------------------------------------------------------------

const asAdmin = () => basic('admin', server.credentials.password);
const { unary, stream, call } = rpcs(asAdmin);
const classic = (p, q) => getJson(`${server.queryUrl}/api/${p}${q ? `?${qs(q)}` : ''}`);

// What jaeger-query sends with bearer token propagation on: the user's token as
// "bearer.token", beside jaeger-query's own credentials (here the admin's Basic ones).
function forwarded(token, own = asAdmin()) {
  const md = own;
  md.set('bearer.token', token);
  return md;
}

function ctl(args, input = '') {
  return new Promise((resolve) => {
    const child = execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                           { timeout: 30000, env: server.ctlEnv() },
                           (err, stdout, stderr) => {
                             const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
                             resolve({ code, stdout, stderr });
                           });
    child.stdin.end(input);
  });
}

async function ok(args, input) {
  const r = await ctl(args, input);
  assert.equal(r.code, 0, `spanvaultctl ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  return r;
}

// The trace id of each storage.v2 chunk, checking the chunking contract: no chunk is empty or
// mixes traces, and the chunks of one trace are consecutive. Returns [traceId, spans][] in
// stream order.
function v2Traces(chunks) {
  const out = [];
  for (const chunk of chunks) {
    const spans = otlpSpans(chunk);
    assert.ok(spans.length > 0, 'no empty chunk');
    const ids = new Set(spans.map((s) => s.traceId));
    assert.equal(ids.size, 1, 'a chunk holds spans of one trace');
    const [id] = ids;
    if (out.length > 0 && out[out.length - 1][0] === id) {
      out[out.length - 1][1].push(...spans);
    } else {
      assert.ok(!out.some(([seen]) => seen === id), `the chunks of ${id} are consecutive`);
      out.push([id, spans]);
    }
  }
  for (const entry of out) entry[1].sort((a, b) => a.spanId.localeCompare(b.spanId));
  return out;
}

const byTrace = (spans) => {
  const out = {};
  for (const s of spans) (out[s.traceID] = out[s.traceID] || []).push(s.spanID);
  for (const k of Object.keys(out)) out[k].sort();
  return out;
};

// --- setup ---------------------------------------------------------------------------------

before(async () => {
  server = await startServer({ name: 'remote-storage' });
  const base = otel.baseTimeNs(10 * 60 * 1000);
  rich = otel.buildRichTrace({ service: 'shop-api', workerService: 'mes-worker', orderId: 'G-2001', baseNs: base });
  big = otel.buildSimpleTrace({ service: 'shop-api', rootName: 'bulk import', children: 22, baseNs: base + otel.ms(1000), durationMs: 30 });
  hidden = otel.buildSimpleTrace({ service: 'billing-svc', rootName: 'charge', baseNs: base + otel.ms(2000), attributes: { user_id: 'u-7', order_id: 'G-2001' } });
  // 50 spans of 50 KB each: more than 4 MiB would not fit one gRPC message for a default client.
  large = otel.buildSimpleTrace({
    service: 'shop-api', rootName: 'nightly export', children: 49, baseNs: base + otel.ms(3000), durationMs: 60,
  });
  for (const span of large.spans) span.attributes['e2e.blob'] = 'x'.repeat(50 * 1024);
  window = { startNs: base - otel.ms(60000), endNs: base + otel.ms(60000) };
  const exporter = otel.createExporter(server, 'grpc');
  try {
    await otel.exportSpans(exporter, rich.spans, 'the rich trace');
    await otel.exportSpans(exporter, big.spans, 'the 23-span trace');
    await otel.exportSpans(exporter, hidden.spans, 'the billing trace');
    await otel.exportSpans(exporter, large.spans, 'the large trace');
  } finally {
    await exporter.shutdown();
  }
  for (const t of [rich, big, hidden, large]) {
    await waitFor(async () => {
      const r = await request(`${server.queryUrl}/api/traces/${t.traceId}`);
      return r.status === 200 && r.json().data[0].spans.length === t.spans.length;
    }, { what: `trace ${t.traceId} to be readable` });
  }
  const address = server.remoteStorageAddress;
  const insecure = grpc.credentials.createInsecure();
  clients.reader = new S2.TraceReader(address, insecure);
  clients.deps = new S2.DependencyReader(address, insecure);
  clients.caps = new S2.Capabilities(address, insecure);
  clients.v1reader = new S1.SpanReaderPlugin(address, insecure);
  clients.v1deps = new S1.DependenciesReaderPlugin(address, insecure);
  clients.v1caps = new S1.PluginCapabilities(address, insecure);
  clients.v1writer = new S1.SpanWriterPlugin(address, insecure);
  await ok(['roles', 'create', 'auditor', '--services', '*', '--allow', 'admin:audit']);
  supportToken = JSON.parse((await ok(['-o', 'json', 'tokens', 'create', '--name', 'jq-support',
                                       '--role', 'support', '--expires', '1h'])).stdout).token;
  auditorToken = JSON.parse((await ok(['-o', 'json', 'tokens', 'create', '--name', 'jq-auditor',
                                       '--role', 'auditor', '--expires', '1h'])).stdout).token;
});

after(async () => {
  // Client.prototype.close: SpanWriterPlugin's `Close` RPC shadows `close` on its client.
  for (const client of Object.values(clients)) grpc.Client.prototype.close.call(client);
  if (server) await server.close();
});

// --- the same answers as the HTTP API ----------------------------------------------------------

test('GetServices and GetOperations of storage.v2 and storage.v1 answer what the HTTP API answers', async () => {
  const services = (await classic('services')).data;
  assert.deepEqual(services, ['billing-svc', 'mes-worker', 'shop-api']);
  assert.deepEqual((await unary(clients.reader, 'GetServices', {})).services, services);
  assert.deepEqual((await unary(clients.v1reader, 'GetServices', {})).services, services);
  for (const service of services) {
    const ops = (await classic('operations', { service })).data;
    const names = (await classic(`services/${encodeURIComponent(service)}/operations`)).data;
    const got2 = await unary(clients.reader, 'GetOperations', { service });
    assert.ok(got2.operations.length > 0);
    assert.deepEqual(got2.operations.map((o) => ({ name: o.name, spanKind: o.span_kind })), ops);
    const got1 = await unary(clients.v1reader, 'GetOperations', { service });
    assert.deepEqual(got1.operations.map((o) => ({ name: o.name, spanKind: o.span_kind })), ops);
    assert.deepEqual(got1.operationNames, names);
  }
  const servers = await unary(clients.reader, 'GetOperations', { service: 'shop-api', span_kind: 'server' });
  assert.deepEqual(servers.operations.map((o) => o.name).sort(), ['POST /orders', 'bulk import', 'nightly export']);
});

test('storage.v2 GetTraces streams the OTLP spans of /api/v3/traces/{id}, skipping unknown ids', async () => {
  const chunks = await stream(clients.reader, 'GetTraces', {
    query: [
      { trace_id: idBytes(rich.traceId), start_time: GO_ZERO_TIME, end_time: GO_ZERO_TIME },
      { trace_id: idBytes(MISSING_ID) },
      { trace_id: idBytes(big.traceId), start_time: ts(window.startNs), end_time: ts(window.endNs) },
    ],
  });
  const traces = v2Traces(chunks);
  assert.deepEqual(traces.map(([id]) => id), [rich.traceId, big.traceId]);
  for (const [id, spans] of traces) {
    const http = await getJson(`${server.queryUrl}/api/v3/traces/${id}`);
    assert.deepEqual(spans, otlpSpans(http.result));
  }
  assert.equal(traces[1][1].length, 23);
  const root = traces[0][1].find((s) => s.name === 'POST /orders');
  assert.equal(root.attributes['e2e.big_int'], '1234567890123');

  // Only unknown ids: an empty stream.
  assert.deepEqual(await stream(clients.reader, 'GetTraces', { query: [{ trace_id: idBytes(MISSING_ID) }] }), []);
  assert.deepEqual(await stream(clients.reader, 'GetTraces', { query: [] }), []);
});

test('a trace larger than one gRPC message streams in consecutive chunks under 4 MiB', async () => {
  // grpc-js refuses messages over 4 MiB by default, as jaeger-query's storage client does.
  const chunks = await stream(clients.reader, 'GetTraces', {
    query: [{ trace_id: idBytes(rich.traceId) }, { trace_id: idBytes(large.traceId) }, { trace_id: idBytes(big.traceId) }],
  });
  const traces = v2Traces(chunks);
  assert.deepEqual(traces.map(([id]) => id), [rich.traceId, large.traceId, big.traceId]);
  const largeChunks = chunks.filter((c) => otlpSpans(c)[0].traceId === large.traceId);
  assert.ok(largeChunks.length >= 2, `${largeChunks.length} chunk(s) for the large trace`);
  assert.equal(traces[1][1].length, 50);
  assert.ok(traces[1][1].every((s) => s.attributes['e2e.blob'].length === 50 * 1024));
  // FindTraces chunks it the same way.
  const found = await stream(clients.reader, 'FindTraces', {
    query: { service_name: 'shop-api', operation_name: 'nightly export', start_time_min: ts(window.startNs), start_time_max: ts(window.endNs) },
  });
  assert.ok(found.length >= 2);
  assert.deepEqual(v2Traces(found).map(([id, spans]) => [id, spans.length]), [[large.traceId, 50]]);
  // storage.v1 sends it in chunks of at most 100 spans, under 4 MiB as well.
  const v1chunks = await stream(clients.v1reader, 'GetTrace', { trace_id: idBytes(large.traceId) });
  assert.ok(v1chunks.length >= 2, `${v1chunks.length} storage.v1 chunk(s)`);
  assert.equal(chunkSpans(v1chunks, 100).length, 50);
});

test('storage.v2 FindTraces, FindTraceIDs and FindTraceSummaries find what the HTTP searches find', async () => {
  const v3params = {
    'query.serviceName': 'shop-api', 'query.startTimeMin': new Date(Number(window.startNs / 1000000n)).toISOString(),
    'query.startTimeMax': new Date(Number(window.endNs / 1000000n)).toISOString(),
    'query.attributes': JSON.stringify({ order_id: 'G-2001' }), 'query.searchDepth': '20',
  };
  const query = {
    service_name: 'shop-api', start_time_min: ts(window.startNs), start_time_max: ts(window.endNs),
    attributes: [{ key: 'order_id', value: { string_value: 'G-2001' } }], search_depth: 20,
    duration_min: { seconds: '0', nanos: 0 }, duration_max: { seconds: '0', nanos: 0 },
  };
  const http3 = await getJson(`${server.queryUrl}/api/v3/traces?${qs(v3params)}`);
  const got = v2Traces(await stream(clients.reader, 'FindTraces', { query }));
  assert.deepEqual(got.map(([id]) => id), [rich.traceId]);
  assert.deepEqual(got[0][1], otlpSpans(http3.result));

  const httpSummaries = (await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs(v3params)}`)).summaries;
  const summaries = await stream(clients.reader, 'FindTraceSummaries', { query });
  assert.equal(summaries.length, 1);
  assert.deepEqual(summaries[0].summaries.map((s) => ({
    traceId: hex(s.trace_id), rootServiceName: s.root_service_name, rootOperationName: s.root_operation_name,
    minStartTimeUnixNano: s.min_start_time_unix_nano, maxEndTimeUnixNano: s.max_end_time_unix_nano,
    spanCount: s.span_count, errorSpanCount: s.error_span_count, orphanSpanCount: s.orphan_span_count,
    services: s.services.map((x) => ({ name: x.name, spanCount: x.span_count, errorSpanCount: x.error_span_count })),
  })), httpSummaries);

  // FindTraceIDs: the ids of the search, each with the time range of its summary.
  const all = { ...query, attributes: [], search_depth: 20 };
  const ids = (await unary(clients.reader, 'FindTraceIDs', { query: all })).trace_ids;
  const httpAll = (await classic('traces', {
    service: 'shop-api', start: String(window.startNs / 1000n), end: String(window.endNs / 1000n), limit: '20',
  })).data;
  assert.deepEqual(ids.map((f) => hex(f.trace_id)).sort(), httpAll.map((t) => t.traceID).sort());
  assert.equal(ids.length, 3);
  const richId = ids.find((f) => hex(f.trace_id) === rich.traceId);
  assert.equal(BigInt(richId.start.seconds) * 1000000000n + BigInt(richId.start.nanos), rich.baseNs);
  assert.equal(BigInt(richId.end.seconds) * 1000000000n + BigInt(richId.end.nanos), rich.endNs);

  // Without a service name (Capabilities says it may be left out): every service.
  const anyService = await unary(clients.reader, 'FindTraceIDs', {
    query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs), attributes: [{ key: 'order_id', value: { string_value: 'G-2001' } }] },
  });
  assert.deepEqual(anyService.trace_ids.map((f) => hex(f.trace_id)).sort(), [rich.traceId, hidden.traceId].sort());
  // A non-string attribute value matches its string form.
  const byStatus = v2Traces(await stream(clients.reader, 'FindTraces', {
    query: { ...query, attributes: [{ key: 'http.response.status_code', value: { int_value: '201' } }] },
  }));
  assert.deepEqual(byStatus.map(([id]) => id), [rich.traceId]);
  // No match: empty streams.
  const nobody = { ...query, service_name: 'nobody' };
  assert.deepEqual(await stream(clients.reader, 'FindTraces', { query: nobody }), []);
  assert.deepEqual(await stream(clients.reader, 'FindTraceSummaries', { query: nobody }), []);
  assert.deepEqual((await unary(clients.reader, 'FindTraceIDs', { query: nobody })).trace_ids, []);
});

test('storage.v1 GetTrace, FindTraces and FindTraceIDs answer what /api/traces answers', async () => {
  const http = (await classic(`traces/${rich.traceId}`)).data[0];
  const spans = chunkSpans(await stream(clients.v1reader, 'GetTrace', {
    trace_id: idBytes(rich.traceId), start_time: GO_ZERO_TIME, end_time: GO_ZERO_TIME,
  }), 100);
  assert.deepEqual(spans.map(uiSpan), http.spans.map((s) => httpSpan(http, s)));
  await rejected(stream(clients.v1reader, 'GetTrace', { trace_id: idBytes(MISSING_ID) }),
                 grpc.status.NOT_FOUND, /^trace not found$/);

  // As jaeger-query v1 sends a search: every time and duration set, unset ones as Go zeros.
  const httpTraces = (await classic('traces', {
    service: 'shop-api', start: String(window.startNs / 1000n), end: String(window.endNs / 1000n),
    limit: '20', tags: JSON.stringify({ order_id: 'G-2001' }),
  })).data;
  assert.equal(httpTraces.length, 1);
  const query = {
    service_name: 'shop-api', tags: { order_id: 'G-2001' }, start_time_min: ts(window.startNs),
    start_time_max: ts(window.endNs), duration_min: { seconds: '0', nanos: 0 },
    duration_max: { seconds: '0', nanos: 0 }, num_traces: 20,
  };
  const found = chunkSpans(await stream(clients.v1reader, 'FindTraces', { query }), 100);
  assert.deepEqual(byTrace(found.map(uiSpan)), byTrace(httpTraces.flatMap((t) => t.spans)));
  const ids = await unary(clients.v1reader, 'FindTraceIDs', { query: { ...query, tags: {}, start_time_max: GO_ZERO_TIME } });
  const httpAll = (await classic('traces', {
    service: 'shop-api', start: String(window.startNs / 1000n), end: String(window.endNs / 1000n), limit: '20',
  })).data;
  assert.deepEqual(ids.trace_ids.map(hex).sort(), httpAll.map((t) => t.traceID).sort());
});

test('GetDependencies of both versions answer what /api/dependencies answers; capabilities; no writes', async () => {
  const endMs = Number(window.endNs / 1000000n);
  const lookbackMs = Number((window.endNs - window.startNs) / 1000000n);
  const http = (await request(`${server.queryUrl}/api/dependencies?endTs=${endMs}&lookback=${lookbackMs}`)).json().data;
  const links = (list) => list.map((d) => `${d.parent}->${d.child}:${Number(d.callCount ?? d.call_count)}`).sort();
  assert.ok(http.some((d) => d.parent === 'shop-api' && d.child === 'mes-worker'), JSON.stringify(http));
  const span = { start_time: ts(window.startNs), end_time: ts(window.endNs) };
  assert.deepEqual(links((await unary(clients.deps, 'GetDependencies', span)).dependencies), links(http));
  assert.deepEqual(links((await unary(clients.v1deps, 'GetDependencies', span)).dependencies), links(http));

  const caps = await unary(clients.caps, 'GetCapabilities', {});
  assert.equal(caps.search.without_service_name, true);
  assert.equal(caps.search.same_span_conjunction, true);
  assert.deepEqual(caps.search.filter, null);
  const v1caps = await unary(clients.v1caps, 'Capabilities', {});
  assert.deepEqual(v1caps, { archiveSpanReader: false, archiveSpanWriter: false, streamingSpanWriter: false });
  await rejected(unary(clients.v1writer, 'WriteSpan', { span: {} }), grpc.status.UNIMPLEMENTED, /over OTLP/);
});

// --- errors ----------------------------------------------------------------------------------

test('bad parameters are INVALID_ARGUMENT naming the field', async () => {
  await rejected(stream(clients.reader, 'GetTraces', { query: [{ trace_id: idBytes(rich.traceId) }, { trace_id: Buffer.alloc(8, 1) }] }),
                 grpc.status.INVALID_ARGUMENT, /^query\[1\]\.trace_id: must be 16 bytes, got 8$/);
  await rejected(stream(clients.reader, 'GetTraces', { query: [{}] }),
                 grpc.status.INVALID_ARGUMENT, /^query\[0\]\.trace_id: is required$/);
  await rejected(stream(clients.reader, 'FindTraces', {}), grpc.status.INVALID_ARGUMENT, /^query: is required$/);
  await rejected(unary(clients.reader, 'FindTraceIDs', { query: { search_depth: -1 } }),
                 grpc.status.INVALID_ARGUMENT, /^query.search_depth: must not be negative$/);
  await rejected(stream(clients.reader, 'FindTraceSummaries', { query: { filter: { op: 'eq' } } }),
                 grpc.status.INVALID_ARGUMENT, /^query.filter: /);
  await rejected(stream(clients.reader, 'FindTraces', {
    query: { start_time_min: ts(window.endNs), start_time_max: ts(window.startNs) },
  }), grpc.status.INVALID_ARGUMENT, /^query.start_time_min must not be after query.start_time_max$/);
  await rejected(unary(clients.reader, 'GetOperations', {}), grpc.status.INVALID_ARGUMENT, /^service: is required$/);
  await rejected(unary(clients.deps, 'GetDependencies', { start_time: ts(window.endNs), end_time: ts(window.startNs) }),
                 grpc.status.INVALID_ARGUMENT, /^start_time must not be after end_time$/);
  await rejected(stream(clients.v1reader, 'GetTrace', {}), grpc.status.INVALID_ARGUMENT, /^trace_id: is required$/);
  await rejected(unary(clients.v1reader, 'FindTraceIDs', { query: { num_traces: -1 } }),
                 grpc.status.INVALID_ARGUMENT, /^query.num_traces: must not be negative$/);
  await rejected(stream(clients.v1reader, 'FindTraces', { query: { tags: { '': 'x' } } }),
                 grpc.status.INVALID_ARGUMENT, /^query.tags: a key is empty$/);
  await rejected(unary(clients.v1reader, 'GetOperations', {}), grpc.status.INVALID_ARGUMENT, /^service: is required$/);
  assert.ok((await unary(clients.reader, 'GetServices', {})).services.length > 0, 'the server keeps serving');
});

// --- authentication, scope, redaction, permission, audit ---------------------------------------

function everyRpc() {
  const id = idBytes(rich.traceId);
  const q2 = { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs) };
  return [
    [clients.reader, 'GetTraces', { query: [{ trace_id: id }] }],
    [clients.reader, 'GetServices', {}],
    [clients.reader, 'GetOperations', { service: 'shop-api' }],
    [clients.reader, 'FindTraces', { query: q2 }],
    [clients.reader, 'FindTraceIDs', { query: q2 }],
    [clients.reader, 'FindTraceSummaries', { query: q2 }],
    [clients.deps, 'GetDependencies', { start_time: ts(window.startNs), end_time: ts(window.endNs) }],
    [clients.caps, 'GetCapabilities', {}],
    [clients.v1reader, 'GetTrace', { trace_id: id }],
    [clients.v1reader, 'GetServices', {}],
    [clients.v1reader, 'GetOperations', { service: 'shop-api' }],
    [clients.v1reader, 'FindTraces', { query: { service_name: 'shop-api' } }],
    [clients.v1reader, 'FindTraceIDs', { query: { service_name: 'shop-api' } }],
    [clients.v1deps, 'GetDependencies', {}],
    [clients.v1caps, 'Capabilities', {}],
  ];
}

test('every RPC without credentials, or with a bad forwarded token, is UNAUTHENTICATED', async () => {
  for (const [client, method, req] of everyRpc()) {
    await rejected(call(client, method, req, new grpc.Metadata()), grpc.status.UNAUTHENTICATED);
  }
  // The forwarded user token decides, even beside jaeger-query's own good credentials. (One
  // RPC per service: 20 bad tokens from one address in 15 minutes lock the address out.)
  const perService = new Map(everyRpc().map((rpc) => [rpc[0], rpc]));
  for (const [client, method, req] of perService.values()) {
    await rejected(call(client, method, req, forwarded('svt_0000000000000000_' + '0'.repeat(64))),
                   grpc.status.UNAUTHENTICATED, /invalid credentials/);
  }
  const bare = new grpc.Metadata();
  bare.set('bearer.token', 'not-a-token');
  await rejected(unary(clients.reader, 'GetServices', {}, bare), grpc.status.UNAUTHENTICATED);
});

test('the forwarded token of a support user: its services only, personal data redacted, as over HTTP', async () => {
  const support = () => forwarded(supportToken);
  const bearerOnly = () => {
    const md = new grpc.Metadata();
    md.set('bearer.token', supportToken);
    return md;
  };
  const httpAsSupport = async (p) => {
    const r = await request(`${server.queryOrigin}${p}`, { headers: { authorization: `Bearer ${supportToken}` } });
    assert.equal(r.status, 200, r.text);
    return r.json();
  };
  const httpServices = (await httpAsSupport('/api/services')).data;
  assert.deepEqual(httpServices, ['mes-worker', 'shop-api']);
  assert.deepEqual((await unary(clients.reader, 'GetServices', {}, support())).services, httpServices);
  assert.deepEqual((await unary(clients.reader, 'GetServices', {}, bearerOnly())).services, httpServices);
  assert.deepEqual((await unary(clients.v1reader, 'GetServices', {}, support())).services, httpServices);
  assert.deepEqual((await unary(clients.reader, 'GetOperations', { service: 'billing-svc' }, support())).operations, []);

  // The hidden trace is skipped like an unknown one; the rich trace comes redacted.
  const traces = v2Traces(await stream(clients.reader, 'GetTraces', {
    query: [{ trace_id: idBytes(hidden.traceId) }, { trace_id: idBytes(rich.traceId) }],
  }, support()));
  assert.deepEqual(traces.map(([id]) => id), [rich.traceId]);
  const root = traces[0][1].find((s) => s.name === 'POST /orders');
  assert.equal(root.attributes.user_id, '[redacted]');
  const httpV3 = await httpAsSupport(`/api/v3/traces/${rich.traceId}`);
  assert.deepEqual(traces[0][1], otlpSpans(httpV3.result));
  await rejected(stream(clients.v1reader, 'GetTrace', { trace_id: idBytes(hidden.traceId) }, support()),
                 grpc.status.NOT_FOUND);
  const v1spans = chunkSpans(await stream(clients.v1reader, 'GetTrace', { trace_id: idBytes(rich.traceId) }, support()), 100);
  const v1root = v1spans.find((s) => s.operation_name === 'POST /orders');
  assert.deepEqual(uiKeyValue(v1root.tags.find((t) => t.key === 'user_id')),
                   { key: 'user_id', type: 'string', value: '[redacted]' });

  // Search does not find the hidden trace, nor by a redacted attribute.
  const found = await unary(clients.reader, 'FindTraceIDs', {
    query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs), attributes: [{ key: 'order_id', value: { string_value: 'G-2001' } }] },
  }, support());
  assert.deepEqual(found.trace_ids.map((f) => hex(f.trace_id)), [rich.traceId]);
  const byUser = await stream(clients.reader, 'FindTraces', {
    query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs), attributes: [{ key: 'user_id', value: { string_value: 'u-42' } }] },
  }, support());
  assert.deepEqual(byUser, []);
});

test('a forwarded token whose role lacks traces:read is PERMISSION_DENIED with the HTTP API\'s message', async () => {
  const r = await request(`${server.queryOrigin}/api/services`, { headers: { authorization: `Bearer ${auditorToken}` } });
  assert.equal(r.status, 403);
  const message = r.json().errors[0].msg;
  assert.equal(message, 'permission denied: role(s) "auditor" lack traces:read');
  for (const [client, method, req] of everyRpc()) {
    if (method === 'GetCapabilities' || method === 'Capabilities') continue;  // no trace data
    await rejected(call(client, method, req, forwarded(auditorToken)), grpc.status.PERMISSION_DENIED,
                   /^permission denied: role\(s\) "auditor" lack traces:read$/);
  }
});

test('calls with a forwarded token are audited as its user, through the remote_storage listener', async () => {
  const marker = `audit-${Date.now()}`;
  await unary(clients.reader, 'GetOperations', { service: marker }, forwarded(supportToken));
  await unary(clients.v1reader, 'GetOperations', { service: marker });
  await stream(clients.reader, 'GetTraces', { query: [{ trace_id: idBytes(rich.traceId) }] }, forwarded(supportToken));
  await rejected(unary(clients.reader, 'GetServices', {}, forwarded('svt_1111111111111111_' + '1'.repeat(64))),
                 grpc.status.UNAUTHENTICATED);
  const records = JSON.parse((await ok(['-o', 'json', 'audit', 'list', '--since', '1h'])).stdout);
  const find = (pred, what) => {
    const rec = records.find(pred);
    assert.ok(rec, `${what} in ${JSON.stringify(records.map((x) => `${x.principal} ${x.api}`))}`);
    return rec;
  };
  const ops2 = find((rec) => rec.api === 'remote_storage /jaeger.storage.v2.TraceReader/GetOperations (GetOperations)' &&
                            JSON.parse(rec.params).service === marker, 'storage.v2 GetOperations');
  assert.equal(ops2.principal, 'jq-support');
  assert.deepEqual(ops2.roles, ['support']);
  assert.equal(ops2.allowed, true);
  const ops1 = find((rec) => rec.api === 'remote_storage /jaeger.storage.v1.SpanReaderPlugin/GetOperations (GetOperations)' &&
                            JSON.parse(rec.params).service === marker, 'storage.v1 GetOperations');
  assert.equal(ops1.principal, 'admin');
  const get = find((rec) => rec.api === 'remote_storage /jaeger.storage.v2.TraceReader/GetTraces (GetTrace)' &&
                            JSON.parse(rec.params).trace_id === rich.traceId && rec.principal === 'jq-support',
                   'storage.v2 GetTraces');
  assert.equal(get.result_count, 1);
  find((rec) => rec.principal === 'jq-auditor' && rec.allowed === false &&
                rec.api.startsWith('remote_storage /jaeger.storage.'), 'a denied call');
  const login = find((rec) => rec.action === 'login' && rec.api === 'remote_storage /jaeger.storage.v2.TraceReader/GetServices',
                     'the failed login');
  assert.equal(login.allowed, false);
  assert.equal(JSON.parse(login.params).scheme, 'Bearer');
});

// --- listener settings -------------------------------------------------------------------------

test('allowed_cidrs.remote_storage refuses other addresses; --insecure-no-auth serves anonymously', async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { SpanvaultServer } = require('./lib/server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-storage-'));
  const config = path.join(dir, 'cidrs.yaml');
  fs.writeFileSync(config, 'allowed_cidrs:\n  remote_storage: [10.0.0.0/8]\n');
  const fenced = new SpanvaultServer({ name: 'remote-storage-cidrs', args: ['--config', config] });
  const open = new SpanvaultServer({ name: 'remote-storage-no-auth', args: ['--insecure-no-auth'] });
  const made = [];
  try {
    await Promise.all([fenced.start(), open.start()]);
    const fencedReader = new S2.TraceReader(fenced.remoteStorageAddress, grpc.credentials.createInsecure());
    made.push(fencedReader);
    await rejected(unary(fencedReader, 'GetServices', {}, basic('admin', fenced.credentials.password)),
                   grpc.status.PERMISSION_DENIED, /not in this listener's allowed_cidrs/);
    const openReader = new S2.TraceReader(open.remoteStorageAddress, grpc.credentials.createInsecure());
    made.push(openReader);
    assert.deepEqual((await unary(openReader, 'GetServices', {}, new grpc.Metadata())).services, []);
    assert.match(open.output(), /the remote storage API on .* is served WITHOUT AUTHENTICATION/);
  } finally {
    for (const client of made) client.close();
    await fenced.close();
    await open.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

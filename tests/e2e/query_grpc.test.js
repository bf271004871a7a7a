'use strict';
// The Jaeger gRPC query APIs on --query-grpc-addr (jaeger.api_v2 and jaeger.api_v3
// QueryService), called with @grpc/grpc-js on the protos of this repository (proto/jaeger):
// every RPC of both services answers what the HTTP API answers for the same traces; a trace of
// more than 10 spans streams in chunks of at most 10; credentials, scope, redaction,
// permission and audit apply as on the HTTP API; server reflection lists both services.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const protoLoader = require('@grpc/proto-loader');
const { test, before, after } = require('./lib/harness');
const { startServer, ctlPath } = require('./lib/server');
const { getJson, request, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const {
  grpc, loadProtos, basic, rpcs, rejected, ts, hex, idBytes, uiKeyValue, uiSpan, httpSpan, chunkSpans,
  otlpSpans,
} = require('./lib/jaeger_grpc');

const loaded = loadProtos(['jaeger/api_v2/query.proto', 'jaeger/api_v3/query_service.proto']);
const V2 = loaded.jaeger.api_v2.QueryService;
const V3 = loaded.jaeger.api_v3.QueryService;

// The methods of each service, with a valid request for each (for the credential checks).
const V2_METHODS = ['GetTrace', 'ArchiveTrace', 'FindTraces', 'GetServices', 'GetOperations',
                    'GetDependencies'];
const V3_METHODS = ['GetTrace', 'FindTraces', 'GetServices', 'GetOperations', 'GetDependencies',
                    'FindTraceSummaries'];

let server;
let rich;     // shop-api + mes-worker, 6 spans, user_id on the root
let big;      // shop-api, 23 spans
let hidden;   // billing-svc: outside the support role's scope
let window;   // { startNs, endNs } around every trace
let v2;
let v3;

// --- helpers -------------------------------------------------------------------------------

const asAdmin = () => basic('admin', server.credentials.password);
const { unary, stream, call } = rpcs(asAdmin);
const classic = (p, q) => getJson(`${server.queryUrl}/api/${p}${q ? `?${qs(q)}` : ''}`);

// Runs spanvaultctl as the admin; `input` goes to stdin. Resolves { code, stdout, stderr }.
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

// --- setup ---------------------------------------------------------------------------------

before(async () => {
  server = await startServer({ name: 'query-grpc' });
  const base = otel.baseTimeNs(10 * 60 * 1000);
  rich = otel.buildRichTrace({ service: 'shop-api', workerService: 'mes-worker', orderId: 'G-1001', baseNs: base });
  big = otel.buildSimpleTrace({ service: 'shop-api', rootName: 'bulk import', children: 22, baseNs: base + otel.ms(1000), durationMs: 30 });
  hidden = otel.buildSimpleTrace({ service: 'billing-svc', rootName: 'charge', baseNs: base + otel.ms(2000), attributes: { user_id: 'u-7', order_id: 'G-1001' } });
  window = { startNs: base - otel.ms(60000), endNs: base + otel.ms(60000) };
  const exporter = otel.createExporter(server, 'grpc');
  try {
    await otel.exportSpans(exporter, rich.spans, 'the rich trace');
    await otel.exportSpans(exporter, big.spans, 'the 23-span trace');
    await otel.exportSpans(exporter, hidden.spans, 'the billing trace');
  } finally {
    await exporter.shutdown();
  }
  for (const t of [rich, big, hidden]) {
    await waitFor(async () => {
      const r = await request(`${server.queryUrl}/api/traces/${t.traceId}`);
      return r.status === 200 && r.json().data[0].spans.length === t.spans.length;
    }, { what: `trace ${t.traceId} to be readable` });
  }
  v2 = new V2(server.queryGrpcAddress, grpc.credentials.createInsecure());
  v3 = new V3(server.queryGrpcAddress, grpc.credentials.createInsecure());
  await ok(['users', 'add', 'sue', '--role', 'support', '--password-stdin'], 'sue-password-1\n');
  await ok(['roles', 'create', 'auditor', '--services', '*', '--allow', 'admin:audit']);
  await ok(['users', 'add', 'audrey', '--role', 'auditor', '--password-stdin'], 'audrey-password-1\n');
});

after(async () => {
  if (v2) v2.close();
  if (v3) v3.close();
  if (server) await server.close();
});

// --- the same answers as the HTTP API ----------------------------------------------------------

test('GetServices and GetOperations of both APIs answer what the HTTP API answers', async () => {
  const services = (await classic('services')).data;
  assert.deepEqual(services, ['billing-svc', 'mes-worker', 'shop-api']);
  assert.deepEqual((await unary(v2, 'GetServices', {})).services, services);
  assert.deepEqual((await unary(v3, 'GetServices', {})).services,
                   (await getJson(`${server.queryUrl}/api/v3/services`)).services);

  for (const service of services) {
    const ops = (await classic('operations', { service })).data;
    const names = (await classic(`services/${encodeURIComponent(service)}/operations`)).data;
    const got2 = await unary(v2, 'GetOperations', { service });
    assert.deepEqual(got2.operations.map((o) => ({ name: o.name, spanKind: o.span_kind })), ops);
    assert.deepEqual(got2.operationNames, names);
    const http3 = await getJson(`${server.queryUrl}/api/v3/operations?${qs({ service })}`);
    const got3 = await unary(v3, 'GetOperations', { service });
    assert.deepEqual(got3.operations.map((o) => ({ name: o.name, spanKind: o.span_kind })), http3.operations);
    assert.ok(got3.operations.length > 0);
  }
  const servers = await unary(v2, 'GetOperations', { service: 'shop-api', span_kind: 'server' });
  assert.deepEqual(servers.operations.map((o) => o.name).sort(), ['POST /orders', 'bulk import']);
});

test('api_v2 GetTrace streams the spans, tags, logs, references and processes of /api/traces/{id}', async () => {
  const http = (await classic(`traces/${rich.traceId}`)).data[0];
  const spans = chunkSpans(await stream(v2, 'GetTrace', { trace_id: idBytes(rich.traceId) }));
  assert.equal(spans.length, 6);
  assert.deepEqual(spans.map(uiSpan), http.spans.map((s) => httpSpan(http, s)));
  const root = spans.find((s) => s.operation_name === 'POST /orders');
  assert.equal(root.process.service_name, 'shop-api');
  assert.deepEqual(uiKeyValue(root.tags.find((t) => t.key === 'user_id')),
                   { key: 'user_id', type: 'string', value: 'u-42' });
});

test('a trace of more than 10 spans streams in chunks of at most 10 (api_v2) and whole (api_v3)', async () => {
  const chunks = await stream(v2, 'GetTrace', { trace_id: idBytes(big.traceId) });
  assert.deepEqual(chunks.map((c) => c.spans.length), [10, 10, 3]);
  const spans = chunkSpans(chunks);
  const http = (await classic(`traces/${big.traceId}`)).data[0];
  assert.deepEqual(spans.map((s) => hex(s.span_id)), http.spans.map((s) => s.spanID));
  const v3chunks = await stream(v3, 'GetTrace', { trace_id: big.traceId });
  assert.equal(v3chunks.length, 1);
  assert.equal(otlpSpans(v3chunks[0]).length, 23);
});

test('api_v3 GetTrace streams the OTLP spans of /api/v3/traces/{id}', async () => {
  const http = await getJson(`${server.queryUrl}/api/v3/traces/${rich.traceId}`);
  const got = await stream(v3, 'GetTrace', { trace_id: rich.traceId, raw_traces: true });
  assert.equal(got.length, 1);
  const spans = otlpSpans(got[0]);
  assert.equal(spans.length, 6);
  assert.deepEqual(spans, otlpSpans(http.result));
  const root = spans.find((s) => s.name === 'POST /orders');
  assert.equal(root.attributes['e2e.big_int'], '1234567890123');
  assert.deepEqual(root.attributes['e2e.tags'], ['alpha', 'beta', 'gamma']);
});

test('FindTraces of both APIs and FindTraceSummaries find what the HTTP searches find', async () => {
  const startUs = window.startNs / 1000n;
  const endUs = window.endNs / 1000n;
  const httpClassic = (await classic('traces', {
    service: 'shop-api', start: String(startUs), end: String(endUs), limit: '20',
  })).data;
  assert.equal(httpClassic.length, 2);
  const query2 = {
    service_name: 'shop-api', start_time_min: ts(window.startNs), start_time_max: ts(window.endNs),
    search_depth: 20,
  };
  const spans2 = chunkSpans(await stream(v2, 'FindTraces', { query: query2 }));
  const byTrace = (spans) => {
    const out = {};
    for (const s of spans) (out[s.traceID] = out[s.traceID] || []).push(s.spanID);
    for (const k of Object.keys(out)) out[k].sort();
    return out;
  };
  assert.deepEqual(byTrace(spans2.map(uiSpan)), byTrace(httpClassic.flatMap((t) => t.spans)));

  // Tags, operation and durations narrow the search the same way.
  const tagged2 = chunkSpans(await stream(v2, 'FindTraces', {
    query: { ...query2, tags: { order_id: 'G-1001' }, operation_name: 'POST /orders', duration_min: { seconds: '0', nanos: 200000000 } },
  }));
  assert.deepEqual([...new Set(tagged2.map((s) => hex(s.trace_id)))], [rich.traceId]);

  const v3query = {
    service_name: 'shop-api', start_time_min: ts(window.startNs), start_time_max: ts(window.endNs),
    attributes: { order_id: 'G-1001' }, search_depth: 20,
  };
  const v3params = {
    'query.serviceName': 'shop-api', 'query.startTimeMin': new Date(Number(window.startNs / 1000000n)).toISOString(),
    'query.startTimeMax': new Date(Number(window.endNs / 1000000n)).toISOString(),
    'query.attributes': JSON.stringify({ order_id: 'G-1001' }), 'query.searchDepth': '20',
  };
  const http3 = await getJson(`${server.queryUrl}/api/v3/traces?${qs(v3params)}`);
  const got3 = await stream(v3, 'FindTraces', { query: v3query });
  assert.equal(got3.length, 1, 'one TracesData per trace');
  assert.deepEqual(got3.flatMap(otlpSpans).sort((a, b) => a.spanId.localeCompare(b.spanId)),
                   otlpSpans(http3.result));

  const httpSummaries = await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs(v3params)}`);
  const summaries = await stream(v3, 'FindTraceSummaries', { query: v3query });
  assert.equal(summaries.length, 1);
  assert.deepEqual(summaries[0].summaries.map((s) => ({
    traceId: s.trace_id, rootServiceName: s.root_service_name, rootOperationName: s.root_operation_name,
    minStartTimeUnixNano: s.min_start_time_unix_nano, maxEndTimeUnixNano: s.max_end_time_unix_nano,
    spanCount: s.span_count, errorSpanCount: s.error_span_count, orphanSpanCount: s.orphan_span_count,
    services: s.services.map((x) => ({ name: x.name, spanCount: x.span_count, errorSpanCount: x.error_span_count })),
  })), httpSummaries.summaries);

  // A search that finds nothing is an empty stream.
  assert.deepEqual(await stream(v2, 'FindTraces', { query: { ...query2, service_name: 'nobody' } }), []);
  assert.deepEqual(await stream(v3, 'FindTraces', { query: { ...v3query, service_name: 'nobody' } }), []);
});

test('ArchiveTrace keeps a trace (NOT_FOUND for an unknown one); GetDependencies answers what /api/dependencies answers', async () => {
  assert.deepEqual(await unary(v2, 'ArchiveTrace', { trace_id: idBytes(rich.traceId) }), {});
  await rejected(unary(v2, 'ArchiveTrace', { trace_id: idBytes('0123456789abcdef0123456789abcdef') }),
                 grpc.status.NOT_FOUND, /^trace not found$/);
  // Archived, the trace reads the same: its spans count once.
  const chunks = await stream(v2, 'GetTrace', { trace_id: idBytes(rich.traceId) });
  assert.equal(chunks.reduce((n, c) => n + c.spans.length, 0), rich.spans.length);
  const endMs = Number(BigInt(window.endNs) / 1000000n);
  const lookbackMs = Number((BigInt(window.endNs) - BigInt(window.startNs)) / 1000000n);
  const http = (await request(`${server.queryUrl}/api/dependencies?endTs=${endMs}&lookback=${lookbackMs}`)).json().data;
  const links = (list) => list.map((d) => `${d.parent}->${d.child}:${Number(d.callCount ?? d.call_count)}`).sort();
  assert.ok(http.some((d) => d.parent === 'shop-api' && d.child === 'mes-worker'), JSON.stringify(http));
  assert.deepEqual(links((await unary(v2, 'GetDependencies', {})).dependencies), links(http));
  assert.deepEqual(links((await unary(v3, 'GetDependencies', {
    start_time: ts(window.startNs), end_time: ts(window.endNs),
  })).dependencies), links(http));
});

// --- errors ----------------------------------------------------------------------------------

test('bad parameters are INVALID_ARGUMENT naming the field; unknown traces NOT_FOUND', async () => {
  const missing = '0af7651916cd43dd8448eb211c80319c';
  await rejected(stream(v2, 'GetTrace', { trace_id: idBytes(missing) }), grpc.status.NOT_FOUND, /^trace not found$/);
  await rejected(stream(v3, 'GetTrace', { trace_id: missing }), grpc.status.NOT_FOUND, /^trace not found$/);
  await rejected(stream(v2, 'GetTrace', { trace_id: Buffer.alloc(8, 1) }), grpc.status.INVALID_ARGUMENT,
                 /^trace_id: must be 16 bytes, got 8$/);
  await rejected(stream(v2, 'GetTrace', {}), grpc.status.INVALID_ARGUMENT, /^trace_id: is required$/);
  await rejected(stream(v3, 'GetTrace', { trace_id: 'xyz' }), grpc.status.INVALID_ARGUMENT, /^trace_id: /);
  await rejected(stream(v3, 'FindTraces', { query: { service_name: 'shop-api' } }), grpc.status.INVALID_ARGUMENT,
                 /^query.start_time_min and query.start_time_max are required$/);
  await rejected(stream(v3, 'FindTraces', {}), grpc.status.INVALID_ARGUMENT, /^query: is required$/);
  await rejected(stream(v3, 'FindTraces', {
    query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs), filter: { op: 'eq' } },
  }), grpc.status.INVALID_ARGUMENT, /^query.filter: /);
  await rejected(stream(v2, 'FindTraces', { query: { service_name: 'shop-api', search_depth: -1 } }),
                 grpc.status.INVALID_ARGUMENT, /^query.search_depth: must not be negative$/);
  await rejected(stream(v2, 'FindTraces', {
    query: { start_time_min: ts(window.endNs), start_time_max: ts(window.startNs) },
  }), grpc.status.INVALID_ARGUMENT, /^query.start_time_min must not be after query.start_time_max$/);
  await rejected(unary(v2, 'GetOperations', {}), grpc.status.INVALID_ARGUMENT, /^service: is required$/);
  await rejected(unary(v3, 'GetDependencies', {}), grpc.status.INVALID_ARGUMENT, /^start_time and end_time are required$/);
  // The server keeps serving.
  assert.ok((await unary(v2, 'GetServices', {})).services.length > 0);
});

// --- authentication, scope, redaction, permission, audit ---------------------------------------

function validRequests() {
  return {
    v2: {
      GetTrace: { trace_id: idBytes(rich.traceId) },
      ArchiveTrace: { trace_id: idBytes(rich.traceId) },
      FindTraces: { query: { service_name: 'shop-api' } },
      GetServices: {},
      GetOperations: { service: 'shop-api' },
      GetDependencies: {},
    },
    v3: {
      GetTrace: { trace_id: rich.traceId },
      FindTraces: { query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs) } },
      GetServices: {},
      GetOperations: { service: 'shop-api' },
      GetDependencies: { start_time: ts(window.startNs), end_time: ts(window.endNs) },
      FindTraceSummaries: { query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs) } },
    },
  };
}

test('every RPC without credentials is UNAUTHENTICATED, and with a wrong password too', async () => {
  const reqs = validRequests();
  for (const [client, methods, name] of [[v2, V2_METHODS, 'v2'], [v3, V3_METHODS, 'v3']]) {
    for (const method of methods) {
      await rejected(call(client, method, reqs[name][method], new grpc.Metadata()),
                     grpc.status.UNAUTHENTICATED);
    }
  }
  await rejected(unary(v2, 'GetServices', {}, basic('admin', 'wrong-password')), grpc.status.UNAUTHENTICATED,
                 /invalid credentials/);
});

test('a support user sees only its services, with personal data redacted, as over HTTP', async () => {
  const sue = () => basic('sue', 'sue-password-1');
  const sueUrl = server.queryUrl.replace(/\/\/admin:[^@]*@/, '//sue:sue-password-1@');
  const httpServices = (await getJson(`${sueUrl}/api/services`)).data;
  assert.deepEqual(httpServices, ['mes-worker', 'shop-api']);
  assert.deepEqual((await unary(v2, 'GetServices', {}, sue())).services, httpServices);
  assert.deepEqual((await unary(v3, 'GetServices', {}, sue())).services, httpServices);
  assert.deepEqual((await unary(v2, 'GetOperations', { service: 'billing-svc' }, sue())).operations, []);

  const spans = chunkSpans(await stream(v2, 'GetTrace', { trace_id: idBytes(rich.traceId) }, sue()));
  const root = spans.find((s) => s.operation_name === 'POST /orders');
  assert.deepEqual(uiKeyValue(root.tags.find((t) => t.key === 'user_id')),
                   { key: 'user_id', type: 'string', value: '[redacted]' });
  const http = (await getJson(`${sueUrl}/api/traces/${rich.traceId}`)).data[0];
  assert.deepEqual(spans.map(uiSpan), http.spans.map((s) => httpSpan(http, s)));
  const v3trace = await stream(v3, 'GetTrace', { trace_id: rich.traceId }, sue());
  const v3root = otlpSpans(v3trace[0]).find((s) => s.name === 'POST /orders');
  assert.equal(v3root.attributes.user_id, '[redacted]');

  // A trace of a service outside the scope looks missing, and search does not find it.
  await rejected(stream(v2, 'GetTrace', { trace_id: idBytes(hidden.traceId) }, sue()), grpc.status.NOT_FOUND);
  await rejected(stream(v3, 'GetTrace', { trace_id: hidden.traceId }, sue()), grpc.status.NOT_FOUND);
  const found = await stream(v3, 'FindTraces', {
    query: { start_time_min: ts(window.startNs), start_time_max: ts(window.endNs), attributes: { order_id: 'G-1001' } },
  }, sue());
  assert.deepEqual(found.flatMap(otlpSpans).map((s) => s.traceId).filter((v, i, a) => a.indexOf(v) === i), [rich.traceId]);
});

test('a caller without traces:read is PERMISSION_DENIED with the HTTP API\'s message', async () => {
  const audrey = () => basic('audrey', 'audrey-password-1');
  const audreyUrl = server.queryUrl.replace(/\/\/admin:[^@]*@/, '//audrey:audrey-password-1@');
  const r = await request(`${audreyUrl}/api/services`);
  assert.equal(r.status, 403);
  const message = r.json().errors[0].msg;
  assert.equal(message, 'permission denied: role(s) "auditor" lack traces:read');
  const reqs = validRequests();
  for (const method of ['GetTrace', 'FindTraces', 'GetServices', 'GetOperations', 'GetDependencies']) {
    await rejected(call(v2, method, reqs.v2[method], audrey()), grpc.status.PERMISSION_DENIED,
                   new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  }
  for (const method of V3_METHODS) {
    await rejected(call(v3, method, reqs.v3[method], audrey()), grpc.status.PERMISSION_DENIED,
                   /lack traces:read$/);
  }
  await rejected(unary(v2, 'ArchiveTrace', reqs.v2.ArchiveTrace, audrey()), grpc.status.PERMISSION_DENIED,
                 /lack traces:archive$/);
});

test('each query call and each failed login is in the audit log', async () => {
  const marker = `audit-${Date.now()}`;
  await unary(v2, 'GetOperations', { service: marker });
  await unary(v3, 'GetOperations', { service: marker });
  await stream(v2, 'GetTrace', { trace_id: idBytes(rich.traceId) });
  await stream(v3, 'FindTraces', { query: { service_name: 'shop-api', start_time_min: ts(window.startNs), start_time_max: ts(window.endNs) } });
  await rejected(unary(v3, 'GetServices', {}, basic('sue', 'not-her-password')), grpc.status.UNAUTHENTICATED);
  const records = JSON.parse((await ok(['-o', 'json', 'audit', 'list', '--since', '1h'])).stdout);
  const find = (pred, what) => {
    const r = records.find(pred);
    assert.ok(r, `${what} in ${JSON.stringify(records.map((x) => `${x.principal} ${x.api}`))}`);
    return r;
  };
  const ops2 = find((r) => r.api === 'query_grpc /jaeger.api_v2.QueryService/GetOperations (GetOperations)' &&
                          JSON.parse(r.params).service === marker, 'api_v2 GetOperations');
  assert.equal(ops2.principal, 'admin');
  assert.equal(ops2.allowed, true);
  assert.equal(ops2.action, 'traces:read');
  find((r) => r.api === 'query_grpc /jaeger.api_v3.QueryService/GetOperations (GetOperations)' &&
              JSON.parse(r.params).service === marker, 'api_v3 GetOperations');
  const get = find((r) => r.api === 'query_grpc /jaeger.api_v2.QueryService/GetTrace (GetTrace)' &&
                          JSON.parse(r.params).trace_id === rich.traceId, 'api_v2 GetTrace');
  assert.equal(get.result_count, 1);
  find((r) => r.api === 'query_grpc /jaeger.api_v3.QueryService/FindTraces (FindTraces)', 'api_v3 FindTraces');
  find((r) => r.principal === 'sue' && r.api === 'query_grpc /jaeger.api_v2.QueryService/GetServices (GetServices)',
       'the support user\'s GetServices');
  const denied = find((r) => r.principal === 'audrey' && r.allowed === false &&
                              r.api.startsWith('query_grpc /jaeger.api_v3.QueryService/'), 'a denied call');
  assert.match(denied.detail, /lack traces:read/);
  const login = find((r) => r.action === 'login' && r.api === 'query_grpc /jaeger.api_v3.QueryService/GetServices',
                     'the failed login');
  assert.equal(login.allowed, false);
  assert.equal(JSON.parse(login.params).scheme, 'Basic');
});

// --- reflection ------------------------------------------------------------------------------

const REFLECTION_PROTO = `
syntax = "proto3";
package grpc.reflection.v1alpha;
message ServerReflectionRequest {
  string host = 1;
  oneof message_request { string file_containing_symbol = 4; string list_services = 7; }
}
message ServiceResponse { string name = 1; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}`;

function reflect(client, requests) {
  return new Promise((resolve, reject) => {
    const responses = [];
    const call = client.ServerReflectionInfo(new grpc.Metadata());
    call.on('data', (m) => {
      responses.push(m);
      if (responses.length === requests.length) call.end();
    });
    call.on('error', reject);
    call.on('end', () => resolve(responses));
    for (const r of requests) call.write(r);
  });
}

test('server reflection lists and describes both query services', async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reflection-'));
  fs.writeFileSync(path.join(dir, 'reflection.proto'), REFLECTION_PROTO);
  try {
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync('reflection.proto', { includeDirs: [dir], keepCase: true, oneofs: true }));
    const client = new pkg.grpc.reflection.v1alpha.ServerReflection(server.queryGrpcAddress, grpc.credentials.createInsecure());
    try {
      const [list, v2file, v3file] = await reflect(client, [
        { list_services: '*' },
        { file_containing_symbol: 'jaeger.api_v2.QueryService' },
        { file_containing_symbol: 'jaeger.api_v3.QueryService' },
      ]);
      const names = list.list_services_response.service.map((s) => s.name);
      assert.ok(names.includes('jaeger.api_v2.QueryService'), names.join(','));
      assert.ok(names.includes('jaeger.api_v3.QueryService'), names.join(','));
      for (const [file, wanted] of [[v2file, 'jaeger/api_v2/query.proto'], [v3file, 'jaeger/api_v3/query_service.proto']]) {
        assert.ok(file.file_descriptor_response, JSON.stringify(file.error_response));
        const text = file.file_descriptor_response.file_descriptor_proto.map((b) => Buffer.from(b).toString('latin1')).join('');
        assert.ok(text.includes(wanted), `descriptor of ${wanted}`);
      }
    } finally {
      client.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

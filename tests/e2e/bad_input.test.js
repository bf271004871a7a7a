'use strict';
// Bad input on every door: each malformed OTLP request or query gets the right status and a
// message naming the problem, and the server keeps serving (the good trace ingested first is
// still whole afterwards, /healthz answers, and a fresh export still works).

const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const grpc = require('@grpc/grpc-js');
const { test, before, after } = require('./lib/harness');
const { startServer } = require('./lib/server');
const { request, getJson, qs } = require('./lib/http');
const otel = require('./lib/otel');
const proto = require('./lib/otlp_proto');
const { ingestGoodTrace, assertServingAfterwards } = require('./lib/good_trace');

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

let server;
let good; // the rich trace ingested before any bad input

before(async () => {
  server = await startServer({ name: 'spanvault-bad-input' });
  good = await ingestGoodTrace(server, 'G-1');
});

after(async () => {
  if (server) await server.close();
});

// --- helpers ---------------------------------------------------------------------------------

// A hand-built OTLP/JSON span (ids as hex strings) inside a one-resource request.
function jsonRequest(spans, service = 'bad-input') {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'e2e-bad-input' }, spans }],
    }],
  };
}

function jsonSpan(overrides = {}) {
  const start = otel.baseTimeNs(30000);
  return {
    traceId: proto.randomHex(16),
    spanId: proto.randomHex(8),
    name: 'bad-input-span',
    kind: 2,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 1000000n).toString(),
    attributes: [{ key: 'order_id', value: { stringValue: 'B-1' } }],
    ...overrides,
  };
}

// A valid protobuf request with one span.
function protobufRequest({ traceId = proto.randomHex(16), attributes = [], service = 'bad-input' } = {}) {
  const start = otel.baseTimeNs(30000);
  return proto.encodeRequest({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'e2e-bad-input' },
        spans: [{
          traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(proto.randomHex(8), 'hex'),
          name: 'pb-span', kind: 2, startTimeUnixNano: start.toString(),
          endTimeUnixNano: (start + 1000000n).toString(), attributes,
        }],
      }],
    }],
  });
}

function postTraces(body, { contentType = PROTOBUF, headers = {}, chunked = false } = {}) {
  return request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', body, chunked, headers: { 'Content-Type': contentType, ...headers },
  });
}

// Asserts an OTLP/HTTP error: status, Content-Type of the request's encoding, and a
// google.rpc.Status body whose message matches `pattern`.
function assertOtlpError(res, status, encoding, pattern) {
  assert.equal(res.status, status, `want HTTP ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  if (encoding === 'json') {
    assert.match(res.headers['content-type'], /^application\/json/);
    const body = res.json();
    assert.equal(typeof body.code, 'number', `JSON Status has a numeric code: ${res.text}`);
    assert.notEqual(body.code, 0, 'Status.code is an error code');
    assert.match(body.message, pattern);
    return body;
  }
  assert.match(res.headers['content-type'], /^application\/x-protobuf/);
  const status_ = proto.decodeRpcStatus(res.body);
  assert.notEqual(status_.code, 0, 'Status.code is an error code');
  assert.match(status_.message, pattern);
  return status_;
}

async function assertStillServing() {
  assert.ok(server.running, 'spanvault is still running');
  const health = await request(`${server.adminUrl}/healthz`);
  assert.equal(health.status, 200);
}

function grpcClient() {
  return new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
}

// A raw unary Export call with `payload` as the serialized request. Resolves {err, response}.
function rawGrpcExport(client, payload) {
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_METHOD, (b) => b, (b) => b, payload, { deadline: Date.now() + 60000 },
                            (err, response) => resolve({ err, response }));
  });
}

// --- OTLP/HTTP -------------------------------------------------------------------------------

test('OTLP/HTTP: truncated protobuf → 400 with a protobuf Status', async () => {
  const body = protobufRequest();
  const res = await postTraces(body.subarray(0, body.length - 10));
  assertOtlpError(res, 400, 'protobuf', /protobuf|ExportTraceServiceRequest/i);
  await assertStillServing();
});

test('OTLP/HTTP: invalid JSON → 400 with a JSON Status', async () => {
  const res = await postTraces('{"resourceSpans": [ {"resource": ', { contentType: JSON_TYPE });
  assertOtlpError(res, 400, 'json', /JSON/i);
  await assertStillServing();
});

test('OTLP/HTTP: wrong trace id length in JSON → 400 naming traceId', async () => {
  const body = JSON.stringify(jsonRequest([jsonSpan({ traceId: proto.randomHex(15) })]));
  const res = await postTraces(body, { contentType: JSON_TYPE });
  const status = assertOtlpError(res, 400, 'json', /traceId/);
  assert.match(status.message, /spans\[0\]/, 'the message says where');
  await assertStillServing();
});

test('OTLP/HTTP: unknown enum name → 400 naming the field', async () => {
  const body = JSON.stringify(jsonRequest([jsonSpan({ kind: 'SPAN_KIND_BOGUS' })]));
  const res = await postTraces(body, { contentType: JSON_TYPE });
  const status = assertOtlpError(res, 400, 'json', /kind/);
  assert.match(status.message, /SPAN_KIND_BOGUS/);
  // Enum names that exist are accepted (as the Go collector does).
  const ok = await postTraces(JSON.stringify(jsonRequest([jsonSpan({ kind: 'SPAN_KIND_SERVER' })])),
                              { contentType: JSON_TYPE });
  assert.equal(ok.status, 200, ok.text);
  await assertStillServing();
});

test('OTLP/HTTP: unsupported Content-Type → 415', async () => {
  const res = await postTraces(protobufRequest(), { contentType: 'text/plain' });
  assert.equal(res.status, 415, res.text);
  assert.match(res.text, /Content-Type/);
  await assertStillServing();
});

test('OTLP/HTTP: GET /v1/traces → 405', async () => {
  const res = await request(`${server.otlpHttpUrl}/v1/traces`);
  assert.equal(res.status, 405, res.text);
  assert.equal(res.headers.allow, 'POST');
  await assertStillServing();
});

test('OTLP/HTTP: empty protobuf body → 200, full success', async () => {
  const res = await postTraces(Buffer.alloc(0));
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'], /^application\/x-protobuf/);
  assert.deepEqual(proto.decodeResponse(res.body), {}, 'no partial success');
  const json = await postTraces('{}', { contentType: JSON_TYPE });
  assert.equal(json.status, 200, json.text);
  assert.equal(json.json().partialSuccess, undefined);
});

test('OTLP/HTTP: all-zero trace id → 200 with partialSuccess.rejectedSpans = 1; the good span is kept', async () => {
  const keep = jsonSpan({ name: 'kept-next-to-zero-id' });
  const body = JSON.stringify(jsonRequest([jsonSpan({ traceId: '0'.repeat(32) }), keep], 'zero-id-svc'));
  const res = await postTraces(body, { contentType: JSON_TYPE });
  assert.equal(res.status, 200, res.text);
  const partial = res.json().partialSuccess;
  assert.ok(partial, `partialSuccess present: ${res.text}`);
  assert.equal(String(partial.rejectedSpans), '1');
  assert.match(partial.errorMessage, /trace id/i);
  assert.match(partial.errorMessage, /zero/i);
  const kept = await getJson(`${server.queryUrl}/api/traces/${keep.traceId}`);
  assert.deepEqual(kept.data[0].spans.map((s) => s.spanID), [keep.spanId]);

  // The same over protobuf: a protobuf ExportTraceServiceResponse with partial_success.
  const pb = await postTraces(protobufRequest({ traceId: '0'.repeat(32) }));
  assert.equal(pb.status, 200);
  const decoded = proto.decodeResponse(pb.body);
  assert.equal(decoded.partialSuccess && decoded.partialSuccess.rejectedSpans, '1');
  await assertStillServing();
});

test('OTLP/HTTP: a 1 MiB string attribute is truncated to 64 KiB with a warning', async () => {
  const big = 'x'.repeat(1 << 20);
  const span = jsonSpan({
    name: 'huge-attribute',
    attributes: [{ key: 'e2e.huge', value: { stringValue: big } }, { key: 'order_id', value: { stringValue: 'BIG-1' } }],
  });
  const res = await postTraces(JSON.stringify(jsonRequest([span])), { contentType: JSON_TYPE });
  assert.equal(res.status, 200, res.text.slice(0, 500));
  const partial = res.json().partialSuccess;
  assert.ok(partial, 'partialSuccess carries the warning');
  assert.ok(!partial.rejectedSpans || String(partial.rejectedSpans) === '0', 'nothing rejected');
  assert.match(partial.errorMessage, /truncated/);
  assert.match(partial.errorMessage, /65536/);
  const trace = await getJson(`${server.queryUrl}/api/traces/${span.traceId}`);
  const tag = trace.data[0].spans[0].tags.find((t) => t.key === 'e2e.huge');
  assert.equal(tag.value.length, 65536, 'stored value is 65536 bytes');
  assert.equal(tag.value, big.slice(0, 65536));
  await assertStillServing();
});

function twentyMiBRequest() {
  return protobufRequest({ attributes: [{ key: 'pad', value: { stringValue: 'p'.repeat(20 << 20) } }] });
}

test('OTLP/HTTP: a 20 MiB body with Expect: 100-continue → 413 before the upload', async () => {
  const body = twentyMiBRequest();
  const res = await new Promise((resolve, reject) => {
    const u = new URL(`${server.otlpHttpUrl}/v1/traces`);
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false,
      headers: { 'Content-Type': PROTOBUF, 'Content-Length': body.length, Expect: '100-continue' },
    }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('continue', () => req.end(body));
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.equal(res.status, 413, res.text);
  assert.match(res.text, /exceeds the limit/);
  await assertStillServing();
});

// The OTLP exporters send the whole body at once. The client must read the 413 (a permanent
// error) rather than lose the connection mid-upload (EPIPE/ECONNRESET, which exporters retry).
// Three uploads, each must get its 413.
test('OTLP/HTTP: a 20 MiB body sent in one go (Content-Length) → 413', async () => {
  const body = twentyMiBRequest();
  for (let attempt = 1; attempt <= 3; attempt++) {
    let res;
    try {
      res = await postTraces(body);
    } catch (e) {
      assert.fail(`upload ${attempt}: the connection failed with ${e.code || e.message} ` +
                  'instead of a 413 response (the server closes without draining the request body)');
    }
    assert.equal(res.status, 413, res.text.slice(0, 300));
  }
  await assertStillServing();
});

test('OTLP/HTTP: a 20 MiB chunked body (no Content-Length) → 413', async () => {
  const res = await postTraces(twentyMiBRequest(), { chunked: true });
  assert.equal(res.status, 413, res.text.slice(0, 300));
  await assertStillServing();
});

test('OTLP/HTTP: gzip bomb → 413', async () => {
  const bomb = zlib.gzipSync(Buffer.alloc(100 << 20), { level: 9 });
  assert.ok(bomb.length < 1 << 20, 'the bomb itself is small');
  const res = await postTraces(bomb, { headers: { 'Content-Encoding': 'gzip' } });
  assertOtlpError(res, 413, 'protobuf', /exceeds|limit|large/i);
  await assertStillServing();
});

test('OTLP/HTTP: corrupt gzip → 400', async () => {
  const gz = zlib.gzipSync(protobufRequest());
  const corrupt = Buffer.from(gz);
  for (let i = 10; i < corrupt.length - 8; i += 3) corrupt[i] ^= 0x5a;
  const res = await postTraces(corrupt, { headers: { 'Content-Encoding': 'gzip' } });
  assertOtlpError(res, 400, 'protobuf', /gzip/i);
  const truncated = await postTraces(gz.subarray(0, gz.length - 12), { headers: { 'Content-Encoding': 'gzip' } });
  assertOtlpError(truncated, 400, 'protobuf', /gzip/i);
  const notGzip = await postTraces('{}', { contentType: JSON_TYPE, headers: { 'Content-Encoding': 'gzip' } });
  assertOtlpError(notGzip, 400, 'json', /gzip/i);
  await assertStillServing();
});

test('OTLP/HTTP: unsupported Content-Encoding → 415', async () => {
  const res = await postTraces(protobufRequest(), { headers: { 'Content-Encoding': 'br' } });
  assertOtlpError(res, 415, 'protobuf', /Content-Encoding/);
  await assertStillServing();
});

test('OTLP/HTTP: chunked body without Content-Length → 200 and stored', async () => {
  const traceId = proto.randomHex(16);
  const res = await postTraces(protobufRequest({ traceId, service: 'chunked-svc' }), { chunked: true });
  assert.equal(res.status, 200, res.text);
  const trace = await getJson(`${server.queryUrl}/api/traces/${traceId}`);
  assert.equal(trace.data[0].spans.length, 1);
  // Gzip + chunked + JSON, as the http/json exporter sends it.
  const span = jsonSpan();
  const gz = zlib.gzipSync(JSON.stringify(jsonRequest([span], 'chunked-svc')));
  const res2 = await postTraces(gz, { contentType: JSON_TYPE, chunked: true, headers: { 'Content-Encoding': 'gzip' } });
  assert.equal(res2.status, 200, res2.text);
  await getJson(`${server.queryUrl}/api/traces/${span.traceId}`);
});

test('OTLP/HTTP: unknown path → 404', async () => {
  const res = await request(`${server.otlpHttpUrl}/v1/logs`, { method: 'POST', body: '{}', headers: { 'Content-Type': JSON_TYPE } });
  assert.equal(res.status, 404);
});

// --- OTLP/gRPC -------------------------------------------------------------------------------

test('OTLP/gRPC: garbage bytes → INTERNAL or INVALID_ARGUMENT, no crash', async () => {
  const client = grpcClient();
  const failures = [];
  try {
    for (const hex of ['0aff01deadbeef', '0f0f0f0f', 'ffffffffffffffffffff01']) {
      const { err } = await rawGrpcExport(client, Buffer.from(hex, 'hex'));
      assert.ok(err, `garbage ${hex} must fail`);
      if (![grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT].includes(err.code)) {
        failures.push(`garbage ${hex}: want INTERNAL or INVALID_ARGUMENT, got ${grpc.status[err.code]} ` +
                      `(${err.code}) "${err.details}"`);
      }
    }
    // The same channel still works for a valid request.
    const { err, response } = await rawGrpcExport(client, protobufRequest({ service: 'grpc-raw' }));
    assert.equal(err, null, err && err.details);
    assert.deepEqual(proto.decodeResponse(response), {});
  } finally {
    client.close();
  }
  await assertStillServing();
  assert.deepEqual(failures, []);
});

test('OTLP/gRPC: all-zero trace id → OK with partial_success', async () => {
  const client = grpcClient();
  try {
    const { err, response } = await rawGrpcExport(client, protobufRequest({ traceId: '0'.repeat(32) }));
    assert.equal(err, null, err && err.details);
    const decoded = proto.decodeResponse(response);
    assert.equal(decoded.partialSuccess.rejectedSpans, '1');
    assert.match(decoded.partialSuccess.errorMessage, /zero/);
  } finally {
    client.close();
  }
});

test('OTLP/gRPC: a message over 16 MiB → RESOURCE_EXHAUSTED', async () => {
  const client = grpcClient();
  try {
    const body = protobufRequest({ attributes: [{ key: 'pad', value: { stringValue: 'p'.repeat(17 << 20) } }] });
    const { err } = await rawGrpcExport(client, body);
    assert.ok(err, 'a 17 MiB message must fail');
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, `${err.code} ${err.details}`);
  } finally {
    client.close();
  }
  await assertStillServing();
});

test('OTLP/gRPC: a gzip-compressed message over 16 MiB once decompressed → RESOURCE_EXHAUSTED', async () => {
  const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.default_compression_algorithm': 2, // gzip
  });
  try {
    const body = protobufRequest({ attributes: [{ key: 'pad', value: { stringValue: 'p'.repeat(20 << 20) } }] });
    const { err } = await rawGrpcExport(client, body);
    assert.ok(err, 'a 20 MiB message must fail even when it is small on the wire');
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, `${err.code} ${err.details}`);
    // A small compressed request on the same channel works.
    const ok = await rawGrpcExport(client, protobufRequest({ service: 'grpc-gzip' }));
    assert.equal(ok.err, null, ok.err && ok.err.details);
  } finally {
    client.close();
  }
  await assertStillServing();
});

// --- query API -------------------------------------------------------------------------------

async function classicError(path, status, pattern, { method = 'GET' } = {}) {
  const res = await request(`${server.queryUrl}${path}`, { method });
  assert.equal(res.status, status, `${method} ${path}: want ${status}, got ${res.status}: ${res.text}`);
  const body = res.json();
  assert.equal(body.data, null, `${path}: data is null`);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${path}: errors: ${res.text}`);
  assert.equal(body.errors[0].code, status);
  assert.match(body.errors[0].msg, pattern, `${path}: message`);
  return body;
}

test('query: unknown parameter on /api/traces → 400 naming it', async () => {
  await classicError(`/api/traces?service=good-shop&bogusParam=1`, 400, /bogusParam/);
  await classicError(`/api/traces/${good.traceId}?bogusParam=1`, 400, /bogusParam/);
});

test('query: malformed trace id → 400', async () => {
  await classicError('/api/traces/xyz', 400, /trace id/i);
  await classicError(`/api/traces/${'a'.repeat(33)}`, 400, /trace id/i);
  const v3 = await request(`${server.queryUrl}/api/v3/traces/xyz`);
  assert.equal(v3.status, 400);
  assert.equal(v3.json().error.httpCode, 400);
});

test('query: unknown trace id → 404 trace not found', async () => {
  await classicError(`/api/traces/${proto.randomHex(16)}`, 404, /^trace not found$/);
  const v3 = await request(`${server.queryUrl}/api/v3/traces/${proto.randomHex(16)}`);
  assert.equal(v3.status, 404);
  assert.equal(v3.json().error.httpCode, 404);
});

test('query: /api/traces without service → 400', async () => {
  await classicError('/api/traces', 400, /^parameter 'service' is required$/);
  await classicError('/api/traces?tags=%7B%22order_id%22%3A%22G-1%22%7D', 400, /^parameter 'service' is required$/);
});

test('query: bad search parameters → 400 naming them', async () => {
  await classicError(`/api/traces?${qs({ service: 'good-shop', minDuration: 'fast' })}`, 400, /minDuration|duration/);
  await classicError(`/api/traces?${qs({ service: 'good-shop', minDuration: '100' })}`, 400, /missing unit/);
  await classicError(`/api/traces?${qs({ service: 'good-shop', minDuration: '1s', maxDuration: '1ms' })}`, 400,
                     /maxDuration.*minDuration/);
  await classicError(`/api/traces?${qs({ service: 'good-shop', tag: 'novalue' })}`, 400, /malformed 'tag' parameter/);
  await classicError(`/api/traces?${qs({ service: 'good-shop', tags: '{"a":1}' })}`, 400, /malformed 'tags' parameter/);
  await classicError(`/api/traces?${qs({ service: 'good-shop', limit: 'many' })}`, 400, /limit/);
  await classicError(`/api/traces?${qs({ service: 'good-shop', start: 'yesterday' })}`, 400, /start/);
});

test('query: v3 trace-summaries without startTimeMin → 400 with the v3 error body', async () => {
  const res = await request(`${server.queryUrl}/api/v3/trace-summaries?${qs({
    'query.serviceName': 'good-shop', 'query.startTimeMax': new Date().toISOString() })}`);
  assert.equal(res.status, 400, res.text);
  const body = res.json();
  assert.equal(body.error.httpCode, 400);
  assert.match(body.error.message, /startTimeMin/);
  const bad = await request(`${server.queryUrl}/api/v3/trace-summaries?${qs({
    'query.serviceName': 'good-shop', 'query.startTimeMin': '2026-13-01', 'query.startTimeMax': new Date().toISOString() })}`);
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.json().error.message, /startTimeMin/);
  const dur = await request(`${server.queryUrl}/api/v3/trace-summaries?${qs({
    'query.startTimeMin': new Date(Date.now() - 3600e3).toISOString(), 'query.startTimeMax': new Date().toISOString(),
    'query.durationMin': 'soon' })}`);
  assert.equal(dur.status, 400, dur.text);
  assert.match(dur.json().error.message, /durationMin/);
  const attrs = await request(`${server.queryUrl}/api/v3/trace-summaries?${qs({
    'query.startTimeMin': new Date(Date.now() - 3600e3).toISOString(), 'query.startTimeMax': new Date().toISOString(),
    'query.attributes': '{"order_id":' })}`);
  assert.equal(attrs.status, 400, attrs.text);
  assert.match(attrs.json().error.message, /attributes/);
  const reversed = await request(`${server.queryUrl}/api/v3/trace-summaries?${qs({
    'query.startTimeMin': new Date().toISOString(), 'query.startTimeMax': new Date(Date.now() - 3600e3).toISOString() })}`);
  assert.equal(reversed.status, 400, reversed.text);
  assert.equal(reversed.json().error.httpCode, 400);
});

test('query: unknown /api path → 404, POST → 405', async () => {
  await classicError('/api/no-such-endpoint', 404, /no-such-endpoint/);
  const v3 = await request(`${server.queryUrl}/api/v3/no-such-endpoint`);
  assert.equal(v3.status, 404);
  assert.equal(v3.json().error.httpCode, 404);
  const post = await classicError('/api/services', 405, /method not allowed/, { method: 'POST' });
  assert.ok(post);
  const postV3 = await request(`${server.queryUrl}/api/v3/services`, { method: 'POST', body: '{}' });
  assert.equal(postV3.status, 405);
  assert.equal(postV3.json().error.httpCode, 405);
});

// --- afterwards ------------------------------------------------------------------------------

test('after all of that: the good trace is whole, health is fine, exports still work', async () => {
  await assertServingAfterwards(server, good, 'G-2');
  const ready = await request(`${server.adminUrl}/readyz`);
  assert.equal(ready.status, 200);
});

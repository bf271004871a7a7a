'use strict';
// Every OTLP protocol (gRPC, HTTP/JSON, HTTP/protobuf), with and without gzip, sends one rich
// trace through the official exporters; each is read back through the classic Jaeger JSON and
// the api_v3 OTLP/JSON and compared field by field with what was sent.

const assert = require('node:assert/strict');
const { test, before, after } = require('./lib/harness');
const { startServer } = require('./lib/server');
const { getJson, request, qs } = require('./lib/http');
const { randomHex } = require('./lib/otlp_proto');
const otel = require('./lib/otel');
const { assertJaegerTrace, assertOtlpTrace, jaegerTraceId } = require('./lib/expect');

const COMBINATIONS = [];
for (const protocol of otel.PROTOCOLS) {
  for (const gzip of [false, true]) {
    const tag = `${protocol.replace('/', '-')}-${gzip ? 'gzip' : 'plain'}`;
    COMBINATIONS.push({ protocol, gzip, tag });
  }
}

let server;
const sent = new Map(); // tag → rich trace

before(async () => {
  server = await startServer({ name: 'spanvault-roundtrip' });
});

after(async () => {
  if (server) await server.close();
});

COMBINATIONS.forEach(({ protocol, gzip, tag }, i) => {
  test(`${protocol}${gzip ? ' + gzip' : ''}: export a rich trace, read it back`, async () => {
    const trace = otel.buildRichTrace({
      service: `shop-api-${tag}`,
      workerService: `mes-worker-${tag}`,
      orderId: `RT-${1000 + i}`,
      baseNs: otel.baseTimeNs(120000 - i * 1000),
    });
    const exporter = otel.createExporter(server, protocol, { gzip });
    try {
      await otel.exportSpans(exporter, trace.spans, `${tag} export`);
    } finally {
      await exporter.shutdown();
    }
    sent.set(tag, trace);

    // Acknowledged means durable and readable: no waiting.
    const classic = await getJson(`${server.queryUrl}/api/traces/${trace.traceId}`);
    assert.equal(classic.errors, null, 'classic envelope: errors is null');
    assert.equal(classic.total, 0);
    assert.equal(classic.limit, 0);
    assert.equal(classic.offset, 0);
    assert.equal(classic.data.length, 1, 'classic: one trace');
    assertJaegerTrace(classic.data[0], trace.spans, { where: `classic ${tag}` });

    // Spot checks of the mapping, spelled out.
    const byOp = Object.fromEntries(classic.data[0].spans.map((s) => [s.operationName, s]));
    const tag0 = (span, key) => span.tags.find((t) => t.key === key);
    assert.deepEqual(tag0(byOp['POST /orders'], 'span.kind'), { key: 'span.kind', type: 'string', value: 'server' });
    assert.deepEqual(tag0(byOp['charge-payment'], 'span.kind'), { key: 'span.kind', type: 'string', value: 'client' });
    assert.deepEqual(tag0(byOp['orders publish'], 'span.kind'), { key: 'span.kind', type: 'string', value: 'producer' });
    assert.deepEqual(tag0(byOp['orders process'], 'span.kind'), { key: 'span.kind', type: 'string', value: 'consumer' });
    assert.deepEqual(tag0(byOp['charge-payment'], 'error'), { key: 'error', type: 'bool', value: true });
    assert.deepEqual(tag0(byOp['charge-payment'], 'otel.status_code'), { key: 'otel.status_code', type: 'string', value: 'ERROR' });
    assert.deepEqual(tag0(byOp['charge-payment'], 'otel.status_description'),
                     { key: 'otel.status_description', type: 'string', value: 'card declined' });
    assert.equal(tag0(byOp['POST /orders'], 'error'), undefined, 'no error tag on an OK span');
    assert.deepEqual(tag0(byOp['POST /orders'], 'e2e.big_int'), { key: 'e2e.big_int', type: 'int64', value: 1234567890123 });
    assert.deepEqual(tag0(byOp['POST /orders'], 'e2e.pi'), { key: 'e2e.pi', type: 'float64', value: 3.14159 });
    assert.deepEqual(tag0(byOp['POST /orders'], 'e2e.flag'), { key: 'e2e.flag', type: 'bool', value: true });
    assert.deepEqual(tag0(byOp['POST /orders'], 'e2e.tags'),
                     { key: 'e2e.tags', type: 'string', value: '["alpha","beta","gamma"]' });
    assert.deepEqual(byOp['orders process'].references, [
      { refType: 'CHILD_OF', traceID: jaegerTraceId(trace.traceId), spanID: trace.ids.receive },
      { refType: 'FOLLOWS_FROM', traceID: jaegerTraceId(trace.traceId), spanID: trace.ids.publish },
    ]);
    assert.deepEqual(byOp['POST /orders'].references, []);
    assert.deepEqual(byOp['POST /orders'].logs[0].fields[0], { key: 'event', type: 'string', value: 'order.validated' });
    assert.equal(byOp['POST /orders'].duration, 250000);
    const procs = classic.data[0].processes;
    assert.equal(procs[byOp['POST /orders'].processID].serviceName, `shop-api-${tag}`);
    assert.equal(procs[byOp['orders process'].processID].serviceName, `mes-worker-${tag}`);

    // 16-hex (low half) and 32-hex spellings of the id find the same trace when the high half
    // is zero; here it is the 32-hex id, in upper case as well.
    const upper = await getJson(`${server.queryUrl}/api/traces/${trace.traceId.toUpperCase()}`);
    assert.equal(upper.data[0].traceID, jaegerTraceId(trace.traceId), 'upper-case id finds the trace');

    const v3 = await getJson(`${server.queryUrl}/api/v3/traces/${trace.traceId}`);
    assert.ok(v3.result, 'v3: {"result": TracesData}');
    assertOtlpTrace(v3.result, trace.spans, { where: `v3 ${tag}` });
    const v3ById = new Map();
    for (const rs of v3.result.resourceSpans) {
      for (const ss of rs.scopeSpans) for (const sp of ss.spans) v3ById.set(sp.spanId, sp);
    }
    assert.equal(v3ById.get(trace.ids.root).kind, 2, 'SERVER = 2');
    assert.equal(v3ById.get(trace.ids.charge).kind, 3, 'CLIENT = 3');
    assert.equal(v3ById.get(trace.ids.publish).kind, 4, 'PRODUCER = 4');
    assert.equal(v3ById.get(trace.ids.process).kind, 5, 'CONSUMER = 5');
    assert.deepEqual(v3ById.get(trace.ids.charge).status, { code: 2, message: 'card declined' });
  });
});

test('services and operations list every service with the right span kinds', async () => {
  assert.equal(sent.size, COMBINATIONS.length, 'every export above succeeded');
  const classic = await getJson(`${server.queryUrl}/api/services`);
  const v3 = await getJson(`${server.queryUrl}/api/v3/services`);
  const want = [...sent.values()].flatMap((t) => t.services).sort();
  assert.deepEqual([...classic.data].sort(), want, '/api/services');
  assert.equal(classic.total, want.length, '/api/services total');
  assert.deepEqual([...v3.services].sort(), want, '/api/v3/services');

  for (const [tag, trace] of sent) {
    const [shop, worker] = trace.services;
    const ops = await getJson(`${server.queryUrl}/api/v3/operations?service=${encodeURIComponent(shop)}`);
    const sortOps = (list) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(sortOps(ops.operations), sortOps([
      { name: 'POST /orders', spanKind: 'server' },
      { name: 'charge-payment', spanKind: 'client' },
      { name: 'orders publish', spanKind: 'producer' },
      { name: 'validate-cart', spanKind: 'internal' },
    ]), `v3 operations of ${shop}`);
    const workerOps = await getJson(`${server.queryUrl}/api/v3/operations?service=${encodeURIComponent(worker)}`);
    assert.deepEqual(sortOps(workerOps.operations), [
      { name: 'orders process', spanKind: 'consumer' },
      { name: 'orders receive', spanKind: 'consumer' },
    ], `v3 operations of ${worker}`);
    const servers = await getJson(`${server.queryUrl}/api/v3/operations?service=${encodeURIComponent(shop)}&spanKind=server`);
    assert.deepEqual(servers.operations, [{ name: 'POST /orders', spanKind: 'server' }], `server operations of ${shop}`);

    const classicOps = await getJson(`${server.queryUrl}/api/operations?service=${encodeURIComponent(shop)}&spanKind=client`);
    assert.deepEqual(classicOps.data, [{ name: 'charge-payment', spanKind: 'client' }], `classic client operations (${tag})`);
    const names = await getJson(`${server.queryUrl}/api/services/${encodeURIComponent(shop)}/operations`);
    assert.deepEqual([...names.data].sort(),
                     ['POST /orders', 'charge-payment', 'orders publish', 'validate-cart'].sort(),
                     `classic operation names of ${shop}`);
  }
});

test('a 64-bit trace id (high half zero) and an awkward service name', async () => {
  const low = randomHex(8);
  const service = 'legacy svc/eu+1 ü';
  const { provider, memory } = otel.memoryProvider({ 'service.name': service }, {
    idGenerator: { generateTraceId: () => `0000000000000000${low}`, generateSpanId: () => randomHex(8) },
  });
  const tracer = provider.getTracer('legacy', '0.1.0');
  const base = otel.baseTimeNs(90000);
  const root = otel.startSpan(tracer, 'GET /legacy', { kind: otel.api.SpanKind.SERVER, at: base });
  const child = otel.startSpan(tracer, 'db', { kind: otel.api.SpanKind.CLIENT, parent: root, at: base + otel.ms(1) });
  child.end(otel.hr(base + otel.ms(2)));
  root.end(otel.hr(base + otel.ms(3)));
  const spans = memory.getFinishedSpans();
  const exporter = otel.createExporter(server, 'http/json');
  try {
    await otel.exportSpans(exporter, spans, 'legacy export');
  } finally {
    await exporter.shutdown();
  }
  const full = `0000000000000000${low}`;
  // Jaeger prints it with 16 digits; both spellings find it.
  for (const id of [low, full]) {
    const body = await getJson(`${server.queryUrl}/api/traces/${id}`);
    assert.equal(body.data[0].traceID, low, `traceID for lookup by ${id}`);
    assertJaegerTrace(body.data[0], spans, { where: `legacy trace by ${id}` });
  }
  const v3 = await getJson(`${server.queryUrl}/api/v3/traces/${low}`);
  assertOtlpTrace(v3.result, spans, { where: 'legacy v3' });
  // Summaries use 32 digits (the UI then loads /api/traces/<32 digits>).
  const summaries = await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs([
    ['query.serviceName', service],
    ['query.startTimeMin', new Date(Number(base / 1000000n) - 1000).toISOString()],
    ['query.startTimeMax', new Date(Number(base / 1000000n) + 1000).toISOString()]])}`);
  assert.deepEqual(summaries.summaries.map((s) => s.traceId), [full]);
  assert.ok((await getJson(`${server.queryUrl}/api/v3/services`)).services.includes(service));
  const ops = await getJson(`${server.queryUrl}/api/services/${encodeURIComponent(service)}/operations`);
  assert.deepEqual([...ops.data].sort(), ['GET /legacy', 'db']);
  const v3ops = await getJson(`${server.queryUrl}/api/v3/operations?${qs({ service })}`);
  assert.equal(v3ops.operations.length, 2);
});

test('a trace of 2,000 spans sent in 4 exports comes back whole', async () => {
  const { provider, memory } = otel.memoryProvider({ 'service.name': 'big-trace-svc' });
  const tracer = provider.getTracer('big', '1.0.0');
  const base = otel.baseTimeNs(100000);
  const root = otel.startSpan(tracer, 'big-root', { kind: otel.api.SpanKind.SERVER, at: base });
  for (let i = 0; i < 1999; i++) {
    const c = otel.startSpan(tracer, `op-${i % 7}`, { parent: root, at: base + BigInt(i) * 1000n, attributes: { i } });
    c.end(otel.hr(base + BigInt(i) * 1000n + 500n));
  }
  root.end(otel.hr(base + otel.ms(5)));
  const spans = memory.getFinishedSpans();
  assert.equal(spans.length, 2000);
  const exporter = otel.createExporter(server, 'grpc', { gzip: true });
  try {
    for (let k = 0; k < 4; k++) await otel.exportSpans(exporter, spans.slice(k * 500, (k + 1) * 500), `part ${k}`);
  } finally {
    await exporter.shutdown();
  }
  const traceId = root.spanContext().traceId;
  const body = await getJson(`${server.queryUrl}/api/traces/${traceId}`);
  assertJaegerTrace(body.data[0], spans, { where: 'big trace' });
  const v3 = await getJson(`${server.queryUrl}/api/v3/traces/${traceId}`);
  assertOtlpTrace(v3.result, spans, { where: 'big v3 trace' });
  const summaries = await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs([
    ['query.serviceName', 'big-trace-svc'],
    ['query.startTimeMin', new Date(Number(base / 1000000n) - 1000).toISOString()],
    ['query.startTimeMax', new Date(Number(base / 1000000n) + 1000).toISOString()]])}`);
  assert.equal(summaries.summaries.length, 1);
  assert.equal(summaries.summaries[0].spanCount, 2000);
  assert.equal(summaries.summaries[0].rootOperationName, 'big-root');
});

test('prettyPrint indents the JSON', async () => {
  const trace = [...sent.values()][0];
  const res = await request(`${server.queryUrl}/api/traces/${trace.traceId}?prettyPrint=true`);
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.match(res.text, /^\{\n {4}"data": \[/);
  const compact = await request(`${server.queryUrl}/api/traces/${trace.traceId}`);
  assert.deepEqual(res.json(), compact.json());
  assert.ok(!compact.text.includes('\n    '), 'compact by default');
});

test('OTLP/JSON as other senders write it: snake_case, enum names, string ints, upper-case hex', async () => {
  const traceId = randomHex(16);
  const rootId = randomHex(8);
  const childId = randomHex(8);
  const base = otel.baseTimeNs(110000);
  // A JS number cannot hold a nanosecond timestamp exactly: the server gets the decimal text
  // JSON.stringify writes for it, and must take that text literally.
  const endAsNumber = Number(base + 2000000n);
  const endAsSent = BigInt(JSON.stringify(endAsNumber));
  const body = {
    resource_spans: [{
      resource: { attributes: [
        { key: 'service.name', value: { string_value: 'quirky-json-svc' } },
        { key: 'e2e.bytes', value: { bytes_value: Buffer.from('hello').toString('base64') } },
      ] },
      scope_spans: [{
        scope: { name: 'quirky', version: '9' },
        spans: [
          {
            trace_id: traceId.toUpperCase(), span_id: rootId.toUpperCase(), name: 'quirky-root',
            kind: 'SPAN_KIND_SERVER', start_time_unix_nano: base.toString(),
            end_time_unix_nano: endAsNumber, // a JSON number is accepted too
            attributes: [
              { key: 'count', value: { int_value: '42' } },
              { key: 'ratio', value: { double_value: '0.5' } },
              { key: 'nested', value: { kvlist_value: { values: [{ key: 'a', value: { int_value: 1 } }] } } },
            ],
            status: { code: 'STATUS_CODE_ERROR', message: 'quirky failure' },
            unknownField: { ignored: true },
          },
          {
            traceId, spanId: childId, parentSpanId: rootId, name: 'quirky-child', kind: 3,
            startTimeUnixNano: (base + 1000n).toString(), endTimeUnixNano: (base + 3000n).toString(),
          },
        ],
      }],
    }],
  };
  const res = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.equal(res.json().partialSuccess, undefined, `full success: ${res.text}`);
  const trace = (await getJson(`${server.queryUrl}/api/traces/${traceId}`)).data[0];
  const root = trace.spans.find((s) => s.spanID === rootId);
  const child = trace.spans.find((s) => s.spanID === childId);
  assert.ok(root && child, 'both spans stored under lower-case ids');
  const tag = (key) => root.tags.find((t) => t.key === key);
  assert.deepEqual(tag('count'), { key: 'count', type: 'int64', value: 42 });
  assert.deepEqual(tag('ratio'), { key: 'ratio', type: 'float64', value: 0.5 });
  assert.deepEqual(tag('nested'), { key: 'nested', type: 'string', value: '{"a":1}' });
  assert.deepEqual(tag('span.kind'), { key: 'span.kind', type: 'string', value: 'server' });
  assert.deepEqual(tag('error'), { key: 'error', type: 'bool', value: true });
  assert.deepEqual(tag('otel.status_description'), { key: 'otel.status_description', type: 'string', value: 'quirky failure' });
  assert.equal(root.duration, Number((endAsSent - base) / 1000n));
  assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: rootId }]);
  assert.deepEqual(child.tags.find((t) => t.key === 'span.kind').value, 'client');
  const proc = trace.processes[root.processID];
  assert.equal(proc.serviceName, 'quirky-json-svc');
  assert.deepEqual(proc.tags, [{ key: 'e2e.bytes', type: 'binary', value: Buffer.from('hello').toString('base64') }]);
  const v3 = await getJson(`${server.queryUrl}/api/v3/traces/${traceId}`);
  const v3root = v3.result.resourceSpans[0].scopeSpans[0].spans.find((s) => s.spanId === rootId);
  assert.deepEqual(v3root.attributes.find((a) => a.key === 'nested').value,
                   { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }] } });
  assert.deepEqual(v3.result.resourceSpans[0].resource.attributes.find((a) => a.key === 'e2e.bytes').value,
                   { bytesValue: Buffer.from('hello').toString('base64') });
});

test('30 concurrent exports over every protocol are all stored', async () => {
  const exporters = [];
  for (const protocol of otel.PROTOCOLS) {
    for (const gzip of [false, true]) exporters.push(otel.createExporter(server, protocol, { gzip }));
  }
  const traces = Array.from({ length: 30 }, (_, i) => otel.buildSimpleTrace({
    service: 'concurrent-svc', rootName: `concurrent-${i}`, baseNs: otel.baseTimeNs(120000 - i), children: 9,
  }));
  try {
    await Promise.all(traces.map((t, i) => otel.exportSpans(exporters[i % exporters.length], t.spans, `concurrent ${i}`)));
  } finally {
    await Promise.all(exporters.map((e) => e.shutdown()));
  }
  for (const t of traces) {
    const body = await getJson(`${server.queryUrl}/api/traces/${t.traceId}`);
    assertJaegerTrace(body.data[0], t.spans, { where: `concurrent trace ${t.rootName}` });
  }
});

'use strict';
// The admin listener: /healthz, /readyz, /metrics (Prometheus text format, exact ingest counts
// after a known ingest) and the ports file.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test, before, after } = require('./lib/harness');
const { startServer, PORT_KEYS } = require('./lib/server');
const { request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const proto = require('./lib/otlp_proto');

let server;

before(async () => {
  server = await startServer({ name: 'spanvault-admin' });
});

after(async () => {
  if (server) await server.close();
});

// Parses the Prometheus text exposition format strictly: every sample line must be well formed
// and belong to a family announced by # HELP and # TYPE. Returns { samples: Map(series → value),
// types: Map(family → type) }.
function parsePrometheus(text) {
  const samples = new Map();
  const types = new Map();
  const helps = new Set();
  assert.ok(text.endsWith('\n'), 'exposition ends with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line))) {
      helps.add(m[1]);
      continue;
    }
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      types.set(m[1], m[2]);
      continue;
    }
    assert.ok(!line.startsWith('#'), `unknown comment line: ${line}`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed sample line: ${JSON.stringify(line)}`);
    const [, name, labels = '', value] = m;
    assert.ok(/^(-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$/i.test(value), `bad value in ${line}`);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `sample ${name} has no # TYPE`);
    assert.ok(helps.has(family), `sample ${name} has no # HELP`);
    samples.set(`${name}${labels}`, Number(value.replace(/Inf$/i, 'Infinity')));
  }
  return { samples, types };
}

async function metrics() {
  const res = await request(`${server.adminUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.text);
}

test('ports file: the four listeners, each bound to a real port', async () => {
  const ports = JSON.parse(fs.readFileSync(server.portsFile, 'utf8'));
  for (const key of PORT_KEYS) {
    assert.match(ports[key], /^127\.0\.0\.1:[1-9][0-9]*$/, `ports.${key}`);
  }
  assert.equal(new Set(PORT_KEYS.map((k) => ports[k])).size, PORT_KEYS.length, 'distinct ports');
  // Each HTTP listener answers on its port.
  assert.equal((await request(`http://${ports.admin_http}/healthz`)).status, 200);
  const queryUrl = `http://admin:${server.adminPassword}@${ports.query_http}`;
  assert.equal((await request(`${queryUrl}/api/v3/services`)).status, 200);
  assert.equal((await request(`http://${ports.otlp_http}/v1/traces`)).status, 405);
});

test('/healthz and /readyz', async () => {
  const health = await request(`${server.adminUrl}/healthz`);
  assert.equal(health.status, 200);
  // The ports file may be written just before the server declares itself ready.
  await waitFor(async () => (await request(`${server.adminUrl}/readyz`)).status === 200,
                { what: '/readyz to answer 200' });
  const ready = await request(`${server.adminUrl}/readyz`);
  assert.equal(ready.status, 200);
  const unknown = await request(`${server.adminUrl}/nope`);
  assert.equal(unknown.status, 404);
});

test('/metrics counts a known ingest exactly', async () => {
  // Nothing ingested yet on this server: no sample for the receivers.
  const before = await metrics();
  assert.equal(before.types.get('spanvault_spans_received_total'), 'counter');
  assert.equal(before.types.get('spanvault_spans_accepted_total'), 'counter');
  assert.equal(before.types.get('spanvault_spans_rejected_total'), 'counter');
  assert.equal(before.types.get('spanvault_export_request_duration_seconds'), 'histogram');
  assert.equal(before.types.get('spanvault_storage_bytes'), 'gauge');
  assert.equal(before.samples.get('spanvault_spans_received_total{receiver="otlp_grpc"}'), undefined);

  // gRPC: two exports of a 6-span trace each.
  const grpc = otel.createExporter(server, 'grpc', { gzip: true });
  try {
    for (let i = 0; i < 2; i++) {
      const t = otel.buildRichTrace({ service: `metrics-${i}`, workerService: 'metrics-worker', orderId: `M-${i}`, baseNs: otel.baseTimeNs(10000) });
      await otel.exportSpans(grpc, t.spans, `grpc export ${i}`);
    }
  } finally {
    await grpc.shutdown();
  }
  // HTTP: one 6-span export, then one request with a good and an all-zero-trace-id span,
  // then an undecodable request.
  const http = otel.createExporter(server, 'http/protobuf');
  try {
    const t = otel.buildRichTrace({ service: 'metrics-http', workerService: 'metrics-worker', orderId: 'M-9', baseNs: otel.baseTimeNs(10000) });
    await otel.exportSpans(http, t.spans, 'http export');
  } finally {
    await http.shutdown();
  }
  const start = otel.baseTimeNs(5000);
  const span = (traceId) => ({
    traceId, spanId: proto.randomHex(8), name: 'm', kind: 1,
    startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 1000n).toString(),
  });
  const mixed = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'metrics-json' } }] },
      scopeSpans: [{ spans: [span(proto.randomHex(16)), span('0'.repeat(32))] }] }] }),
  });
  assert.equal(mixed.status, 200, mixed.text);
  assert.equal(String(mixed.json().partialSuccess.rejectedSpans), '1');
  const garbage = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'not json',
  });
  assert.equal(garbage.status, 400);

  const { samples } = await metrics();
  const get = (series) => samples.get(series);
  assert.equal(get('spanvault_spans_received_total{receiver="otlp_grpc"}'), 12);
  assert.equal(get('spanvault_spans_accepted_total{receiver="otlp_grpc"}'), 12);
  assert.equal(get('spanvault_export_requests_total{receiver="otlp_grpc"}'), 2);
  assert.equal(get('spanvault_spans_received_total{receiver="otlp_http"}'), 8);
  assert.equal(get('spanvault_spans_accepted_total{receiver="otlp_http"}'), 7);
  assert.equal(get('spanvault_spans_rejected_total{receiver="otlp_http",reason="invalid_span"}'), 1);
  assert.equal(get('spanvault_export_requests_total{receiver="otlp_http"}'), 3);
  assert.equal(get('spanvault_spans_rejected_total{receiver="otlp_grpc",reason="invalid_span"}'), undefined);

  // The latency histogram: cumulative buckets ending in +Inf = _count = number of requests.
  for (const [receiver, requests] of [['otlp_grpc', 2], ['otlp_http', 3]]) {
    const buckets = [...samples.entries()]
        .filter(([k]) => k.startsWith(`spanvault_export_request_duration_seconds_bucket{receiver="${receiver}",le=`));
    assert.ok(buckets.length >= 2, `${receiver}: buckets`);
    const counts = buckets.map(([, v]) => v);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), `${receiver}: buckets are cumulative`);
    assert.equal(buckets[buckets.length - 1][0],
                 `spanvault_export_request_duration_seconds_bucket{receiver="${receiver}",le="+Inf"}`);
    assert.equal(counts[counts.length - 1], requests, `${receiver}: +Inf bucket`);
    assert.equal(get(`spanvault_export_request_duration_seconds_count{receiver="${receiver}"}`), requests);
    assert.ok(get(`spanvault_export_request_duration_seconds_sum{receiver="${receiver}"}`) > 0);
  }
  assert.ok(get('spanvault_storage_bytes') > 0, 'storage bytes');
});

// Prometheus client libraries write bucket bounds in their shortest form (le="0.0025"); a
// rounding artefact such as le="0.0025000000000000001" is a different label value to anything
// that matches on `le` (recording rules, dashboards, older Prometheus servers).
test('/metrics: histogram le labels are written in their shortest form', async () => {
  const res = await request(`${server.adminUrl}/metrics`);
  const les = [...res.text.matchAll(/_bucket\{[^}]*le="([^"]+)"\}/g)].map((m) => m[1]);
  assert.ok(les.length > 0, 'there are buckets (after the ingest above)');
  const bad = [...new Set(les)].filter((le) => le !== '+Inf' && String(Number(le)) !== le);
  assert.deepEqual(bad, [], 'le values not in shortest round-trip form');
});

test('POST /metrics → 405', async () => {
  const res = await request(`${server.adminUrl}/metrics`, { method: 'POST', body: '' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.allow, 'GET, HEAD');
});

test('HEAD answers as GET without the body, on the admin and query listeners', async () => {
  const ports = JSON.parse(fs.readFileSync(server.portsFile, 'utf8'));
  const queryUrl = `http://admin:${server.adminPassword}@${ports.query_http}`;
  for (const url of [`${server.adminUrl}/healthz`, `${queryUrl}/api/services`]) {
    const get = await request(url);
    const head = await request(url, { method: 'HEAD' });
    assert.equal(head.status, 200, url);
    assert.equal(head.body.length, 0, url);
    assert.equal(head.headers['content-type'], get.headers['content-type'], url);
    assert.equal(head.headers['content-length'], String(get.body.length), url);
  }
});

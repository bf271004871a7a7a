'use strict';
// Retention and the archive: with a short --retention, a trace's whole time bucket goes once it
// is past the retention (and its disk space with it), while an archived neighbour stays
// readable by id and by search through the HTTP APIs.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { test, before, after } = require('./lib/harness');
const { startServer } = require('./lib/server');
const { request, getJson, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

let server;
let kept;       // archived
let neighbour;  // not archived, large

before(async () => {
  server = await startServer({ name: 'spanvault-retention', args: ['--retention', '7s'] });
  const exporter = otel.createExporter(server, 'http/protobuf');
  const now = otel.baseTimeNs(0);
  kept = otel.buildSimpleTrace({ service: 'archive-api', rootName: 'POST /orders', baseNs: now,
                                 attributes: { order_id: 'R-1' }, children: 3 });
  // About 400 KB that does not compress, so its bucket's disk space is worth giving back.
  neighbour = otel.buildSimpleTrace({ service: 'archive-api', rootName: 'POST /orders', baseNs: now,
                                      attributes: { order_id: 'R-2', blob: crypto.randomBytes(1024).toString('hex') },
                                      children: 0 });
  const bulky = [];
  for (let i = 0; i < 200; i++) {
    bulky.push(otel.buildSimpleTrace({ service: 'bulk-api', baseNs: now, attributes: {
      blob: crypto.randomBytes(1024).toString('hex') } }).spans[0]);
  }
  await otel.exportSpans(exporter, [...kept.spans, ...neighbour.spans, ...bulky], 'the traces');
  await exporter.shutdown();
});

after(async () => { if (server) await server.stop(); });

const traceUrl = (id) => `${server.queryUrl}/api/traces/${id}`;
const archiveUrl = (id) => `${server.queryUrl}/api/archive/${id}`;

async function orderIds() {
  const body = await getJson(`${server.queryUrl}/api/traces?${qs({ service: 'archive-api', lookback: '1h', limit: 20 })}`);
  return body.data.map((t) => t.traceID).sort();
}

test('POST /api/archive/{id} answers as Jaeger does, with clear errors', async () => {
  await waitFor(async () => (await request(traceUrl(kept.traceId))).status === 200, { what: 'the trace stored' });
  const r = await request(archiveUrl(kept.traceId), { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json(), { data: [], total: 0, limit: 0, offset: 0, errors: [] });

  const unknown = await request(archiveUrl('0123456789abcdef0123456789abcdef'), { method: 'POST' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.json().errors[0].msg, /trace not found/);
  const bad = await request(archiveUrl('not-a-trace-id'), { method: 'POST' });
  assert.equal(bad.status, 400);
  const get = await request(archiveUrl(kept.traceId));
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  // Archiving changes nothing a reader sees: same spans, counted once.
  const trace = (await getJson(traceUrl(kept.traceId))).data[0];
  assert.equal(trace.spans.length, kept.spans.length);
  assert.deepEqual(await orderIds(), [kept.traceId, neighbour.traceId].sort());
});

test('a retention pass drops the neighbour and frees its disk; the archived trace stays', async () => {
  await waitFor(async () => (await request(traceUrl(neighbour.traceId))).status === 404,
                { timeoutMs: 60000, intervalMs: 250, what: 'the neighbour gone past the 7 s retention' });
  const trace = (await getJson(traceUrl(kept.traceId))).data[0];
  assert.equal(trace.spans.length, kept.spans.length);
  const v3 = await getJson(`${server.queryUrl}/api/v3/traces/${kept.traceId}`);
  assert.equal(v3.result.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length,
               kept.spans.length);
  assert.deepEqual(await orderIds(), [kept.traceId]);
  const summaries = await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs({
    'query.service_name': 'archive-api', 'query.start_time_min': new Date(Date.now() - 3600e3).toISOString(),
    'query.start_time_max': new Date(Date.now() + 60e3).toISOString() })}`);
  assert.deepEqual(summaries.summaries.map((s) => [s.traceId, s.spanCount]), [[kept.traceId, kept.spans.length]]);

  // The pass reports once the space is back, a moment after the bucket is gone.
  let metrics = '';
  const value = (name) => Number((metrics.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);
  await waitFor(async () => {
    metrics = (await request(`${server.adminUrl}/metrics`)).text;
    return value('spanvault_retention_buckets_dropped_total\\{reason="age"\\}') >= 1;
  }, { timeoutMs: 30000, what: 'the retention pass reported' });
  assert.ok(value('spanvault_retention_bytes_freed_total') > 200 * 1024, metrics);
  assert.ok(value('spanvault_retention_oldest_data_timestamp_seconds') >= 0);
});

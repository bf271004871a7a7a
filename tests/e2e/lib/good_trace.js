'use strict';
// The bad-input suites' control: a rich trace acknowledged before any bad request, and the
// check afterwards that the server lost nothing and still serves.

const assert = require('node:assert/strict');
const { request, getJson } = require('./http');
const otel = require('./otel');
const { assertJaegerTrace } = require('./expect');

// Exports a rich trace (shop and worker services, order `orderId`) over OTLP/HTTP protobuf and
// checks it reads back whole; returns it ({traceId, spans, ...}).
async function ingestGoodTrace(server, orderId) {
  const good = otel.buildRichTrace({
    service: 'good-shop', workerService: 'good-worker', orderId, baseNs: otel.baseTimeNs(60000),
  });
  const exporter = otel.createExporter(server, 'http/protobuf');
  try {
    await otel.exportSpans(exporter, good.spans, 'good export');
  } finally {
    await exporter.shutdown();
  }
  const trace = await getJson(`${server.queryUrl}/api/traces/${good.traceId}`);
  assertJaegerTrace(trace.data[0], good.spans, { where: `good trace ${orderId} before` });
  return good;
}

// After the bad requests: the server runs, `good` reads back whole, /healthz answers 200, and a
// fresh trace (order `freshOrderId`) sent over every OTLP protocol is stored once.
async function assertServingAfterwards(server, good, freshOrderId) {
  assert.ok(server.running, 'spanvault is still running');
  const trace = await getJson(`${server.queryUrl}/api/traces/${good.traceId}`);
  assertJaegerTrace(trace.data[0], good.spans, { where: 'good trace afterwards' });
  const health = await request(`${server.adminUrl}/healthz`);
  assert.equal(health.status, 200);
  const fresh = otel.buildRichTrace({
    service: 'fresh-shop', workerService: 'fresh-worker', orderId: freshOrderId,
    baseNs: otel.baseTimeNs(30000),
  });
  for (const protocol of otel.PROTOCOLS) {
    const exporter = otel.createExporter(server, protocol);
    try {
      await otel.exportSpans(exporter, fresh.spans, `fresh ${protocol} export`);
    } finally {
      await exporter.shutdown();
    }
  }
  const afterwards = await getJson(`${server.queryUrl}/api/traces/${fresh.traceId}`);
  // Sent once per protocol: stored once.
  assertJaegerTrace(afterwards.data[0], fresh.spans, { where: 'fresh trace' });
}

module.exports = { ingestGoodTrace, assertServingAfterwards };

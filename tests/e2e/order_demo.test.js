'use strict';
// deploy/demo/run end to end: a private RabbitMQ node (Debian's rabbitmq-server) and the four
// Node services instrumented with the official OpenTelemetry SDK (http and amqplib
// instrumentations, OTLP/HTTP protobuf exporter) send a short burst of orders, every fault
// among them, to the real spanvault binary. What the Jaeger HTTP API shows afterwards must
// match the demo's ground truth order by order: a normal order's trace runs from shop-api
// through the RabbitMQ publish and consume to the seller's confirmation; a delayed one waited
// in the queue; a lost one was published and never consumed; a broken-propagation one was
// consumed in another trace found by its order_id (and linked to the producer, --broken-link);
// seller 5xx and MES processing errors are error spans where they happened.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { getJson, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const { runDemo, readGroundTruth } = require('./lib/demo');

const FAULTS = ['lost', 'delayed', 'seller-5xx', 'mes-error', 'broken-propagation'];
const SHARE = 0.12;             // of 30 orders: 3 or 4 of each fault, 10 or 11 normal ones
const ORDERS_PER_MIN = 1200;
const FOR_MS = 1500;            // 30 orders
const QUEUE_DELAY_MS = 3000;
const SEED = 20261127;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-order-demo-'));
const groundTruthFile = path.join(tmp, 'ground-truth.jsonl');
let server;
let orders;      // the ground truth, one record per order
let startedUs;   // search window

before(async () => {
  server = new SpanvaultServer({ name: 'order-demo', args: ['--insecure-no-auth'] });
  await server.start();  // no sampling section: every trace is kept
  startedUs = (Date.now() - 60000) * 1000;
  const faults = FAULTS.map((f) => `${f}=${SHARE}`).join(',');
  const exit = await runDemo([
    '--spanvault', server.otlpHttpUrl, '--orders-per-min', String(ORDERS_PER_MIN),
    '--for', `${FOR_MS}ms`, '--faults', faults, '--queue-delay', `${QUEUE_DELAY_MS}ms`,
    '--seed', String(SEED), '--broken-link', '--ground-truth', groundTruthFile,
    '--ui', server.queryOrigin,
  ], 150000);  // a ceiling: it takes about 40 s (RabbitMQ's start-up is most of it)
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
                   `deploy/demo/run failed:\n${exit.output}`);
  orders = readGroundTruth(groundTruthFile);
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// --- helpers ---------------------------------------------------------------------------------

const tagsOf = (span) => Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
const serviceOf = (trace, span) => trace.processes[span.processID].serviceName;
const ofFault = (fault) => orders.filter((o) => o.fault === fault);

async function tracesOf(service, tags) {
  const url = `${server.queryUrl}/api/traces?${qs({
    service, tags: JSON.stringify(tags), limit: 50, start: startedUs, end: (Date.now() + 60000) * 1000,
  })}`;
  const body = await getJson(url);
  assert.equal(body.errors, null, `${url}: errors`);
  return body.data;
}

// Every span of the traces of `service` that carry this order_id, with its trace and service.
async function spansOf(service, orderId) {
  const spans = [];
  for (const trace of await tracesOf(service, { order_id: orderId })) {
    for (const span of trace.spans) {
      spans.push({ ...span, traceId: trace.traceID, service: serviceOf(trace, span), tagMap: tagsOf(span) });
    }
  }
  return spans;
}

const find = (spans, service, kind, name) => spans.filter((s) => s.service === service &&
    s.tagMap['span.kind'] === kind && (name === undefined || s.operationName === name));

function one(spans, what) {
  assert.equal(spans.length, 1, `want exactly one ${what}, got ${spans.length}: ${JSON.stringify(spans.map((s) => s.operationName))}`);
  return spans[0];
}

function assertProducer(spans, order, routingKey) {
  const producer = one(find(spans, 'crm-api', 'producer', 'publish orders'), `producer span of ${order.order_id}`);
  assert.equal(producer.tagMap['messaging.system'], 'rabbitmq');
  assert.equal(producer.tagMap['messaging.destination'], 'orders');
  assert.equal(producer.tagMap['messaging.rabbitmq.routing_key'], routingKey);
  assert.equal(producer.tagMap.order_id, order.order_id);
  return producer;
}

function assertConsumer(spans, order) {
  const consumer = one(find(spans, 'mes-api', 'consumer', 'orders process'), `consumer span of ${order.order_id}`);
  assert.equal(consumer.tagMap['messaging.system'], 'rabbitmq');
  assert.equal(consumer.tagMap['messaging.destination'], 'orders');
  assert.equal(consumer.tagMap.order_id, order.order_id);
  return consumer;
}

// The CLIENT span of mes-api's confirmation with the seller, and the seller's SERVER span.
function confirmSpans(spans, order) {
  const name = `POST /sellers/${order.seller_id}/confirm`;
  return {
    client: one(find(spans, 'mes-api', 'client', name), `${name} client span of ${order.order_id}`),
    server: one(find(spans, 'seller-sim', 'server', name), `${name} server span of ${order.order_id}`),
  };
}

// The spans of every order are in: the services exported them before the demo ended.
async function orderSpans(order, service = 'crm-api') {
  return waitFor(async () => {
    const spans = await spansOf(service, order.order_id);
    return spans.length > 0 ? spans : null;
  }, { timeoutMs: 15000, what: `spans of ${order.order_id} in ${service}` });
}

// --- tests -----------------------------------------------------------------------------------

test('the ground truth has every fault in its share, and every order was accepted', () => {
  assert.equal(orders.length, Math.floor((ORDERS_PER_MIN * FOR_MS) / 60000));
  for (const fault of FAULTS) {
    const n = ofFault(fault).length;
    assert.ok(Math.abs(n - SHARE * orders.length) <= 1, `${fault}: ${n} of ${orders.length} orders`);
  }
  for (const o of orders) {
    assert.equal(o.http_status, 201, JSON.stringify(o));
    assert.match(o.trace_id, /^[0-9a-f]{32}$/);
    assert.ok(Date.parse(o.placed_at) <= Date.parse(o.answered_at));
    assert.deepEqual(o.faults, o.fault === 'none' ? [] : [o.fault]);
  }
  assert.equal(new Set(orders.map((o) => o.order_id)).size, orders.length);
});

test('the services of the pipeline report to spanvault', async () => {
  const body = await getJson(`${server.queryUrl}/api/services`);
  for (const service of ['shop-api', 'crm-api', 'mes-api', 'seller-sim']) {
    assert.ok(body.data.includes(service), `${service} in ${JSON.stringify(body.data)}`);
  }
  const ops = await getJson(`${server.queryUrl}/api/services/crm-api/operations`);
  for (const op of ['POST /crm/orders', 'create-order', 'publish orders']) assert.ok(ops.data.includes(op), op);
});

test('a normal or delayed order is one trace: POST /orders, create-order, publish, consume, confirm', async () => {
  for (const order of [...ofFault('none'), ...ofFault('delayed')]) {
    const spans = await orderSpans(order);
    assert.deepEqual([...new Set(spans.map((s) => s.traceId))], [order.trace_id], order.order_id);
    one(find(spans, 'shop-api', 'server', 'POST /orders'), 'POST /orders');
    one(spans.filter((s) => s.service === 'crm-api' && s.operationName === 'create-order'), 'create-order');
    const producer = assertProducer(spans, order, order.fault === 'delayed' ? 'orders.delayed' : 'orders');
    const consumer = assertConsumer(spans, order);
    assert.deepEqual(consumer.references, [{ refType: 'CHILD_OF', traceID: producer.traceID, spanID: producer.spanID }]);
    const waitedMs = (consumer.startTime - producer.startTime) / 1000;
    if (order.fault === 'delayed') {
      assert.ok(waitedMs >= QUEUE_DELAY_MS, `${order.order_id} waited ${waitedMs} ms in the queue`);
    } else {
      assert.ok(waitedMs < QUEUE_DELAY_MS, `${order.order_id} waited ${waitedMs} ms in the queue`);
    }
    const { client, server: seller } = confirmSpans(spans, order);
    assert.equal(client.tagMap['http.response.status_code'], 200);
    assert.equal(seller.tagMap.client_id, order.seller_id);
    assert.ok(!spans.some((s) => s.tagMap.error === true), `${order.order_id} has no error span`);
  }
});

test('a lost order was published and never consumed', async () => {
  for (const order of ofFault('lost')) {
    const spans = await orderSpans(order);
    assertProducer(spans, order, 'order.created');
    assert.equal(find(spans, 'mes-api', 'consumer').length, 0, `${order.order_id} consumed`);
    assert.deepEqual(await tracesOf('mes-api', { order_id: order.order_id }), [], `${order.order_id} in mes-api`);
    assert.deepEqual(await tracesOf('seller-sim', { order_id: order.order_id }), []);
  }
});

test('a broken-propagation order is consumed in a new trace, found by order_id and linked to the producer', async () => {
  for (const order of ofFault('broken-propagation')) {
    const produced = await orderSpans(order);
    const producer = assertProducer(produced, order, 'orders');
    assert.equal(find(produced, 'mes-api', 'consumer').length, 0, 'no consumer in the producer\'s trace');
    // mes-api's traces of the order: the consumer's, and the seller's later MES API calls.
    const mesSpans = await orderSpans(order, 'mes-api');
    const consumer = assertConsumer(mesSpans, order);
    const consumed = mesSpans.filter((s) => s.traceId === consumer.traceID);
    assert.notEqual(consumer.traceID, order.trace_id);
    assert.deepEqual(consumer.references, [], 'the consumer starts the trace');
    const processSpan = one(consumed.filter((s) => s.operationName === 'process-order'), 'process-order');
    assert.equal(processSpan.tagMap.order_id, order.order_id);
    assert.deepEqual(processSpan.references.filter((r) => r.refType === 'FOLLOWS_FROM'),
                     [{ refType: 'FOLLOWS_FROM', traceID: producer.traceID, spanID: producer.spanID }]);
    const { client } = confirmSpans(consumed, order);
    assert.equal(client.traceID, consumer.traceID);
    assert.equal(client.tagMap['http.response.status_code'], 200);
  }
});

test('a seller 5xx is an error on the confirmation, on both sides', async () => {
  for (const order of ofFault('seller-5xx')) {
    const spans = await orderSpans(order);
    assertConsumer(spans, order);
    const { client, server: seller } = confirmSpans(spans, order);
    for (const span of [client, seller]) {
      assert.equal(span.tagMap.error, true, `${span.operationName} of ${order.order_id}`);
      assert.equal(span.tagMap['http.response.status_code'], 503);
    }
    const errors = await tracesOf('mes-api', { order_id: order.order_id, error: 'true' });
    assert.deepEqual(errors.map((t) => t.traceID), [order.trace_id]);
  }
});

test('an MES processing error is an error span, and the order is not confirmed', async () => {
  for (const order of ofFault('mes-error')) {
    const spans = await orderSpans(order);
    const consumer = assertConsumer(spans, order);
    assert.equal(consumer.tagMap.error, true, 'the message was rejected');
    const processSpan = one(spans.filter((s) => s.operationName === 'process-order'), 'process-order');
    assert.equal(processSpan.tagMap.error, true);
    assert.ok(processSpan.logs.some((l) => l.fields.some((f) => f.key === 'event' && f.value === 'exception')),
              `process-order of ${order.order_id} records the exception`);
    assert.equal(spans.filter((s) => s.operationName.startsWith('POST /sellers/')).length, 0);
    const errors = await tracesOf('mes-api', { order_id: order.order_id, error: 'true' });
    assert.deepEqual(errors.map((t) => t.traceID), [order.trace_id]);
  }
});

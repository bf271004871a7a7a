'use strict';
// mes-api: the manufacturing execution system. It consumes orders from the `orders` queue,
// processes each (span `process-order`) and confirms it with the order's seller
// (`POST /sellers/{seller_id}/confirm` on seller-sim; the CLIENT span is named so). It also
// serves the MES API that sellers call:
//   GET  /mes/v1/orders/{order_id}        200 with the order's state, 404 unknown
//   POST /mes/v1/orders/{order_id}/ship   200 when confirmed, 409 when not, 404 unknown
// Both need the header x-client-id (a known seller) and x-api-key (`key-{client_id}`): 401 else.
//   DEMO_PORT          port to listen on (0: any)
//   DEMO_AMQP_URL      RabbitMQ
//   DEMO_SELLER_URL    seller-sim's base URL (or sent later in a 'configure' message)
//
// Faults (the message header x-demo-fault) carried out here:
//   mes-error           `process-order` fails (status ERROR, exception event) and the message
//                       is rejected (nack, not requeued): the consumer span is an error too;
//   broken-propagation  nothing to do: the message came without trace context, so the
//                       amqplib instrumentation starts a new trace. With x-origin-traceparent
//                       (crm-api's DEMO_BROKEN_LINK) `process-order` links to the producer.
const { api, start, nameServerSpan } = require('../lib/telemetry');

function consumeHook(span, { msg }) {
  try {
    const message = JSON.parse(msg.content.toString('utf8'));
    span.setAttributes({ order_id: message.order_id, user_id: message.user_id });
  } catch (e) { /* not an order message */ }
}

const tracer = start('mes-api', { amqp: { consumeHook } });

const http = require('http');
const amqp = require('amqplib');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { readJson, sendJson, requestJson, listen, close, work } = require('../lib/http_util');
const service = require('../lib/service');
const topology = require('../lib/topology');

let sellerUrl = process.env.DEMO_SELLER_URL || null;
const orders = new Map();  // order_id -> 'processing' | 'failed' | 'confirmed' | 'rejected' | 'shipped'
let handled = 0;           // messages taken off the queue and finished with
let connection;
let channel;

// The producer's span context from x-origin-traceparent, for a span link.
function originContext(headers) {
  const value = headers && headers['x-origin-traceparent'];
  if (!value) return null;
  const ctx = new W3CTraceContextPropagator().extract(api.ROOT_CONTEXT, { traceparent: String(value) },
                                                      api.defaultTextMapGetter);
  return api.trace.getSpanContext(ctx) || null;
}

async function confirmWithSeller(order, fault) {
  const name = `POST /sellers/${order.seller_id}/confirm`;
  const headers = fault === 'seller-5xx' ? { 'x-demo-fault': fault } : {};
  return requestJson(`${sellerUrl}/sellers/${encodeURIComponent(order.seller_id)}/confirm`, {
    body: { order_id: order.order_id }, headers, spanName: name,
    attributes: { order_id: order.order_id, seller_id: order.seller_id, client_id: order.seller_id },
  });
}

async function processOrder(msg) {
  const headers = msg.properties.headers || {};
  const fault = String(headers['x-demo-fault'] || 'none');
  const order = JSON.parse(msg.content.toString('utf8'));
  const origin = originContext(headers);
  await tracer.startActiveSpan('process-order', {
    attributes: { order_id: order.order_id, user_id: order.user_id, seller_id: order.seller_id },
    links: origin ? [{ context: origin, attributes: { 'link.reason': 'trace context lost on the message' } }] : [],
  }, async (span) => {
    try {
      orders.set(order.order_id, 'processing');
      await work(5, 30);  // reserve capacity, plan production
      if (fault === 'mes-error') {
        const error = new Error(`capacity reservation failed for ${order.order_id}: no free production slot`);
        span.recordException(error);
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
        orders.set(order.order_id, 'failed');
        channel.nack(msg, false, false);
        return;
      }
      const confirm = await confirmWithSeller(order, fault);
      span.setAttribute('seller.confirm.status_code', confirm.status);
      orders.set(order.order_id, confirm.status === 200 ? 'confirmed' : 'rejected');
      channel.ack(msg);
    } catch (e) {
      span.recordException(e);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.message });
      orders.set(order.order_id, 'failed');
      channel.nack(msg, false, false);
    } finally {
      span.end();
      handled += 1;
    }
  });
}

// The MES API for sellers.
async function sellerApi(req, res) {
  const url = new URL(req.url, 'http://mes');
  const match = url.pathname.match(/^\/mes\/v1\/orders\/([^/]+)(\/ship)?$/);
  if (!match || (match[2] ? req.method !== 'POST' : req.method !== 'GET')) {
    return sendJson(res, 404, { error: 'not found' });
  }
  const orderId = decodeURIComponent(match[1]);
  const route = match[2] ? '/mes/v1/orders/:order_id/ship' : '/mes/v1/orders/:order_id';
  const clientId = req.headers['x-client-id'];
  nameServerSpan(req.method, route, { order_id: orderId, ...(clientId ? { client_id: clientId } : {}) });
  if (match[2]) await readJson(req);
  await work(1, 8);
  if (!clientId || req.headers['x-api-key'] !== `key-${clientId}`) {
    return sendJson(res, 401, { error: 'unknown client or bad API key' });
  }
  const state = orders.get(orderId);
  if (!state) return sendJson(res, 404, { error: `no order ${orderId}` });
  if (!match[2]) return sendJson(res, 200, { order_id: orderId, state });
  if (state !== 'confirmed') return sendJson(res, 409, { error: `order ${orderId} is ${state}` });
  orders.set(orderId, 'shipped');
  return sendJson(res, 200, { order_id: orderId, state: 'shipped' });
}

async function main() {
  connection = await amqp.connect(service.env('DEMO_AMQP_URL'));
  channel = await connection.createChannel();
  await topology.declare(channel);
  await channel.prefetch(32);
  await channel.consume(topology.QUEUE, (msg) => {
    if (msg) processOrder(msg).catch((e) => console.error(`mes-api: ${e.stack || e}`));
  });
  const server = http.createServer((req, res) => {
    sellerApi(req, res).catch((e) => sendJson(res, 500, { error: e.message }));
  });
  const port = await listen(server, Number(process.env.DEMO_PORT || 0));
  service.run('mes-api', {
    stop: async () => {
      await close(server);
      await channel.close();
      await connection.close();
    },
    stats: () => ({ handled }),
    configure: (msg) => { if (msg.sellerUrl) sellerUrl = msg.sellerUrl; },
  });
  service.ready({ port });
}

main().catch((e) => {
  console.error(`mes-api: ${e.stack || e}`);
  process.exit(1);
});

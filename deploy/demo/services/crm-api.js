'use strict';
// crm-api: creates the order (span `create-order`) and publishes it to the `orders` exchange
// as JSON {order_id, user_id, seller_id, timestamp, topic}.
//   DEMO_PORT                 port to listen on (0: any)
//   DEMO_AMQP_URL             RabbitMQ
//   DEMO_QUEUE_DELAY_MS       how long a `delayed` order waits in the queue
//   DEMO_BROKEN_LINK          1: a `broken-propagation` order keeps the producer's context in
//                             the header x-origin-traceparent, and mes-api links to it
//
// Faults (header x-demo-fault, set by the load driver) are carried out here for:
//   lost                the message goes to routing key `order.created`, which no queue binds,
//                       so RabbitMQ drops it: the publish span exists, no consumer ever runs;
//   delayed             routing key `orders.delayed`: the message waits in a queue until its
//                       per-message TTL expires and is dead-lettered to `orders`;
//   broken-propagation  the trace context headers are taken off the message after the
//                       instrumentation injected them (as a relay that drops headers would).
const { api, start, nameServerSpan } = require('../lib/telemetry');

const brokenLink = process.env.DEMO_BROKEN_LINK === '1';

// After the instrumentation injected traceparent into the message headers.
function publishHook(span, info) {
  const headers = info.options && info.options.headers;
  try {
    const message = JSON.parse(info.content.toString('utf8'));
    span.setAttributes({ order_id: message.order_id, user_id: message.user_id });
  } catch (e) { /* not an order message */ }
  if (headers && headers['x-demo-fault'] === 'broken-propagation') {
    if (brokenLink && headers.traceparent) headers['x-origin-traceparent'] = headers.traceparent;
    for (const key of ['traceparent', 'tracestate', 'baggage']) delete headers[key];
  }
}

const tracer = start('crm-api', { amqp: { publishHook } });

const http = require('http');
const amqp = require('amqplib');
const { readJson, sendJson, listen, close, work } = require('../lib/http_util');
const service = require('../lib/service');
const topology = require('../lib/topology');

const queueDelayMs = Number(process.env.DEMO_QUEUE_DELAY_MS || 20000);
let connection;
let channel;
let published = 0;

function routeFor(fault) {
  if (fault === 'lost') return { routingKey: topology.LOST_ROUTING_KEY, options: {} };
  if (fault === 'delayed') {
    return { routingKey: topology.DELAY_ROUTING_KEY, options: { expiration: String(queueDelayMs) } };
  }
  return { routingKey: topology.ROUTING_KEY, options: {} };
}

async function createOrder(req, res) {
  const order = await readJson(req);
  nameServerSpan('POST', '/crm/orders', { order_id: order.order_id, user_id: order.user_id });
  const fault = req.headers['x-demo-fault'] || 'none';
  await tracer.startActiveSpan('create-order', {
    attributes: { order_id: order.order_id, user_id: order.user_id, seller_id: order.seller_id },
  }, async (span) => {
    try {
      await work(3, 20);  // the CRM's database insert
      const message = {
        order_id: order.order_id,
        user_id: order.user_id,
        seller_id: order.seller_id,
        timestamp: new Date().toISOString(),
        topic: 'order.created',
      };
      const { routingKey, options } = routeFor(fault);
      channel.publish(topology.EXCHANGE, routingKey, Buffer.from(JSON.stringify(message)), {
        ...options,
        contentType: 'application/json',
        messageId: order.order_id,
        persistent: true,
        headers: { 'x-demo-fault': fault },
      });
      published += 1;
    } finally {
      span.end();
    }
  });
  sendJson(res, 201, { order_id: order.order_id, status: 'created' });
}

async function main() {
  connection = await amqp.connect(service.env('DEMO_AMQP_URL'));
  channel = await connection.createChannel();
  await topology.declare(channel);
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/crm/orders') return sendJson(res, 404, { error: 'not found' });
    createOrder(req, res).catch((e) => {
      api.trace.getActiveSpan()?.setStatus({ code: api.SpanStatusCode.ERROR, message: e.message });
      sendJson(res, 500, { error: e.message });
    });
  });
  const port = await listen(server, Number(process.env.DEMO_PORT || 0));
  service.run('crm-api', {
    stop: async () => {
      await close(server);
      await channel.close();
      await connection.close();
    },
    stats: () => ({ published }),
  });
  service.ready({ port });
}

main().catch((e) => {
  console.error(`crm-api: ${e.stack || e}`);
  process.exit(1);
});

'use strict';
// shop-api: the web shop's backend. `POST /orders` takes an order from a customer and creates it
// in the CRM (`POST /crm/orders` on crm-api).
//   DEMO_PORT       port to listen on (0: any)
//   DEMO_CRM_URL    crm-api's base URL
const telemetry = require('../lib/telemetry');
telemetry.start('shop-api');

const http = require('http');
const { readJson, sendJson, requestJson, listen, close, work } = require('../lib/http_util');
const service = require('../lib/service');

const crmUrl = service.env('DEMO_CRM_URL');
let placed = 0;

async function placeOrder(req, res) {
  const order = await readJson(req);
  telemetry.nameServerSpan('POST', '/orders', { order_id: order.order_id, user_id: order.user_id });
  const traceId = telemetry.api.trace.getActiveSpan()?.spanContext().traceId;
  if (!order.order_id || !order.user_id || !order.seller_id) {
    return sendJson(res, 400, { error: 'order_id, user_id and seller_id are required' });
  }
  await work(2, 15);  // cart and price checks
  const headers = {};
  if (req.headers['x-demo-fault']) headers['x-demo-fault'] = req.headers['x-demo-fault'];
  const crm = await requestJson(`${crmUrl}/crm/orders`, {
    body: order, headers, spanName: 'POST /crm/orders',
    attributes: { order_id: order.order_id, user_id: order.user_id },
  });
  placed += 1;
  if (crm.status !== 201) {
    telemetry.api.trace.getActiveSpan()?.setStatus({
      code: telemetry.api.SpanStatusCode.ERROR, message: `crm-api answered ${crm.status}`,
    });
    return sendJson(res, 502, { error: 'crm-api failed', status: crm.status }, { 'x-trace-id': traceId });
  }
  return sendJson(res, 201, { order_id: order.order_id, status: 'placed' }, { 'x-trace-id': traceId });
}

const server = http.createServer((req, res) => {
  const route = req.method === 'POST' && req.url === '/orders' ? placeOrder : null;
  if (!route) return sendJson(res, 404, { error: 'not found' });
  route(req, res).catch((e) => sendJson(res, 500, { error: e.message }));
});

listen(server, Number(process.env.DEMO_PORT || 0)).then((port) => {
  service.run('shop-api', { stop: () => close(server), stats: () => ({ placed }) });
  service.ready({ port });
});

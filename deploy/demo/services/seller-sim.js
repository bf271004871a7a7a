'use strict';
// seller-sim: the external sellers. It serves the sellers' confirm endpoint that mes-api calls
// (`POST /sellers/{seller_id}/confirm`) and, like a seller's integration, calls the MES API
// with its client_id after each confirmation: `GET /mes/v1/orders/{order_id}`, then
// `POST /mes/v1/orders/{order_id}/ship`. These calls start their own traces (the seller's
// system is not traced together with ours) and carry `order_id` and `client_id`.
//   DEMO_PORT       port to listen on (0: any)
//   DEMO_MES_URL    mes-api's base URL
//
// Faults: seller-5xx (header x-demo-fault on the confirm call) answers 503. Besides, the
// seller `seller-5` still sends a revoked API key, so the MES API answers its calls 401, and
// every 7th confirmation is followed by a lookup of an order id the MES does not know (404).
const { start, nameServerSpan } = require('../lib/telemetry');

const tracer = start('seller-sim');

const http = require('http');
const { readJson, sendJson, requestJson, listen, close, work } = require('../lib/http_util');
const service = require('../lib/service');

const mesUrl = service.env('DEMO_MES_URL');
const REVOKED = new Set(['seller-5']);
let inflight = 0;
let confirmations = 0;
let calls = 0;

function callMes(clientId, method, path, route, orderId) {
  calls += 1;
  const apiKey = REVOKED.has(clientId) ? `revoked-${clientId}` : `key-${clientId}`;
  return requestJson(`${mesUrl}${path}`, {
    method, body: method === 'POST' ? {} : undefined,
    headers: { 'x-client-id': clientId, 'x-api-key': apiKey },
    spanName: `${method} ${route}`,
    attributes: { client_id: clientId, order_id: orderId, 'http.route': route },
  });
}

// What a seller's integration does after it confirmed an order: a new trace (`sync-order`).
async function sellerFollowUp(clientId, orderId, lookupUnknown) {
  inflight += 1;
  try {
    await work(20, 200);
    await tracer.startActiveSpan('sync-order', {
      root: true, attributes: { client_id: clientId, order_id: orderId },
    }, async (span) => {
      try {
        await syncOrder(clientId, orderId, lookupUnknown);
      } finally {
        span.end();
      }
    });
  } catch (e) {
    console.error(`seller-sim: ${clientId} calling the MES API: ${e.message}`);
  } finally {
    inflight -= 1;
  }
}

async function syncOrder(clientId, orderId, lookupUnknown) {
  const id = encodeURIComponent(orderId);
  await callMes(clientId, 'GET', `/mes/v1/orders/${id}`, '/mes/v1/orders/:order_id', orderId);
  await callMes(clientId, 'POST', `/mes/v1/orders/${id}/ship`, '/mes/v1/orders/:order_id/ship', orderId);
  if (lookupUnknown) {
    const unknown = `EXT-${orderId}`;
    await callMes(clientId, 'GET', `/mes/v1/orders/${unknown}`, '/mes/v1/orders/:order_id', unknown);
  }
}

async function confirm(req, res, sellerId) {
  const body = await readJson(req);
  nameServerSpan('POST', '/sellers/:seller_id/confirm',
                 { order_id: body.order_id, seller_id: sellerId, client_id: sellerId },
                 `POST /sellers/${sellerId}/confirm`);
  await work(5, 40);  // the seller's own checks
  if (req.headers['x-demo-fault'] === 'seller-5xx') {
    return sendJson(res, 503, { error: 'seller backend unavailable' });
  }
  confirmations += 1;
  sendJson(res, 200, { order_id: body.order_id, confirmed: true });
  sellerFollowUp(sellerId, body.order_id, confirmations % 7 === 0);
}

const server = http.createServer((req, res) => {
  const match = req.method === 'POST' && req.url.match(/^\/sellers\/([^/]+)\/confirm$/);
  if (!match) return sendJson(res, 404, { error: 'not found' });
  confirm(req, res, decodeURIComponent(match[1])).catch((e) => sendJson(res, 500, { error: e.message }));
});

listen(server, Number(process.env.DEMO_PORT || 0)).then((port) => {
  service.run('seller-sim', { stop: () => close(server), stats: () => ({ inflight, confirmations, calls }) });
  service.ready({ port });
});

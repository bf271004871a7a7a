'use strict';
// The order pipeline's flow (deploy/demo/flows.yaml) and orders built span by span with the
// official OpenTelemetry SDK, for the order journey tests.

const otel = require('./otel');

const { api, ms, hr } = otel;

// The `flows` section of deploy/demo/flows.yaml with `consumeWithin` (a Go duration) on the
// consume step, so a lost order is stuck within a test.
function orderFlows(consumeWithin) {
  return `flows:
  - name: order
    key: order_id
    steps:
      - {name: placed,    service: shop-api, operation: "POST /orders"}
      - {name: created,   service: crm-api,  operation: create-order, within: 30s}
      - {name: published, service: crm-api,  kind: producer, destination: orders, within: 30s}
      - {name: consumed,  service: mes-api,  kind: consumer, destination: orders, within: ${consumeWithin}}
      - {name: confirmed, service: mes-api,  operation: "POST /sellers/*/confirm", within: 1m}
    final: confirmed
`;
}

// One order. `fate`: 'completed', 'failed' (the MES processing fails), 'lost' (published,
// never consumed), 'linked' (the consumer starts a new trace linked to the publish, without
// order_id). `providers`: {shop, crm, mes} memory providers (otel.memoryProvider); the spans
// end in their memory exporters. Returns the order's trace ids (the publisher's first).
function buildOrder(orderId, fate, providers, at) {
  const t = (p) => providers[p].provider.getTracer('e2e');
  const key = { order_id: orderId };
  const root = otel.startSpan(t('shop'), 'POST /orders', { kind: api.SpanKind.SERVER, at, attributes: key });
  const create = otel.startSpan(t('crm'), 'create-order', { kind: api.SpanKind.SERVER, parent: root, at: at + ms(2), attributes: key });
  const publish = otel.startSpan(t('crm'), 'orders publish', {
    kind: api.SpanKind.PRODUCER, parent: create, at: at + ms(4),
    attributes: { ...key, 'messaging.system': 'rabbitmq', 'messaging.destination.name': 'orders' },
  });
  publish.end(hr(at + ms(5)));
  create.end(hr(at + ms(6)));
  root.end(hr(at + ms(8)));
  const traces = [root.spanContext().traceId];
  if (fate !== 'lost') {
    // The official amqplib instrumentation still writes the older messaging.destination.
    const consumeAttributes = { 'messaging.system': 'rabbitmq', 'messaging.destination': 'orders' };
    const consume = fate === 'linked'
        ? otel.startSpan(t('mes'), 'orders process', {
          kind: api.SpanKind.CONSUMER, at: at + ms(40), attributes: consumeAttributes,
          links: [{ context: publish.spanContext() }],
        })
        : otel.startSpan(t('mes'), 'orders process', {
          kind: api.SpanKind.CONSUMER, parent: publish, at: at + ms(40), attributes: { ...consumeAttributes, ...key },
        });
    const confirm = otel.startSpan(t('mes'), 'POST /sellers/acme/confirm', { kind: api.SpanKind.CLIENT, parent: consume, at: at + ms(45) });
    if (fate === 'failed') {
      consume.setStatus({ code: api.SpanStatusCode.ERROR, message: 'processing error: unknown sku' });
    }
    confirm.end(hr(at + ms(50)));
    consume.end(hr(at + ms(55)));
    if (consume.spanContext().traceId !== traces[0]) traces.push(consume.spanContext().traceId);
  }
  return traces;
}

module.exports = { orderFlows, buildOrder };

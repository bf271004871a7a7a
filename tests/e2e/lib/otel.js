'use strict';
// Sends spans with the official OpenTelemetry JS exporters and builds known traces with fixed,
// nanosecond-precise timestamps.

// The exporters read OTEL_* variables; none from the environment may change what is sent.
for (const key of Object.keys(process.env)) {
  if (key.startsWith('OTEL_')) delete process.env[key];
}

const assert = require('node:assert/strict');
const api = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const {
  BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter,
} = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter: GrpcExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
const { OTLPTraceExporter: HttpJsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: HttpProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

const PROTOCOLS = ['grpc', 'http/json', 'http/protobuf'];

// An exporter of `protocol` ('grpc', 'http/json', 'http/protobuf') to `server`, with gzip
// compression or none.
function createExporter(server, protocol, { gzip = false, timeoutMillis = 30000 } = {}) {
  const compression = gzip ? 'gzip' : 'none';
  switch (protocol) {
    case 'grpc':
      return new GrpcExporter({ url: `http://${server.otlpGrpcAddress}`, compression, timeoutMillis });
    case 'http/json':
      return new HttpJsonExporter({ url: `${server.otlpHttpUrl}/v1/traces`, compression, timeoutMillis });
    case 'http/protobuf':
      return new HttpProtoExporter({ url: `${server.otlpHttpUrl}/v1/traces`, compression, timeoutMillis });
    default:
      throw new Error(`unknown protocol ${protocol}`);
  }
}

// Exports `spans` (ReadableSpans) in one request; resolves with the ExportResult.
function exportSpansRaw(exporter, spans) {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

// Exports `spans` and asserts the exporter reports SUCCESS.
async function exportSpans(exporter, spans, what = 'export') {
  const result = await exportSpansRaw(exporter, spans);
  assert.equal(result.code, ExportResultCode.SUCCESS,
               `${what}: exporter reported failure: ${result.error && (result.error.stack || result.error)}`);
  return result;
}

// --- time ------------------------------------------------------------------------------------

const NS_PER_MS = 1000000n;

// Nanoseconds (BigInt) → OpenTelemetry HrTime [seconds, nanos].
function hr(ns) {
  return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
}

function hrToNs(t) {
  return BigInt(t[0]) * 1000000000n + BigInt(t[1]);
}

// A base time `agoMs` milliseconds before now, with a sub-millisecond part so that nanosecond
// and microsecond precision both show.
function baseTimeNs(agoMs, subMsNanos = 456789n) {
  return BigInt(Date.now() - agoMs) * NS_PER_MS + subMsNanos;
}

const ms = (n) => BigInt(n) * NS_PER_MS;

// --- building traces -------------------------------------------------------------------------

// A tracer provider for one resource that keeps its finished spans in memory.
// `options` go to BasicTracerProvider (e.g. an idGenerator).
function memoryProvider(resourceAttributes, options = {}) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    ...options,
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return { provider, memory };
}

// Starts a span. `at`/`end` are BigInt nanoseconds; `parent` a Span or SpanContext (remote).
function startSpan(tracer, name, { kind = api.SpanKind.INTERNAL, parent, at, attributes, links } = {}) {
  let ctx = api.ROOT_CONTEXT;
  if (parent) {
    ctx = typeof parent.spanContext === 'function'
        ? api.trace.setSpan(ctx, parent)
        : api.trace.setSpanContext(ctx, parent);
  }
  return tracer.startSpan(name, { kind, attributes, links, startTime: hr(at) }, ctx);
}

// Builds one rich trace across two services:
//   <service>:       SERVER "POST /orders" (root, status OK, 2 events, attributes of every type)
//                      ├─ INTERNAL "validate-cart"
//                      ├─ CLIENT "charge-payment" (ERROR "card declined", exception event)
//                      └─ PRODUCER "orders publish"
//   <workerService>:       └─ CONSUMER "orders receive" (remote parent: the producer)
//                              └─ CONSUMER "orders process" (link → the producer)
// Returns { spans (ReadableSpan[] in one export), traceId, ids: {root, validate, charge,
// publish, receive, process}, byName, services, baseNs, endNs }.
function buildRichTrace({ service, workerService, orderId, baseNs }) {
  const a = memoryProvider({
    'service.name': service,
    'service.version': '1.4.2',
    'deployment.environment': 'e2e',
    'host.cpu.count': 8,
    'e2e.canary': true,
    'e2e.load': 0.75,
    'e2e.regions': ['eu-west-1', 'eu-central-1'],
  });
  const b = memoryProvider({
    'service.name': workerService,
    'deployment.environment': 'e2e',
    'e2e.worker_id': 7,
  });
  const shop = a.provider.getTracer('shop-instrumentation', '2.4.1');
  const worker = b.provider.getTracer('mes-worker-instrumentation', '0.9.0');
  const t = (offsetNs) => baseNs + offsetNs;

  const root = startSpan(shop, 'POST /orders', {
    kind: api.SpanKind.SERVER,
    at: t(0n),
    attributes: {
      'http.request.method': 'POST',
      'http.route': '/orders',
      'http.response.status_code': 201,
      order_id: orderId,
      user_id: 'u-42',
      'e2e.big_int': 1234567890123,
      'e2e.negative_int': -7,
      'e2e.ratio': 0.125,
      'e2e.pi': 3.14159,
      'e2e.flag': true,
      'e2e.off': false,
      'e2e.empty': '',
      'e2e.tags': ['alpha', 'beta', 'gamma'],
      'e2e.ints': [1, 2, 3],
    },
  });
  root.addEvent('order.validated', { items: 3, total: 99.95, currency: 'EUR', express: true },
                hr(t(ms(15))));
  root.addEvent('cache.miss', undefined, hr(t(ms(16) + 5n)));
  root.setStatus({ code: api.SpanStatusCode.OK });

  const validate = startSpan(shop, 'validate-cart', { parent: root, at: t(ms(2) + 1n) });
  validate.setAttribute('cart.items', 3);
  validate.end(hr(t(ms(12) + 500n)));

  const charge = startSpan(shop, 'charge-payment', {
    kind: api.SpanKind.CLIENT,
    parent: root,
    at: t(ms(20) + 111n),
    attributes: { 'peer.service': 'payments', order_id: orderId, 'http.request.method': 'POST' },
  });
  charge.addEvent('exception', {
    'exception.type': 'PaymentDeclined',
    'exception.message': 'card declined by issuer',
  }, hr(t(ms(119))));
  charge.setStatus({ code: api.SpanStatusCode.ERROR, message: 'card declined' });
  charge.end(hr(t(ms(120) + 999n)));

  const publish = startSpan(shop, 'orders publish', {
    kind: api.SpanKind.PRODUCER,
    parent: root,
    at: t(ms(130)),
    attributes: {
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'orders',
      order_id: orderId,
    },
  });
  publish.end(hr(t(ms(135) + 250n)));

  // The worker gets the producer's context through the message headers: a remote parent.
  const propagated = { ...publish.spanContext(), isRemote: true };
  const receive = startSpan(worker, 'orders receive', {
    kind: api.SpanKind.CONSUMER,
    parent: propagated,
    at: t(ms(140) + 333n),
    attributes: { 'messaging.system': 'rabbitmq', order_id: orderId },
  });
  receive.end(hr(t(ms(145))));

  const processSpan = startSpan(worker, 'orders process', {
    kind: api.SpanKind.CONSUMER,
    parent: receive,
    at: t(ms(146)),
    attributes: { order_id: orderId, 'mes.line': 'L2' },
    links: [{ context: propagated, attributes: { 'e2e.link_reason': 'message', 'e2e.link_n': 1 } }],
  });
  processSpan.end(hr(t(ms(240) + 7n)));

  const endNs = t(ms(250) + 789n);
  root.end(hr(endNs));

  const spans = [...a.memory.getFinishedSpans(), ...b.memory.getFinishedSpans()];
  assert.equal(spans.length, 6);
  const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
  const id = (s) => s.spanContext().spanId;
  return {
    spans,
    byName,
    traceId: root.spanContext().traceId,
    ids: {
      root: id(root), validate: id(validate), charge: id(charge), publish: id(publish),
      receive: id(receive), process: id(processSpan),
    },
    services: [service, workerService],
    baseNs,
    endNs,
  };
}

// Builds one simple trace: a root span plus `children` child spans, all in `service`.
// `durationMs` is the root's duration; children are 1 ms long each. Returns
// { spans, traceId, spanIds, rootName, baseNs }.
function buildSimpleTrace({
  service, rootName = 'GET /health', rootKind = api.SpanKind.SERVER, baseNs, durationMs = 10,
  attributes = {}, children = 0, childName = 'step', error = false, resource = {},
}) {
  const { provider, memory } = memoryProvider({ 'service.name': service, ...resource });
  const tracer = provider.getTracer('e2e', '1.0.0');
  const root = startSpan(tracer, rootName, { kind: rootKind, at: baseNs, attributes });
  for (let i = 0; i < children; i++) {
    const c = startSpan(tracer, `${childName}-${i}`, { parent: root, at: baseNs + ms(i % Math.max(1, durationMs - 1)) });
    c.end(hr(baseNs + ms(i % Math.max(1, durationMs - 1)) + ms(1)));
  }
  if (error) root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'failed' });
  root.end(hr(baseNs + ms(durationMs)));
  const spans = memory.getFinishedSpans();
  return {
    spans,
    traceId: root.spanContext().traceId,
    spanIds: spans.map((s) => s.spanContext().spanId),
    rootName,
    baseNs,
  };
}

module.exports = {
  api,
  PROTOCOLS,
  createExporter,
  exportSpans,
  exportSpansRaw,
  buildRichTrace,
  buildSimpleTrace,
  memoryProvider,
  startSpan,
  hr,
  hrToNs,
  ms,
  baseTimeNs,
  ExportResultCode,
};

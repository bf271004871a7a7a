'use strict';
// OpenTelemetry for one demo service: the official Node SDK, the http and amqplib
// instrumentations, and the OTLP/HTTP (protobuf) exporter to spanvault.
//
// A service calls start() as its first statement, before it requires `http` or `amqplib`,
// so that the instrumentations can patch them. Environment:
//   OTEL_SERVICE_NAME                  service.name (also passed to start())
//   DEMO_OTLP_TRACES_URL               where spans go, e.g. http://127.0.0.1:4318/v1/traces

const api = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { AmqplibInstrumentation } = require('@opentelemetry/instrumentation-amqplib');

// The name and attributes the next outgoing HTTP request's CLIENT span should get (the http
// instrumentation names client spans after the method alone). Set with withClientSpan().
const CLIENT_SPAN_KEY = api.createContextKey('spanvault-demo client span');

let provider = null;

// Runs `fn` (which sends one HTTP request synchronously) so that the request's CLIENT span is
// named `name` and carries `attributes`.
function withClientSpan(name, attributes, fn) {
  return api.context.with(api.context.active().setValue(CLIENT_SPAN_KEY, { name, attributes }), fn);
}

// Names the current SERVER span `${method} ${route}` (the instrumentation alone says "POST")
// and adds `attributes` to it.
function nameServerSpan(method, route, attributes = {}, concreteName) {
  const span = api.trace.getActiveSpan();
  if (!span) return;
  span.updateName(concreteName || `${method} ${route}`);
  span.setAttributes({ 'http.route': route, ...attributes });
}

function requestHook(span, request) {
  // Outgoing requests (http.ClientRequest) have getHeader; incoming ones (IncomingMessage) not.
  if (typeof request.getHeader !== 'function') return;
  const wanted = api.context.active().getValue(CLIENT_SPAN_KEY);
  if (!wanted) return;
  span.updateName(wanted.name);
  span.setAttributes(wanted.attributes || {});
}

// `amqp`: optional publishHook(span, info) and consumeHook(span, info) of the amqplib
// instrumentation (https://www.npmjs.com/package/@opentelemetry/instrumentation-amqplib).
function start(serviceName, { amqp = {} } = {}) {
  if (provider) throw new Error('telemetry already started');
  const url = process.env.DEMO_OTLP_TRACES_URL;
  if (!url) throw new Error('DEMO_OTLP_TRACES_URL is not set');
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'service.namespace': 'order-demo',
      'deployment.environment.name': 'demo',
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url }), {
        scheduledDelayMillis: 250, maxExportBatchSize: 512, maxQueueSize: 8192,
      }),
    ],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ requestHook }),
      new AmqplibInstrumentation({ publishHook: amqp.publishHook, consumeHook: amqp.consumeHook }),
    ],
  });
  return api.trace.getTracer(`order-demo/${serviceName}`);
}

// Exports what is buffered and stops. Resolves even if the export fails (the service is
// stopping anyway); the failure is printed.
async function shutdown() {
  if (!provider) return;
  try {
    await provider.shutdown();
  } catch (e) {
    console.error(`telemetry: final export failed: ${e.message}`);
  }
}

module.exports = { start, shutdown, withClientSpan, nameServerSpan, api };

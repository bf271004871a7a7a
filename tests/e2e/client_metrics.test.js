'use strict';
// Per-client request rate and error ratio on /metrics (client_metrics; docs/client_metrics.md)
// against the real binary: 25 sellers call mes-api with known request and error counts (errors
// by span status and by HTTP 5xx, a 404 that is not one), plus calls without a client id,
// the sellers' own CLIENT spans and mes-api's INTERNAL spans (neither counted), sent with the
// official OpenTelemetry exporters to a server with `top: 3`. /metrics must show exactly the
// top 3 sellers and one "other" series per gauge, with the rates over the 5-minute window and
// the error ratios computed here; an invalid entry stops the start naming the field.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const otel = require('./lib/otel');
const sv = require('./lib/sampling');

const { api, ms, hr } = otel;
const SELLERS = 25;
const UNKNOWN_CALLS = 2;  // mes-api SERVER spans without client_id
const WINDOW_SECONDS = 300;
const CONFIG = `
client_metrics:
  - {service: mes-api, attribute: client_id, top: 3, window: 5m}
`;
const configDir = sv.makeTempDir('spanvault-e2e-clients-');
const servers = [];
let server;
// client -> { requests, errors } as sent.
const sent = new Map();

const sellerName = (i) => `seller-${String(i).padStart(2, '0')}`;

// Seller i calls mes-api i + 1 times: the first floor(i / 5) calls fail with status ERROR, one
// more answers 503 when i is a multiple of 3, and one answers 404 (not an error) when i is even.
function buildSeller(i, providers, baseNs) {
  const client = sellerName(i);
  const requests = i + 1;
  let errors = 0;
  for (let n = 0; n < requests; n++) {
    const at = baseNs + ms(i * 100 + n);
    const call = otel.startSpan(providers.seller.provider.getTracer('e2e'), 'POST /api/orders',
                                { kind: api.SpanKind.CLIENT, at, attributes: { client_id: client } });
    const statusError = n < Math.floor(i / 5);
    let code = 200;
    if (!statusError && n === requests - 1 && i % 3 === 0) code = 503;
    else if (!statusError && n === requests - 2 && i % 2 === 0) code = 404;
    const span = otel.startSpan(providers.mes.provider.getTracer('e2e'), 'POST /api/orders', {
      kind: api.SpanKind.SERVER, parent: call, at,
      attributes: { client_id: client, 'http.response.status_code': code },
    });
    const inner = otel.startSpan(providers.mes.provider.getTracer('e2e'), 'validate',
                                 { kind: api.SpanKind.INTERNAL, parent: span, at });
    if (statusError) span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'seller refused' });
    if (statusError || code >= 500) errors++;
    inner.end(hr(at + ms(1)));
    span.end(hr(at + ms(2)));
    call.end(hr(at + ms(3)));
  }
  sent.set(client, { requests, errors });
}

before(async () => {
  server = new SpanvaultServer({ name: 'spanvault-clients',
                                 args: ['--config', sv.writeConfig(configDir, 'clients.yaml', CONFIG)] });
  servers.push(server);
  await server.start();
  const providers = {
    seller: otel.memoryProvider({ 'service.name': 'seller-sim' }),
    mes: otel.memoryProvider({ 'service.name': 'mes-api' }),
  };
  const baseNs = otel.baseTimeNs(60 * 1000);
  for (let i = 1; i <= SELLERS; i++) buildSeller(i, providers, baseNs);
  for (let n = 0; n < UNKNOWN_CALLS; n++) {
    const at = baseNs + ms(5000 + n);
    otel.startSpan(providers.mes.provider.getTracer('e2e'), 'GET /health',
                   { kind: api.SpanKind.SERVER, at }).end(hr(at + ms(1)));
  }
  const grpc = otel.createExporter(server, 'grpc');
  const http = otel.createExporter(server, 'http/protobuf');
  try {
    await otel.exportSpans(http, providers.seller.memory.getFinishedSpans(), 'seller export');
    const mes = providers.mes.memory.getFinishedSpans();
    await otel.exportSpans(grpc, mes.slice(0, mes.length / 2), 'mes export 1');
    await otel.exportSpans(http, mes.slice(mes.length / 2), 'mes export 2');
  } finally {
    await grpc.shutdown();
    await http.shutdown();
  }
});

after(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

// { client: value } of one gauge, every sample labelled service=mes-api, attribute=client_id.
function gauge(samples, name) {
  const out = {};
  for (const s of sv.selectSamples(samples, name)) {
    assert.deepEqual(Object.keys(s.labels).sort(), ['attribute', 'client', 'service']);
    assert.equal(s.labels.service, 'mes-api');
    assert.equal(s.labels.attribute, 'client_id');
    out[s.labels.client] = s.value;
  }
  return out;
}

function assertClose(got, want, what) {
  assert.equal(Object.keys(got).sort().join(','), Object.keys(want).sort().join(','), what);
  for (const [client, value] of Object.entries(want)) {
    assert.ok(Math.abs(got[client] - value) < 1e-12, `${what} ${client}: got ${got[client]}, want ${value}`);
  }
}

test('/metrics has the top 3 clients of mes-api and "other", with exact rates and error ratios', async () => {
  const top = [25, 24, 23].map(sellerName);
  const other = { requests: UNKNOWN_CALLS, errors: 0 };
  for (const [client, c] of sent) {
    if (top.includes(client)) continue;
    other.requests += c.requests;
    other.errors += c.errors;
  }
  // The workload is what the assertions below assume: distinct counts, errors of both kinds.
  assert.deepEqual(top.map((c) => sent.get(c)), [
    { requests: 26, errors: 5 }, { requests: 25, errors: 5 }, { requests: 24, errors: 4 },
  ]);
  assert.deepEqual(other, { requests: 2 + 275, errors: 42 + 7 });

  const wantRate = { other: other.requests / WINDOW_SECONDS };
  const wantRatio = { other: other.errors / other.requests };
  for (const client of top) {
    wantRate[client] = sent.get(client).requests / WINDOW_SECONDS;
    wantRatio[client] = sent.get(client).errors / sent.get(client).requests;
  }
  const samples = await sv.metricSamples(server);
  assertClose(gauge(samples, 'spanvault_client_requests_per_second'), wantRate, 'requests/s');
  assertClose(gauge(samples, 'spanvault_client_error_ratio'), wantRatio, 'error ratio');
});

test('an invalid client_metrics entry stops the start with a message naming the field', async () => {
  const cases = [
    ['- {service: mes-api, attribute: client_id, top: 500}', /client_metrics\[0\]\.top: must be between 1 and 200/],
    ['- {service: mes-api, atribute: client_id}', /unknown config key "client_metrics\[0\]\.atribute"/],
    ['- {attribute: client_id}', /client_metrics\[0\]\.service: is required/],
  ];
  for (const [n, [entry, message]] of cases.entries()) {
    const file = sv.writeConfig(configDir, `invalid-${n}.yaml`, `client_metrics:\n  ${entry}\n`);
    const bad = new SpanvaultServer({ name: `spanvault-clients-invalid-${n}`, args: ['--config', file] });
    servers.push(bad);
    const exit = await bad.startExpectingExit();
    assert.notEqual(exit.code, 0, `invalid config ${n}: exit code`);
    assert.match(exit.output, message, `invalid config ${n}: message`);
  }
});

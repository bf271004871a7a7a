'use strict';
// Ingest authentication (--ingest-auth): the OpenTelemetry exporters need credentials whose
// roles grant `ingest`, sent in their `headers` (HTTP) or
// `metadata` (gRPC) option; without credentials the OTLP receivers
// answer 401 / UNAUTHENTICATED, with a role lacking `ingest` 403 / PERMISSION_DENIED; refusals
// are audited (a failed login with the name it claimed).

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const grpc = require('@grpc/grpc-js');
const { OTLPTraceExporter: GrpcExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
const { OTLPTraceExporter: HttpProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { test, before, after } = require('./lib/harness');
const { startServer, ctlPath } = require('./lib/server');
const { request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

const run = promisify(execFile);

let server;

before(async () => {
  server = await startServer({ name: 'ingest-auth', args: ['--ingest-auth'] });
});

after(async () => {
  if (server) await server.close();
});

const basic = ({ username, password }) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

// OTLP/HTTP takes the credentials as `headers`, OTLP/gRPC as `metadata`.
function exporters(headers) {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k.toLowerCase(), v);
  return {
    grpc: new GrpcExporter({ url: `http://${server.otlpGrpcAddress}`, metadata, timeoutMillis: 5000 }),
    'http/protobuf': new HttpProtoExporter({ url: `${server.otlpHttpUrl}/v1/traces`, headers, timeoutMillis: 5000 }),
  };
}

test('exports without credentials are refused on both receivers', async () => {
  for (const [protocol, exporter] of Object.entries(exporters({}))) {
    const trace = otel.buildSimpleTrace({ service: `anon-${protocol}`, baseNs: otel.baseTimeNs(1000) });
    const result = await otel.exportSpansRaw(exporter, trace.spans);
    assert.equal(result.code, otel.ExportResultCode.FAILED, protocol);
  }
  const raw = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  assert.equal(raw.status, 401);
  assert.equal(raw.headers['www-authenticate'], 'Bearer');
  const wrong = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', body: '{}',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer svt_0000000000000000_00' },
  });
  assert.equal(wrong.status, 401);
});

test('exports with credentials that grant ingest are stored', async () => {
  const traces = [];
  for (const [protocol, exporter] of Object.entries(exporters({ Authorization: basic(server.credentials) }))) {
    const trace = otel.buildSimpleTrace({ service: `auth-${protocol.replace('/', '-')}`, baseNs: otel.baseTimeNs(1000) });
    await otel.exportSpans(exporter, trace.spans, protocol);
    traces.push(trace);
  }
  for (const t of traces) {
    await waitFor(async () => (await request(`${server.queryUrl}/api/traces/${t.traceId}`)).status === 200,
                  { what: `trace ${t.traceId}` });
  }
});

test('credentials whose roles lack ingest are refused with the action named, and audited', async () => {
  const ctl = (...args) => run(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                               { env: server.ctlEnv() });
  const added = await ctl('users', 'add', 'reader', '--role', 'dev');
  const password = added.stdout.match(/password \(shown only now\): (\S+)/)[1];
  const headers = { Authorization: basic({ username: 'reader', password }) };

  const raw = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json', ...headers },
  });
  assert.equal(raw.status, 403, raw.text);
  assert.equal(JSON.parse(raw.text).message, 'permission denied: role(s) "dev" lack ingest');
  for (const [protocol, exporter] of Object.entries(exporters(headers))) {
    const trace = otel.buildSimpleTrace({ service: `reader-${protocol.replace('/', '-')}`, baseNs: otel.baseTimeNs(1000) });
    const result = await otel.exportSpansRaw(exporter, trace.spans);
    assert.equal(result.code, otel.ExportResultCode.FAILED, protocol);
    assert.match(String(result.error && result.error.message), /PERMISSION_DENIED|lack.*ingest|Forbidden/, protocol);
  }

  const denied = JSON.parse((await ctl('-o', 'json', 'audit', 'list', '--denied', '--user', 'reader')).stdout);
  const refusals = denied.filter((r) => r.api === 'otlp export' && r.action === 'ingest');
  assert.ok(refusals.length >= 3, JSON.stringify(denied));
  assert.match(refusals[0].detail, /lack.*ingest/);
  // A failed login on the receivers is audited with the name it claimed.
  const wrong = await request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', body: '{}',
    headers: { 'Content-Type': 'application/json', Authorization: basic({ username: 'reader', password: 'nope-nope' }) },
  });
  assert.equal(wrong.status, 401);
  const logins = JSON.parse((await ctl('-o', 'json', 'audit', 'list', '--denied')).stdout)
      .filter((r) => r.api === 'otlp export' && r.action === 'login');
  assert.deepEqual(JSON.parse(logins.at(-1).params), { scheme: 'Basic', claimed: 'reader' });
});

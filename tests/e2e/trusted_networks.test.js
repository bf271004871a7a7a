'use strict';
// Trusted networks: a listener with allowed_cidrs that do not hold the client's address
// refuses it before reading a request (HTTP 403, gRPC PERMISSION_DENIED) and says so in the
// log; with the client's range allowed, the same requests pass.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const sv = require('./lib/sampling');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-cidrs-'));
const servers = [];

after(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// A server whose OTLP and query listeners allow only `block`.
async function serverAllowing(name, block) {
  const config = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(config, [
    'allowed_cidrs:',
    `  query_http: [${block}]`,
    `  otlp_http: [${block}]`,
    `  otlp_grpc: [${block}]`,
    `  admin_grpc: [${block}]`,
    '',
  ].join('\n'));
  const s = new SpanvaultServer({ name, args: ['--config', config] });
  servers.push(s);
  await s.start();
  return s;
}

test('a client outside allowed_cidrs is refused on every listener that has them', async () => {
  // The tests connect from 127.0.0.1.
  const s = await serverAllowing('cidrs-closed', '127.0.0.2/32');
  const query = await request(`${s.queryUrl}/api/services`);
  assert.equal(query.status, 403);
  assert.match(query.text, /not in this listener's allowed_cidrs/);
  const otlp = await request(`${s.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  assert.equal(otlp.status, 403);
  const trace = otel.buildSimpleTrace({ service: 'cidr-svc', baseNs: otel.baseTimeNs(1000) });
  const result = await otel.exportSpansRaw(otel.createExporter(s, 'grpc', { timeoutMillis: 5000 }),
                                           trace.spans);
  assert.equal(result.code, otel.ExportResultCode.FAILED);
  assert.match(String(result.error && result.error.message), /allowed_cidrs|PERMISSION_DENIED|7/);
  // The admin API refuses before it looks at credentials.
  const ctl = await sv.ctl(s, 'sampling', 'list');
  assert.equal(ctl.code, 1);
  assert.match(ctl.stderr, /allowed_cidrs/);
  // The admin HTTP listener has no list: it still answers.
  assert.equal((await request(`${s.adminUrl}/healthz`)).status, 200);
  await waitFor(() => /query_http: refused a connection from 127\.0\.0\.1/.test(s.output()),
                { what: 'the refusal in the log' });
});

test('with the client\'s range allowed the same requests pass', async () => {
  const s = await serverAllowing('cidrs-open', '127.0.0.0/8');
  const trace = otel.buildSimpleTrace({ service: 'cidr-svc', baseNs: otel.baseTimeNs(1000) });
  await otel.exportSpans(otel.createExporter(s, 'grpc'), trace.spans);
  assert.equal((await sv.ctl(s, 'sampling', 'list')).code, 0);
  await waitFor(async () => (await request(`${s.queryUrl}/api/traces/${trace.traceId}`)).status === 200,
                { what: 'the trace through the allowed listeners' });
});

test('a bad block or an unknown listener stops the start with a clear message', async () => {
  const config = path.join(dir, 'bad.yaml');
  fs.writeFileSync(config, 'allowed_cidrs:\n  query_http: [10.0.0.1/8]\n');
  const s = new SpanvaultServer({ name: 'cidrs-bad', args: ['--config', config] });
  servers.push(s);
  const bad = await s.startExpectingExit();
  assert.match(bad.output, /allowed_cidrs for query_http: .*10\.0\.0\.1\/8/);
  fs.writeFileSync(config, 'allowed_cidrs:\n  query_htp: [10.0.0.0/8]\n');
  const unknown = await s.startExpectingExit();
  assert.match(unknown.output, /allowed_cidrs: unknown listener "query_htp"/);
});

'use strict';
// TLS in transit: the official OpenTelemetry exporters send over TLS with a CA made by the test;
// plaintext clients are refused; with a client CA only clients with a certificate get in
// (mutual TLS); a replaced certificate is served to new connections after SIGHUP (HTTP) or
// within the reload interval (gRPC) without dropping open connections; the UI listener sends
// the browser security headers; spanvaultctl talks TLS and mutual TLS; a client certificate
// named in auth.tls_users logs in as its user on the query and admin APIs.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const http = require('node:http');
const tls = require('node:tls');
const { promisify } = require('node:util');
const grpc = require('@grpc/grpc-js');
const { OTLPTraceExporter: GrpcExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
const { OTLPTraceExporter: HttpProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { test, after } = require('./lib/harness');
const { SpanvaultServer, ctlPath } = require('./lib/server');
const { Pki, replaceFile } = require('./lib/pki');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

const run = promisify(execFile);
const pki = new Pki();
const serverCert = pki.issue('server-a');
const clientCert = pki.issue('client-a', { server: false });
const servers = [];

after(async () => {
  for (const s of servers) await s.close();
  pki.remove();
});

async function startTlsServer(name, extraArgs = []) {
  // The server reads its own copies, so a test can replace them.
  const cert = pki.file(`${name}.crt`);
  const key = pki.file(`${name}.key`);
  fs.copyFileSync(serverCert.cert, cert);
  fs.copyFileSync(serverCert.key, key);
  fs.chmodSync(key, 0o600);
  const s = new SpanvaultServer({
    name, tls: true, args: ['--tls-cert', cert, '--tls-key', key, ...extraArgs],
  });
  servers.push(s);
  await s.start();
  return { server: s, cert, key };
}

// GET over https with `options` (ca, cert, key, agent); resolves {status, headers, body,
// protocol, fingerprint (of the server certificate), reused (the connection was kept alive)}.
function httpsGet(url, options = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: pki.ca(), ...options }, (res) => {
      const chunks = [];
      // Read now: the socket leaves the response once it ends.
      const protocol = res.socket.getProtocol();
      const fingerprint = res.socket.getPeerCertificate().fingerprint256;
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, protocol, fingerprint,
        reused: req.reusedSocket, body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    req.setTimeout(15000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

// Opens a new TLS connection to `address` and resolves with the server certificate's
// fingerprint (ALPN h2 for the gRPC listeners).
function peerFingerprint(address, { alpn } = {}) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host, port: Number(port), ca: pki.ca(), servername: 'localhost',
      ALPNProtocols: alpn ? [alpn] : undefined,
    }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.setTimeout(10000, () => socket.destroy(new Error(`TLS connect to ${address} timed out`)));
    socket.on('error', reject);
  });
}

function grpcExporter(server, credentials) {
  return new GrpcExporter({
    url: `https://${server.otlpGrpcAddress}`, credentials, timeoutMillis: 10000,
  });
}

function traceFor(service) {
  return otel.buildSimpleTrace({ service, baseNs: otel.baseTimeNs(60000), children: 2 });
}

async function traceSpanCount(server, traceId, options = {}) {
  const res = await httpsGet(`${server.queryUrl}/api/traces/${traceId}`, options);
  if (res.status !== 200) return 0;
  return JSON.parse(res.body).data[0].spans.length;
}

test('the exporters send over TLS, the Jaeger API answers over TLS, plaintext is refused', async () => {
  const { server } = await startTlsServer('tls-basic');

  const viaGrpc = traceFor('tls-grpc');
  await otel.exportSpans(grpcExporter(server, grpc.credentials.createSsl(pki.ca())), viaGrpc.spans,
                         'gRPC over TLS');
  const viaHttp = traceFor('tls-http');
  const httpExporter = new HttpProtoExporter({
    url: `${server.otlpHttpUrl}/v1/traces`, httpAgentOptions: { ca: pki.ca() },
    timeoutMillis: 10000,
  });
  await otel.exportSpans(httpExporter, viaHttp.spans, 'OTLP/HTTP over TLS');
  for (const t of [viaGrpc, viaHttp]) {
    await waitFor(async () => (await traceSpanCount(server, t.traceId)) === 3,
                  { what: `trace ${t.traceId} over https` });
  }

  // The UI listener sends the browser security headers.
  const res = await httpsGet(`${server.queryUrl}/api/services`);
  assert.equal(res.status, 200);
  assert.match(res.headers['strict-transport-security'], /max-age=\d+/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
  assert.match(res.protocol, /^TLSv1\.[23]$/);

  // Plaintext HTTP gets no answer on any HTTP listener.
  for (const address of [server.ports.query_http, server.ports.otlp_http, server.ports.admin_http]) {
    await assert.rejects(new Promise((resolve, reject) => {
      const req = http.get(`http://${address}/api/services`, resolve);
      req.setTimeout(10000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    }), /socket hang up|ECONNRESET|Parse Error|HPE_/, `plaintext HTTP to ${address}`);
  }
  // A plaintext gRPC exporter fails; a client that does not trust the CA fails.
  const plain = new GrpcExporter({ url: `http://${server.otlpGrpcAddress}`, timeoutMillis: 5000 });
  const plainResult = await otel.exportSpansRaw(plain, traceFor('tls-plain').spans);
  assert.equal(plainResult.code, otel.ExportResultCode.FAILED, 'plaintext gRPC export');
  await assert.rejects(httpsGet(`${server.queryUrl}/api/services`, { ca: undefined }),
                       /self.signed|unable to verify|certificate/);

  // spanvaultctl: TLS with --tls-ca; refused without it.
  const ctl = (...args) => run(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                               { env: server.ctlEnv() });
  const listed = await ctl('--tls-ca', pki.caCert, 'sampling', 'list');
  assert.match(listed.stdout, /ID\s+ATTRIBUTE/);
  await assert.rejects(ctl('sampling', 'list'), /cannot reach/);
});

test('mutual TLS: only clients with a certificate from the client CA get in', async () => {
  const { server } = await startTlsServer('tls-mutual', ['--tls-client-ca', pki.caCert]);
  const withCert = {
    cert: fs.readFileSync(clientCert.cert), key: fs.readFileSync(clientCert.key),
  };

  // HTTP: refused without a client certificate (TLS 1.3 reports it after the handshake).
  await assert.rejects(httpsGet(`${server.queryUrl}/api/services`),
                       /certificate required|ECONNRESET|socket hang up|alert/);
  const ok = await httpsGet(`${server.queryUrl}/api/services`, withCert);
  assert.equal(ok.status, 200);

  // gRPC: the exporter fails without a certificate and succeeds with one.
  const denied = await otel.exportSpansRaw(
      grpcExporter(server, grpc.credentials.createSsl(pki.ca())), traceFor('mtls-denied').spans);
  assert.equal(denied.code, otel.ExportResultCode.FAILED, 'gRPC export without a client cert');
  const trace = traceFor('mtls-ok');
  const credentials = grpc.credentials.createSsl(pki.ca(), withCert.key, withCert.cert);
  await otel.exportSpans(grpcExporter(server, credentials), trace.spans, 'gRPC with a client cert');
  await waitFor(async () => (await traceSpanCount(server, trace.traceId, withCert)) === 3,
                { what: 'the mutual-TLS trace' });

  // spanvaultctl with and without its client certificate.
  const ctl = (...args) => run(ctlPath(), [
    '--server', server.adminGrpcAddress, '--tls-ca', pki.caCert, ...args], { env: server.ctlEnv() });
  await ctl('--tls-cert', clientCert.cert, '--tls-key', clientCert.key, 'sampling', 'list');
  await assert.rejects(ctl('sampling', 'list'), /cannot reach/);
});

test('mutual TLS: a client certificate named in auth.tls_users logs in as that user', async () => {
  const config = pki.file('tls-users.yaml');
  fs.writeFileSync(config, 'auth:\n  tls_users:\n    "CN=client-a": support-bot\n');
  const { server } = await startTlsServer('tls-users', ['--tls-client-ca', pki.caCert, '--config', config]);
  const withCert = { cert: fs.readFileSync(clientCert.cert), key: fs.readFileSync(clientCert.key) };
  const ctl = (env, ...args) => run(ctlPath(), [
    '--server', server.adminGrpcAddress, '--tls-ca', pki.caCert,
    '--tls-cert', clientCert.cert, '--tls-key', clientCert.key, ...args], { env });
  await ctl(server.ctlEnv(), 'users', 'add', 'support-bot', '--role', 'support');

  const credentials = grpc.credentials.createSsl(pki.ca(), withCert.key, withCert.cert);
  const inScope = traceFor('shop-api');
  await otel.exportSpans(grpcExporter(server, credentials),
                         [...inScope.spans, ...traceFor('billing-api').spans], 'two services');
  await waitFor(async () => (await traceSpanCount(server, inScope.traceId, withCert)) === 3,
                { what: 'the shop-api trace' });

  // The query API with the certificate alone: support-bot, who sees the order path only.
  const asBot = await httpsGet(`${server.queryOrigin}/api/services`, withCert);
  assert.equal(asBot.status, 200, asBot.body);
  assert.deepEqual(JSON.parse(asBot.body).data, ['shop-api']);
  // A certificate from the same CA that no tls_users entry names gets the Basic challenge.
  const other = pki.issue('client-b', { server: false });
  const unnamed = await httpsGet(`${server.queryOrigin}/api/services`, {
    cert: fs.readFileSync(other.cert), key: fs.readFileSync(other.key),
  });
  assert.equal(unnamed.status, 401, unnamed.body);

  // spanvaultctl with no credentials but the certificate: the admin API knows it as support-bot.
  const certOnly = server.ctlEnv({ SPANVAULT_USER: undefined, SPANVAULT_PASSWORD: undefined });
  const status = await ctl(certOnly, 'status');
  assert.match(status.stdout, /support-bot/);
  await assert.rejects(ctl(certOnly, 'users', 'list'),
                       /permission denied: role.*"support".*admin:users/);
});

test('a replaced certificate is served without a restart and open connections stay', async () => {
  const { server, cert, key } = await startTlsServer('tls-reload', ['--tls-reload-interval', '1s']);
  const oldPrint = Pki.fingerprint(serverCert.cert);
  assert.equal(await peerFingerprint(server.ports.query_http), oldPrint);
  assert.equal(await peerFingerprint(server.otlpGrpcAddress, { alpn: 'h2' }), oldPrint);
  // A keep-alive connection opened before the reload.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca() });
  const first = await httpsGet(`${server.queryUrl}/api/services`, { agent });
  assert.equal(first.status, 200);

  // A certificate whose key does not match is refused; the old one stays in service.
  const next = pki.issue('server-b');
  replaceFile(next.cert, cert, 0o644);
  server.child.kill('SIGHUP');
  await waitFor(() => /cannot reload TLS/.test(server.output()), { what: 'the failed reload' });
  assert.equal(await peerFingerprint(server.ports.query_http), oldPrint);

  // The matching key arrives: after SIGHUP new connections get the new certificate, on the
  // gRPC listener within the reload interval.
  replaceFile(next.key, key);
  server.child.kill('SIGHUP');
  const newPrint = Pki.fingerprint(next.cert);
  await waitFor(async () => (await peerFingerprint(server.ports.query_http)) === newPrint,
                { what: 'the new certificate on query_http' });
  await waitFor(async () => (await peerFingerprint(server.otlpGrpcAddress, { alpn: 'h2' })) === newPrint,
                { what: 'the new certificate on otlp_grpc' });
  const trace = traceFor('tls-after-reload');
  await otel.exportSpans(grpcExporter(server, grpc.credentials.createSsl(pki.ca())), trace.spans,
                         'gRPC after the reload');

  // The connection opened before the reload was not dropped.
  const again = await httpsGet(`${server.queryUrl}/api/services`, { agent });
  assert.equal(again.status, 200);
  assert.equal(again.reused, true, 'the keep-alive connection was reused');
  assert.equal(again.fingerprint, oldPrint);
  agent.destroy();
  assert.equal(server.running, true);
});

test('bad TLS files stop the start with a message naming the listener and the file', async () => {
  const other = pki.issue('server-other');
  const s = new SpanvaultServer({
    name: 'tls-mismatch', tls: true,
    args: ['--tls-cert', serverCert.cert, '--tls-key', other.key],
  });
  servers.push(s);
  const mismatch = await s.startExpectingExit();
  assert.notEqual(mismatch.code, 0);
  assert.match(mismatch.output, /TLS for \w+: TLS key .*server-other\.key does not belong to the certificate/);

  s.extraArgs = ['--tls-cert', serverCert.cert];
  const alone = await s.startExpectingExit();
  assert.match(alone.output, /needs both a certificate \(tls_cert\) and its key \(tls_key\)/);
});

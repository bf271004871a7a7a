'use strict';
// Hostile clients (issue 11 item 6): a header or body sent a byte at a time (slowloris) is cut
// off on every HTTP listener while an idle keep-alive connection is not; connections over the
// per-listener and per-address caps get 503 with Retry-After, and an official exporter's retry
// succeeds once they close; the gRPC listeners advertise a stream limit, close idle
// connections and answer a ping flood with GOAWAY ENHANCE_YOUR_CALM; oversized metadata is
// refused; with grpc_accept_compressed off, a gzip bomb is refused without being inflated.
// Afterwards the server lost nothing and still serves every protocol.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http2 = require('node:http2');
const net = require('node:net');
const grpc = require('@grpc/grpc-js');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { request, getJson } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const { ingestGoodTrace, assertServingAfterwards } = require('./lib/good_trace');
const { assertJaegerTrace } = require('./lib/expect');
const otel = require('./lib/otel');
const sv = require('./lib/sampling');

const PER_CLIENT = 30;
const MAX_CONNECTIONS = 40;
const STREAMS = 7;
const CONFIG = `
limits:
  http_header_timeout: 1s
  http_body_timeout: 1s
  http_idle_timeout: 5m
  max_connections: ${MAX_CONNECTIONS}
  max_connections_per_client: ${PER_CLIENT}
  grpc_max_concurrent_streams: ${STREAMS}
  grpc_max_connection_idle: 2s
  grpc_accept_compressed: false
`;

const configDir = sv.makeTempDir('spanvault-e2e-hostile-clients-');
let server;
let good;

before(async () => {
  server = new SpanvaultServer({
    name: 'hostile-clients',
    args: ['--insecure-no-auth', '--config', sv.writeConfig(configDir, 'limits.yaml', CONFIG)],
  });
  await server.start();
  good = await ingestGoodTrace(server, 'HC-GOOD');
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

// "host:port" of listener `name`.
function addressOf(name) {
  const [host, port] = server.ports[name].split(/:(?=\d+$)/);
  return { host, port: Number(port) };
}

// A TCP connection to listener `name` from `localAddress`; resolves once connected. The socket
// records when the server closes it (`socket.closedByServer`, a promise).
function connect(name, localAddress = '127.0.0.1') {
  const { host, port } = addressOf(name);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress });
    socket.received = '';
    socket.on('data', (d) => { socket.received += d.toString('latin1'); });
    socket.closedByServer = new Promise((r) => socket.on('close', r));
    socket.on('error', () => {});
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// Writes `bytes` one every 50 ms until the server closes the connection (resolves true) or
// everything was sent (resolves false: the server waited that long).
async function trickle(socket, bytes) {
  let closed = false;
  socket.closedByServer.then(() => { closed = true; });
  for (let i = 0; i < bytes.length && !closed; i++) {
    socket.write(bytes.subarray(i, i + 1));
    await new Promise((r) => setTimeout(r, 50));
  }
  return closed;
}

// A whole request on an open socket; resolves with the response's status line.
async function roundTrip(socket, path) {
  socket.received = '';
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  await waitFor(() => /\r\n\r\n/.test(socket.received), { what: `an answer to GET ${path}` });
  return socket.received.split('\r\n')[0];
}

async function dropped(listener, reason) {
  const samples = await sv.metricSamples(server);
  return sv.metricSum(samples, 'spanvault_http_connections_dropped_total', { listener, reason });
}

// A slowloris header: 3 KB at 20 bytes/s would take 150 s; the header timeout is 1 s.
const SLOW_HEADER = Buffer.from(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(3000)}\r\n\r\n`);

for (const listener of ['otlp_http', 'query_http', 'admin_http']) {
  test(`${listener}: a header sent a byte at a time is cut off; an idle connection is not`, async () => {
    const before = await dropped(listener, 'header_timeout');
    const idle = await connect(listener);
    const slow = await connect(listener);
    assert.ok(await trickle(slow, SLOW_HEADER), 'the server closed the trickling connection');
    // The idle connection is older than the cut one but had not begun a request: it is served.
    assert.match(await roundTrip(idle, '/healthz'), /^HTTP\/1\.1 \d{3} /);
    idle.destroy();
    await waitFor(async () => (await dropped(listener, 'header_timeout')) === before + 1,
                  { what: `${listener} header_timeout counted once` });
  });
}

test('otlp_http: a body sent a byte at a time is cut off and nothing of it is stored', async () => {
  const before = await dropped('otlp_http', 'body_timeout');
  const slow = await connect('otlp_http');
  const body = Buffer.alloc(3000, 0x0a);
  slow.write(`POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n` +
             `Content-Length: ${body.length}\r\n\r\n`);
  assert.ok(await trickle(slow, body), 'the server closed the connection sending the body slowly');
  assert.equal(slow.received, '', 'no answer: the request was never handled');
  await waitFor(async () => (await dropped('otlp_http', 'body_timeout')) === before + 1,
                { what: 'body_timeout counted once' });
});

test('connection caps: 503 with Retry-After per address and per listener; the exporter retries once they close', async () => {
  const held = [];
  try {
    for (let i = 0; i < PER_CLIENT; i++) held.push(await connect('otlp_http', '127.0.0.1'));
    const overPerClient = await connect('otlp_http', '127.0.0.1');
    await overPerClient.closedByServer;
    assert.match(overPerClient.received, /^HTTP\/1\.1 503 /);
    assert.match(overPerClient.received, /\r\nRetry-After: 1\r\n/i);
    assert.match(overPerClient.received, /too many connections from your address \(this listener's limit is 30\)/);

    for (let i = PER_CLIENT; i < MAX_CONNECTIONS; i++) held.push(await connect('otlp_http', '127.0.0.2'));
    const overListener = await connect('otlp_http', '127.0.0.3');
    await overListener.closedByServer;
    assert.match(overListener.received, /^HTTP\/1\.1 503 /);
    assert.match(overListener.received, /too many connections \(this listener's limit is 40\)/);
    const samples = await sv.metricSamples(server);
    assert.equal(sv.metricSum(samples, 'spanvault_http_connections', { listener: 'otlp_http' }), MAX_CONNECTIONS);

    // An official exporter sending now is refused, and retries.
    const refusedBefore = await dropped('otlp_http', 'max_connections');
    const trace = otel.buildRichTrace({
      service: 'capped-shop', workerService: 'capped-worker', orderId: 'HC-CAPPED',
      baseNs: otel.baseTimeNs(20000),
    });
    const exporter = otel.createExporter(server, 'http/protobuf');
    const exported = otel.exportSpansRaw(exporter, trace.spans);
    await waitFor(async () => (await dropped('otlp_http', 'max_connections')) > refusedBefore,
                  { what: 'the exporter refused over max_connections' });
    for (const socket of held.splice(0)) socket.destroy();
    const result = await exported;
    await exporter.shutdown();
    assert.equal(result.code, otel.ExportResultCode.SUCCESS, `export after the caps cleared: ${result.error}`);
    const stored = await getJson(`${server.queryUrl}/api/traces/${trace.traceId}`);
    assertJaegerTrace(stored.data[0], trace.spans, { where: 'the trace exported through the caps' });
  } finally {
    for (const socket of held) socket.destroy();
  }
});

// An HTTP/2 session to the OTLP gRPC listener; resolves once the server's SETTINGS arrived.
function http2Session() {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${server.otlpGrpcAddress}`);
    session.goaway = new Promise((r) => session.on('goaway', (code, lastStreamId, data) => r({ code, data: String(data || '') })));
    session.on('error', () => {});
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

test('gRPC: the stream limit is advertised and an idle connection gets GOAWAY', async () => {
  const session = await http2Session();
  try {
    assert.equal(session.remoteSettings.maxConcurrentStreams, STREAMS);
    const goaway = await session.goaway;  // grpc_max_connection_idle: 2s
    assert.match(goaway.data, /idle/, `GOAWAY ${goaway.code} for being idle`);
  } finally {
    session.destroy();
  }
});

test('gRPC: a ping flood is answered with GOAWAY ENHANCE_YOUR_CALM', async () => {
  const session = await http2Session();
  try {
    let flooding = true;
    session.goaway.then(() => { flooding = false; });
    const pings = (async () => {
      for (let i = 0; i < 100 && flooding && !session.destroyed; i++) {
        await new Promise((r) => session.ping(() => r()));
      }
    })();
    const goaway = await session.goaway;
    await pings;
    assert.equal(goaway.code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    assert.match(goaway.data, /too_many_pings/);
  } finally {
    session.destroy();
  }
});

test('gRPC: metadata over the limit is refused with RESOURCE_EXHAUSTED, metadata under it is served', async () => {
  const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
  const call = (metadata) => new Promise((resolve) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export',
                            (x) => x, (x) => x, Buffer.alloc(0), metadata, {}, (err) => resolve(err));
  });
  try {
    const big = new grpc.Metadata();
    big.set('x-padding', 'p'.repeat(64 << 10));
    const err = await call(big);
    assert.ok(err, 'an error for 64 KiB of metadata');
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, `${err.code} ${err.details}`);
    assert.match(err.details, /metadata size exceeds limit/);
    // gRPC drops that connection too; the client reconnects (a call on the dying connection
    // may fail UNAVAILABLE, which exporters retry). 12 KiB is under the 16 KiB limit.
    const fine = new grpc.Metadata();
    fine.set('x-padding', 'p'.repeat(12 << 10));
    await waitFor(async () => (await call(fine)) === null, { what: 'an export with 12 KiB of metadata' });
  } finally {
    client.close();
  }
});

// The peak resident memory of `pid` in bytes (it only grows).
function peakRssBytes(pid) {
  return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

test('gRPC: with grpc_accept_compressed false a gzip bomb gets UNIMPLEMENTED, never inflated; plain calls are served', async () => {
  const BOMB = 256 << 20; // zeros; about 250 KB once gzip-compressed
  const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.default_compression_algorithm': 2, // gzip
  });
  const plain = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
  const call = (c, body) => new Promise((resolve) => {
    c.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export',
                       (x) => x, (x) => x, body, new grpc.Metadata(), {}, (err) => resolve(err));
  });
  try {
    const peakBefore = peakRssBytes(server.child.pid);
    const err = await call(client, Buffer.alloc(BOMB));
    assert.ok(err, 'an error for a gzip-compressed call');
    assert.equal(err.code, grpc.status.UNIMPLEMENTED, `${err.code} ${err.details}`);
    assert.match(err.details, /gzip.*disabled/i);
    // Inflated, the bomb would have taken 256 MiB (gRPC 1.51 inflates before its size check).
    const grown = peakRssBytes(server.child.pid) - peakBefore;
    assert.ok(grown < BOMB / 4, `peak RSS grew by ${grown} bytes`);
    assert.equal(await call(plain, Buffer.alloc(0)), null, 'an uncompressed export');
  } finally {
    client.close();
    plain.close();
  }
});

test('afterwards: the server lost nothing and serves every protocol', async () => {
  const health = await request(`${server.adminUrl}/readyz`);
  assert.equal(health.status, 200);
  await assertServingAfterwards(server, good, 'HC-FRESH');
});

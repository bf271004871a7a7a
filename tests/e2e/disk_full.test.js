'use strict';
// Disk full (issue 11 item 5): the data directory on a small tmpfs that this test mounts and
// fills. While it is full, exports get a retryable 503 + Retry-After / UNAVAILABLE saying the
// disk is full, /readyz is 503 with the reason and /metrics counts it; once the test frees
// space, ingest resumes by itself; every acknowledged span reads back exactly once, also
// after SIGTERM and kill -9 (including both while the disk is full). Needs root (CAP_SYS_ADMIN)
// for the mount; CI runs as root. Without it the test fails, it never skips.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const grpc = require('@grpc/grpc-js');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const proto = require('./lib/otlp_proto');
const sv = require('./lib/sampling');
const otel = require('./lib/otel');

const TMPFS_SIZE = '32m';
const EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';
const SERVICE = 'diskfull-svc';
const SPANS_PER_EXPORT = 50;
const PADDING = 1000; // bytes of attribute per span

const server = new SpanvaultServer({ name: 'spanvault-disk-full' });
let mounted = false;
const fillerPath = () => path.join(server.dataDir, 'filler');

before(() => {
  fs.mkdirSync(server.dataDir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', server.dataDir],
                 { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`disk_full.test.js needs root (CAP_SYS_ADMIN) to mount a tmpfs at ${server.dataDir}: ` +
                    `${String(e.stderr || e.message).trim()}`);
  }
  mounted = true;
});

after(async () => {
  try {
    if (server.running) await server.kill();
  } finally {
    if (mounted) execFileSync('umount', [server.dataDir]);
    await server.close();
  }
});

// Every acknowledged span: trace id (hex) → set of span ids (hex).
const acknowledged = new Map();
let exportCounter = 0;

// An export of SPANS_PER_EXPORT spans of a new trace (the trace id is returned with it).
function newExport() {
  exportCounter += 1;
  const traceId = `d15cf011${String(exportCounter).padStart(24, '0')}`;
  const now = BigInt(Date.now()) * 1000000n;
  const spanIds = [];
  const spans = [];
  for (let i = 0; i < SPANS_PER_EXPORT; i++) {
    const spanId = `${String(exportCounter).padStart(8, '0')}${String(i + 1).padStart(8, '0')}`;
    spanIds.push(spanId);
    spans.push({
      traceId: Buffer.from(traceId, 'hex'),
      spanId: Buffer.from(spanId, 'hex'),
      parentSpanId: i === 0 ? undefined : Buffer.from(spanIds[0], 'hex'),
      name: `diskfull-op-${i % 5}`,
      kind: 2,
      startTimeUnixNano: (now - 5000000n + BigInt(i)).toString(),
      endTimeUnixNano: now.toString(),
      attributes: [{ key: 'e2e.padding', value: { stringValue: 'p'.repeat(PADDING) } }],
    });
  }
  const body = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] },
      scopeSpans: [{ scope: { name: 'disk-full-e2e' }, spans }],
    }],
  };
  return { traceId, spanIds, body };
}

async function postProtobuf(body) {
  return request(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: proto.encodeRequest(body),
  });
}

function grpcExport(body) {
  const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_METHOD, (b) => b, (b) => b, proto.encodeRequest(body),
                            { deadline: Date.now() + 30000 }, (err) => {
                              client.close();
                              resolve(err);
                            });
  });
}

// The last export refused.
let lastRefused = null;

// Sends one export (`e`, else a new one) over HTTP/protobuf; remembers its spans when
// acknowledged. Returns the response.
async function exportOnce(e = newExport()) {
  const res = await postProtobuf(e.body);
  if (res.status === 200) acknowledged.set(e.traceId, new Set(e.spanIds));
  else lastRefused = e;
  return res;
}

// Asserts the answer to an export while the disk is full: 503, Retry-After, and a
// google.rpc.Status UNAVAILABLE saying the disk is full.
function assertDiskFullHttp(res, what) {
  assert.equal(res.status, 503, `${what}: status (body ${res.text.slice(0, 300)})`);
  assert.match(String(res.headers['retry-after']), /^[1-9][0-9]*$/, `${what}: Retry-After in whole seconds`);
  const status = proto.decodeRpcStatus(res.body);
  assert.equal(status.code, grpc.status.UNAVAILABLE, `${what}: google.rpc.Status code`);
  assert.match(status.message, /disk full: the filesystem of .* has \d+ bytes free.*retry later/, `${what}: message`);
}

// Writes a filler file until the filesystem has no space left.
function fillDisk() {
  const fd = fs.openSync(fillerPath(), 'a');
  const chunk = Buffer.alloc(256 * 1024, 0x5a);
  try {
    for (;;) {
      try {
        fs.writeSync(fd, chunk);
      } catch (e) {
        if (e.code !== 'ENOSPC') throw e;
        // The last bytes: smaller writes until not even one byte fits.
        for (let size = chunk.length / 2; size >= 1; size = Math.floor(size / 2)) {
          try {
            for (;;) fs.writeSync(fd, chunk, 0, size);
          } catch (e2) {
            if (e2.code !== 'ENOSPC') throw e2;
          }
        }
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

// Fills the disk, then exports until one is refused (each acknowledged one is remembered):
// returns the refusal.
async function fillAndExportUntilRefused() {
  fillDisk();
  return waitFor(async () => {
    const res = await exportOnce();
    if (res.status === 200) return null;
    return res;
  }, { timeoutMs: 60000, intervalMs: 1, what: 'an export refused on the full disk' });
}

const readyz = () => request(`${server.adminUrl}/readyz`);

async function metric(name, labels = {}) {
  return sv.metricSum(await sv.metricSamples(server), name, labels);
}

// Every acknowledged span reads back exactly once.
async function assertEverythingStored(where) {
  assert.ok(acknowledged.size > 0, 'something was acknowledged');
  for (const [traceId, spanIds] of acknowledged) {
    const res = await request(`${server.queryUrl}/api/traces/${traceId}`);
    assert.equal(res.status, 200, `${where}: trace ${traceId}: ${res.text.slice(0, 300)}`);
    const spans = res.json().data[0].spans;
    const got = spans.map((s) => s.spanID);
    assert.equal(got.length, spanIds.size, `${where}: trace ${traceId} span count`);
    assert.deepEqual(new Set(got), spanIds, `${where}: trace ${traceId} span ids`);
  }
}

// Frees the space and waits until ingest works again by itself.
async function freeSpaceAndWaitForRecovery(what) {
  fs.rmSync(fillerPath());
  await waitFor(async () => (await readyz()).status === 200,
                { timeoutMs: 60000, intervalMs: 100, what: `/readyz 200 after freeing space (${what})` });
  const res = await exportOnce();
  assert.equal(res.status, 200, `${what}: an export once space is free: ${res.text.slice(0, 300)}`);
  assert.equal(await metric('spanvault_storage_disk_full'), 0, `${what}: spanvault_storage_disk_full`);
}

test('a full disk: retryable refusals naming it, /readyz 503, ingest resumes by itself, nothing lost or doubled', async () => {
  await server.start();
  assert.equal((await readyz()).status, 200, '/readyz before');
  for (let i = 0; i < 5; i++) assert.equal((await exportOnce()).status, 200, `export ${i} before filling`);
  const noSpaceBefore = await metric('spanvault_storage_write_errors_total', { reason: 'no_space' });
  assert.equal(noSpaceBefore, 0, 'no write error before');

  const refused = await fillAndExportUntilRefused();
  assertDiskFullHttp(refused, 'HTTP/protobuf export on a full disk');
  assertDiskFullHttp(await postProtobuf(newExport().body), 'a second HTTP export');
  const err = await grpcExport(newExport().body);
  assert.ok(err, 'the gRPC export on a full disk fails');
  assert.equal(err.code, grpc.status.UNAVAILABLE, `gRPC code: ${err.code} ${err.details}`);
  assert.match(err.details, /disk full: the filesystem of .* bytes free.*retry later/);
  const details = proto.decodeRpcStatus(err.metadata.get('grpc-status-details-bin')[0]);
  assert.ok(details.details.some((d) => d.typeUrl === RETRY_INFO_TYPE), 'a RetryInfo detail');

  const ready = await readyz();
  assert.equal(ready.status, 503, '/readyz on a full disk');
  assert.match(ready.text, /^not ready: disk full: the filesystem of .*traces has \d+ bytes free; nothing is written until 8\.0 MiB are free/);
  assert.equal(await metric('spanvault_storage_disk_full'), 1, 'spanvault_storage_disk_full');
  assert.ok(await metric('spanvault_storage_write_errors_total', { reason: 'no_space' }) >= 3,
            'spanvault_storage_write_errors_total{reason="no_space"} counts the refusals');
  // A read is audited, and the audit log cannot be written either: the read is refused,
  // retryably, saying why (docs/RELIABILITY.md, "Disk full").
  const read = await request(`${server.queryUrl}/api/traces/${[...acknowledged.keys()][0]}`);
  assert.equal(read.status, 503, `a read on a full disk: ${read.text.slice(0, 300)}`);
  assert.match(read.text, /audit log cannot be written.*disk full/);
  // The state change is logged once, not per refused request.
  assert.equal(server.output().match(/disk full: the filesystem of .* has no space left/g).length, 1,
               'one "disk full" line in the log');

  await freeSpaceAndWaitForRecovery('first fill');
  assert.match(server.output(), /disk space is back \(\d+ bytes free in .*\): writes resumed after/);
  await assertEverythingStored('after the disk was full');

  await server.stop(); // exit code 0
  await server.start();
  await assertEverythingStored('after a graceful restart');
  await server.kill();
  await server.start();
  await assertEverythingStored('after kill -9');
});

test('SIGTERM and kill -9 while the disk is full: clean exit, nothing acknowledged lost', async () => {
  assertDiskFullHttp(await fillAndExportUntilRefused(), 'export before SIGTERM');
  await server.stop(); // exit code 0, no abort in RocksDB
  fs.rmSync(fillerPath());
  await server.start();
  await assertEverythingStored('after SIGTERM on a full disk');

  assertDiskFullHttp(await fillAndExportUntilRefused(), 'export before kill -9');
  await server.kill();
  fs.rmSync(fillerPath());
  await server.start();
  assert.equal((await readyz()).status, 200, '/readyz after the restart');
  assert.equal((await exportOnce()).status, 200, 'an export after the restart');
  await assertEverythingStored('after kill -9 on a full disk');
  await server.stop();
});

test('tail sampling on a full disk: decisions retried, a refused trace retried after its deadline is kept', async () => {
  const decisionWaitMs = 3000;
  server.extraArgs = ['--config', sv.writeConfig(server.rootDir, 'sampling.yaml', `
sampling:
  decision_wait: ${decisionWaitMs / 1000}s
  decision_quiet: 0s
  policies:
    - {name: everything, type: probabilistic, probabilistic: {sampling_percentage: 100}}
`)];
  await server.start();
  const before = new Set(acknowledged.keys());
  for (let i = 0; i < 3; i++) assert.equal((await exportOnce()).status, 200, `pending export ${i}`);
  assertDiskFullHttp(await fillAndExportUntilRefused(), 'export with sampling on');
  const refused = lastRefused;
  const refusedAt = Date.now();
  const pendingHere = [...acknowledged.keys()].filter((id) => !before.has(id));
  // The decisions come due while the disk is full: their writes fail and are retried (logged
  // once); the refused trace is not pending (nothing of it was stored).
  await waitFor(() => /tail sampling: cannot store \d+ decisions, retrying until it works/.test(server.output()),
                { timeoutMs: 30000, what: 'a decision write failing on the full disk' });
  // (Polled: a decision round takes due traces out of the count for a moment.)
  await waitFor(async () => await metric('spanvault_sampling_pending_traces') === pendingHere.length,
                { timeoutMs: 10000, what: 'pending traces: the acknowledged ones, not the refused one' });
  // The refused trace's deadline, had it been kept pending, passes before the retry below.
  await waitFor(() => Date.now() > refusedAt + decisionWaitMs + 500,
                { timeoutMs: decisionWaitMs + 5000, what: "the refused trace's decision deadline" });
  await freeSpaceAndWaitForRecovery('sampling on');
  await waitFor(() => /tail sampling: decisions are stored again/.test(server.output()),
                { timeoutMs: 30000, what: 'the decisions stored once space is free' });
  for (const id of pendingHere) assert.equal((await sv.traceState(server, id)).state, 'decided', `trace ${id}`);
  // The exporter's retry of the refused export, after the deadline its trace would have had.
  assert.equal((await exportOnce(refused)).status, 200, 'the refused export, retried');
  await waitFor(async () => (await sv.traceState(server, refused.traceId)).state === 'decided',
                { timeoutMs: 30000, what: 'the retried trace decided' });
  await assertEverythingStored('with sampling, after the disk was full');
  await server.stop();
  await server.start();
  await assertEverythingStored('with sampling, after a restart');
  await server.stop();
});

test('the official OpenTelemetry HTTP exporters are refused on the full disk and their retries succeed once space is freed', async () => {
  server.extraArgs = [];
  await server.start();
  // (Something in the memtable: see the next test for a first write that fails.)
  assert.equal((await exportOnce()).status, 200, 'an export before filling');
  assertDiskFullHttp(await fillAndExportUntilRefused(), 'export before the exporters');
  const refusedBefore = await metric('spanvault_storage_write_errors_total', { reason: 'no_space' });
  // (The JS gRPC exporter gave up after about 1.7 s of UNAVAILABLE in a trial: not used here.)
  const sent = ['http/protobuf', 'http/json'].map((protocol, n) => {
    const { provider, memory } = otel.memoryProvider({ 'service.name': 'diskfull-exporter' });
    const root = otel.startSpan(provider.getTracer('disk-full-e2e'), `exporter-${protocol}`, {
      kind: otel.api.SpanKind.SERVER, at: otel.baseTimeNs(1000 + n),
    });
    root.end(otel.hr(otel.baseTimeNs(1000 + n) + otel.ms(3)));
    return { protocol, spans: memory.getFinishedSpans(), traceId: root.spanContext().traceId,
             spanId: root.spanContext().spanId };
  });
  const exporters = sent.map((t) => otel.createExporter(server, t.protocol));
  try {
    const results = Promise.all(sent.map((t, n) => otel.exportSpansRaw(exporters[n], t.spans)));
    // Both are refused at least once (their first attempts), then space is freed.
    await waitFor(async () => await metric('spanvault_storage_write_errors_total', { reason: 'no_space' }) >= refusedBefore + 2,
                  { timeoutMs: 30000, what: 'both exporters refused on the full disk' });
    fs.rmSync(fillerPath());
    (await results).forEach((r, n) => assert.equal(r.code, otel.ExportResultCode.SUCCESS,
        `${sent[n].protocol} exporter: ${r.error && (r.error.stack || r.error)}`));
  } finally {
    await Promise.all(exporters.map((e) => e.shutdown()));
  }
  for (const t of sent) acknowledged.set(t.traceId, new Set([t.spanId]));
  assert.equal((await readyz()).status, 200, '/readyz after the exporters succeeded');
  await assertEverythingStored('after the exporters retried');
  await server.stop();
});

// RocksDB 7.8 cannot resume in-process when the write that failed was the first since the last
// flush unless a memtable holds something; the store keeps a guard entry in one
// (disk_space_watch.h). Before it, this case needed a restart.
test('the first write after a start failing on the full disk: ingest resumes by itself', async () => {
  await server.start();
  assertDiskFullHttp(await fillAndExportUntilRefused(), 'the first export after the start');
  await freeSpaceAndWaitForRecovery('the first write after a start');
  await assertEverythingStored('after the first write after a start failed');
  // And again right after that resume (which flushed every memtable, the guard included).
  assertDiskFullHttp(await fillAndExportUntilRefused(), 'the first export after a resume');
  await freeSpaceAndWaitForRecovery('the first write after a resume');
  await assertEverythingStored('after the first write after a resume failed');
  await server.stop();
});

// A start on a full disk: RocksDB cannot open, or cannot write the guard; spanvault exits
// saying so (a supervisor restarts it) and starts once space is freed, with nothing lost.
test('a start on the full disk exits naming it; once space is freed it starts, nothing lost', async () => {
  await server.start();
  await server.stop();
  fillDisk();
  const result = await server.startExpectingExit();
  assert.notEqual(result.code, 0, `exit code ${result.code}`);
  assert.match(result.output, /disk full: the filesystem of .* has \d+ bytes free, too few to open the database .*free some space, then start spanvault again/);
  fs.rmSync(fillerPath());
  await server.start();
  assert.equal((await readyz()).status, 200, '/readyz after the start');
  assert.equal((await exportOnce()).status, 200, 'an export after the start');
  await assertEverythingStored('after a start on the full disk');
  await server.stop();
});

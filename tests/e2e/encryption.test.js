'use strict';
// Encryption at rest: no span content in any file of the data directory (and the same test
// finds it when encryption is switched off, so it can fail); wrong keys and wrong modes are
// refused at once without changing a byte on disk; the right key reads everything back; the
// key file rules and `spanvault keygen`.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const { test, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { getJson } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

const { api, ms, hr } = otel;
const run = promisify(execFile);
const servers = [];

after(async () => {
  for (const s of servers) await s.close();
});

function newServer(name, options = {}) {
  const s = new SpanvaultServer({ name, ...options });
  servers.push(s);
  return s;
}

// Random strings that share no prefix with each other or anything else, so that compression
// cannot split them: found verbatim in a plaintext file, or not at all.
function newMarkers() {
  const m = () => crypto.randomBytes(12).toString('hex');
  return {
    spanName: m(), orderId: m(), note: m(), resource: m(), eventName: m(), eventValue: m(),
  };
}

// One trace carrying every marker: span name, an indexed attribute (order_id, so it is also in
// index keys), a plain attribute, a resource attribute, an event name and an event attribute.
function markerTrace(markers, baseNs) {
  const { provider, memory } = otel.memoryProvider({
    'service.name': 'hunt-svc', 'hunt.resource': markers.resource,
  });
  const tracer = provider.getTracer('hunt', '1.0.0');
  const root = otel.startSpan(tracer, markers.spanName, {
    kind: api.SpanKind.SERVER, at: baseNs,
    attributes: { order_id: markers.orderId, 'hunt.note': markers.note },
  });
  root.addEvent(markers.eventName, { 'hunt.event': markers.eventValue }, hr(baseNs + ms(1)));
  const child = otel.startSpan(tracer, 'hunt-child', { parent: root, at: baseNs + ms(1) });
  child.end(hr(baseNs + ms(2)));
  root.end(hr(baseNs + ms(5)));
  return { spans: memory.getFinishedSpans(), traceId: root.spanContext().traceId, markers };
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

// The files under `dir` holding `needle` (a string or Buffer).
function filesContaining(dir, needle) {
  return listFiles(dir).filter((f) => fs.readFileSync(f).includes(needle));
}

// path → sha256 of every file under the server's directory (its data dir and key files; the
// ports file is rewritten by every start attempt, so it is left out).
function checksums(server) {
  const out = {};
  for (const f of listFiles(server.rootDir)) {
    if (f === server.portsFile) continue;
    out[path.relative(server.rootDir, f)] = crypto.createHash('sha256')
        .update(fs.readFileSync(f)).digest('hex');
  }
  return out;
}

async function exportTrace(server, protocol, trace) {
  const exporter = otel.createExporter(server, protocol);
  try {
    await otel.exportSpans(exporter, trace.spans, `${protocol} export`);
  } finally {
    await exporter.shutdown();
  }
}

async function assertReadable(server, traces) {
  for (const t of traces) {
    const body = await getJson(`${server.queryUrl}/api/traces/${t.traceId}`);
    const names = body.data[0].spans.map((s) => s.operationName).sort();
    assert.deepEqual(names, [t.markers.spanName, 'hunt-child'].sort(), `trace ${t.traceId}`);
    const root = body.data[0].spans.find((s) => s.operationName === t.markers.spanName);
    assert.ok(root.tags.some((tag) => tag.key === 'order_id' && tag.value === t.markers.orderId));
  }
}

const sstFiles = (server) => listFiles(server.dataDir).filter((f) => f.endsWith('.sst'));

// Ingest with a restart after every round: each restart flushes the write-ahead log into
// SSTs, and once a column family has four of them RocksDB compacts them, deleting its input
// files. The last start waits for a compaction to have happened (some SST seen before is
// gone), then one more round stays in the WAL. Returns the traces sent, every one read back.
async function ingestFlushCompact(server, rounds = 5) {
  const traces = [];
  const seen = new Set();
  for (let r = 0; r < rounds; r++) {
    await server.start();
    sstFiles(server).forEach((f) => seen.add(f));
    const t = markerTrace(newMarkers(), otel.baseTimeNs(600000 - r * 1000));
    await exportTrace(server, r % 2 ? 'http/protobuf' : 'grpc', t);
    traces.push(t);
    await server.stop();
  }
  await server.start();
  await waitFor(() => {
    sstFiles(server).forEach((f) => seen.add(f));
    return [...seen].some((f) => !fs.existsSync(f));
  }, { timeoutMs: 30000, what: 'a compaction (an SST file replaced)' });
  const last = markerTrace(newMarkers(), otel.baseTimeNs(1000));
  await exportTrace(server, 'http/json', last);
  traces.push(last);
  await assertReadable(server, traces);
  await server.stop();
  return traces;
}

const allMarkers = (traces) => traces.flatMap((t) => Object.values(t.markers));

test('plaintext hunt: no marker in any file of the data directory, nor in the log', async () => {
  const server = newServer('spanvault-hunt');
  const traces = await ingestFlushCompact(server);
  const files = listFiles(server.dataDir);
  assert.ok(files.some((f) => f.endsWith('.sst')), `no SST was written: ${files.join(', ')}`);
  assert.ok(files.some((f) => f.endsWith('.log')), `no WAL: ${files.join(', ')}`);
  assert.ok(!files.some((f) => /\/LOG(\.old.*)?$/.test(f)), `RocksDB wrote an info LOG: ${files}`);
  for (const marker of allMarkers(traces)) {
    assert.deepEqual(filesContaining(server.dataDir, marker), [], `marker ${marker} in plaintext`);
    assert.ok(!server.output().includes(marker), `marker ${marker} in the server's log`);
  }
  // The key is beside the data directory, 0600, and its bytes appear nowhere in the data.
  assert.ok(fs.existsSync(server.defaultKeyFile), 'the default key was not created');
  assert.equal(fs.statSync(server.defaultKeyFile).mode & 0o777, 0o600);
  assert.deepEqual(filesContaining(server.dataDir, 'spanvault.key'), []);
  const keyBase64 = fs.readFileSync(server.defaultKeyFile, 'utf8').match(/^1 (\S+)$/m)[1];
  assert.deepEqual(filesContaining(server.dataDir, Buffer.from(keyBase64, 'base64')), []);
  assert.deepEqual(filesContaining(server.dataDir, keyBase64), []);
  assert.ok(!server.output().includes(keyBase64), 'the key in the log');
  assert.match(server.output(), /created .*spanvault\.key \(mode 0600\).*secret store/);
  // Every RocksDB file starts with the encryption header. The other plaintext files: LOCK
  // (empty), ENCRYPTION (how, never a key) and the first admin password, there for the
  // operator to read (mode 0600).
  for (const f of files) {
    const name = path.basename(f);
    if (name === 'initial-admin-password') {
      assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
      continue;
    }
    if (name === 'LOCK' || name === 'ENCRYPTION' || fs.statSync(f).size === 0) continue;
    assert.equal(fs.readFileSync(f).subarray(0, 8).toString('latin1'), 'SPANVENC', f);
  }
});

test('plaintext hunt, negative control: with encryption off the markers are found', async () => {
  const server = newServer('spanvault-hunt-plain', { args: ['--testing-no-encryption'] });
  const traces = await ingestFlushCompact(server);
  // The last trace is in the write-ahead log, uncompressed: every one of its markers shows.
  for (const marker of Object.values(traces[traces.length - 1].markers)) {
    const found = filesContaining(server.dataDir, marker);
    assert.ok(found.some((f) => f.endsWith('.log')), `marker ${marker} not in the WAL: ${found}`);
  }
  // The earlier ones are in SSTs. Those the compaction rewrote to its bottommost level are
  // zstd-compressed, which hides them even in plaintext; the others (LZ4) show.
  const inSsts = allMarkers(traces.slice(0, -1))
      .filter((m) => filesContaining(server.dataDir, m).some((f) => f.endsWith('.sst')));
  assert.ok(inSsts.length > 0, 'no marker found in any SST although encryption is off');
  assert.ok(!fs.existsSync(server.defaultKeyFile), 'a key was created for a plaintext store');
  assert.match(server.output(), /PLAINTEXT \(tests only\)/);
});

// Starts `server` expecting a refusal; checks the message and that no byte changed on disk.
async function assertRefused(server, { args, env = {}, message }) {
  const before = checksums(server);
  server.extraArgs = args;
  server.env = env;
  const result = await server.startExpectingExit();
  assert.notEqual(result.code, 0, `exit code ${result.code}`);
  assert.equal(result.signal, null);
  assert.match(result.output, message);
  assert.deepEqual(checksums(server), before, 'files changed on disk');
  return result;
}

test('a wrong key is refused at once and changes nothing; the right key reads everything', async () => {
  const server = newServer('spanvault-keys');
  await server.start();
  const traces = [markerTrace(newMarkers(), otel.baseTimeNs(60000))];
  await exportTrace(server, 'grpc', traces[0]);
  await server.stop();
  await server.start(); // flushes the WAL into SSTs
  traces.push(markerTrace(newMarkers(), otel.baseTimeNs(30000)));
  await exportTrace(server, 'http/protobuf', traces[1]);
  await server.stop();

  const wrongKey = path.join(server.rootDir, 'wrong.key');
  await run(process.env.SPANVAULT_BIN, ['keygen', '--out', wrongKey]);
  const refused = await assertRefused(server, {
    args: ['--encryption-key-file', wrongKey],
    message: /wrong encryption key: key id 1 from key file .*wrong\.key is not the key/,
  });
  const wrongBase64 = fs.readFileSync(wrongKey, 'utf8').match(/^1 (\S+)$/m)[1];
  assert.ok(!refused.output.includes(wrongBase64), 'the key in the error message');

  const randomKey = crypto.randomBytes(32).toString('base64');
  await assertRefused(server, {
    args: [], env: { SPANVAULT_ENCRYPTION_KEY: randomKey },
    message: /wrong encryption key: key id 1 from SPANVAULT_ENCRYPTION_KEY/,
  });
  await assertRefused(server, {
    args: [], env: { SPANVAULT_ENCRYPTION_KEY: `2 ${randomKey}` },
    message: /encrypted with key id 1, which SPANVAULT_ENCRYPTION_KEY does not hold/,
  });
  await assertRefused(server, {
    args: ['--testing-no-encryption'],
    message: /is encrypted .*cannot be opened with encryption switched off/,
  });

  // The right key, given as a file (0600) and through the variable.
  const rightKey = path.join(server.rootDir, 'right.key');
  fs.copyFileSync(server.defaultKeyFile, rightKey);
  fs.chmodSync(rightKey, 0o644);
  await assertRefused(server, {
    args: ['--encryption-key-file', rightKey],
    message: new RegExp(`key file ${rightKey} has mode 0644: it must not be readable or writable by group or others`),
  });
  fs.chmodSync(rightKey, 0o600);
  server.extraArgs = ['--encryption-key-file', rightKey];
  await server.start();
  await assertReadable(server, traces);
  await server.stop();

  const rightBase64 = fs.readFileSync(rightKey, 'utf8').match(/^1 (\S+)$/m)[1];
  server.extraArgs = [];
  server.env = { SPANVAULT_ENCRYPTION_KEY: rightBase64 };
  await server.start();
  await assertReadable(server, traces);
  await server.stop();

  // Without any key configured and the default key gone, spanvault refuses instead of making
  // a new key for data it could not read.
  fs.renameSync(server.defaultKeyFile, path.join(server.rootDir, 'moved.key'));
  await assertRefused(server, {
    args: [], env: {}, message: /encrypted, but no key is configured and the default key file/,
  });
  assert.ok(!fs.existsSync(server.defaultKeyFile));
});

test('a plaintext data directory is never opened with encryption', async () => {
  const server = newServer('spanvault-plain-dir', { args: ['--testing-no-encryption'] });
  await server.start();
  await exportTrace(server, 'grpc', markerTrace(newMarkers(), otel.baseTimeNs(60000)));
  await server.stop();
  await assertRefused(server, {
    args: [], message: /written without encryption .*start with an empty data directory/,
  });
});

test('keygen writes a 0600 key file and never overwrites one', async () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'spanvault-keygen-'));
  try {
    const file = path.join(dir, 'a.key');
    const first = await run(process.env.SPANVAULT_BIN, ['keygen', '--out', file]);
    assert.match(first.stdout, /wrote a new key \(id 1\)/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const text = fs.readFileSync(file, 'utf8');
    const line = text.match(/^1 (\S+)$/m);
    assert.ok(line, text);
    assert.equal(Buffer.from(line[1], 'base64').length, 32);
    await assert.rejects(run(process.env.SPANVAULT_BIN, ['keygen', '--out', file]),
                         (e) => e.code === 1 && /refusing to overwrite/.test(e.stderr));
    assert.equal(fs.readFileSync(file, 'utf8'), text);
    await assert.rejects(run(process.env.SPANVAULT_BIN, ['keygen']),
                         (e) => e.code !== 0 && /--out is required/.test(e.stderr));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

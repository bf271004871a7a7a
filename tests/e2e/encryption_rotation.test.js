'use strict';
// Encryption key rotation through spanvaultctl (docs/encryption.md): ingest under key 1,
// `keys rotate`, ingest more, wait for `keys status` to show key 1 protecting only the files
// RocksDB rewrites at its next start, restart, `keys retire 1`, restart: every trace reads back,
// every file is under key 2 and the key file no longer holds key 1. Plus the refusals: the
// newest key, a key still in use, an unknown key, keys from the environment, encryption off.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { test, after } = require('./lib/harness');
const { SpanvaultServer, ctlPath } = require('./lib/server');
const { getJson } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

const servers = [];

after(async () => {
  for (const s of servers) await s.close();
});

function newServer(name, options = {}) {
  const s = new SpanvaultServer({ name, ...options });
  servers.push(s);
  return s;
}

// Runs spanvaultctl against `server`; resolves with { code, stdout, stderr }.
function ctl(server, ...args) {
  return new Promise((resolve) => {
    execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
             { timeout: 30000, env: server.ctlEnv() },
             (err, stdout, stderr) => {
               const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
               resolve({ code, stdout, stderr });
             });
  });
}

async function keyStatus(server) {
  const r = await ctl(server, 'keys', 'status', '--json');
  assert.equal(r.code, 0, `keys status --json: exit ${r.code}, stderr ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const usageOf = (status, id) => status.keys.find((k) => k.key_id === id);

// The ids in the key file, and its base64 key per id.
function keyFileKeys(file) {
  const out = new Map();
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^(\d+) (\S+)$/gm)) {
    out.set(Number(m[1]), m[2]);
  }
  return out;
}

// File name → key id from the plaintext header of every encrypted file in the RocksDB directory.
function headerKeyIds(server) {
  const dir = path.join(server.dataDir, 'traces');
  const out = {};
  for (const name of fs.readdirSync(dir)) {
    const head = fs.readFileSync(path.join(dir, name)).subarray(0, 64);
    if (head.length === 64 && head.subarray(0, 8).toString('latin1') === 'SPANVENC') {
      out[name] = head.readUInt32BE(12);
    }
  }
  return out;
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let traceCounter = 0;
async function ingest(server, protocol) {
  traceCounter += 1;
  const trace = otel.buildSimpleTrace({
    service: 'rotation-svc', rootName: `rotation-root-${traceCounter}`, children: 2,
    baseNs: otel.baseTimeNs(60000 - traceCounter * 1000), attributes: { order_id: `R-${traceCounter}` },
  });
  const exporter = otel.createExporter(server, protocol);
  try {
    await otel.exportSpans(exporter, trace.spans, `${protocol} export`);
  } finally {
    await exporter.shutdown();
  }
  return trace;
}

async function assertReadable(server, traces) {
  for (const t of traces) {
    const body = await getJson(`${server.queryUrl}/api/traces/${t.traceId}`);
    const ids = body.data[0].spans.map((s) => s.spanID).sort();
    assert.deepEqual(ids, [...t.spanIds].sort(), `trace ${t.traceId}`);
    assert.ok(body.data[0].spans.some((s) => s.operationName === t.rootName), t.rootName);
  }
}

test('rotate, drain key 1, restart, retire key 1, restart: everything readable under key 2', async () => {
  const server = newServer('spanvault-rotation');
  await server.start();
  const traces = [await ingest(server, 'grpc')];
  await server.stop();
  await server.start(); // flushes the first trace into SSTs, under key 1
  traces.push(await ingest(server, 'http/protobuf')); // stays in the write-ahead log, key 1
  const key1 = keyFileKeys(server.defaultKeyFile).get(1);
  assert.ok(key1, 'the default key file holds key 1');
  const onlyKey1 = path.join(server.rootDir, 'only-key-1.key');
  fs.copyFileSync(server.defaultKeyFile, onlyKey1);
  assert.ok(Object.values(headerKeyIds(server)).every((id) => id === 1));
  assert.ok(Object.keys(headerKeyIds(server)).some((f) => f.endsWith('.sst')), 'no SST yet');

  const before = await keyStatus(server);
  assert.equal(before.newest_key_id, 1);
  assert.equal(before.can_add_keys, true);
  assert.match(before.key_source, /spanvault\.key/);
  assert.ok(usageOf(before, 1).files > 0);

  const rotated = await ctl(server, 'keys', 'rotate');
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /key 2 added; new files are encrypted with it/);
  const keys = keyFileKeys(server.defaultKeyFile);
  assert.deepEqual([...keys.keys()], [1, 2]);
  assert.equal(keys.get(1), key1, 'key 1 unchanged');
  assert.equal(Buffer.from(keys.get(2), 'base64').length, 32);
  assert.equal(fs.statSync(server.defaultKeyFile).mode & 0o777, 0o600);
  traces.push(await ingest(server, 'http/json'));

  // The background rewrite moves every SST and write-ahead log to key 2; what is left on key 1
  // is what RocksDB rewrites only when it opens the database.
  const drained = await waitFor(async () => {
    const s = await keyStatus(server);
    const k = usageOf(s, 1);
    return !s.rewrite_running && k.files === k.files_rewritten_at_restart ? s : null;
  }, { timeoutMs: 120000, what: 'key 1 to protect only MANIFEST and CURRENT' });
  assert.equal(drained.last_rewrite_error, '');
  assert.equal(drained.newest_key_id, 2);
  assert.ok(usageOf(drained, 2).newest);
  for (const [name, id] of Object.entries(headerKeyIds(server))) {
    if (/\.(sst|log)$/.test(name)) assert.equal(id, 2, `${name} still under key ${id}`);
  }
  const table = await ctl(server, 'keys', 'status');
  assert.match(table.stdout, /^KEY +NEWEST +FILES +BYTES/m);
  if (usageOf(drained, 1).files > 0) {
    assert.match(table.stdout, /key 1: its \d+ remaining files .* at the next start/);
    const refused = await ctl(server, 'keys', 'retire', '1');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /key 1 still protects \d+ files .*restart spanvault/);
    assert.deepEqual(keyFileKeys(server.defaultKeyFile), keys, 'the key file changed');
  }
  await assertReadable(server, traces);
  await server.stop();

  await server.start(); // RocksDB writes MANIFEST, CURRENT anew, under key 2
  const restarted = await waitFor(async () => {
    const s = await keyStatus(server);
    return usageOf(s, 1).files === 0 ? s : null;
  }, { timeoutMs: 30000, what: 'key 1 to protect no file after the restart' });
  assert.equal(usageOf(restarted, 1).bytes, 0);
  const retired = await ctl(server, 'keys', 'retire', '1');
  assert.equal(retired.code, 0, retired.stderr);
  assert.match(retired.stdout, /key 1 retired/);
  assert.deepEqual([...keyFileKeys(server.defaultKeyFile).keys()], [2]);
  assert.ok(!fs.readFileSync(server.defaultKeyFile, 'utf8').includes(key1), 'key 1 still in the file');
  assert.equal(fs.statSync(server.defaultKeyFile).mode & 0o777, 0o600);
  assert.deepEqual((await keyStatus(server)).keys.map((k) => k.key_id), [2]);
  await server.stop();

  await server.start();
  await assertReadable(server, traces);
  for (const [name, id] of Object.entries(headerKeyIds(server))) assert.equal(id, 2, name);
  assert.match(fs.readFileSync(path.join(server.dataDir, 'traces', 'ENCRYPTION'), 'utf8'),
               /^key_ids 2$/m);
  await server.stop();

  // Key 1 alone opens nothing any more: the data really is under key 2.
  server.extraArgs = ['--encryption-key-file', onlyKey1];
  const old = await server.startExpectingExit();
  assert.notEqual(old.code, 0);
  assert.match(old.output, /encrypted with key id 2, which key file .*only-key-1\.key does not hold/);
  assert.ok(!server.output().includes(key1), 'a key in the log');
});

test('retiring the newest key, a key still in use or an unknown key is refused and changes nothing', async () => {
  const server = newServer('spanvault-rotation-refusals');
  await server.start();
  const traces = [await ingest(server, 'grpc')];
  const newest = await ctl(server, 'keys', 'retire', '1');
  assert.equal(newest.code, 1);
  assert.match(newest.stderr, /^spanvaultctl: key 1 is the newest key: it encrypts every new file/);
  const rotated = await ctl(server, 'keys', 'rotate');
  assert.equal(rotated.code, 0, rotated.stderr);

  const keyFile = sha256(server.defaultKeyFile);
  const marker = path.join(server.dataDir, 'traces', 'ENCRYPTION');
  const markerText = fs.readFileSync(marker, 'utf8');
  assert.match(markerText, /^key_ids 1 2$/m);
  const inUse = await ctl(server, 'keys', 'retire', '1');
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /^spanvaultctl: key 1 still protects \d+ files/);
  const newer = await ctl(server, 'keys', 'retire', '2');
  assert.equal(newer.code, 1);
  assert.match(newer.stderr, /key 2 is the newest key/);
  const unknown = await ctl(server, 'keys', 'retire', '7');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /there is no key 7 \(keys in use: 1, 2\)/);
  const notANumber = await ctl(server, 'keys', 'retire', 'one');
  assert.notEqual(notANumber.code, 0);
  assert.equal(sha256(server.defaultKeyFile), keyFile, 'the key file changed');
  assert.equal(fs.readFileSync(marker, 'utf8'), markerText, 'the marker changed');
  await assertReadable(server, traces);
});

test('the documented procedure for keys from SPANVAULT_ENCRYPTION_KEY', async () => {
  const key1 = crypto.randomBytes(32).toString('base64');
  const key2 = crypto.randomBytes(32).toString('base64');
  const server = newServer('spanvault-rotation-env-procedure',
                           { env: { SPANVAULT_ENCRYPTION_KEY: key1 } });
  await server.start();
  const traces = [await ingest(server, 'grpc')];
  await server.stop();
  server.env = { SPANVAULT_ENCRYPTION_KEY: `1 ${key1}\n2 ${key2}` };
  await server.start(); // new files under key 2
  traces.push(await ingest(server, 'http/protobuf'));
  assert.ok(usageOf(await keyStatus(server), 1).files > 0, 'nothing left under key 1 to rewrite');
  const rewrite = await ctl(server, 'keys', 'rotate', '--rewrite-only', '--wait');
  assert.equal(rewrite.code, 0, rewrite.stderr);
  // The restart that brought key 2 wrote MANIFEST and CURRENT under it already.
  assert.match(rewrite.stdout, /^1 +0 +0 B +0$/m);
  assert.match(rewrite.stdout, /key 1 protects nothing: remove it from SPANVAULT_ENCRYPTION_KEY and restart/);
  const retire = await ctl(server, 'keys', 'retire', '1');
  assert.equal(retire.code, 1);
  assert.match(retire.stderr, /key 1 protects no file any more, but the keys come from SPANVAULT_ENCRYPTION_KEY, which spanvault cannot change: remove key 1's line/);
  await server.stop();
  server.env = { SPANVAULT_ENCRYPTION_KEY: `2 ${key2}` };
  await server.start();
  await assertReadable(server, traces);
  for (const [name, id] of Object.entries(headerKeyIds(server))) assert.equal(id, 2, name);
  assert.ok(!server.output().includes(key1) && !server.output().includes(key2), 'a key in the log');
});

test('keys from SPANVAULT_ENCRYPTION_KEY are rewritten, not added; encryption off has no keys', async () => {
  const key = crypto.randomBytes(32).toString('base64');
  const server = newServer('spanvault-rotation-env', { env: { SPANVAULT_ENCRYPTION_KEY: key } });
  await server.start();
  const rotate = await ctl(server, 'keys', 'rotate');
  assert.equal(rotate.code, 1);
  assert.match(rotate.stderr, /keys come from SPANVAULT_ENCRYPTION_KEY, which spanvault cannot change\. To rotate: .*id 2 .*keys rotate --rewrite-only/);
  const rewrite = await ctl(server, 'keys', 'rotate', '--rewrite-only', '--wait');
  assert.equal(rewrite.code, 0, rewrite.stderr);
  assert.doesNotMatch(rewrite.stdout, /added/);
  assert.match(rewrite.stdout, /^1 +yes +\d+ /m); // --wait ends with the status table
  assert.match(rewrite.stdout, /rewrite: idle/);
  const status = await keyStatus(server);
  assert.equal(status.can_add_keys, false);
  assert.equal(status.key_source, 'SPANVAULT_ENCRYPTION_KEY');
  assert.ok(!fs.existsSync(server.defaultKeyFile), 'a key file was created');
  await server.stop();

  const plain = newServer('spanvault-rotation-plain', { args: ['--testing-no-encryption'] });
  await plain.start();
  for (const args of [['rotate'], ['status'], ['retire', '1']]) {
    const r = await ctl(plain, 'keys', ...args);
    assert.equal(r.code, 1, `keys ${args.join(' ')}`);
    assert.match(r.stderr, /encryption at rest is switched off \(--testing-no-encryption\)/);
  }
});

'use strict';
// Helpers for the tail-sampling tests: config files, fixed trace ids, an independent copy of the
// Collector's probabilistic decision, the state of a trace as the query API shows it, /metrics
// samples, and spanvaultctl.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { request, getJson, qs } = require('./http');
const { waitFor } = require('./wait');
const { ctlPath } = require('./server');
const { assertJaegerTrace } = require('./expect');

// A fresh directory for a test file's config files; remove it with fs.rmSync in `after`.
function makeTempDir(prefix = 'spanvault-e2e-sampling-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Writes `yaml` to <dir>/<name> and returns the path (for --config).
function writeConfig(dir, name, yaml) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

// --- ids -------------------------------------------------------------------------------------

// A fixed, reproducible 32-hex-digit trace id: the first 16 bytes of sha256(`<label>/<n>`).
// (A plain counter in the id's last bytes would barely move an FNV hash's high bits, so the
// probabilistic policy would see correlated ids.)
function fixedTraceId(label, n) {
  return crypto.createHash('sha256').update(`${label}/${n}`).digest('hex').slice(0, 32);
}

// An IdGenerator for BasicTracerProvider: the next root span takes the trace id set with
// `next(traceId)`; span ids count up from `firstSpanId`, so a run is reproducible.
class FixedIdGenerator {
  constructor(firstSpanId = 1) {
    this.nextTraceId = null;
    this.spanCounter = BigInt(firstSpanId);
  }

  next(traceId) {
    this.nextTraceId = traceId;
  }

  generateTraceId() {
    assert.ok(this.nextTraceId, 'FixedIdGenerator: set the next trace id before starting a root span');
    const id = this.nextTraceId;
    this.nextTraceId = null;
    return id;
  }

  generateSpanId() {
    const id = this.spanCounter.toString(16).padStart(16, '0');
    this.spanCounter += 1n;
    return id;
  }
}

// --- the Collector's probabilistic policy, written independently -----------------------------

const MASK64 = (1n << 64n) - 1n;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;

function fnv1a64(bytes) {
  let h = FNV64_OFFSET;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV64_PRIME) & MASK64;
  }
  return h;
}

// floor((2^64 - 1) * ratio), with `ratio` taken as the exact value of its float64 (as Go's
// big.Float computes it in calculateThreshold).
function thresholdForRatio(ratio) {
  if (ratio <= 0) return 0n;
  if (ratio >= 1) return MASK64;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, ratio);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  if (exponent !== 0) mantissa |= 1n << 52n;
  const shift = BigInt(1075 - Math.max(exponent, 1)); // ratio = mantissa / 2^shift
  return (MASK64 * mantissa) >> shift;
}

// Whether the Collector's `probabilistic {sampling_percentage, hash_salt}` samples `traceIdHex`:
// FNV-1a 64 of the salt followed by the 16 trace id bytes, at most the threshold.
function probabilisticSamples(traceIdHex, percentage, salt = 'default-hash-seed') {
  const bytes = Buffer.concat([Buffer.from(salt, 'utf8'), Buffer.from(traceIdHex, 'hex')]);
  return fnv1a64(bytes) <= thresholdForRatio(percentage / 100);
}

// --- what the query API shows ----------------------------------------------------------------

// The state of a trace through GET /api/traces/{id}: {state: 'absent'} (404), {state:
// 'pending', trace} (returned with the "not decided yet" warning) or {state: 'decided', trace}.
async function traceState(server, traceId) {
  const res = await request(`${server.queryUrl}/api/traces/${traceId}`);
  if (res.status === 404) return { state: 'absent' };
  assert.equal(res.status, 200, `GET /api/traces/${traceId}: ${res.status} ${res.text.slice(0, 500)}`);
  const body = res.json();
  assert.equal(body.data.length, 1, `GET /api/traces/${traceId}: one trace`);
  const trace = body.data[0];
  const warnings = trace.warnings || [];
  if (warnings.length > 0) {
    assert.equal(warnings.length, 1, `trace ${traceId}: warnings ${JSON.stringify(warnings)}`);
    assert.match(warnings[0], /waiting for its tail-sampling decision/,
                 `trace ${traceId}: the pending warning`);
    return { state: 'pending', trace };
  }
  return { state: 'decided', trace };
}

// The root span (no CHILD_OF reference) of a classic Jaeger trace.
function rootSpanOf(trace) {
  const roots = trace.spans.filter((s) => !(s.references || []).some((r) => r.refType === 'CHILD_OF'));
  assert.equal(roots.length, 1, `trace ${trace.traceID}: one root span, got ${roots.length}`);
  return roots[0];
}

// The value of tag `key` on `span`, or undefined; the tag must appear at most once.
function tagValue(span, key) {
  const tags = (span.tags || []).filter((t) => t.key === key);
  assert.ok(tags.length <= 1, `span ${span.spanID}: tag ${key} appears ${tags.length} times`);
  return tags.length ? tags[0].value : undefined;
}

// The span ids of a classic Jaeger trace, sorted.
function spanIdsOf(trace) {
  return trace.spans.map((s) => s.spanID).sort();
}

// Asserts that `trace` (classic Jaeger JSON) holds exactly the ReadableSpans `spans`, field by
// field, and that its root span (and only it) carries `sampling.policy` = `policy`.
function assertKeptTrace(trace, spans, policy, { where = 'kept trace' } = {}) {
  const root = rootSpanOf(trace);
  assert.equal(tagValue(root, 'sampling.policy'), policy, `${where}: sampling.policy on the root span`);
  for (const s of trace.spans) {
    if (s !== root) {
      assert.equal(tagValue(s, 'sampling.policy'), undefined, `${where}: sampling.policy on non-root span ${s.spanID}`);
    }
  }
  // Everything else is exactly what was sent.
  const stripped = {
    ...trace,
    spans: trace.spans.map((s) => (s === root
      ? { ...s, tags: s.tags.filter((t) => t.key !== 'sampling.policy') } : s)),
  };
  assertJaegerTrace(stripped, spans, { where });
}

const iso = (ns) => new Date(Number(ns / 1000000n)).toISOString();

// Trace summaries (api_v3) of `service` whose start is in [fromNs, toNs], by trace id, plus
// optional attribute filters ({order_id: 'W-1'}).
async function summariesById(server, service, fromNs, toNs, attributes) {
  const params = [
    ['query.serviceName', service], ['query.startTimeMin', iso(fromNs)],
    ['query.startTimeMax', iso(toNs)], ['query.searchDepth', '1500'],
  ];
  if (attributes) params.push(['query.attributes', JSON.stringify(attributes)]);
  const body = await getJson(`${server.queryUrl}/api/v3/trace-summaries?${qs(params)}`);
  return new Map(body.summaries.map((s) => [s.traceId, s]));
}

// Trace ids the classic search finds for `service` with tag `key:value` in [fromNs, toNs].
async function classicSearchIds(server, service, fromNs, toNs, tag) {
  const params = [
    ['service', service], ['start', (fromNs / 1000n).toString()],
    ['end', (toNs / 1000n).toString()], ['limit', '1500'],
  ];
  if (tag) params.push(['tag', tag]);
  const body = await getJson(`${server.queryUrl}/api/traces?${qs(params)}`);
  return body.data.map((d) => d.traceID);
}

// --- /metrics --------------------------------------------------------------------------------

// The samples of /metrics as [{name, labels: {..}, value}].
async function metricSamples(server) {
  const res = await request(`${server.adminUrl}/metrics`);
  assert.equal(res.status, 200, `/metrics: ${res.status}`);
  const samples = [];
  for (const line of res.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed /metrics line: ${line}`);
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
    let l;
    while ((l = re.exec(m[2] || '')) !== null) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

// The samples named `name` whose labels include `labels`.
function selectSamples(samples, name, labels = {}) {
  return samples.filter((s) => s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

// The sum of the samples named `name` whose labels include `labels` (0 when there is none).
function metricSum(samples, name, labels = {}) {
  return selectSamples(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}

// spanvault_sampling_traces_total as {"kept/errors": n, "dropped/": n, ...}.
function decisionCounts(samples) {
  const out = {};
  for (const s of selectSamples(samples, 'spanvault_sampling_traces_total')) {
    if (s.value !== 0) out[`${s.labels.decision}/${s.labels.policy}`] = s.value;
  }
  return out;
}

async function pendingTraces(server) {
  const samples = await metricSamples(server);
  const gauge = selectSamples(samples, 'spanvault_sampling_pending_traces');
  assert.equal(gauge.length, 1, 'one spanvault_sampling_pending_traces sample');
  return gauge[0].value;
}

// Polls /metrics until `decided` traces have been decided in all (kept + dropped) and none is
// pending; returns the samples.
async function waitForDecisions(server, decided, { timeoutMs = 60000 } = {}) {
  return waitFor(async () => {
    const samples = await metricSamples(server);
    const total = metricSum(samples, 'spanvault_sampling_traces_total');
    const pending = metricSum(samples, 'spanvault_sampling_pending_traces');
    if (total === decided && pending === 0) return samples;
    // Thrown, so that a timeout reports the last state.
    throw new Error(`${total} of ${decided} traces decided, ${pending} pending`);
  }, { timeoutMs, intervalMs: 100, what: `${decided} sampling decisions and nothing pending` });
}

// --- spanvaultctl ----------------------------------------------------------------------------

// Runs `spanvaultctl --server <admin grpc> ...args`; resolves {code, stdout, stderr}.
function ctl(server, ...args) {
  return new Promise((resolve) => {
    execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
             { timeout: 30000, env: server.ctlEnv() },
             (err, stdout, stderr) => {
               const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
               resolve({ code, stdout, stderr, signal: err && err.signal });
             });
  });
}

// `spanvaultctl sampling list --json`, parsed.
async function listRules(server) {
  const r = await ctl(server, 'sampling', 'list', '--json');
  assert.equal(r.code, 0, `sampling list --json: exit ${r.code}, stderr ${r.stderr}`);
  return JSON.parse(r.stdout);
}

module.exports = {
  makeTempDir,
  writeConfig,
  fixedTraceId,
  FixedIdGenerator,
  fnv1a64,
  thresholdForRatio,
  probabilisticSamples,
  traceState,
  rootSpanOf,
  tagValue,
  spanIdsOf,
  assertKeptTrace,
  summariesById,
  classicSearchIds,
  metricSamples,
  selectSamples,
  metricSum,
  decisionCounts,
  pendingTraces,
  waitForDecisions,
  ctl,
  listRules,
  iso,
};

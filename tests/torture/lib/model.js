'use strict';
// What the torture sends and what it knows about it: a seeded PRNG, the traces (each of a kind
// whose sampling outcome is known in advance), the OTLP requests built from them, and the
// client's log of every request with its outcome (acknowledged or unknown).

const crypto = require('node:crypto');
const fs = require('node:fs');
const e2e = require('./e2e');

const proto = e2e.require('./lib/otlp_proto');

// --- a seeded PRNG (mulberry32): the same seed gives the same schedule and the same traces ----

class Rng {
  // `seed` and `stream` (a name) pick an independent sequence.
  constructor(seed, stream) {
    this.state = crypto.createHash('sha256').update(`${seed}/${stream}`).digest().readUInt32LE(0);
  }

  // A float in [0, 1).
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  // An integer in [lo, hi].
  int(lo, hi) { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p) { return this.next() < p; }
  pick(list) { return list[Math.floor(this.next() * list.length)]; }

  // `n` random bytes as hex, never all zeros (OTLP refuses all-zero ids).
  hex(n) {
    for (;;) {
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i++) bytes[i] = this.int(0, 255);
      if (bytes.some((b) => b !== 0)) return bytes.toString('hex');
    }
  }

  shuffle(list) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  }
}

// --- trace kinds and their sampling outcome ---------------------------------------------------

// Every span of a trace carries what decides it, so any subset of its spans (a kill may leave
// only some stored) gets the same decision: `keep` (attribute torture.keep=yes), `error`
// (status ERROR) are kept by the policies of SAMPLING_YAML; `drop` is dropped.
const KINDS = [
  { kind: 'keep', policy: 'keep-attribute', weight: 3 },
  { kind: 'error', policy: 'errors', weight: 2 },
  { kind: 'drop', policy: null, weight: 5 },
];

function samplingYaml(decisionWait) {
  return `indexed_attributes: [torture.trace]
sampling:
  decision_wait: ${decisionWait}
  decision_quiet: 500ms
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
    - {name: keep-attribute, type: string_attribute, string_attribute: {key: torture.keep, values: ["yes"]}}
`;
}

function pickKind(rng) {
  const total = KINDS.reduce((s, k) => s + k.weight, 0);
  let r = rng.next() * total;
  for (const k of KINDS) {
    if ((r -= k.weight) < 0) return k;
  }
  return KINDS[KINDS.length - 1];
}

const NS_PER_MS = 1000000n;
const HOUR_MS = 3600 * 1000;

// A new trace of `client`: 2 to 10 spans, a root and children of earlier spans, sent in an
// order that puts the root first most of the time. One in five starts just before an hour
// boundary so that its spans fall into two time buckets (--retention 7h: one-hour buckets).
function newTrace(rng, client, nowMs) {
  const k = pickKind(rng);
  const traceId = rng.hex(16);
  const n = rng.int(2, 10);
  let baseMs = nowMs - rng.int(0, 5000);
  if (rng.chance(0.2)) baseMs = Math.floor((nowMs - 10000) / HOUR_MS) * HOUR_MS - rng.int(1, 1500);
  const base = BigInt(baseMs) * NS_PER_MS + BigInt(rng.int(0, 999999));
  const spans = [];
  for (let j = 0; j < n; j++) {
    const start = base + BigInt(j * 300) * NS_PER_MS;
    spans.push({
      traceId,
      spanId: rng.hex(8),
      parentId: j === 0 ? '' : spans[rng.int(0, j - 1)].spanId,
      name: j === 0 ? 'torture-root' : `torture-op-${j % 4}`,
      seq: j,
      startNs: start,
      endNs: start + BigInt(rng.int(1, 250)) * NS_PER_MS,
    });
  }
  const order = spans.slice(1);
  rng.shuffle(order);
  order.splice(rng.chance(0.7) ? 0 : rng.int(0, order.length), 0, spans[0]);
  return { traceId, client, service: `torture-client-${client}`, kind: k.kind, policy: k.policy, spans, order, sent: 0 };
}

// --- OTLP requests ----------------------------------------------------------------------------

const STATUS_ERROR = 2;
const KIND_SERVER = 2;
const KIND_INTERNAL = 1;

function otlpSpan(trace, s) {
  const attributes = [
    { key: 'torture.trace', value: { stringValue: trace.traceId } },
    { key: 'torture.seq', value: { intValue: s.seq } },
  ];
  if (trace.kind !== 'error') {
    attributes.push({ key: 'torture.keep', value: { stringValue: trace.kind === 'keep' ? 'yes' : 'no' } });
  }
  return {
    traceId: Buffer.from(s.traceId, 'hex'),
    spanId: Buffer.from(s.spanId, 'hex'),
    parentSpanId: s.parentId ? Buffer.from(s.parentId, 'hex') : Buffer.alloc(0),
    name: s.name,
    kind: s.parentId ? KIND_INTERNAL : KIND_SERVER,
    startTimeUnixNano: s.startNs.toString(),
    endTimeUnixNano: s.endNs.toString(),
    attributes,
    status: trace.kind === 'error' ? { code: STATUS_ERROR, message: 'torture error' } : {},
  };
}

// The protobuf ExportTraceServiceRequest of `spans` ([{trace, span}]), one ResourceSpans per
// service. The same spans always encode to the same bytes (a retry resends what was sent).
function encodeSpans(spans) {
  const byService = new Map();
  for (const { trace, span } of spans) {
    if (!byService.has(trace.service)) byService.set(trace.service, []);
    byService.get(trace.service).push(otlpSpan(trace, span));
  }
  return proto.encodeRequest({
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'spanvault-torture', version: '1' }, spans: list }],
    })),
  });
}

// --- the client's log --------------------------------------------------------------------------

// Every trace and request sent, and per span whether an acknowledged request carried it. Also
// written as JSON lines to `logFile` (ids only, no span contents), for a failure's post-mortem.
class Ledger {
  constructor(logFile) {
    this.traces = new Map();  // trace id → trace
    this.requests = [];       // every request, by id
    this.ackedSpans = new Map();  // "trace/span" → iteration of the first acknowledgement
    this.sentSpans = new Set();   // "trace/span" of every span sent at least once
    this.touched = new Set();     // trace ids sent to since the last takeTouched()
    this.logFd = fs.openSync(logFile, 'w');
  }

  addTrace(trace) { this.traces.set(trace.traceId, trace); }

  // A new request of `spans` ([{trace, span}]).
  newRequest(client, spans) {
    const request = { id: this.requests.length, client, spans, outcomes: [], acked: false };
    this.requests.push(request);
    return request;
  }

  // Records one attempt: 'acked' or 'unknown' (with a short reason, never span contents).
  settle(request, iteration, transport, outcome, reason) {
    request.outcomes.push({ iteration, transport, outcome, reason });
    for (const { trace, span } of request.spans) {
      this.sentSpans.add(`${trace.traceId}/${span.spanId}`);
      this.touched.add(trace.traceId);
    }
    if (outcome === 'acked' && !request.acked) {
      request.acked = true;
      for (const { trace, span } of request.spans) {
        const key = `${trace.traceId}/${span.spanId}`;
        if (!this.ackedSpans.has(key)) this.ackedSpans.set(key, iteration);
      }
    }
    fs.writeSync(this.logFd, `${JSON.stringify({
      request: request.id, client: request.client, iteration, transport, outcome, reason,
      attempt: request.outcomes.length,
      spans: request.spans.map(({ trace, span }) => `${trace.traceId}/${span.spanId}`),
    })}\n`);
  }

  wasSent(traceId, spanId) { return this.sentSpans.has(`${traceId}/${spanId}`); }

  // The traces sent to since the previous call.
  takeTouched() {
    const out = [...this.touched].map((id) => this.traces.get(id));
    this.touched = new Set();
    return out;
  }

  // Every trace with at least one span sent.
  sentTraces() { return [...this.traces.values()].filter((t) => t.sent > 0); }

  isAcked(traceId, spanId) { return this.ackedSpans.has(`${traceId}/${spanId}`); }
  ackedIteration(traceId, spanId) { return this.ackedSpans.get(`${traceId}/${spanId}`); }

  // Requests with no acknowledged attempt.
  unknownRequests() { return this.requests.filter((r) => !r.acked && r.outcomes.length > 0); }

  close() { fs.closeSync(this.logFd); }
}

module.exports = { Rng, KINDS, samplingYaml, newTrace, encodeSpans, Ledger };

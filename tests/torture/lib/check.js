'use strict';
// The invariants, read back through the Jaeger HTTP API of the running server:
//   - every acknowledged span of a trace the policies keep is readable (pending or decided),
//     exactly once, as it was sent; nothing is readable that was never sent;
//   - a decided kept trace carries sampling.policy (the policy that keeps its kind) on exactly
//     one span, and its summary counts each stored span once;
//   - a trace the policies drop is never readable as decided, and at the end it is gone.
// Each problem names the trace, the span, the iteration that acknowledged it and what is wrong.

const e2e = require('./e2e');

const { request, getJson, qs } = e2e.require('./lib/http');
const { jaegerTraceId } = e2e.require('./lib/expect');

const PENDING_WARNING = /waiting for its tail-sampling decision/;

// The trace as GET /api/traces/{id} shows it: {state: 'absent'} (404), or {state: 'pending' |
// 'decided', spans}. Throws for any other answer.
async function readTrace(server, traceId) {
  const res = await request(`${server.queryOrigin}/api/traces/${traceId}`);
  if (res.status === 404) return { state: 'absent', spans: [] };
  if (res.status !== 200) throw new Error(`GET /api/traces/${traceId}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  const data = res.json().data;
  if (data.length !== 1) throw new Error(`GET /api/traces/${traceId}: ${data.length} traces`);
  const warnings = data[0].warnings || [];
  const pending = warnings.some((w) => PENDING_WARNING.test(w));
  return { state: pending ? 'pending' : 'decided', spans: data[0].spans };
}

// The v3 summaries of the trace, found by its indexed torture.trace attribute.
async function summariesOf(server, trace) {
  const starts = trace.spans.map((s) => s.startNs);
  const min = starts.reduce((a, b) => (a < b ? a : b)) - 60000000000n;
  const max = starts.reduce((a, b) => (a > b ? a : b)) + 60000000000n;
  const iso = (ns) => new Date(Number(ns / 1000000n)).toISOString();
  const body = await getJson(`${server.queryOrigin}/api/v3/trace-summaries?${qs([
    ['query.serviceName', trace.service], ['query.attributes', JSON.stringify({ 'torture.trace': trace.traceId })],
    ['query.startTimeMin', iso(min)], ['query.startTimeMax', iso(max)], ['query.searchDepth', '20']])}`);
  return body.summaries.filter((s) => s.traceId === trace.traceId);
}

const tagOf = (span, key) => (span.tags || []).filter((t) => t.key === key);

function parentOf(span) {
  const refs = (span.references || []).filter((r) => r.refType === 'CHILD_OF');
  return refs.length ? refs[0].spanID : '';
}

// Problems of one trace as read (`read`); `final`: everything is decided and quiet.
function judge(ledger, trace, read, final) {
  const problems = [];
  const add = (type, spanId, detail) => problems.push({
    type, traceId: trace.traceId, spanId, kind: trace.kind,
    ackedIn: spanId ? ledger.ackedIteration(trace.traceId, spanId) : undefined, detail,
  });
  const model = new Map(trace.spans.map((s) => [s.spanId, s]));
  const seen = new Map();
  for (const span of read.spans) {
    seen.set(span.spanID, (seen.get(span.spanID) || 0) + 1);
    const sent = model.get(span.spanID);
    if (!sent || !ledger.wasSent(trace.traceId, span.spanID)) {
      add('unexpected', span.spanID, 'a span that was never sent');
    } else if (span.operationName !== sent.name || parentOf(span) !== sent.parentId) {
      add('corrupted', span.spanID, `read back as "${span.operationName}" under "${parentOf(span)}"`);
    }
  }
  for (const [spanId, n] of seen) if (n > 1) add('duplicated', spanId, `read ${n} times`);
  const kept = trace.policy !== null;
  if (!kept) {
    // A drop may be under way while a pending trace is read, so only its end is judged.
    if (read.state === 'decided') add('visible-dropped', null, `${read.spans.length} spans readable, no pending warning`);
    else if (final && read.state !== 'absent') add('state', null, `still ${read.state} at the end`);
    return problems;
  }
  for (const s of trace.spans) {
    if (ledger.isAcked(trace.traceId, s.spanId) && !seen.has(s.spanId)) {
      add('lost', s.spanId, `acknowledged, trace ${read.state}`);
    }
  }
  if (final && read.state === 'pending') add('state', null, 'still pending at the end');
  if (read.state === 'decided') {
    const tagged = read.spans.filter((s) => tagOf(s, 'sampling.policy').length > 0);
    const values = tagged.flatMap((s) => tagOf(s, 'sampling.policy').map((t) => t.value));
    if (values.length !== 1 || values[0] !== trace.policy) {
      add('policy-tag', null, `sampling.policy values ${JSON.stringify(values)}, want ["${trace.policy}"]`);
    }
  }
  return problems;
}

// The summary check of a decided kept trace: one summary, counting each stored span once.
async function judgeSummary(server, trace, read) {
  const summaries = await summariesOf(server, trace);
  const stored = new Set(read.spans.map((s) => s.spanID)).size;
  if (trace.policy === null) {
    return summaries.length === 0 ? [] : [{ type: 'visible-dropped', traceId: trace.traceId, kind: trace.kind, detail: 'found by search' }];
  }
  if (summaries.length === 1 && summaries[0].spanCount === stored) return [];
  const counts = summaries.map((s) => s.spanCount);
  const extra = counts.length === 1 && counts[0] > stored;
  return [{ type: extra ? 'duplicated' : 'summary', traceId: trace.traceId, kind: trace.kind,
            detail: `${summaries.length} summaries with spanCount ${JSON.stringify(counts)}, ${stored} spans stored` }];
}

// Runs `fn` over `items`, `width` at a time.
async function pool(items, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

// Checks `traces`; resolves with the problems. `final`: every trace must be decided; a decided
// trace's summary is checked (only while no load runs: a late span between the two reads would
// make the counts differ).
async function checkTraces(server, ledger, traces, { final = false, summaries = true } = {}) {
  const problems = [];
  const states = { absent: 0, pending: 0, decided: 0, unknownStored: 0 };
  await pool(traces, 8, async (trace) => {
    let read;
    try {
      read = await readTrace(server, jaegerTraceId(trace.traceId));
    } catch (e) {
      problems.push({ type: 'read-error', traceId: trace.traceId, kind: trace.kind, detail: e.message });
      return;
    }
    states[read.state]++;
    states.unknownStored += read.spans.filter((s) => !ledger.isAcked(trace.traceId, s.spanID)).length;
    problems.push(...judge(ledger, trace, read, final));
    if (summaries && (read.state === 'decided' || (final && trace.policy === null))) {
      try {
        problems.push(...await judgeSummary(server, trace, read));
      } catch (e) {
        problems.push({ type: 'read-error', traceId: trace.traceId, kind: trace.kind, detail: e.message });
      }
    }
  });
  return { problems, states };
}

module.exports = { checkTraces, readTrace };

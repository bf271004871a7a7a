'use strict';
// What the query APIs must return for spans that were sent, derived independently from the
// OpenTelemetry ReadableSpans (the OTLP → Jaeger mapping of reference/jaeger-query-api.md §1.3
// and §2, and the OTLP/JSON encoding of the api_v3 gateway, §1.4).

const assert = require('node:assert/strict');
const { hrToNs } = require('./otel');

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const KIND_NAMES = ['internal', 'server', 'client', 'producer', 'consumer']; // by api.SpanKind
const STATUS_NAMES = [null, 'OK', 'ERROR'];                                    // by api.SpanStatusCode

// Jaeger prints a trace id with 16 digits when its high half is zero.
function jaegerTraceId(hex) {
  return hex.startsWith('0000000000000000') ? hex.slice(16) : hex;
}

// --- classic Jaeger JSON ---------------------------------------------------------------------

// An attribute value as a Jaeger KeyValue {type, value}.
function jaegerValue(v) {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return { type: 'int64', value: Math.abs(v) > MAX_SAFE ? String(v) : v };
    return { type: 'float64', value: v };
  }
  if (Array.isArray(v)) return { type: 'string', value: JSON.stringify(v) };
  throw new Error(`no Jaeger mapping for ${typeof v}`);
}

function jaegerTagsFromAttributes(attributes) {
  return Object.entries(attributes || {}).map(([key, v]) => ({ key, ...jaegerValue(v) }));
}

// The tags Jaeger shows for `span`, in the translator's order.
function expectedJaegerTags(span) {
  const tags = [];
  const scope = span.instrumentationScope;
  if (scope.name) tags.push({ key: 'otel.scope.name', type: 'string', value: scope.name });
  if (scope.version) tags.push({ key: 'otel.scope.version', type: 'string', value: scope.version });
  tags.push(...jaegerTagsFromAttributes(span.attributes));
  tags.push({ key: 'span.kind', type: 'string', value: KIND_NAMES[span.kind] });
  const status = STATUS_NAMES[span.status.code];
  if (status) tags.push({ key: 'otel.status_code', type: 'string', value: status });
  if (status === 'ERROR') tags.push({ key: 'error', type: 'bool', value: true });
  if (span.status.message) {
    tags.push({ key: 'otel.status_description', type: 'string', value: span.status.message });
  }
  return tags;
}

function expectedReferences(span) {
  const traceId = span.spanContext().traceId;
  const refs = [];
  const parent = span.parentSpanContext && span.parentSpanContext.spanId;
  if (parent) refs.push({ refType: 'CHILD_OF', traceID: jaegerTraceId(traceId), spanID: parent });
  for (const link of span.links) {
    const type = link.attributes && link.attributes['opentracing.ref_type'] === 'child_of'
        ? 'CHILD_OF' : 'FOLLOWS_FROM';
    if (parent && link.context.traceId === traceId && link.context.spanId === parent) {
      refs[0].refType = type;
      continue;
    }
    refs.push({ refType: type, traceID: jaegerTraceId(link.context.traceId), spanID: link.context.spanId });
  }
  return refs;
}

function expectedLogs(span) {
  return span.events.map((e) => {
    const fields = [];
    if (!(e.attributes && 'event' in e.attributes)) {
      fields.push({ key: 'event', type: 'string', value: e.name });
    }
    fields.push(...jaegerTagsFromAttributes(e.attributes));
    return { timestamp: Number(hrToNs(e.time) / 1000n), fields };
  });
}

function tagMap(tags, where) {
  assert.ok(Array.isArray(tags), `${where}: tags must be an array, got ${JSON.stringify(tags)}`);
  const map = new Map();
  for (const t of tags) {
    assert.ok(!map.has(t.key), `${where}: duplicate tag ${t.key}`);
    map.set(t.key, t);
  }
  return map;
}

// Compares tag lists as maps (exactly the same keys, each with the same type and value).
function assertSameTags(actual, expected, where) {
  const a = tagMap(actual, where);
  const e = tagMap(expected, `${where} (expected)`);
  assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort(), `${where}: tag keys`);
  for (const [key, want] of e) {
    assert.deepEqual(a.get(key), want, `${where}: tag ${key}`);
  }
}

// Asserts that `trace` (one element of the classic API's `data`) holds exactly `spans`.
function assertJaegerTrace(trace, spans, { where = 'trace' } = {}) {
  const traceId = spans[0].spanContext().traceId;
  assert.equal(trace.traceID, jaegerTraceId(traceId), `${where}: traceID`);
  assert.ok(Array.isArray(trace.spans), `${where}: spans must be an array`);
  const got = new Map();
  for (const s of trace.spans) {
    assert.ok(!got.has(s.spanID), `${where}: span ${s.spanID} appears more than once`);
    got.set(s.spanID, s);
  }
  assert.deepEqual([...got.keys()].sort(), spans.map((s) => s.spanContext().spanId).sort(),
                   `${where}: span ids`);
  // Spans come sorted by start time.
  const starts = trace.spans.map((s) => s.startTime);
  assert.deepEqual(starts, [...starts].sort((x, y) => x - y), `${where}: spans sorted by startTime`);

  assert.equal(typeof trace.processes, 'object', `${where}: processes`);
  const processKeys = Object.keys(trace.processes);
  processKeys.forEach((k, i) => assert.equal(k, `p${i + 1}`, `${where}: process keys are p1, p2, ...`));

  const processOf = new Map(); // resource (by object identity) → processID
  for (const span of spans) {
    const id = span.spanContext().spanId;
    const w = `${where}: span ${span.name} (${id})`;
    const s = got.get(id);
    assert.equal(s.traceID, jaegerTraceId(traceId), `${w}: traceID`);
    assert.equal(s.operationName, span.name, `${w}: operationName`);
    assert.deepEqual(s.references, expectedReferences(span), `${w}: references`);
    const startNs = hrToNs(span.startTime);
    const endNs = hrToNs(span.endTime);
    assert.equal(s.startTime, Number(startNs / 1000n), `${w}: startTime (µs)`);
    assert.equal(s.duration, Number((endNs - startNs) / 1000n), `${w}: duration (µs)`);
    assert.equal(s.flags, (span.spanContext().traceFlags & 1) ? 1 : undefined, `${w}: flags`);
    const expectedTags = expectedJaegerTags(span);
    assertSameTags(s.tags, expectedTags, w);
    // Scope tags come first, as the translator writes them.
    const scopeTags = expectedTags.filter((t) => t.key.startsWith('otel.scope.'));
    assert.deepEqual(s.tags.slice(0, scopeTags.length).map((t) => t.key),
                     scopeTags.map((t) => t.key), `${w}: scope tags first`);
    const wantLogs = expectedLogs(span);
    assert.equal(s.logs.length, wantLogs.length, `${w}: number of logs`);
    wantLogs.forEach((log, i) => {
      assert.equal(s.logs[i].timestamp, log.timestamp, `${w}: logs[${i}].timestamp`);
      assert.deepEqual(s.logs[i].fields[0], log.fields[0], `${w}: logs[${i}] first field`);
      assertSameTags(s.logs[i].fields, log.fields, `${w}: logs[${i}].fields`);
    });
    // Process: service name and resource attributes (without service.name).
    const proc = trace.processes[s.processID];
    assert.ok(proc, `${w}: processID ${s.processID} is not in processes`);
    const resourceAttrs = { ...span.resource.attributes };
    assert.equal(proc.serviceName, resourceAttrs['service.name'], `${w}: process serviceName`);
    delete resourceAttrs['service.name'];
    assertSameTags(proc.tags, jaegerTagsFromAttributes(resourceAttrs), `${w}: process tags`);
    // Spans of one resource share one process; different resources get different ones.
    if (processOf.has(span.resource)) {
      assert.equal(s.processID, processOf.get(span.resource), `${w}: same resource, same process`);
    } else {
      assert.ok(![...processOf.values()].includes(s.processID), `${w}: distinct resource, distinct process`);
      processOf.set(span.resource, s.processID);
    }
  }
  assert.equal(processKeys.length, processOf.size, `${where}: one process per resource`);
}

// --- OTLP/JSON (api_v3) ----------------------------------------------------------------------

// An attribute value in OTLP/JSON as the v3 gateway writes it (int64 as decimal strings).
function otlpValue(v) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(otlpValue) } };
  throw new Error(`no OTLP mapping for ${typeof v}`);
}

function assertOtlpAttributes(actual, expectedAttrs, where) {
  const list = actual === undefined ? [] : actual;
  assert.ok(Array.isArray(list), `${where}: attributes must be an array`);
  const got = {};
  for (const kv of list) {
    assert.ok(!(kv.key in got), `${where}: duplicate attribute ${kv.key}`);
    got[kv.key] = kv.value;
  }
  const want = {};
  for (const [k, v] of Object.entries(expectedAttrs || {})) want[k] = otlpValue(v);
  assert.deepEqual(got, want, `${where}: attributes`);
}

const isHex = (s, n) => typeof s === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(s);

// Asserts that `result` (the `result` of GET /api/v3/traces/{id}) holds exactly `spans`.
function assertOtlpTrace(result, spans, { where = 'v3 trace' } = {}) {
  assert.ok(Array.isArray(result.resourceSpans), `${where}: resourceSpans must be an array`);
  const found = new Map(); // spanId → { span, resource, scope }
  for (const rs of result.resourceSpans) {
    for (const ss of rs.scopeSpans || []) {
      for (const sp of ss.spans || []) {
        assert.ok(!found.has(sp.spanId), `${where}: span ${sp.spanId} appears more than once`);
        found.set(sp.spanId, { sp, resource: rs.resource || {}, scope: ss.scope || {} });
      }
    }
  }
  assert.deepEqual([...found.keys()].sort(), spans.map((s) => s.spanContext().spanId).sort(),
                   `${where}: span ids (lowercase hex)`);
  for (const span of spans) {
    const ctx = span.spanContext();
    const w = `${where}: span ${span.name} (${ctx.spanId})`;
    const { sp, resource, scope } = found.get(ctx.spanId);
    assert.ok(isHex(sp.traceId, 32), `${w}: traceId is 32 lowercase hex digits: ${sp.traceId}`);
    assert.equal(sp.traceId, ctx.traceId, `${w}: traceId`);
    assert.ok(isHex(sp.spanId, 16), `${w}: spanId is 16 lowercase hex digits`);
    const parent = span.parentSpanContext && span.parentSpanContext.spanId;
    if (parent) {
      assert.equal(sp.parentSpanId, parent, `${w}: parentSpanId`);
    } else {
      assert.ok(sp.parentSpanId === undefined || sp.parentSpanId === '', `${w}: no parentSpanId, got ${sp.parentSpanId}`);
    }
    assert.equal(sp.name, span.name, `${w}: name`);
    assert.equal(sp.kind, span.kind + 1, `${w}: kind (OTLP enum as an integer)`);
    assert.equal(sp.startTimeUnixNano, hrToNs(span.startTime).toString(), `${w}: startTimeUnixNano (decimal string)`);
    assert.equal(sp.endTimeUnixNano, hrToNs(span.endTime).toString(), `${w}: endTimeUnixNano (decimal string)`);
    assertOtlpAttributes(sp.attributes, span.attributes, w);
    // Status: code as an integer, omitted when UNSET; message when set.
    const status = sp.status || {};
    assert.equal(status.code || 0, span.status.code, `${w}: status.code`);
    assert.equal(status.message || '', span.status.message || '', `${w}: status.message`);
    if (span.status.code !== 0) assert.equal(typeof status.code, 'number', `${w}: status.code is a number`);
    const events = sp.events || [];
    assert.equal(events.length, span.events.length, `${w}: number of events`);
    span.events.forEach((e, i) => {
      assert.equal(events[i].name, e.name, `${w}: events[${i}].name`);
      assert.equal(events[i].timeUnixNano, hrToNs(e.time).toString(), `${w}: events[${i}].timeUnixNano`);
      assertOtlpAttributes(events[i].attributes, e.attributes, `${w}: events[${i}]`);
    });
    const links = sp.links || [];
    assert.equal(links.length, span.links.length, `${w}: number of links`);
    span.links.forEach((l, i) => {
      assert.equal(links[i].traceId, l.context.traceId, `${w}: links[${i}].traceId`);
      assert.equal(links[i].spanId, l.context.spanId, `${w}: links[${i}].spanId`);
      assertOtlpAttributes(links[i].attributes, l.attributes, `${w}: links[${i}]`);
    });
    assertOtlpAttributes(resource.attributes, span.resource.attributes, `${w}: resource`);
    assert.equal(scope.name, span.instrumentationScope.name, `${w}: scope.name`);
    assert.equal(scope.version, span.instrumentationScope.version, `${w}: scope.version`);
  }
}

module.exports = {
  jaegerTraceId,
  expectedJaegerTags,
  assertJaegerTrace,
  assertOtlpTrace,
  isHex,
  KIND_NAMES,
};

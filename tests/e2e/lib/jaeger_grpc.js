'use strict';
// Calling spanvault's Jaeger gRPC APIs with @grpc/grpc-js on the protos of this repository
// (proto/), and putting their answers in the shapes of the HTTP API's, to compare them: the
// api_v2 model as the UI JSON writes it, OTLP spans in a comparable, sorted form.

const assert = require('node:assert/strict');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.join(__dirname, '..', '..', '..', 'proto');
const LOADER_OPTIONS = {
  includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true,
  oneofs: true,
};

// The package tree of `files` (paths under proto/).
function loadProtos(files) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(files, LOADER_OPTIONS));
}

function basic(username, password) {
  const md = new grpc.Metadata();
  md.set('authorization', `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  return md;
}

// Callers of unary and server-streaming RPCs; `defaultMetadata()` gives the metadata of calls
// that pass none.
function rpcs(defaultMetadata) {
  function unary(client, method, req, md = defaultMetadata()) {
    return new Promise((resolve, reject) => {
      client[method](req, md, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
  function stream(client, method, req, md = defaultMetadata()) {
    return new Promise((resolve, reject) => {
      const messages = [];
      const call = client[method](req, md);
      call.on('data', (m) => messages.push(m));
      call.on('error', reject);
      call.on('end', () => resolve(messages));
    });
  }
  // Either kind of RPC; resolves with the response or the list of streamed messages.
  function call(client, method, req, md) {
    const streaming = client.constructor.service[method].responseStream;
    return streaming ? stream(client, method, req, md) : unary(client, method, req, md);
  }
  return { unary, stream, call };
}

async function rejected(promise, code, messagePattern) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `want ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    if (messagePattern) assert.match(err.details, messagePattern);
    return true;
  });
}

const ts = (ns) => ({ seconds: String(ns / 1000000000n), nanos: Number(ns % 1000000000n) });
const hex = (buf) => Buffer.from(buf).toString('hex');
const idBytes = (traceId) => Buffer.from(traceId, 'hex');

// An api_v2 KeyValue as the UI JSON writes it ({key, type, value}).
function uiKeyValue(kv) {
  const type = kv.v_type.toLowerCase();
  switch (kv.v_type) {
    case 'BOOL': return { key: kv.key, type, value: kv.v_bool };
    case 'INT64': {
      const n = BigInt(kv.v_int64);
      const safe = n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER);
      return { key: kv.key, type, value: safe ? Number(n) : kv.v_int64 };
    }
    case 'FLOAT64': return { key: kv.key, type, value: kv.v_float64 };
    case 'BINARY': return { key: kv.key, type, value: Buffer.from(kv.v_binary).toString('base64') };
    default: return { key: kv.key, type: 'string', value: kv.v_str };
  }
}

const micros = (t) => Number(BigInt(t.seconds) * 1000000n + BigInt(t.nanos) / 1000n);

// Trace ids as the UI JSON prints them: 16 digits when the high half is zero.
const jaegerHex = (buf) => {
  const h = hex(buf);
  return h.startsWith('0000000000000000') ? h.slice(16) : h;
};

// An api_v2 Span (with its process) as the UI JSON writes it, the process resolved.
function uiSpan(span) {
  const out = {
    traceID: jaegerHex(span.trace_id),
    spanID: hex(span.span_id),
    operationName: span.operation_name,
    references: span.references.map((r) => ({
      refType: r.ref_type, traceID: jaegerHex(r.trace_id), spanID: hex(r.span_id),
    })),
    startTime: micros(span.start_time),
    duration: micros(span.duration),
    tags: span.tags.map(uiKeyValue),
    logs: span.logs.map((l) => ({ timestamp: micros(l.timestamp), fields: l.fields.map(uiKeyValue) })),
    process: { serviceName: span.process.service_name, tags: span.process.tags.map(uiKeyValue) },
  };
  if (span.flags) out.flags = span.flags;
  return out;
}

// A span of the UI JSON with its process resolved, in the shape uiSpan writes.
function httpSpan(trace, span) {
  const { processID, warnings, ...rest } = span;
  return { ...rest, process: trace.processes[processID] };
}

// The spans of api_v2-model chunks, checking that no chunk is empty, has more than
// `maxSpans` spans or mixes traces.
function chunkSpans(chunks, maxSpans = 10) {
  for (const chunk of chunks) {
    assert.ok(chunk.spans.length >= 1 && chunk.spans.length <= maxSpans, `chunk of ${chunk.spans.length} spans`);
    const ids = new Set(chunk.spans.map((s) => hex(s.trace_id)));
    assert.equal(ids.size, 1, 'a chunk holds spans of one trace');
  }
  return chunks.flatMap((c) => c.spans);
}

// OTLP value → comparable JS value, for gRPC objects (oneofs) and OTLP/JSON alike.
function anyValue(v) {
  if (!v) return '';
  const kind = v.value || Object.keys(v).find((k) => k.endsWith('Value'));
  if (!kind) return '';  // no value set
  const val = v[kind];
  switch (kind) {
    case 'int_value': case 'intValue': return String(val);
    case 'bytes_value': case 'bytesValue': return Buffer.from(val, typeof val === 'string' ? 'base64' : undefined).toString('base64');
    case 'array_value': case 'arrayValue': return (val.values || []).map(anyValue);
    case 'kvlist_value': case 'kvlistValue': return attrs(val.values || []);
    default: return val;
  }
}

function attrs(list) {
  return Object.fromEntries((list || []).map((kv) => [kv.key, anyValue(kv.value)]));
}

// Every span of OTLP TracesData (gRPC object or OTLP/JSON), in a comparable, sorted form.
function otlpSpans(data) {
  const out = [];
  for (const rs of data.resource_spans || data.resourceSpans || []) {
    const resource = attrs(rs.resource && rs.resource.attributes);
    for (const ss of rs.scope_spans || rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        const id = s.span_id !== undefined ? hex(s.span_id) : s.spanId;
        const traceId = s.trace_id !== undefined ? hex(s.trace_id) : s.traceId;
        out.push({
          traceId, spanId: id, name: s.name, service: resource['service.name'],
          start: String(s.start_time_unix_nano !== undefined ? s.start_time_unix_nano : s.startTimeUnixNano),
          attributes: attrs(s.attributes),
        });
      }
    }
  }
  return out.sort((a, b) => a.spanId.localeCompare(b.spanId));
}

module.exports = {
  grpc, loadProtos, basic, rpcs, rejected, ts, hex, idBytes, uiKeyValue, micros, jaegerHex, uiSpan,
  httpSpan, chunkSpans, anyValue, attrs, otlpSpans,
};

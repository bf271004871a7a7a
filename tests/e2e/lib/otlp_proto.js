'use strict';
// A minimal inline copy of the OTLP trace protos (field numbers from opentelemetry-proto v1.x)
// and google.rpc.Status, for hand-built request bodies and for decoding protobuf responses.

const crypto = require('node:crypto');
const protobuf = require('protobufjs');

const SCHEMA = `
syntax = "proto3";
package e2e;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }

message Status { string message = 2; int32 code = 3; }
message Span {
  message Event {
    fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  message Link {
    bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
    repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6;
  }
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }

message Any { string type_url = 1; bytes value = 2; }
message RpcStatus { int32 code = 1; string message = 2; repeated Any details = 3; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;
const ExportTraceServiceRequest = root.lookupType('e2e.ExportTraceServiceRequest');
const ExportTraceServiceResponse = root.lookupType('e2e.ExportTraceServiceResponse');
const RpcStatus = root.lookupType('e2e.RpcStatus');

// Encodes a request given as a plain object with camelCase fields (ids as Buffers, times as
// strings or numbers).
function encodeRequest(object) {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(object)).finish());
}

function decodeResponse(buf) {
  return ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(buf),
                                             { longs: String, defaults: false });
}

function decodeRpcStatus(buf) {
  return RpcStatus.toObject(RpcStatus.decode(buf), { defaults: true });
}

// --- raw wire encoding, for bodies protobufjs cannot produce (invalid UTF-8 in a string field,
// nesting thousands deep) ---------------------------------------------------------------------

function varint(n) {
  let v = BigInt(n);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

// A length-delimited field (wire type 2): tag, length, `payload` (Buffer or string).
function lenField(field, payload) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
}

// A fixed64 field (wire type 1).
function fixed64Field(field, value) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return Buffer.concat([varint((field << 3) | 1), b]);
}

// A varint field (wire type 0).
function varintField(field, value) {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

// The serialized AnyValue {kvlist_value {values {key: "k", value: ...}}} nested `depth` times
// (kind 'kvlist') or AnyValue {array_value {values: ...}} (kind 'array') around
// AnyValue {string_value: "leaf"}. Built outside in, in linear time: every level is a prefix.
function nestedAnyValue(depth, kind = 'kvlist') {
  let inner = lenField(1, 'leaf').length; // AnyValue.string_value
  const prefixes = [];
  for (let i = 0; i < depth; i++) {
    let p;
    if (kind === 'kvlist') {
      // KeyValue {key = 1: "k", value = 2: AnyValue}
      const kv = Buffer.concat([lenField(1, 'k'), varint((2 << 3) | 2), varint(inner)]);
      const kvLen = kv.length + inner;
      const list = Buffer.concat([varint((1 << 3) | 2), varint(kvLen)]); // KeyValueList.values
      const listLen = list.length + kvLen;
      p = Buffer.concat([varint((6 << 3) | 2), varint(listLen), list, kv]); // AnyValue.kvlist_value
    } else {
      const arr = Buffer.concat([varint((1 << 3) | 2), varint(inner)]); // ArrayValue.values
      const arrLen = arr.length + inner;
      p = Buffer.concat([varint((5 << 3) | 2), varint(arrLen), arr]); // AnyValue.array_value
    }
    prefixes.push(p);
    inner += p.length;
  }
  prefixes.reverse();
  return Buffer.concat([...prefixes, lenField(1, 'leaf')]);
}

// A serialized Span from raw parts: ids as Buffers, `name` as a Buffer or string (any bytes),
// `attributes` as serialized KeyValue Buffers.
function rawSpan({ traceId, spanId, parentSpanId, name = 'raw-span', kind = 2, start, end,
                   attributes = [] }) {
  const parts = [lenField(1, traceId), lenField(2, spanId)];
  if (parentSpanId) parts.push(lenField(4, parentSpanId));
  parts.push(lenField(5, name), varintField(6, kind), fixed64Field(7, start), fixed64Field(8, end));
  for (const a of attributes) parts.push(lenField(9, a));
  return Buffer.concat(parts);
}

// A serialized KeyValue: `key` and a string value, each a Buffer or string (any bytes), or
// `anyValue` as a serialized AnyValue.
function rawKeyValue(key, { stringValue, anyValue }) {
  const value = anyValue !== undefined ? anyValue : lenField(1, stringValue);
  return Buffer.concat([lenField(1, key), lenField(2, value)]);
}

// A serialized ExportTraceServiceRequest: one ResourceSpans with service.name = `service` and
// one ScopeSpans holding the serialized `spans`.
function rawRequest(service, spans) {
  const resource = lenField(1, rawKeyValue('service.name', { stringValue: service }));
  const scope = Buffer.concat([lenField(1, lenField(1, 'e2e-hostile')), ...spans.map((s) => lenField(2, s))]);
  const rs = Buffer.concat([lenField(1, resource), lenField(2, scope)]);
  return lenField(1, rs);
}

// `bytes` random bytes as lowercase hex (trace and span ids).
function randomHex(bytes) {
  return crypto.randomBytes(bytes).toString('hex');
}

module.exports = {
  encodeRequest,
  decodeResponse,
  decodeRpcStatus,
  randomHex,
  ExportTraceServiceRequest,
  lenField,
  nestedAnyValue,
  rawSpan,
  rawKeyValue,
  rawRequest,
};

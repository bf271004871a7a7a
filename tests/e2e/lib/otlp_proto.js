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
};
